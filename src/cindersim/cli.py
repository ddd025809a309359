"""``cindersim``: replay Cinder's flows step by step, and run what-if scenarios.

Commands:

* ``cindersim demo [--format F] [--lang en|vi] [--step]`` - the seed documents'
  flows on the default cloud, narrated (``scenarios/demo.toml``);
* ``cindersim run FILE... [--seed N] [--format narrate|jsonl|mermaid|summary]
  [--out PATH] [--step] [--quiet] [--lang en|vi] [--trace-mode full|metrics|off]
  [--trace PATH] [--metrics DIR] [--plot DIR]`` - run scenario files; a scenario
  with a ``[workload]`` prints its metrics table by default (docs/workloads.md);
* ``cindersim view TRACE.jsonl -o out.html [--lang en|vi]`` - the studio: one
  self-contained HTML page replaying a trace (``--format html`` does the same for
  ``run`` and ``demo``);
* ``cindersim statuses [--lang vi]`` - the glossary of every status (docs/statuses.md);
* ``cindersim flows`` - the flows and step actions, and which exist yet;
* ``cindersim scenarios [DIR]`` - the scenario files with their descriptions;
* ``cindersim serve [--host H] [--port P] [--config FILE] [--seed N] [--speed X]
  [--trace PATH] [--auth both|keystone|noauth]`` - the cloud over HTTP for the real
  clients (see :mod:`cindersim.serve`);
* ``cindersim sweep FILE --set KEY=V1,V2 [--seeds A..B] [--jobs N] [--out DIR]`` - a
  scenario over a grid of parameters and seeds in a process pool (see
  :mod:`cindersim.sweep`).

Exit status: 0 when every expectation holds, 1 when one does not (an
expected-vs-actual report goes to stderr), 2 for a bad scenario file or bad
usage (``FILE:LINE: message``).  The rendered run goes to stdout (or
``--out``); verdicts go to stderr, so ``--format jsonl`` output stays pure.

Progress: a ``[workload]`` run (and ``sweep``) draws a bar on stderr, only when
stderr is a terminal and without ``--quiet``: virtual time reached, events/s, ETA
(:mod:`cindersim.progress`).  A ``long = true`` scenario's verdict adds the memory
its records take per live volume (stderr only: it depends on the Python build).

Colour: only when stdout is a terminal and ``NO_COLOR`` is unset or empty
(``--color always|never`` overrides).  ``--step`` pauses after each narrated
step (see :mod:`cindersim.pacing`: Enter next, ``s`` state, ``n`` next flow, ``q``
quit), and only when stdin is a terminal, so piping never blocks.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from . import __version__
from .memory import record_memory
from .metrics import metrics_table
from .progress import terminal_progress
from .render import FORMATS, jsonl, mermaid, narrate_blocks, summary
from .render.mermaid import mermaid_flows
from .render.statuses import glossary_markdown
from .render.studio import studio_html, studio_model
from .scenario import (
    ACTIONS,
    FLOWS,
    Scenario,
    ScenarioError,
    ScenarioResult,
    load_scenario,
    run_scenario,
    scenario_files,
)
from .serve import command as serve_command
from .studio.pacing import Pacer
from .sweep import command as sweep_command
from .trace import TraceEvent, TraceMode, load_jsonl

__all__ = ["main", "scenarios_dir"]


def scenarios_dir() -> Path:
    """Where the bundled scenarios live: ``$CINDERSIM_SCENARIOS``, else the repository's
    ``scenarios/`` next to ``src/``."""
    env = os.environ.get("CINDERSIM_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenarios"


def _use_color(mode: str, stream: IO[str]) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _render(res: ScenarioResult, fmt: str, lang: str, color: bool, one_diagram: bool = False,
            ) -> str:
    """The run in a format other than narrate (narrate is paced block by block)."""
    events = res.trace.events
    title = res.scenario.title
    if fmt == "summary" and res.metrics is not None:
        return metrics_table(res.metrics, title=title)
    if fmt == "jsonl":
        return jsonl(events)
    if fmt == "mermaid":
        return mermaid(events, lang=lang) if one_diagram else _mermaid_text(events, lang)
    if fmt == "html":
        return studio_html(studio_model(events, title=title), lang=lang)
    return summary(events, capacity=res.result.cloud.capacity(), title=title)


def _mermaid_text(events: Sequence[TraceEvent], lang: str) -> str:
    """One diagram for a single flow; for several, Markdown with one diagram per flow
    (GitHub renders each fenced block)."""
    flows = mermaid_flows(events, lang=lang)
    if len(flows) <= 1:
        return mermaid(events, lang=lang)
    return "".join(f"## {stem}\n\n```mermaid\n{text}```\n\n" for stem, text in flows)


_EVENT_FORMATS = ("narrate", "jsonl", "mermaid", "html")
"""Formats rendered from the trace's events: they need them kept in memory."""


def _plan(sc: Scenario, args: argparse.Namespace) -> tuple[str, TraceMode | None, str | None]:
    """(format, trace mode, error) for one scenario under the command line's options."""
    fmt = args.format or ("summary" if sc.workload is not None else "narrate")
    mode: TraceMode | None = getattr(args, "trace_mode", None)
    trace_path = getattr(args, "trace", None)
    if trace_path is not None:
        if mode not in (None, "full"):
            return fmt, mode, ("--trace writes the full trace; it cannot go with "
                               f"--trace-mode {mode}")
        mode = "full"
    if fmt in _EVENT_FORMATS or sc.workload is None:
        if trace_path is not None or mode not in (None, "full"):
            why = "--trace streams it to a file" if trace_path else f"--trace-mode {mode}"
            fix = ("use --format summary" if sc.workload is not None else
                   "without a [workload] there are no metrics to show instead")
            return fmt, mode, (f"--format {fmt} renders the trace's events, but {why} keeps "
                               f"none in memory; {fix}")
        mode = "full"
    return fmt, mode, None


def _side_outputs(res: ScenarioResult, args: argparse.Namespace, many: bool) -> None:
    """``--metrics DIR`` and ``--plot DIR`` (one subdirectory per scenario when many)."""
    err = sys.stderr
    sc = res.scenario
    for option, what in (("metrics", "metrics"), ("plot", "charts"), ("report", "report")):
        target = getattr(args, option, None)
        if not target:
            continue
        d = Path(target) / Path(sc.path).stem if many else Path(target)
        if res.metrics is None:
            err.write(f"{sc.path}: no {what}: the scenario has no [workload]\n")
            continue
        if option == "metrics":
            res.metrics.write(d)
            continue
        from .render.charts import PlotUnavailable, write_charts  # noqa: PLC0415

        try:
            if option == "plot":
                write_charts(res.metrics, d, title=sc.name, formats=("png", "svg"))
            else:
                _report(res, d)
        except PlotUnavailable as exc:
            err.write(f"cindersim: no {what}: {exc}\n")


def _report(res: ScenarioResult, directory: Path) -> None:
    """``--report DIR``: the run as one HTML page (charts, summary, scenario, seed)."""
    from importlib.metadata import version  # noqa: PLC0415

    from .metrics import metrics_table  # noqa: PLC0415
    from .render.report import write_report  # noqa: PLC0415

    sc = res.scenario
    assert res.metrics is not None
    text = Path(sc.path).read_text(encoding="utf-8") if Path(sc.path).exists() else ""
    write_report(res.metrics, directory, name=sc.name, description=sc.description,
                 scenario_text=text, seed=res.result.cloud.sim.seed,
                 version=version("cindersim"), table=metrics_table(res.metrics, title=sc.name))


def _run_files(files: Sequence[str], args: argparse.Namespace) -> int:
    err = sys.stderr
    scenarios = []
    bad = False
    for f in files:
        try:
            scenarios.append(load_scenario(f))
        except ScenarioError as exc:
            err.write(f"{exc}\n")
            bad = True
    if bad:
        return 2
    plans = [_plan(sc, args) for sc in scenarios]
    for sc, (_, _, problem) in zip(scenarios, plans, strict=True):
        if problem is not None:
            err.write(f"cindersim: {sc.path}: {problem}\n")
            bad = True
    if getattr(args, "trace", None) and len(scenarios) > 1:
        err.write("cindersim: --trace takes one scenario file\n")
        bad = True
    if bad:
        return 2
    if (args.format == "mermaid" and args.out and (Path(args.out).is_dir()
                                                     or args.out.endswith("/"))):
        return _mermaid_dir(scenarios, plans, args)
    out: IO[str] = sys.stdout
    opened = None
    if args.out:
        try:
            opened = out = open(args.out, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            err.write(f"{args.out}: cannot write: {exc.strerror}\n")
            return 2
    color = _use_color(args.color, out) if opened is None else args.color == "always"
    status = 0
    try:
        for sc, (fmt, mode, _) in zip(scenarios, plans, strict=True):
            pace = args.step and opened is None and sys.stdin.isatty() and fmt == "narrate"
            res = _run_one(sc, args, mode)
            if res is None:
                status = 2
                continue
            _side_outputs(res, args, len(scenarios) > 1)
            if not args.quiet or opened is not None:
                if fmt == "narrate":
                    blocks = narrate_blocks(res.trace.events, lang=args.lang, color=color,
                                            title=res.scenario.title, detail=args.detail)
                    pacer = Pacer(res.trace.events, out=out, lang=args.lang) if pace else None
                    if pacer is None:
                        out.write("".join(b.text + "\n" for b in blocks))
                    elif not pacer.run(blocks):
                        return 130 if pacer.interrupted else status
                else:
                    # a .mmd file must hold one valid diagram: the whole run
                    one = bool(args.out) and str(args.out).endswith(".mmd")
                    out.write(_render(res, fmt, args.lang, color, one))
            if not res.ok:
                status = 1
                err.write(res.report() + "\n")
            elif not args.quiet:
                err.write(res.report() + "\n")
            if sc.long and res.metrics is not None and not args.quiet:
                # Python-build dependent (object sizes): stderr only, never in a digest
                err.write(f"{sc.path}: {record_memory(res.result.cloud).text()}\n")
    finally:
        if opened is not None:
            opened.close()
    return status


def _mermaid_dir(scenarios: Sequence[Scenario],
                 plans: Sequence[tuple[str, TraceMode | None, str | None]],
                 args: argparse.Namespace) -> int:
    """``--format mermaid --out DIR``: one ``.mmd`` file per flow (per scenario subdirectory
    when several scenarios run)."""
    status = 0
    root = Path(args.out)
    for sc, (_, mode, _) in zip(scenarios, plans, strict=True):
        res = _run_one(sc, args, mode)
        if res is None:
            status = 2
            continue
        d = root / Path(sc.path).stem if len(scenarios) > 1 else root
        try:
            d.mkdir(parents=True, exist_ok=True)
            for stem, text in mermaid_flows(res.trace.events, lang=args.lang):
                (d / f"{stem}.mmd").write_text(text, encoding="utf-8")
        except OSError as exc:
            sys.stderr.write(f"{d}: cannot write: {exc.strerror}\n")
            return 2
        if not res.ok:
            status = 1
            sys.stderr.write(res.report() + "\n")
        elif not args.quiet:
            sys.stderr.write(res.report() + "\n")
    return status


def _run_one(sc: Scenario, args: argparse.Namespace, mode: TraceMode | None,
             ) -> ScenarioResult | None:
    """Run *sc*, streaming the trace to ``--trace PATH`` if asked (None: cannot write it)."""
    trace_path = getattr(args, "trace", None)
    # A workload's run shows a progress bar on stderr when it is a terminal (nothing
    # otherwise, or with --quiet); it never reaches stdout, --out or the trace.
    bar = (terminal_progress(sys.stderr, sc.name)
           if sc.workload is not None and not args.quiet else None)
    try:
        if trace_path is None:
            return run_scenario(sc, seed=args.seed, trace_mode=mode, progress=bar)
        try:
            stream = open(trace_path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            sys.stderr.write(f"{trace_path}: cannot write: {exc.strerror}\n")
            return None
        with stream:
            return run_scenario(sc, seed=args.seed, trace_mode="full", trace_stream=stream,
                                progress=bar)
    finally:
        if bar is not None:
            bar.finish()


def _cmd_run(args: argparse.Namespace) -> int:
    return _run_files(args.files, args)


def _cmd_demo(args: argparse.Namespace) -> int:
    demo = scenarios_dir() / "demo.toml"
    if not demo.exists():
        sys.stderr.write(f"{demo}: the demo scenario is missing (set CINDERSIM_SCENARIOS to "
                         "the scenarios/ directory)\n")
        return 2
    return _run_files([str(demo)], args)


def _cmd_view(args: argparse.Namespace) -> int:
    """``cindersim view TRACE.jsonl -o out.html``: the studio page of a saved trace."""
    try:
        with open(args.trace, encoding="utf-8") as fp:
            events = load_jsonl(fp)
    except OSError as exc:
        sys.stderr.write(f"{args.trace}: cannot read: {exc.strerror}\n")
        return 2
    except (ValueError, KeyError) as exc:
        sys.stderr.write(f"{args.trace}: not a cindersim JSONL trace: {exc}\n")
        return 2
    page = studio_html(studio_model(events, title=args.title or Path(args.trace).stem),
                       lang=args.lang)
    if args.output in (None, "-"):
        sys.stdout.write(page)
        return 0
    try:
        Path(args.output).write_text(page, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"{args.output}: cannot write: {exc.strerror}\n")
        return 2
    sys.stderr.write(f"cindersim: wrote {args.output} ({len(events)} events); open it in a "
                     "browser (no network needed)\n")
    return 0


def _cmd_statuses(args: argparse.Namespace) -> int:
    sys.stdout.write(glossary_markdown(args.lang))
    return 0


def _cmd_flows(args: argparse.Namespace) -> int:
    w = sys.stdout.write
    w("Flows (the seed documents' names):\n")
    for flow, (text, actions) in FLOWS.items():
        missing = [ACTIONS[a].unsupported() for a in actions]
        state = "ready" if not any(missing) else "partly" if not all(missing) else "not yet"
        w(f"  {flow:<10} {state:<8} {text}\n")
        w(f"  {'':<10} {'':<8} actions: {', '.join(actions)}\n")
    w("\nStep actions (scenario files):\n")
    for name, action in ACTIONS.items():
        why = action.unsupported()
        params = ", ".join(f"{k}{'*' if p.required else ''}" for k, p in action.params.items())
        w(f"  {name:<16} {action.summary}\n")
        if params:
            w(f"  {'':<16} parameters: {params}\n")
        if why:
            w(f"  {'':<16} not yet supported: {why}\n")
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    d = Path(args.dir) if args.dir else scenarios_dir()
    files = scenario_files(d) if d.is_dir() else []
    if not files:
        sys.stderr.write(f"{d}: no scenario files\n")
        return 2
    status = 0
    for f in files:
        try:
            sc = load_scenario(f)
            line = sc.description or "(no description)"
            if sc.long:  # minutes of wall time (``long = true``)
                line = f"[long] {line}"
        except ScenarioError as exc:
            line = f"INVALID: {exc.problems[0][2]}"
            status = 2
        sys.stdout.write(f"  {f.name:<28} {line}\n")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cindersim", description="A deterministic simulator of OpenStack Cinder: replay "
        "its flows step by step and run what-if scenarios.")
    parser.add_argument("--version", action="version", version=f"cindersim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def output_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=FORMATS, default=None,
                       help="narrate (the default), jsonl, mermaid (one diagram per flow; "
                       "--out DIR/ writes one .mmd file per flow), summary, or html (the "
                       "studio: one self-contained page); a scenario with a [workload] "
                       "defaults to summary, its metrics table")
        p.add_argument("--lang", choices=("en", "vi"), default="en",
                       help="narration language (vi: the seed documents' Vietnamese)")
        p.add_argument("--out", metavar="PATH", help="write the output here instead of stdout")
        p.add_argument("--step", action="store_true",
                       help="pause after each narrated step (terminals only): Enter next, "
                       "s state, n next flow, q quit")
        p.add_argument("--detail", choices=("docs", "normal", "all"), default="normal",
                       help="docs: only the steps the documents number; normal; all: "
                       "read-only backend queries and capability reports too")
        p.add_argument("--quiet", action="store_true",
                       help="print only failures (the --out file is still written)")
        p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
        p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="ANSI colour (auto: a terminal and NO_COLOR unset)")

    demo = sub.add_parser("demo", help="the seed flows on the default cloud, narrated")
    output_options(demo)
    demo.set_defaults(func=_cmd_demo)
    run = sub.add_parser("run", help="run scenario files and check their expectations")
    run.add_argument("files", nargs="+", metavar="FILE", help="scenario .toml or .py files")
    output_options(run)
    run.add_argument("--trace-mode", choices=("full", "metrics", "off"), default=None,
                     help="full: keep every event; metrics: no event log, metrics only; "
                     "off: no events (a [workload] still collects its metrics) (default: "
                     "metrics for a [workload] scenario, else full; narrate/jsonl/mermaid "
                     "need full)")
    run.add_argument("--trace", metavar="PATH", default=None,
                     help="stream the full trace to PATH as JSONL instead of holding it in "
                     "memory (one scenario file)")
    run.add_argument("--metrics", metavar="DIR", default=None,
                     help="write metrics.json and the metrics CSV files (capacity, queues, "
                     "latency, counts, errors, summary) into DIR ([workload] scenarios)")
    run.add_argument("--plot", metavar="DIR", default=None,
                     help="write charts (PNG and SVG: capacity, queues, latency, errors) into "
                     "DIR; needs matplotlib: pip install 'cindersim[plot]'")
    run.add_argument("--report", metavar="DIR", default=None,
                     help="write report.html into DIR: the charts (SVG), the summary, the "
                     "pools, the scenario, its seed and the cindersim version on one page "
                     "([workload] scenarios; needs matplotlib)")
    run.set_defaults(func=_cmd_run)
    view = sub.add_parser("view", help="the studio: a trace as one self-contained HTML page")
    view.add_argument("trace", metavar="TRACE.jsonl", help="a trace written by --format jsonl "
                      "or --trace")
    view.add_argument("-o", "--output", metavar="OUT.html", default=None,
                      help="where to write the page (default: stdout)")
    view.add_argument("--lang", choices=("en", "vi"), default="en",
                      help="the language the page opens in (it has a switch)")
    view.add_argument("--title", default=None, help="the page's title")
    view.set_defaults(func=_cmd_view)
    statuses = sub.add_parser("statuses", help="every status of volumes, snapshots, backups "
                              "and attachments: meaning, transitions and their operations")
    statuses.add_argument("--lang", choices=("en", "vi"), default="en")
    statuses.set_defaults(func=_cmd_statuses)
    flows = sub.add_parser("flows", help="the flows and step actions, and which exist yet")
    flows.set_defaults(func=_cmd_flows)
    scen = sub.add_parser("scenarios", help="the scenario files and their descriptions")
    scen.add_argument("dir", nargs="?", help="a directory (default: the bundled scenarios)")
    scen.set_defaults(func=_cmd_scenarios)
    serve = sub.add_parser("serve", help="the simulated cloud over HTTP, for "
                           "python-cinderclient, openstacksdk and the openstack CLI")
    serve_command.add_arguments(serve)
    serve.set_defaults(func=serve_command.run)
    sweep = sub.add_parser("sweep", help="run a scenario over a grid of --set values and "
                           "seeds in a process pool; one results table and a chart")
    sweep_command.add_arguments(sweep)
    sweep.set_defaults(func=sweep_command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script.  Returns the exit status (argparse exits 2 on bad usage)."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:  # Ctrl-C while a scenario runs: stop, no traceback
        sys.stderr.write("\n")
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
