"""cindersim: a deterministic, virtual-time simulator of OpenStack Cinder.

Layers, bottom up (each only uses those below it):

* ``clock`` / ``simulation`` - the virtual-time loop and the determinism kit
  (one seeded rng, ids from it, one trace);
* ``bus`` / ``trace`` / ``states`` / ``db`` - oslo.messaging-like RPC, the event
  log, Cinder's status machine and records;
* ``backends`` - LVM, iSCSI targets, block content, object store, drivers;
* ``services`` - cinder-api, cinder-scheduler, cinder-volume (and the rest);
* ``cloud`` - one cloud wired together, and :func:`simulate`.

The public face is re-exported here; everything else may change.
"""

from __future__ import annotations

from .backends.costs import CostModel
from .backends.faults import FaultRule
from .bus import MessageFault
from .clock import Deadlock, VirtualTimeLoop
from .cloud import Cloud, Response, SimulationResult, simulate
from .config import CloudConfig, ConfigError, load_config
from .simulation import Simulation
from .trace import Trace, TraceEvent

__version__ = "0.1.0.dev0"

__all__ = [
    "Cloud",
    "CloudConfig",
    "ConfigError",
    "CostModel",
    "Deadlock",
    "FaultRule",
    "MessageFault",
    "Response",
    "Simulation",
    "SimulationResult",
    "Trace",
    "TraceEvent",
    "VirtualTimeLoop",
    "__version__",
    "load_config",
    "simulate",
]
