"""``cindersim serve``: the simulated cloud over real HTTP.

python-cinderclient, openstacksdk and the openstack CLI talk to it the way boto3
talks to moto: Cinder v3 at ``/v3``, a minimal Keystone v3 at ``/identity/v3``
(users ``admin``, ``demo``, ``alt_demo``; password ``secret``) and Nova's API at
``/compute/v2.1`` when the cloud runs Nova.  The simulation runs in paced
virtual time (``speed`` virtual seconds per real second) on the server's loop.

* :func:`main` / :func:`run` / :func:`add_arguments` - the command line;
* :func:`serve` - blocking, stops on Ctrl-C or SIGTERM and writes the trace;
* :class:`ThreadedServer` - in a background thread, for tests;
* :class:`SimServer` / :class:`HttpApp` - the pieces, for your own loop;
* :class:`ServerLimits` - body size (413), connection cap (503), idle and
  slow-request timeouts (wall-clock seconds); :class:`ServerStats` counts what
  they refused.

Noauth tokens (``--auth both``, the default, or ``noauth``) make any caller an
admin, so the command refuses them on a non-loopback ``--host`` unless
``--allow-remote-noauth`` is given.
"""

from __future__ import annotations

from ..services.keystone import Keystone
from .app import HttpApp, HttpResponse
from .command import add_arguments, banner, main, run
from .server import (
    AuthMode,
    ServeOptions,
    ServerLimits,
    ServerStats,
    SimServer,
    ThreadedServer,
    serve,
)

__all__ = [
    "AuthMode",
    "HttpApp",
    "HttpResponse",
    "Keystone",
    "ServeOptions",
    "ServerLimits",
    "ServerStats",
    "SimServer",
    "ThreadedServer",
    "add_arguments",
    "banner",
    "main",
    "run",
    "serve",
]
