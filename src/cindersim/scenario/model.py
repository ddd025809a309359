"""The scenario model: a loaded file's steps, faults and expectations, and its errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ..cloud import Cloud
    from ..workload import Workload

# --- errors and positions ---------------------------------------------------------------------
class ScenarioError(Exception):
    """A bad scenario file: every problem as ``FILE:LINE: message``, one per line."""

    def __init__(self, problems: Sequence[tuple[str, int, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{f}:{line}: {msg}" for f, line, msg in self.problems))



# --- the model ------------------------------------------------------------------------------------
@attrs.frozen
class Step:
    """One ``[[steps]]`` entry."""

    action: str
    params: Mapping[str, Any]
    label: str | None = None
    expect_status: int | None = None
    user: str = "demo"
    settle: bool = True
    line: int = 0
    index: int = 0


@attrs.frozen
class Fault:
    """One ``[[faults]]`` entry: ``kind`` is ``driver``, ``message`` or ``service``."""

    kind: str
    params: Mapping[str, Any]
    start: float = 0.0
    duration: float | None = None
    line: int = 0


@attrs.frozen
class Expectation:
    """One ``[[expect]]`` entry (``kind``: resource, count, capacity, trace)."""

    kind: str
    params: Mapping[str, Any]
    line: int = 0


@attrs.frozen
class WorkloadSpec:
    """The ``[workload]`` table: generated client traffic and how often metrics sample."""

    workload: Workload
    metrics_interval: float
    """Virtual seconds between two metrics samples."""
    line: int = 0


PythonScenario = Callable[["Cloud"], Awaitable[Any]]


@attrs.frozen
class Scenario:
    """A loaded, validated scenario (TOML, or Python with ``python`` set)."""

    name: str
    description: str
    path: str
    seed: int = 0
    cloud: Any = None
    """What :func:`cindersim.config.load_config` takes: a dict, a path or None."""
    microversion: str = "3.71"
    steps: tuple[Step, ...] = ()
    faults: tuple[Fault, ...] = ()
    expects: tuple[Expectation, ...] = ()
    python: PythonScenario | None = None
    workload: WorkloadSpec | None = None
    """``[workload]``: run after the steps, with metrics collected (None: steps only)."""
    long: bool = False
    """``long = true``: a run of minutes (``cindersim scenarios`` says so; the test suite
    runs a scaled-down copy).  Nothing else about the run changes."""

    @property
    def title(self) -> str:
        return f"{self.name}: {self.description}" if self.description else self.name


