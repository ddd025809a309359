"""The parts consecutive scheduling records have in common, built once.

A full trace keeps every scheduling pass's record (``schedule`` events).  Most of
it repeats from one pass to the next: the pool list changes only with reports and
services going up or down, the filters' verdicts only when a pool stops (or starts)
fitting, and the retry record of a first attempt names the pool chosen.  A
:class:`SharedParts` hands out one JSON list or dict for equal contents, so equal
parts of the records are the same objects.  Trace details are read, never changed
(:class:`~cindersim.trace.TraceEvent` is frozen and every renderer only reads), so
this is invisible in the JSONL and to ``==``; a long full trace holds fewer objects
for the garbage collector to walk, and each pass builds fewer.

Each :class:`~.manager.SchedulerService` keeps its own (nothing is shared between
simulations), and each memo is emptied when it grows past :attr:`SharedParts.MAX`
entries, so a fleet whose verdicts never repeat costs a bounded amount of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["FilterKey", "RecordKey", "RecordParts", "RetryKey", "SharedParts"]

FilterKey = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
"""Each filter's (name, passed, rejected), in the order they ran."""
RetryKey = tuple[int, tuple[str, ...], tuple[str, ...], str | None]
"""A retry record's (num_attempts, backends, hosts, exc)."""
RecordKey = tuple[tuple[str, ...], tuple[str, ...], FilterKey, tuple[str, ...],
                  RetryKey | None, tuple[tuple[str, float], ...]]
"""A record's (candidates, down_hosts, filters, pinned_out, retry, weighed)."""
RecordParts = tuple[list[str], list[str], list[dict[str, Any]], list[str],
                    dict[str, Any] | None, list[list[Any]]]
"""The JSON parts of a :data:`RecordKey`, in its order."""


class SharedParts:
    """One list or dict per distinct content, for the records of one scheduler."""

    MAX = 64
    """Entries a memo holds before it starts over."""

    __slots__ = ("_attempts", "_filters", "_lists", "_records", "_retries", "_sentences",
                 "_weighed")

    def __init__(self) -> None:
        self._lists: dict[tuple[str, ...], list[str]] = {}
        self._filters: dict[FilterKey, list[dict[str, Any]]] = {}
        self._retries: dict[RetryKey, dict[str, Any]] = {}
        self._sentences: dict[Hashable, str] = {}
        self._weighed: dict[tuple[tuple[str, float], ...], list[list[Any]]] = {}
        self._records: dict[RecordKey, RecordParts] = {}
        self._attempts: dict[Hashable, tuple[str, dict[str, Any]]] = {}

    def record(self, key: RecordKey) -> RecordParts:
        """A record's candidates, down hosts, filters, pinned-out ids, retry and
        weighed parts (as :meth:`ids`, :meth:`filters`, :meth:`retry` and
        :meth:`weighed` give them), asked at once: one lookup per record."""
        got = self._records.get(key)
        if got is None:
            if len(self._records) >= self.MAX:
                self._records.clear()
            candidates, down_hosts, filters, pinned_out, retry, weighed = key
            got = self._records[key] = (
                self.ids(candidates), self.ids(down_hosts), self.filters(filters),
                self.ids(pinned_out), None if retry is None else self.retry(retry),
                self.weighed(weighed))
        return got

    def first_attempt(self, key: Hashable,
                      build: Callable[..., tuple[str, dict[str, Any]]], *args: Any,
                      ) -> tuple[str, dict[str, Any]]:
        """What ``build(*args)`` gives for a first attempt's *key* (everything it depends
        on): its narration and its detail, which the caller copies before changing."""
        got = self._attempts.get(key)
        if got is None:
            if len(self._attempts) >= self.MAX:
                self._attempts.clear()
            got = self._attempts[key] = build(*args)
        return got

    def sentence(self, key: Hashable, build: Callable[..., str], *args: Any) -> str:
        """The narration ``build(*args)`` gives for *key* (everything it depends on).
        (*args*, not a partial: the memo usually answers, and then nothing is built.)"""
        got = self._sentences.get(key)
        if got is None:
            if len(self._sentences) >= self.MAX:
                self._sentences.clear()
            got = self._sentences[key] = build(*args)
        return got

    def ids(self, ids: tuple[str, ...]) -> list[str]:
        """``list(ids)``."""
        got = self._lists.get(ids)
        if got is None:
            if len(self._lists) >= self.MAX:
                self._lists.clear()
            got = self._lists[ids] = list(ids)
        return got

    def filters(self, key: FilterKey) -> list[dict[str, Any]]:
        """The ``filters`` part of a record: ``{"name", "passed", "rejected"}`` each."""
        got = self._filters.get(key)
        if got is None:
            if len(self._filters) >= self.MAX:
                self._filters.clear()
            got = self._filters[key] = [
                {"name": name, "passed": self.ids(passed), "rejected": self.ids(rejected)}
                for name, passed, rejected in key]
        return got

    def weighed(self, key: tuple[tuple[str, float], ...]) -> list[list[Any]]:
        """The ``weighed`` part: ``[backend, weight]`` each, best first."""
        got = self._weighed.get(key)
        if got is None:
            if len(self._weighed) >= self.MAX:
                self._weighed.clear()
            got = self._weighed[key] = [[bid, weight] for bid, weight in key]
        return got

    def retry(self, key: RetryKey) -> dict[str, Any]:
        """The ``retry`` part (:meth:`~.request_spec.RetryRecord.to_dict`'s shape)."""
        got = self._retries.get(key)
        if got is None:
            if len(self._retries) >= self.MAX:
                self._retries.clear()
            num_attempts, backends, hosts, exc = key
            got = {"num_attempts": num_attempts, "backends": self.ids(backends),
                   "hosts": self.ids(hosts)}
            if exc is not None:
                got["exc"] = exc
            self._retries[key] = got
        return got
