"""The grid of a sweep: ``--set KEY=V1,V2`` and ``--seeds`` parsed, the cartesian product
laid out as numbered runs, and every grid point validated before anything runs.

A run is named by ``(scenario path, overrides, seed)`` and nothing else: its
number (``index``) is its place in the grid, first ``--set`` key outermost,
seeds innermost, so ``--plan``, ``--only`` and the result table agree on it
whatever order the runs finish in.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..scenario import ScenarioError, load_scenario

__all__ = ["Sweep", "SweepRun", "parse_indices", "parse_seeds", "parse_set", "parse_value",
           "show_value", "split_values"]

_KEY = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_OPEN = {"[": "]", "{": "}"}


def parse_value(text: str) -> Any:
    """One ``--set`` value: a TOML literal when it parses as one (``20``, ``1.5``,
    ``true``, ``"a,b"``, ``["CapacityWeigher"]``), else the text itself as a string."""
    stripped = text.strip()
    try:
        return tomllib.loads(f"v = {stripped}")["v"]
    except tomllib.TOMLDecodeError:
        return stripped


def split_values(text: str) -> list[str]:
    """Split ``V1,V2,...`` on the commas outside quotes, brackets and braces.

    Raises:
        ValueError: an empty value, an unclosed quote or bracket, or a stray closer.
    """
    parts: list[str] = []
    depth: list[str] = []
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        c = text[i]
        if quote is not None:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in _OPEN:
            depth.append(_OPEN[c])
        elif c in "]}":
            if not depth or depth.pop() != c:
                raise ValueError(f"unbalanced {c!r} in {text!r}")
        elif c == "," and not depth:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if quote is not None:
        raise ValueError(f"unclosed {quote} in {text!r}")
    if depth:
        raise ValueError(f"unclosed {'[' if depth[-1] == ']' else '{'} in {text!r}")
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise ValueError(f"an empty value in {text!r}")
    return parts


def parse_set(text: str) -> tuple[str, tuple[Any, ...]]:
    """``KEY=V1,V2,...`` as (key, values).  Keys are dotted paths into the scenario's
    TOML document (``fleet.max_over_subscription_ratio``, ``workload.streams.0.rate``,
    ``seed``); the scenario loader says whether one exists.

    Raises:
        ValueError: no ``=``, a malformed key, no value, or a value listed twice.
    """
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep:
        raise ValueError(f"--set {text!r}: expected KEY=V1,V2,...")
    if not _KEY.match(key):
        raise ValueError(f"--set {text!r}: {key!r} is not a dotted key (like "
                         "fleet.max_over_subscription_ratio)")
    try:
        values = tuple(parse_value(v) for v in split_values(rest))
    except ValueError as exc:
        raise ValueError(f"--set {key}: {exc}") from None
    shown = [show_value(v) for v in values]
    dupes = sorted({s for s in shown if shown.count(s) > 1})
    if dupes:
        raise ValueError(f"--set {key}: value {dupes[0]} is listed twice")
    return key, values


def _int(text: str, what: str) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        raise ValueError(f"{what}: {text.strip()!r} is not an integer") from None
    return n


def parse_indices(text: str, what: str = "--seeds") -> tuple[int, ...]:
    """``A..B`` (inclusive), ``N`` or ``N1,N2,...`` (ranges may be mixed in: ``1..3,7``)
    as a tuple of distinct non-negative integers, in the order given.

    Raises:
        ValueError: not an integer, a negative one, an empty or reversed range, or a
            number given twice.
    """
    out: list[int] = []
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"{what} {text!r}: an empty item")
        m = _RANGE.match(part)
        if m is not None:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ValueError(f"{what} {text!r}: the range {a}..{b} is empty (A..B needs "
                                 "A <= B; both ends are included)")
            out.extend(range(a, b + 1))
        else:
            out.append(_int(part, f"{what} {text!r}"))
    if any(n < 0 for n in out):
        raise ValueError(f"{what} {text!r}: numbers must be >= 0")
    seen: set[int] = set()
    for n in out:
        if n in seen:
            raise ValueError(f"{what} {text!r}: {n} is given twice")
        seen.add(n)
    return tuple(out)


def parse_seeds(text: str) -> tuple[int, ...]:
    """``--seeds``: ``1..8`` (inclusive), ``5`` or ``1,3,7``."""
    return parse_indices(text, "--seeds")


def show_value(value: Any) -> str:
    """A value as the table and progress lines show it: strings as they are, anything
    else as compact JSON (which is also TOML for numbers, booleans and arrays)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@attrs.frozen
class SweepRun:
    """One run of a sweep: everything :func:`cindersim.sweep.run_one` needs, plus its
    place in the grid (``index`` counts runs, ``point`` counts parameter combinations)."""

    index: int
    point: int
    scenario: str
    overrides: Mapping[str, Any]
    seed: int

    def label(self) -> str:
        """``KEY=V KEY2=V2 seed=S`` for progress lines."""
        parts = [f"{k}={show_value(v)}" for k, v in self.overrides.items()]
        return " ".join([*parts, f"seed={self.seed}"])

    def row(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """The table row of this run: its ``run`` index and grid ``point``, then what
        :func:`~cindersim.sweep.run_one` returned (from any process or machine)."""
        return {"run": self.index, "point": self.point, **result}

    def plan(self) -> dict[str, Any]:
        """The run as a ``--plan`` line (what a cluster task needs to run it)."""
        return {"index": self.index, "scenario": self.scenario,
                "overrides": dict(self.overrides), "seed": self.seed}


@attrs.frozen
class Sweep:
    """A validated grid: the scenario, the ``--set`` keys and values, and the runs."""

    scenario: str
    """The scenario file, as given (runs load it themselves)."""
    name: str
    """The scenario's ``name`` (the default output directory is ``sweep-<name>``)."""
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    runs: tuple[SweepRun, ...]
    horizons: tuple[float, ...] = ()
    """Per grid point: its workload's ``duration`` in virtual seconds (0: no
    ``[workload]``): what a progress bar measures the runs against."""

    def horizon(self, run: SweepRun) -> float:
        """The virtual seconds *run*'s workload lasts (0: none, or not known)."""
        return self.horizons[run.point] if run.point < len(self.horizons) else 0.0

    @property
    def points(self) -> int:
        n = 1
        for vs in self.values:
            n *= len(vs)
        return n

    @classmethod
    def build(cls, scenario: str | Path, sets: Sequence[tuple[str, Sequence[Any]]],
              seeds: Sequence[int] | None = None) -> Sweep:
        """Lay out the grid and load the scenario once per grid point with its overrides,
        so a bad key or value fails here, before any run starts.

        Without *seeds* each point runs once with the scenario's own ``seed`` (after
        the overrides, so ``--set seed=1,2`` also works).

        Raises:
            ValueError: a key given twice.
            ScenarioError: every problem of every grid point (the same problem once),
                each with the point it came from.
        """
        path = str(scenario)
        keys = tuple(k for k, _ in sets)
        for k in keys:
            if keys.count(k) > 1:
                raise ValueError(f"--set {k} is given twice (give all its values in one "
                                 "--set, comma-separated)")
        values = tuple(tuple(vs) for _, vs in sets)
        base = load_scenario(path)
        problems: list[tuple[str, int, str]] = []
        seen: set[tuple[str, int, str]] = set()
        runs: list[SweepRun] = []
        horizons: list[float] = []
        for point, combo in enumerate(itertools.product(*values)):
            overrides = dict(zip(keys, combo, strict=True))
            own = base
            if overrides:
                try:
                    own = load_scenario(path, overrides=overrides)
                except ScenarioError as exc:
                    where = " ".join(f"{k}={show_value(v)}" for k, v in overrides.items())
                    for f, line, msg in exc.problems:
                        if (f, line, msg) not in seen:
                            seen.add((f, line, msg))
                            problems.append((f, line, f"{msg} (grid point {where})"))
                    horizons.append(0.0)
                    continue
            horizons.append(own.workload.workload.duration if own.workload else 0.0)
            for seed in (seeds if seeds is not None else (own.seed,)):
                runs.append(SweepRun(len(runs), point, path, overrides, seed))
        if problems:
            raise ScenarioError(problems)
        return cls(path, base.name, keys, values, tuple(runs), tuple(horizons))
