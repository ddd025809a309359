"""Running a loaded scenario in a fresh simulated cloud: its steps in order, its fault
windows, then its expectations checked (expected vs actual, with the file's line)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from ..backends.faults import FaultRule
from ..bus import MessageFault
from ..metrics import SUMMARY_KEYS, MetricsCollector
from ..progress import RunProgress
from ..trace import Trace, TraceMode
from ..workload import drive
from .actions import ACTIONS, USERS, _Run, _service, _Unbound
from .load import _line_in
from .model import Expectation, Fault, Scenario, Step

if TYPE_CHECKING:
    from ..cloud import Cloud, Response, SimulationResult


# --- running ----------------------------------------------------------------------------------
def mark_step(cloud: Cloud, action: str, *, label: str | None = None,
              params: Mapping[str, Any] | None = None, flow: str | None = None,
              produces: str | None = None) -> None:
    """Open a narrated section (a ``scenario`` trace event) for the work that follows."""
    row = ACTIONS.get(action)
    cloud.trace.emit("scenario", "scenario", f"{action}" + (f" as {label}" if label else ""),
                     action=action, label=label,
                     produces=produces or (row.produces if row else None),
                     flow=flow or (row.flow if row else None), params=dict(params or {}))


@attrs.frozen
class ScenarioResult:
    """What :func:`run_scenario` returns."""

    scenario: Scenario
    result: SimulationResult[Any]
    failures: tuple[tuple[int, str], ...]
    """(line, "expected ..., got ...") for every expectation that did not hold."""
    checked: int
    metrics: MetricsCollector | None = None
    """The workload's metrics (None: the scenario has no ``[workload]``)."""
    trace_mode: TraceMode = "full"
    """How the run was traced: only ``full`` without a stream keeps ``trace.events``."""

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def trace(self) -> Trace:
        return self.result.trace

    def report(self) -> str:
        """One line for the verdict, then one ``FILE:LINE: ...`` line per failure."""
        s = self.scenario
        verdict = "ok" if self.ok else "FAILED"
        head = (f"{s.path}: {s.name}: {verdict} ({self.checked} expectation(s), "
                f"{len(self.failures)} failed, virtual time {self.result.virtual_time:.3f} s)")
        return "\n".join([head, *(f"{s.path}:{line}: {msg}" for line, msg in self.failures)])


def run_scenario(scenario: Scenario, *, seed: int | None = None,
                 trace_mode: TraceMode | None = None, trace_stream: IO[str] | None = None,
                 progress: RunProgress | None = None) -> ScenarioResult:
    """Run a scenario in a fresh simulated cloud and check its expectations.

    A pure function of (scenario, seed): the same arguments give the same
    trace and the same metrics, byte for byte.

    With a ``[workload]``: the steps run first (setup: types, quotas) and the
    cloud settles; then a :class:`~cindersim.metrics.MetricsCollector` starts
    (sampling every ``metrics_interval``), the workload's operations are
    generated from the seed and driven through cinder-api, time runs to the
    end of the workload's ``duration``, the cloud settles and a last sample
    is taken.  Fault windows run alongside, timed from the scenario's start.

    Args:
        scenario: from :func:`load_scenario`.
        seed: overrides the scenario's own seed.
        trace_mode: ``full`` (every event kept, or streamed), ``metrics``
            (subscribers only: no event log) or ``off``; None means
            ``metrics`` for a workload scenario and ``full`` otherwise.
            Expectations that read the trace (``count`` of events or
            messages, ``trace_contains``/``trace_lacks``) fail with a message
            saying so unless the trace is kept in memory.
        trace_stream: in ``full`` mode, write the trace here as JSONL instead
            of keeping it in memory.
        progress: told the workload's horizon, how far it got (virtual time and
            trace events, from the driver and the sampler) and when it is over;
            for display only (:mod:`cindersim.progress`): it changes nothing in
            the run.
    """
    from ..cloud import simulate  # noqa: PLC0415

    run_seed = scenario.seed if seed is None else seed
    mode: TraceMode = trace_mode or ("metrics" if scenario.workload is not None else "full")
    state: dict[str, _Run] = {}
    if scenario.python is not None:
        fn = scenario.python
        failures: list[tuple[int, str]] = []

        async def main_py(cloud: Cloud) -> None:
            try:
                await fn(cloud)
            except AssertionError as exc:
                failures.append((_line_in(exc, Path(scenario.path)),
                                 f"assertion failed: {exc}" if str(exc) else "assertion failed"))
            await cloud.settle()

        result = simulate(main_py, seed=run_seed, config=scenario.cloud, trace_mode=mode,
                          trace_stream=trace_stream)
        return ScenarioResult(scenario, result, tuple(failures), 1, trace_mode=mode)

    collectors: list[MetricsCollector] = []

    async def main(cloud: Cloud) -> None:
        run = _Run(scenario, cloud)
        state["run"] = run
        t0 = cloud.sim.now()
        windows = [asyncio.ensure_future(_fault_window(run, f, t0)) for f in scenario.faults]
        for step in scenario.steps:
            await _run_step(run, step)
        if scenario.workload is not None:
            await cloud.settle()
            await _run_workload(cloud, scenario, run_seed, collectors, progress)
        for w in windows:
            await w
        await cloud.settle()
        if progress is not None and scenario.workload is not None:
            progress.end()
        if collectors:
            m = collectors[0]
            m.stop()
            if not m.samples or m.samples[-1].time != cloud.sim.now():
                m.sample()  # the state at the end (unless the sampler just took it)

    result = simulate(main, seed=run_seed, config=scenario.cloud, trace_mode=mode,
                      trace_stream=trace_stream)
    run = state["run"]
    metrics = collectors[0] if collectors else None
    failures = list(run.failures)
    kept = mode == "full" and trace_stream is None
    for exp in scenario.expects:
        msg = _check(run, result, exp, metrics, None if kept else
                     ("the trace was streamed to a file" if mode == "full" else
                      f"trace mode {mode!r} keeps no events"))
        if msg is not None:
            failures.append((exp.line, msg))
    checked = len(scenario.expects) + len(scenario.steps)
    return ScenarioResult(scenario, result, tuple(failures), checked, metrics, mode)


async def _run_workload(cloud: Cloud, scenario: Scenario, seed: int,
                        collectors: list[MetricsCollector],
                        progress: RunProgress | None = None) -> None:
    """Drive the workload with metrics on, then let its duration run out and settle."""
    spec = scenario.workload
    assert spec is not None
    # Its own rng, from the seed alone: setup steps cannot shift what it generates.
    ops = spec.workload.generate(random.Random(seed))
    m = MetricsCollector(cloud, interval=spec.metrics_interval)
    m.requested_sizes = [int(op.size) for op in ops if op.kind == "create" and op.size]
    collectors.append(m)
    start = cloud.sim.now()
    tick = None
    if progress is not None:
        # Called from the driver and the sampler, which run anyway: a bar adds no
        # timer to the loop, so it cannot reorder anything.
        report = progress.advance
        trace = cloud.trace
        now = cloud.sim.now

        def tick() -> None:
            report(now() - start, len(trace))

        progress.begin(spec.workload.duration)
        m.after_sample = tick
    m.start()
    await drive(cloud, ops, tick=tick)
    rest = start + spec.workload.duration - cloud.sim.now()
    if rest > 0:
        await asyncio.sleep(rest)


async def _run_step(run: _Run, step: Step) -> None:
    action = ACTIONS[step.action]
    mark_step(run.cloud, step.action, label=step.label, params=step.params)
    assert action.run is not None  # validated
    try:
        response = await action.run(run, step)
    except _Unbound as exc:
        run.failures.append((step.line, f"step {step.index} ({step.action}) skipped: label "
                                        f"{exc.label!r} was never bound (its step failed)"))
        return
    if response is not None:
        _check_response(run, step, response)
    if step.settle:
        await run.cloud.settle()


def _check_response(run: _Run, step: Step, r: Response) -> None:
    run.responses.append((step, r.status))
    what = f"step {step.index} ({step.action}{' as ' + step.label if step.label else ''})"
    if step.expect_status is not None and r.status != step.expect_status:
        run.failures.append((step.line, f"{what}: expected HTTP {step.expect_status}, got "
                                        f"{r.status}{_fault_text(r)}"))
    elif step.expect_status is None and not 200 <= r.status < 300:
        run.failures.append((step.line, f"{what}: expected a 2xx response, got "
                                        f"{r.status}{_fault_text(r)}"))
    if step.label and 200 <= r.status < 300:
        kind = ACTIONS[step.action].produces or ""
        body = r.json if isinstance(r.json, dict) else {}
        if step.action == "request" and body:  # labels what it made: {"group": {"id": ..}}
            kind = next(iter(body))
        inner = body.get(kind) or body.get("restore") or {}
        rid = inner.get("volume_id") if "restore" in body else inner.get("id")
        if step.action == "attach":
            rid = run.labels.pop("__last_attachment__", ("", ""))[1]
        if rid:
            run.labels[step.label] = (kind, str(rid))
        if isinstance(inner, dict) and inner.get("auth_key"):
            run.secrets[step.label] = str(inner["auth_key"])
    elif step.action == "attach":
        run.labels.pop("__last_attachment__", None)


def _fault_text(r: Response) -> str:
    if isinstance(r.json, dict) and r.json:
        name = next(iter(r.json))
        inner = r.json[name]
        if isinstance(inner, dict) and "message" in inner:
            return f" ({name}: {inner['message']})"
    return ""


async def _fault_window(run: _Run, fault: Fault, t0: float) -> None:
    """Install a fault at its start time and lift it when its window ends."""
    cloud = run.cloud
    wait = t0 + fault.start - cloud.sim.now()
    if wait > 0:
        await asyncio.sleep(wait)
    p = fault.params
    undo: Callable[[], None]
    if fault.kind == "driver":
        rule = cloud.inject(FaultRule(
            op=str(p["driver"]), backend=p.get("backend"), nth=p.get("nth"),
            times=None if p.get("always") else int(p.get("times", 1)),
            probability=p.get("probability"), error=p.get("error"), message=p.get("message")))

        def undo() -> None:
            if rule in cloud.faults.rules:
                cloud.faults.rules.remove(rule)
    elif fault.kind == "message":
        action = str(p["message"])
        mf = MessageFault(action=action, topic=p.get("topic"),  # type: ignore[arg-type]
                          server=p.get("server"), method=p.get("method"),
                          sender=p.get("sender"), kind=p.get("kind"), times=p.get("times"),
                          probability=p.get("probability"), delay=float(p.get("delay", 0.0)))
        cloud.bus.faults.append(mf)

        def undo() -> None:
            if action == "hold":
                cloud.bus.release(mf)
            elif mf in cloud.bus.faults:
                cloud.bus.faults.remove(mf)
    else:
        svc = _service(cloud, str(p["stop_service"]))
        svc.stop()
        undo = svc.start
    if fault.duration is not None:
        await asyncio.sleep(fault.duration)
        undo()


# --- expectations -----------------------------------------------------------------------------
def _compare(exp: Expectation, actual: float, what: str) -> str | None:
    p = exp.params
    if "equals" in p and actual != p["equals"]:
        return f"{what}: expected {p['equals']:g}, got {actual:g}"
    if "at_least" in p and actual < p["at_least"]:
        return f"{what}: expected at least {p['at_least']:g}, got {actual:g}"
    if "at_most" in p and actual > p["at_most"]:
        return f"{what}: expected at most {p['at_most']:g}, got {actual:g}"
    return None


def _check(run: _Run, result: SimulationResult[Any], exp: Expectation,
           metrics: MetricsCollector | None = None, no_events: str | None = None,
           ) -> str | None:
    """None when *exp* holds, else "what: expected ..., got ...".

    *no_events* says why the trace's events are not in memory (None: they
    are); expectations that read them then fail saying so, never pass silently.
    """
    cloud = result.cloud
    db = cloud.db
    p = exp.params
    events = result.trace.events
    reads_trace = exp.kind == "trace" or (exp.kind == "count" and p["count"] in ("events",
                                                                                "messages"))
    if reads_trace and no_events is not None:
        what = (f"count of {p['count']}" if exp.kind == "count" else "trace_contains"
                if "trace_contains" in p else "trace_lacks")
        return (f"{what} reads the trace, but {no_events}: run with --trace-mode full "
                "(and without --trace), or check a metric instead")
    if exp.kind == "metric":
        key = str(p["metric"])
        if metrics is None:
            return f"metric {key}: no metrics were collected (the scenario has no [workload])"
        if "pool" in p:
            try:
                value = metrics.pool_metric(str(p["pool"]), key)
            except KeyError:
                return (f"metric {key}: no pool {p['pool']!r} (pools: "
                        f"{', '.join(h.backend for h in metrics.pools())})")
            key = f"{key} of {p['pool']}"
        else:
            value = (metrics.summary()[key] if key in SUMMARY_KEYS
                     else metrics.counts.get(key, 0))
        if value is None:
            return f"metric {key}: expected a value, got none (nothing measured it)"
        return _compare(exp, float(value), f"metric {key}")
    if exp.kind == "resource":
        label = str(p["resource"])
        bound = run.labels.get(label)
        if bound is None:
            return f"{label}: never created (its step failed), so nothing to check"
        kind, rid = bound
        tables: dict[str, Mapping[str, Any]] = {
            "volume": db.volumes, "snapshot": db.snapshots, "backup": db.backups,
            "attachment": db.attachments, "transfer": db.transfers, "group": db.groups,
            "group_snapshot": db.group_snapshots}
        table = tables.get(kind, {})
        record = table.get(rid)
        for field in ("status", "attach_status", "size", "host", "availability_zone",
                      "owner"):
            if field not in p:
                continue
            want = p[field]
            if record is None:
                got: Any = "deleted"
            elif field == "owner":
                owners = {cloud.project_id(u): u for u in USERS}
                project = getattr(record, "project_id", None)
                got = owners.get(str(project), project)
            else:
                got = getattr(record, field, None)
                if field == "host" and isinstance(got, str):
                    got = got.partition("#")[0]
                    want = str(want).partition("#")[0]
                got = got if isinstance(got, int) else (None if got is None else str(got))
            if got != want:
                return f"{kind} {label} {field}: expected {want!r}, got {got!r}"
        return None
    if exp.kind == "count":
        what = str(p["count"])
        if what in ("volumes", "snapshots", "backups", "attachments"):
            rows = list(getattr(db, what).values())
            if "status" in p:
                field = "attach_status" if what == "attachments" else "status"
                rows = [r for r in rows if str(getattr(r, field)) == p["status"]]
            n = len(rows)
        elif what == "messages":
            n = sum(1 for e in events if e.kind in ("bus.send", "bus.reply")
                    and ("method" not in p or e.detail.get("method") == p["method"]))
        else:
            n = sum(1 for e in events if _event_matches(e, p))
        filters = ", ".join(f"{k}={p[k]!r}" for k in ("status", "kind", "method", "actor",
                                                      "contains") if k in p)
        return _compare(exp, n, f"count of {what}" + (f" ({filters})" if filters else ""))
    if exp.kind == "capacity":
        field = str(p.get("field", "free_gb"))
        for cap in cloud.capacity():
            if cap.backend == p["capacity"]:
                value = getattr(cap, field)
                return _compare(exp, float(value or 0), f"{p['capacity']} {field}")
        return f"{p['capacity']}: no such backend"
    if exp.kind == "quota":
        user = str(p["quota"])
        resource = str(p.get("field", "volumes"))
        usage = cloud.quota.usage(cloud.project_id(user))
        if resource not in usage:
            return f"quota of {user}: no resource {resource!r} (one of: {', '.join(usage)})"
        which = str(p.get("usage", "in_use"))
        return _compare(exp, float(usage[resource][which]),
                        f"quota of {user} {resource} {which}")
    needle = str(p.get("trace_contains", p.get("trace_lacks")))
    found = any(_event_matches(e, {"contains": needle, **({"kind": p["kind"]} if "kind" in p
                                                           else {})}) for e in events)
    if "trace_contains" in p and not found:
        return f"trace: expected an event containing {needle!r}" + (
            f" of kind {p['kind']!r}" if "kind" in p else "") + ", found none"
    if "trace_lacks" in p and found:
        return f"trace: expected no event containing {needle!r}, found one"
    return None


def _event_matches(e: Any, p: Mapping[str, Any]) -> bool:
    if "kind" in p and not str(e.kind).startswith(str(p["kind"])):
        return False
    if "actor" in p and not str(e.actor).startswith(str(p["actor"])):
        return False
    if "method" in p and e.detail.get("method") != p["method"]:
        return False
    if "contains" in p:
        from ..trace import dumps_event  # noqa: PLC0415

        return str(p["contains"]) in dumps_event(e)
    return True


