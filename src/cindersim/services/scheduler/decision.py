"""What one scheduling pass did: the :class:`SchedulingDecision` the scheduler returns,
its narration for learners and its detail for the trace (Cinder logs the same steps at
debug level in ``cinder/scheduler/filter_scheduler.py`` and ``host_manager.py``)."""

from __future__ import annotations

import math
from typing import Any, Final, NamedTuple

from ...errors import NoValidBackend
from .request_spec import RequestSpec, RetryRecord
from .shared_parts import RecordParts, SharedParts
from .weighers import WeighedBackend, WeigherOutcome

__all__ = ["NO_WEIGHED_BACKENDS", "FilterOutcome", "SchedulingDecision"]

NO_WEIGHED_BACKENDS: Final = "No weighed backends available"


class FilterOutcome(NamedTuple):
    """One filter's pass over the surviving candidates.

    A frozen typed record, as a named tuple: a recorded pass makes one per filter,
    and a tuple of them is already the memo key of :class:`SharedParts` (each
    filter's name, passed, rejected), with nothing to build per record."""

    name: str
    passed: tuple[str, ...]
    rejected: tuple[str, ...]


class SchedulingDecision(NamedTuple):
    """Everything one scheduling pass did, for the caller and the trace.

    A frozen typed record, as a named tuple: a full trace builds one per pass, and a
    tuple of sixteen fields is made in one call where a frozen attrs class set each
    through ``object.__setattr__``.  Traces carry :meth:`to_dict`, never the tuple.
    """

    operation: str
    """``'create_volume'`` or ``'backend_passes_filters'``."""
    request: RequestSpec
    candidates: tuple[str, ...] = ()
    """Pools of up, enabled services, in host manager order."""
    down_hosts: tuple[str, ...] = ()
    """Services with reports that were not considered (down/disabled/frozen)."""
    filters: tuple[FilterOutcome, ...] = ()
    weighers: tuple[WeigherOutcome, ...] = ()
    weighed: tuple[WeighedBackend, ...] = ()
    """Best first."""
    pinned_out: tuple[str, ...] = ()
    """Weighed backends dropped because ``resource_backend`` pins elsewhere."""
    chosen: str | None = None
    chosen_zone: str | None = None
    """The chosen pool's ``availability_zone`` (the manager writes it to the volume)."""
    consumed_gb: float = 0
    retry: RetryRecord | None = None
    """The retry record to carry on (None when rescheduling is disabled)."""
    previous_error: str | None = None
    """``retry['exc']`` from the failed previous attempt, now consumed."""
    reverted: tuple[str, float] | None = None
    """(backend, GiB) given back before this pass, on a reschedule."""
    reason: str | None = None
    """NoValidBackend's reason when no backend was found."""
    message: str | None = None
    """A complete NoValidBackend message, when Cinder gives one (placement checks)."""

    @property
    def ok(self) -> bool:
        return self.chosen is not None

    def error(self) -> NoValidBackend | None:
        """The NoValidBackend Cinder raises for this decision, or None."""
        if self.chosen is not None:
            return None
        if self.message is not None:
            return NoValidBackend(self.message)
        return NoValidBackend(reason=self.reason or NO_WEIGHED_BACKENDS)

    def backend(self) -> str:
        """The chosen backend id; raises NoValidBackend if there is none."""
        err = self.error()
        if err is not None:
            raise err
        assert self.chosen is not None
        return self.chosen

    def narrate(self, shared: SharedParts | None = None) -> str:
        """One paragraph for the learner-facing narration.  With *shared* (the
        scheduler's memo), sentences on the same pools, verdicts and weights as an
        earlier record's are that record's, not formatted again; so is a first
        attempt's whole paragraph."""
        if shared is None or self.previous_error or self.reverted:
            return self._narration(shared)
        return self.traced(shared)[0]

    def traced(self, shared: SharedParts) -> tuple[str, dict[str, Any]]:
        """``(narrate(shared), to_dict(shared))``, what the scheduler traces of a pass.
        A first attempt's paragraph and its detail but for the weigher outcomes (the raw
        weights change with every placement) come from one memo entry, found by one key:
        every create of a full trace asks."""
        if self.previous_error or self.reverted:
            return self._narration(shared), self.to_dict(shared)
        # Without a previous attempt the paragraph and the detail are functions of this
        # key alone (what _narration and _first_attempt read), the weighers apart.
        paragraph, template = shared.first_attempt(
            (self.operation, self.candidates, self.down_hosts, self.filters,
             self.pinned_out, self.retry, self.weighed,
             tuple(map(_weighing_key, self.weighers)),  # (no loop of ours: map, in C)
             self.request.resource_backend if self.pinned_out else None, self.chosen,
             self.consumed_gb, self.reason, self.message),
            self._first_attempt, shared)
        detail = template.copy()  # the event's own dict, in the template's key order
        detail["weighers"] = self._weighers_detail()
        return paragraph, detail

    def _first_attempt(self, shared: SharedParts) -> tuple[str, dict[str, Any]]:
        """What :meth:`traced` keeps of a first attempt: the paragraph, and the detail
        with ``weighers`` left for each event to fill in."""
        return self._narration(shared), self._detail(shared.record(
            (self.candidates, self.down_hosts, self.filters, self.pinned_out, self.retry,
             self.weighed)), [])

    def _narration(self, shared: SharedParts | None) -> str:
        """:meth:`narrate`'s paragraph, built (its sentences memoised with *shared*)."""
        parts: list[str] = []
        if self.previous_error:
            parts.append(f"The last attempt failed ({self.previous_error}).")
        if self.reverted:
            parts.append(f"cinder-scheduler gives {self.reverted[1]:g} GiB back to "
                         f"{self.reverted[0]}.")
        if self.reason and not self.candidates and not self.filters:
            parts.append(f"cinder-scheduler gives up: {self.reason}.")
            return " ".join(parts)
        if self.chosen is not None and not self.candidates and not self.filters:
            # Found through the placement index: there is no per-filter record.
            parts.append(f"cinder-scheduler chooses {self.chosen} and consumes "
                         f"{self.consumed_gb:g} GiB there.")
            return " ".join(parts)
        if shared is None:
            parts.append(self._filtering())
            parts.extend(_weighing(w) for w in self.weighers)
        else:
            parts.append(shared.sentence(
                ("filtering", self.candidates, self.down_hosts, self.filters),
                self._filtering))
            for w in self.weighers:
                parts.append(shared.sentence(("weighing", *_weighing_key(w)), _weighing, w))
        if self.pinned_out:
            parts.append(f"Pinned to {self.request.resource_backend}: drops "
                         f"{', '.join(self.pinned_out)}.")
        if self.chosen is not None:
            consumed = f" and consumes {self.consumed_gb:g} GiB there" \
                if self.consumed_gb else ""
            parts.append(f"It chooses {self.chosen}{consumed}.")
        else:
            err = self.error()
            parts.append(f"No backend fits: {err}.")
        return " ".join(parts)

    def _filtering(self) -> str:
        """The sentences on the candidates and on each filter's verdict."""
        down = f"; not considered (service down/disabled): {', '.join(self.down_hosts)}" \
            if self.down_hosts else ""
        parts = [f"cinder-scheduler filters the candidates: {len(self.candidates)} "
                 f"pool(s) up ({', '.join(self.candidates) or 'none'}){down}."]
        for f in self.filters if self.candidates else ():
            rejected = f" rejects {', '.join(f.rejected)} and" if f.rejected else ""
            parts.append(f"{f.name}{rejected} keeps {len(f.passed)}.")
        return " ".join(parts)

    def to_dict(self, shared: SharedParts | None = None) -> dict[str, Any]:
        """JSON-serialisable detail for a trace event.  With *shared* (the scheduler's
        memo), parts equal to an earlier record's are that record's very objects."""
        if shared is not None:
            # The outcomes, the retry record and the weighed pools are named tuples of
            # the memo keys' very shape: each is its own key, and the six one key.
            return self._detail(shared.record(
                (self.candidates, self.down_hosts, self.filters, self.pinned_out,
                 self.retry, self.weighed)), self._weighers_detail())
        retry = self.retry
        return self._detail((
            list(self.candidates), list(self.down_hosts),
            [{"name": f.name, "passed": list(f.passed), "rejected": list(f.rejected)}
             for f in self.filters],
            list(self.pinned_out), None if retry is None else retry.to_dict(),
            [[wb.backend_id, wb.weight] for wb in self.weighed]), self._weighers_detail())

    def _weighers_detail(self) -> list[dict[str, Any]]:
        """The ``weighers`` of :meth:`to_dict`: each one's raw and normalised weights."""
        # Loops, not comprehensions: one weigher and a few pools is the usual record,
        # where a comprehension's own frame costs more than its items.
        weighers: list[dict[str, Any]] = []
        for w in self.weighers:
            weights: dict[str, dict[str, float]] = {}
            for b, r, n in zip(w.backends, w.raw, w.normalized, strict=True):
                weights[b] = {"raw": r, "normalized": n}
            weighers.append({"name": w.name, "multiplier": w.multiplier, "weights": weights})
        return weighers

    def _detail(self, parts: RecordParts, weighers: list[dict[str, Any]]) -> dict[str, Any]:
        """:meth:`to_dict` given the JSON of its (candidates, down hosts, filters,
        pinned-out ids, retry, weighed) and of its weighers."""
        candidates, down_hosts, filters, pinned_out, retry_dict, weighed = parts
        return {
            "operation": self.operation,
            "candidates": candidates,
            "down_hosts": down_hosts,
            "filters": filters,
            "weighers": weighers,
            "weighed": weighed,
            "pinned_out": pinned_out,
            "chosen": self.chosen,
            "consumed_gb": self.consumed_gb,
            "retry": retry_dict,
            "previous_error": self.previous_error,
            "reverted": None if self.reverted is None else list(self.reverted),
            "error": None if self.chosen is not None else str(self.error()),
        }


def _weighing_key(w: WeigherOutcome) -> tuple[Any, ...]:
    """What :func:`_weighing` reads of *w* (its memo key)."""
    # copysign: -0.0 == 0.0, but the sentence prints the multiplier's sign
    return (w.name, w.multiplier, math.copysign(1.0, w.multiplier), w.backends,
            w.normalized)


def _weighing(w: WeigherOutcome) -> str:
    """The sentence on one weigher's normalised weights."""
    weights = ", ".join([f"{b}={n:.3f}" for b, n in zip(w.backends, w.normalized,
                                                        strict=True)])
    return f"{w.name} (multiplier {w.multiplier!r}) weighs {weights}."
