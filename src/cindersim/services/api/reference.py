"""Generate ``docs/api-reference.md``: Cinder's v3 API against what cindersim serves.

``python -m cindersim.services.api.reference > docs/api-reference.md``

Cinder's side is the data of :mod:`.cinder_routes`.  cindersim's side is read from
the running code, never written by hand:

* a route is implemented when cinder-api's router (:meth:`Router.route_for`) has a
  route of the same method and shape; the table shows the first microversion
  cindersim serves it at when that differs from Cinder's;
* a volume body action is implemented when it is in ``actions.ACTIONS``; another
  resource's action when its name is a constant of the controller behind that
  resource's ``.../action`` route (those controllers dispatch on the name);
* a microversion is "gated" when some module of this package compares with it (a
  ``"3.N"`` literal or ``Version(3, N)``), which is where cindersim changes
  behaviour with it.

A test regenerates the file and compares it with the committed one, so the table
cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .cinder_routes import ACTIONS, CINDER_COMMIT, MICROVERSIONS, ROUTES
from .router import Route, Router

__all__ = ["Report", "build", "render"]

_HERE = Path(__file__).parent
_NOT_SCANNED = {"cinder_routes.py", "reference.py"}
_NO_CHANGE_NEEDED = {
    "3.0": "the base version",
    "3.50": "a capability marker: nothing changes",
    "3.71": "announces an action the code serves at every version",
}
"""Microversions that need no gate to be honoured."""


class Report:
    """The three tables, as rows of strings, plus the counts."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, ...]] = []
        self.actions: list[tuple[str, ...]] = []
        self.microversions: list[tuple[str, ...]] = []
        self.extra_routes: list[str] = []
        self.routes_done = 0
        self.actions_done = 0
        self.versions_gated = 0


def _router() -> Router:
    """cinder-api's router, as a cloud builds it."""
    from ...cloud import Cloud  # noqa: PLC0415 -- the whole simulator, only when asked
    from ...simulation import Simulation  # noqa: PLC0415

    sim = Simulation(0)
    try:
        return Cloud(sim).api.router
    finally:
        sim.close()


def _constants(code: types.CodeType) -> Iterator[str]:
    """Every string constant of *code* and the code nested in it (tuples included)."""
    for const in code.co_consts:
        if isinstance(const, str):
            yield const
        elif isinstance(const, (tuple, frozenset)):
            yield from (c for c in const if isinstance(c, str))
        elif isinstance(const, types.CodeType):
            yield from _constants(const)


def _action_names(router: Router, route_path: str) -> set[str]:
    """The body actions cindersim's controller for *route_path* dispatches on."""
    route = router.route_for("POST", route_path)
    if route is None:
        return set()
    if route.template == "/volumes/{volume_id}/action":
        from .actions import ACTIONS as VOLUME_ACTIONS  # noqa: PLC0415

        return set(VOLUME_ACTIONS)
    code = getattr(route.controller, "__code__", None)
    return set(_constants(code)) if isinstance(code, types.CodeType) else set()


def _gates() -> dict[str, list[str]]:
    """Microversion -> modules of this package that compare with it."""
    found: dict[str, list[str]] = {}
    literal = re.compile(r"""["'](3\.\d+)["']""")
    built = re.compile(r"Version\(3,\s*(\d+)\)")
    for path in sorted(_HERE.glob("*.py")):
        if path.name in _NOT_SCANNED:
            continue
        text = path.read_text(encoding="utf-8")
        # Version(3, N) outside the bounds of the supported range (MIN/MAX_VERSION,
        # the Route defaults), which gate nothing.
        versions = set(literal.findall(text)) | {
            f"3.{n}" for line in text.splitlines()
            if "_VERSION =" not in line and "factory=" not in line
            for n in built.findall(line)}
        for version in sorted(versions):
            found.setdefault(version, []).append(path.stem)
    return found


def _served_from(route: Route, cinder_from: str) -> str:
    ours = str(route.min_version)
    return "yes" if ours == cinder_from else f"yes (from {ours})"


def build(router: Router | None = None) -> Report:
    router = router if router is not None else _router()
    report = Report()
    matched: set[int] = set()
    for method, path, since, source in ROUTES:
        route = router.route_for(method, path)
        if route is not None:
            report.routes_done += 1
            matched.add(id(route))
        served = "no" if route is None else _served_from(route, since)
        report.routes.append((method, path, since, served, source))
    report.extra_routes = [f"{r.method} {r.template}" for r in router.routes
                           if id(r) not in matched]
    names: dict[str, set[str]] = {}
    for route_path, name, since, source in ACTIONS:
        if route_path not in names:
            names[route_path] = _action_names(router, route_path)
        done = name in names[route_path]
        report.actions_done += done
        report.actions.append((route_path, name, since, "yes" if done else "no", source))
    gates = _gates()
    for version, change in MICROVERSIONS:
        modules = gates.get(version) if version != "3.0" else None
        if modules:
            report.versions_gated += 1
            status = "gated in " + ", ".join(modules)
        elif version in _NO_CHANGE_NEEDED:
            status = f"nothing to gate ({_NO_CHANGE_NEEDED[version]})"
        else:
            status = "no gate"
        report.microversions.append((version, change, status))
    return report


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return out


def render(report: Report) -> str:
    """The Markdown document."""
    lines: list[str] = [
        "# Cinder v3 API: what cindersim implements",
        "",
        "Generated by `python -m cindersim.services.api.reference > docs/api-reference.md`;",
        "do not edit by hand (a test regenerates it and compares).  Cinder's routes,",
        "body actions and microversions are the data of",
        "`src/cindersim/services/api/cinder_routes.py`, read from openstack/cinder at",
        f"commit `{CINDER_COMMIT}` (`cinder/api/v3/router.py`, the extensions of",
        "`cinder/api/contrib/`, the `@wsgi.action` decorators, `cinder/api/microversions.py`",
        "and `rest_api_version_history.rst`).  The cindersim columns come from the code:",
        "cinder-api's router, the volume actions registry and the other action",
        "controllers, and the microversion literals the API modules compare with.",
        "",
        "## Summary",
        "",
        f"* Routes: **{report.routes_done} of {len(report.routes)}** implemented.",
        f"* Body actions: **{report.actions_done} of {len(report.actions)}** implemented.",
        f"* Microversions 3.0-3.71: **{report.versions_gated} of {len(report.microversions)}**"
        " have a gate in cindersim's code.",
        "",
        "Paths are under `/v3/{project_id}` (or bare `/v3` from 3.67).  \"Cinder from\" is",
        "the first microversion Cinder serves a route or action at; \"yes (from 3.N)\" means",
        "cindersim serves it from another version than Cinder does.",
        "",
        "## Routes",
        "",
        *_table(("Method", "Path", "Cinder from", "cindersim", "Cinder source"),
                report.routes),
        "",
        "## Body actions",
        "",
        *_table(("Route", "Action", "Cinder from", "cindersim", "Cinder source"),
                report.actions),
        "",
        "## Microversions",
        "",
        *_table(("Version", "What it changes", "cindersim"), report.microversions),
        "",
        "## cindersim routes Cinder does not have",
        "",
    ]
    if report.extra_routes:
        lines.extend(f"* `{r}`" for r in report.extra_routes)
    else:
        lines.append("None: every route cindersim serves is one of Cinder's.")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    del argv
    sys.stdout.write(render(build()))
    return 0


def counts(report: Report) -> dict[str, Any]:
    """The summary figures (for the CLI and tests)."""
    return {"routes": (report.routes_done, len(report.routes)),
            "actions": (report.actions_done, len(report.actions)),
            "microversions_gated": (report.versions_gated, len(report.microversions))}


if __name__ == "__main__":
    raise SystemExit(main())
