"""Driver faults by rule: the what-if "this backend fails its next lvcreate".

A rule names a driver operation and optionally narrows it (backend, volume,
which call), says how often it fires (``times``), or fires at random with a
probability drawn from the simulation's seeded rng, so a faulty run replays
exactly.  When a rule fires the driver raises the exception real Cinder would
have seen from that operation (``ProcessExecutionError`` from lvcreate,
``ISCSITargetCreateFailed`` from a target helper, ...).
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from .. import errors

__all__ = ["DEFAULT_ERRORS", "FaultPlan", "FaultRule"]

#: The exception each driver operation raises in real Cinder when it fails.
DEFAULT_ERRORS: dict[str, str] = {
    "create_volume": "ProcessExecutionError",
    "create_cloned_volume": "ProcessExecutionError",
    "create_volume_from_snapshot": "ProcessExecutionError",
    "delete_volume": "VolumeBackendAPIException",
    "create_snapshot": "ProcessExecutionError",
    "delete_snapshot": "VolumeBackendAPIException",
    "extend_volume": "VolumeBackendAPIException",
    "create_export": "ISCSITargetCreateFailed",
    "remove_export": "ISCSITargetRemoveFailed",
    "initialize_connection": "VolumeBackendAPIException",
    "terminate_connection": "VolumeBackendAPIException",
    "backup": "BackupDriverException",
    "restore": "BackupDriverException",
    "delete_backup": "BackupDriverException",
}


@attrs.define(kw_only=True)
class FaultRule:
    """One way a driver operation fails.

    Attributes:
        op: driver method name (``create_volume``, ``create_export``, ``backup`` ...).
        backend: only on this backend (``host@backend``), or any.
        volume_id: only for this volume, or any.
        nth: fire on the nth matching call (1-based) and onwards while
            ``times`` lasts; None means from the first.
        times: how many times to fire; None means forever.
        probability: if set, each matching call fires with this chance.
        error: exception class name from :mod:`cindersim.errors`; defaults
            to what real Cinder raises for *op*.
        message: text for the exception.
    """

    op: str
    backend: str | None = None
    volume_id: str | None = None
    nth: int | None = None
    times: int | None = 1
    probability: float | None = None
    error: str | None = None
    message: str | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, op: str, ctx: dict[str, Any]) -> bool:
        if op != self.op:
            return False
        if self.backend is not None and ctx.get("backend") != self.backend:
            return False
        return self.volume_id is None or ctx.get("volume_id") == self.volume_id

    def exception(self, ctx: dict[str, Any]) -> Exception:
        name = self.error or DEFAULT_ERRORS.get(self.op, "VolumeBackendAPIException")
        cls = getattr(errors, name, None)
        if not (isinstance(cls, type) and issubclass(cls, errors.CinderException)):
            raise errors.SimulationError(f"fault rule for {self.op!r}: unknown error {name!r}")
        text = self.message or f"injected fault in {self.op}"
        if cls is errors.ProcessExecutionError:
            return errors.ProcessExecutionError(cmd=self.op, exit_code=5, stderr=text)
        vid = ctx.get("volume_id", "")
        return cls(text) if self.message else cls(
            reason=text, data=text, volume_id=vid, volume_name=vid, back_id=vid, vol_id=vid)


class FaultPlan:
    """The fault rules in force for a simulation (shared by every driver)."""

    def __init__(self, rng: random.Random, rules: list[FaultRule] | None = None) -> None:
        self._rng = rng
        self.rules: list[FaultRule] = list(rules or [])

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def check(self, op: str, **ctx: Any) -> None:
        """Raise the rule's exception if a rule fires for this call."""
        for rule in self.rules:
            if not rule.matches(op, ctx):
                continue
            rule.seen += 1
            if rule.nth is not None and rule.seen < rule.nth:
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            raise rule.exception(ctx)
