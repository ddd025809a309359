"""What every service of one cloud shares, and nothing more.

In a real deployment each service process has its clock, its configuration, a
connection to the message bus and one to the database; that is all they share.
A service that needs anything of another service asks for it the way OpenStack
does: an RPC over the bus, or the other service's REST API through a client.
:class:`ServiceEnv` is that small shared part; a service is built with it and
with the clients it is allowed to use, never with the whole cloud.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from ..backends.connectors import StorageNetworks
    from ..backends.faults import FaultPlan
    from ..bus import Bus
    from ..config import CloudConfig
    from ..db import Database
    from ..simulation import Simulation
    from ..trace import Trace
    from .api.wsgi import ApiResponse
    from .quota import QuotaEngine

__all__ = ["RestEndpoint", "ServiceEnv"]


class RestEndpoint(Protocol):
    """Another service's REST API, as a client in this process reaches it."""

    def __call__(self, method: str, path: str, headers: Mapping[str, str] | None,
                 body: Any, /) -> Awaitable[ApiResponse]: ...


def _storage_networks() -> StorageNetworks:
    from ..backends.connectors import StorageNetworks  # noqa: PLC0415 (typing-only above)

    return StorageNetworks()


@attrs.frozen(eq=False)  # one deployment is equal only to itself (and hashable so)
class ServiceEnv:
    """The shared part of one simulated deployment."""

    sim: Simulation
    """The virtual clock (``sim.now()``, ``sim.loop``), the seeded rng and ids."""
    trace: Trace
    bus: Bus
    """The AMQP-like bus every RPC and notification goes over."""
    db: Database
    """Cinder's database (the ``services`` table included)."""
    config: CloudConfig
    """cinder.conf (and the ``[simulator]`` facts of the simulated world)."""
    quota: QuotaEngine
    """Cinder's quota engine (``cinder/quota.py``) over the same database."""
    faults: FaultPlan
    """Faults injected into the storage (what-ifs), consulted by the drivers."""
    storage: StorageNetworks = attrs.field(factory=_storage_networks)
    """The NFS servers and the FC fabric every host reaches (iSCSI has its own network)."""

