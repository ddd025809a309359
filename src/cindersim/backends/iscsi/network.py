"""The iSCSI network: which target host listens on which portal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import errors

if TYPE_CHECKING:
    from .target_host import TargetHost

__all__ = ["IscsiNetwork"]


class IscsiNetwork:
    """Which target host listens on which portal (``ip:port``).

    A :class:`TargetHost` registers its portals here; an
    :class:`IscsiInitiator` finds the target host behind a portal.  A portal
    nobody listens on behaves like an unreachable address: the login times out.
    """

    __slots__ = ("_hosts",)

    def __init__(self) -> None:
        self._hosts: dict[str, TargetHost] = {}

    def listen(self, portal: str, host: TargetHost) -> None:
        other = self._hosts.get(portal)
        if other is not None and other is not host:
            raise errors.SimulationError(f"portal {portal} is already served by {other.name}")
        self._hosts[portal] = host

    def unlisten(self, portal: str) -> None:
        self._hosts.pop(portal, None)

    def host_at(self, portal: str) -> TargetHost | None:
        return self._hosts.get(portal)

    def portals(self) -> list[str]:
        return list(self._hosts)
