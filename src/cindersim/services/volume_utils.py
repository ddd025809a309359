"""Host strings shared by every Cinder service (``cinder/volume/volume_utils.py``).

A volume's ``host`` is ``host@backend#pool``: the ``cinder-volume`` service that
owns it (``host@backend``, also the server of its RPC queue) and the pool on that
backend.  cinder-api, cinder-scheduler, cinder-volume and cinder-backup all cut
these strings with the same two helpers, so they live outside any one service.
"""

from __future__ import annotations

import functools
import sys
from typing import Final, Protocol

__all__ = ["DEFAULT_POOL_NAME", "append_host", "extract_host"]

DEFAULT_POOL_NAME: Final = "_pool0"
"""Pool name Cinder gives a host string without ``#pool``."""


class _ExtractHost(Protocol):
    def __call__(self, host: str, level: str = "backend",
                 default_pool_name: bool = False) -> str | None: ...


def _extract_host(host: str, level: str = "backend", default_pool_name: bool = False,
                  ) -> str | None:
    """Cut a ``host@backend#pool`` string down to one level.

    ``level`` is ``'host'`` (``host``), ``'backend'`` (``host@backend``) or ``'pool'``
    (``pool``, or ``None`` when there is none unless *default_pool_name*, which
    gives ``_pool0``), as Cinder's ``volume_utils.extract_host``.
    """
    if level == "host":
        return host.split("#", 1)[0].split("@", 1)[0]
    if level == "backend":
        return host.split("#", 1)[0]
    if level == "pool":
        if "#" in host:
            return host.split("#", 1)[1]
        return DEFAULT_POOL_NAME if default_pool_name else None
    raise ValueError(f"extract_host: unknown level {level!r}")


# Pure, and asked of the same few pool ids by every create (the scheduler's cast, the
# volume service's entry guard): the C cache answers without a Python frame.
extract_host: _ExtractHost = functools.lru_cache(maxsize=1024)(_extract_host)


def append_host(host: str, pool: str) -> str:
    """``host#pool``, the id of a pool (``volume_utils.append_host``)."""
    # Interned: every volume on a pool holds this string (its ``host``); one copy each.
    return sys.intern(f"{host}#{pool}")
