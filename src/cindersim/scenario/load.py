"""Loading scenario files: TOML parsed and validated before anything runs, every problem
reported as ``FILE:LINE: message``; Python scenarios imported."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import tomllib
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..backends.faults import DEFAULT_ERRORS
from ..config import ConfigError, load_config
from ..metrics import SUMMARY_KEYS, is_metric_key
from ..pools import POOL_METRICS
from .actions import _PLACEHOLDER, ACTIONS, USERS
from .model import Expectation, Fault, Scenario, ScenarioError, Step
from .whatif import apply_overrides, expand_fleet, fleet_names, validate_fleet, validate_workload

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_PART = re.compile(r'"[^"]*"|\'[^\']*\'|[^.\s]+')


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _KEY_PART.findall(text))


class _Locator:
    """Line numbers for keys, found by scanning the text (tomllib gives none).

    Tables are addressed as paths: ``()`` is the top level, ``("steps", 2)`` the
    third ``[[steps]]``, ``("cloud", "DEFAULT")`` the ``[cloud.DEFAULT]`` table.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tables: list[tuple[tuple[Any, ...], int, int]] = []  # (path, first, last) 1-based
        counts: dict[tuple[Any, ...], int] = {}
        starts: list[tuple[tuple[Any, ...], int]] = [((), 1)]
        for i, line in enumerate(self.lines, 1):
            m = _HEADER.match(line)
            if m is None or line.lstrip().startswith("#"):
                continue
            name: tuple[Any, ...] = _split_key(m.group(2))
            # A table under an array of tables belongs to its last element:
            # [workload.streams.mix] after the 2nd [[workload.streams]] is
            # ("workload", "streams", 1, "mix").
            for n in range(len(name) - 1, 0, -1):
                if name[:n] in counts:
                    name = (*name[:n], counts[name[:n]] - 1, *name[n:])
                    break
            if m.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                starts.append(((*name, index), i))
            else:
                starts.append((name, i))
        for n, (path, first) in enumerate(starts):
            last = starts[n + 1][1] - 1 if n + 1 < len(starts) else len(self.lines)
            self.tables.append((path, first, last))

    def line(self, path: tuple[Any, ...], key: str | None = None) -> int:
        """The line of *key* in table *path* (or the table's header line)."""
        for tpath, first, last in self.tables:
            if tpath != path:
                continue
            if key is None:
                return first
            pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            inline = re.compile(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for i in range(first, last + 1):
                if pattern.match(self.lines[i - 1]):
                    return i
            for i in range(first, last + 1):
                if inline.search(self.lines[i - 1]):
                    return i
            for sub, sub_first, _ in self.tables:  # the key is a [path.key] sub-table
                if sub == (*path, key):
                    return sub_first
            return first
        # An inline or dotted form we did not index: the parent table, else line 1.
        return self.line(path[:-1], str(path[-1])) if path else 1


_COMMON = {"action", "as", "expect_status", "user", "settle"}
_TOP = {"name": "str", "description": "str", "seed": "int", "microversion": "str",
        "long": "bool", "cloud": "table|str", "steps": "array", "faults": "array",
        "expect": "array", "fleet": "table", "workload": "table"}
_FAULT_KEYS = {
    "driver": {"driver", "backend", "nth", "times", "always", "probability", "error",
               "message", "start", "duration"},
    "message": {"message", "topic", "server", "method", "sender", "kind", "times",
                "probability", "delay", "start", "duration"},
    "service": {"stop_service", "start", "duration"},
}
_EXPECT_KEYS = {
    "resource": {"resource", "status", "attach_status", "size", "host", "availability_zone",
                 "owner"},
    "quota": {"quota", "field", "usage", "equals", "at_least", "at_most"},
    "count": {"count", "status", "kind", "method", "actor", "contains", "equals", "at_least",
              "at_most"},
    "capacity": {"capacity", "field", "equals", "at_least", "at_most"},
    "trace": {"trace_contains", "trace_lacks", "kind"},
    "metric": {"metric", "pool", "equals", "at_least", "at_most"},
}
_COUNTABLE = ("volumes", "snapshots", "backups", "attachments", "events", "messages")
_QUOTA_USAGE = ("in_use", "reserved", "limit")
_CAPACITY_FIELDS = ("free_gb", "total_gb", "provisioned_gb", "allocated_gb", "volumes")


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "table":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "table|str":
        return isinstance(value, (dict, str))
    return isinstance(value, str)


def _kind_word(kind: str) -> str:
    return {"int": "an integer", "number": "a number", "bool": "true or false",
            "table": "a table", "array": "an array of tables", "table|str": "a table or a path",
            }.get(kind, "a string" if not kind.startswith("label:") else "a label (string)")


# --- loading ----------------------------------------------------------------------------------
class _Validator:
    def __init__(self, path: str, text: str,
                 overridden: Mapping[tuple[Any, ...], str] | None = None) -> None:
        self.path = path
        self.loc = _Locator(text)
        self.problems: list[tuple[str, int, str]] = []
        self.overridden = dict(overridden or {})
        """Paths an override wrote -> the override's dotted key (named in errors)."""

    def error(self, where: tuple[Any, ...], key: str | None, message: str) -> None:
        path = (*where, key) if key is not None else where
        for n in range(len(path), 0, -1):
            if path[:n] in self.overridden:
                message += f" (set by override {self.overridden[path[:n]]})"
                break
        self.problems.append((self.path, self.loc.line(where, key), message))

    def check_type(self, where: tuple[Any, ...], key: str, value: Any, kind: str) -> bool:
        if _type_ok(kind, value):
            return True
        self.error(where, key, f"{key} must be {_kind_word(kind)}, not {value!r}")
        return False

    def unknown(self, where: tuple[Any, ...], table: Mapping[str, Any], allowed: set[str],
                what: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(where, key, f"unknown key {key!r} in {what} "
                                       f"(expected one of: {', '.join(sorted(allowed))})")


def load_scenario(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
                  ) -> Scenario:
    """Read and validate a scenario file (``.toml`` or ``.py``).

    Args:
        path: the file.
        overrides: dotted key paths into the TOML document and their values,
            applied before validation (a sweep's parameters):
            ``{"fleet.max_over_subscription_ratio": 10,
            "cloud.DEFAULT.scheduler_default_weighers": "CapacityWeigher",
            "workload.streams.0.arrivals.poisson": 0.02, "seed": 3}``.  Arrays are
            indexed from 0; the last key (and missing tables on the way) may be
            new; a value is validated like the file's own, and an error about
            it names the override.  See :func:`cindersim.scenario.whatif.apply_overrides`.

    Raises:
        ScenarioError: every problem found, as ``FILE:LINE: message``.
    """
    p = Path(path)
    shown = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([(shown, 0, f"cannot read: {exc.strerror}")]) from None
    if p.suffix == ".py":
        if overrides:
            raise ScenarioError([(shown, 0, "overrides apply to TOML scenarios only, not "
                                            f"{', '.join(map(str, overrides))}")])
        return _load_python(p, shown)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(m.group(1)) if m else 1
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioError([(shown, line, f"bad TOML: {msg}")]) from None
    overridden: dict[tuple[Any, ...], str] = {}
    if overrides:
        data, overridden = apply_overrides(data, overrides, shown)
    return _validate(data, shown, text, p, overridden)


def _validate(data: Mapping[str, Any], shown: str, text: str, p: Path,
              overridden: Mapping[tuple[Any, ...], str] | None = None) -> Scenario:
    v = _Validator(shown, text, overridden)
    v.unknown((), data, set(_TOP), "the scenario")
    for key, kind in _TOP.items():
        if key in data:
            v.check_type((), key, data[key], kind)
    if "steps" not in data and "workload" not in data:
        v.error((), None, "a scenario needs [[steps]] (or a [workload])")
    cloud = data.get("cloud")
    fleet = data.get("fleet")
    fleet_sections: set[str] = set()
    if fleet is not None and validate_fleet(v, fleet):
        if isinstance(cloud, str):
            v.error((), "cloud", "a [fleet] merges into an inline [cloud] table, not a "
                                 "cloud file")
        else:
            fleet_sections = {name for name, _ in fleet_names(fleet)}
            cloud = expand_fleet(fleet, cloud if isinstance(cloud, dict) else None)
    elif fleet is not None:
        cloud = None  # the fleet is broken: do not check the cloud without it
    backends: list[str] = []
    if isinstance(cloud, str):
        cloud = str((p.parent / cloud).resolve()) if not Path(cloud).is_absolute() else cloud
    if fleet is not None and cloud is None:
        pass
    elif isinstance(cloud, (dict, str)):
        try:
            cfg = load_config(cloud)
            backends = [b.service_host for b in cfg.backends]
        except ConfigError as exc:
            _config_error(v, str(exc), cloud, fleet_sections)
    else:
        backends = [b.service_host for b in load_config(None).backends]
    labels: dict[str, str] = {}
    steps = []
    for i, raw in enumerate(data.get("steps") or []):
        step = _validate_step(v, i, raw, labels, backends)
        if step is not None:
            steps.append(step)
    faults = [f for i, raw in enumerate(data.get("faults") or [])
              if (f := _validate_fault(v, i, raw, backends)) is not None]
    expects = [e for i, raw in enumerate(data.get("expect") or [])
               if (e := _validate_expect(v, i, raw, labels, backends)) is not None]
    workload = None
    if "workload" in data:
        workload = validate_workload(v, data["workload"])
    elif any(e.kind == "metric" for e in expects):
        v.error((), None, "metric expectations need a [workload] (metrics are collected "
                          "while it runs)")
    if v.problems:
        raise ScenarioError(v.problems)
    return Scenario(name=str(data.get("name") or p.stem),
                    description=str(data.get("description") or ""), path=shown,
                    seed=int(data.get("seed", 0)), cloud=cloud,
                    microversion=str(data.get("microversion", "3.71")), steps=tuple(steps),
                    faults=tuple(faults), expects=tuple(expects), workload=workload,
                    long=bool(data.get("long", False)))


def _config_error(v: _Validator, message: str, cloud: Any,
                  fleet_sections: set[str] | None = None) -> None:
    """Place a ConfigError (``<dict>: [section] option ...``) on the line of its option."""
    text = re.sub(r"^<dict>: ", "", message)
    m = re.search(r"\[([^\]]+)\] (?:unknown option '([^']+)'|([A-Za-z0-9_]+) = )", text)
    if m is None or not isinstance(cloud, dict):
        v.error((), "cloud", f"[cloud] {text}")
        return
    section, key = m.group(1), m.group(2) or m.group(3)
    if fleet_sections and section in fleet_sections and not any(
            t[0] == ("cloud", section) for t in v.loc.tables):
        v.error(("fleet",), key, f"[fleet] {text}")
        return
    flat = not any(isinstance(x, dict) for x in cloud.values())
    where: tuple[Any, ...] = ("cloud",) if flat else ("cloud", section)
    v.error(where, key, f"[cloud] {text}")


def _validate_step(v: _Validator, i: int, raw: Any, labels: dict[str, str],
                   backends: list[str]) -> Step | None:
    where: tuple[Any, ...] = ("steps", i)
    if not isinstance(raw, dict):
        v.error((), "steps", f"step {i + 1} must be a table")
        return None
    name = raw.get("action")
    if not isinstance(name, str):
        v.error(where, "action" if "action" in raw else None,
                f"step {i + 1} needs action = \"...\" (one of: {', '.join(ACTIONS)})")
        return None
    action = ACTIONS.get(name)
    if action is None:
        v.error(where, "action", f"unknown action {name!r} (one of: {', '.join(ACTIONS)})")
        return None
    why = action.unsupported()
    if why is not None:
        v.error(where, "action", f"action {name!r} is not yet supported: {why}")
        return None
    v.unknown(where, raw, _COMMON | set(action.params), f"a {name} step")
    ok = True
    for key, param in action.params.items():
        if key not in raw:
            if param.required:
                v.error(where, None, f"{name} needs {key} = ...")
                ok = False
            continue
        value = raw[key]
        kind = "str" if param.kind.startswith("label:") else param.kind
        if not v.check_type(where, key, value, kind):
            ok = False
            continue
        if param.choices and value not in param.choices:
            v.error(where, key, f"{key} must be one of {', '.join(param.choices)}, "
                                f"not {value!r}")
            ok = False
        if param.kind.startswith("label:"):
            ok = _check_label(v, where, key, value, param.kind[6:], labels) and ok
    for key, kind in (("as", "str"), ("expect_status", "int"), ("user", "str"),
                      ("settle", "bool")):
        if key in raw and not v.check_type(where, key, raw[key], kind):
            ok = False
    if isinstance(raw.get("user"), str) and raw["user"] not in USERS:
        v.error(where, "user", f"unknown user {raw['user']!r} (one of: {', '.join(USERS)})")
        ok = False
    if name == "reset_status" and sum(k in raw for k in ("volume", "snapshot", "backup")) != 1:
        v.error(where, "action", "reset_status needs exactly one of volume, snapshot, backup")
        ok = False
    if name in ("stop_service", "start_service") and isinstance(raw.get("service"), str):
        ok = _check_service(v, where, "service", raw["service"], backends) and ok
    label = raw.get("as")
    if isinstance(label, str):
        if action.produces is None and name != "request":  # request: the body's resource
            v.error(where, "as", f"{name} makes nothing a label could name")
            ok = False
        elif label in labels:
            v.error(where, "as", f"label {label!r} is already used")
            ok = False
        else:
            labels[label] = action.produces or "resource"
    if name == "request":
        for m in _PLACEHOLDER.finditer(json.dumps([raw.get("path"), raw.get("body")])):
            ref = m.group(1)
            if ref != "project" and ref not in labels:
                v.error(where, "path", f"unknown label {ref!r} in {{{ref}}}")
                ok = False
    if not ok:
        return None
    params = {k: raw[k] for k in action.params if k in raw}
    default_user = "admin" if name in ("reset_status", "set_quota") else "demo"
    return Step(action=name, params=params, label=label, expect_status=raw.get("expect_status"),
                user=str(raw.get("user", default_user)), settle=bool(raw.get("settle", True)),
                line=v.loc.line(where), index=i + 1)


def _check_label(v: _Validator, where: tuple[Any, ...], key: str, value: str, kind: str,
                 labels: Mapping[str, str]) -> bool:
    have = labels.get(value)
    if have is None:
        known = ", ".join(sorted(labels)) or "none yet"
        v.error(where, key, f"unknown label {value!r} (labels defined before this step: "
                            f"{known})")
        return False
    if have != kind:
        v.error(where, key, f"label {value!r} names a {have}, not a {kind}")
        return False
    return True


def _check_service(v: _Validator, where: tuple[Any, ...], key: str, name: str,
                   backends: list[str]) -> bool:
    ok = {"cinder-scheduler", "cinder-backup", *(f"cinder-volume:{b}" for b in backends),
          *backends}
    if len(backends) == 1:
        ok.add("cinder-volume")
    if name in ok:
        return True
    v.error(where, key, f"unknown service {name!r} (one of: {', '.join(sorted(ok))})")
    return False


def _validate_fault(v: _Validator, i: int, raw: Any, backends: list[str]) -> Fault | None:
    where: tuple[Any, ...] = ("faults", i)
    if not isinstance(raw, dict):
        v.error((), "faults", f"fault {i + 1} must be a table")
        return None
    kind = next((k for k, key in (("driver", "driver"), ("message", "message"),
                                  ("service", "stop_service")) if key in raw), None)
    if kind is None:
        v.error(where, None, "a fault needs driver = \"<op>\", message = \"drop|delay|"
                             "duplicate|hold\" or stop_service = \"<service>\"")
        return None
    v.unknown(where, raw, _FAULT_KEYS[kind], f"a {kind} fault")
    types = {"driver": "str", "backend": "str", "nth": "int", "times": "int", "always": "bool",
             "probability": "number", "error": "str", "message": "str", "start": "number",
             "duration": "number", "topic": "str", "server": "str", "method": "str",
             "sender": "str", "kind": "str", "delay": "number", "stop_service": "str"}
    ok = all(v.check_type(where, k, raw[k], types[k]) for k in raw if k in types)
    if not ok:
        return None
    if kind == "driver" and raw["driver"] not in DEFAULT_ERRORS:
        v.error(where, "driver", f"unknown driver operation {raw['driver']!r} (one of: "
                                 f"{', '.join(DEFAULT_ERRORS)})")
        ok = False
    if kind == "driver" and "backend" in raw and raw["backend"] not in backends:
        v.error(where, "backend", f"unknown backend {raw['backend']!r} (one of: "
                                  f"{', '.join(backends)})")
        ok = False
    if kind == "message" and raw["message"] not in ("drop", "delay", "duplicate", "hold"):
        v.error(where, "message", "message must be drop, delay, duplicate or hold")
        ok = False
    if kind == "service":
        ok = _check_service(v, where, "stop_service", raw["stop_service"], backends) and ok
    for key in ("start", "duration"):
        if key in raw and raw[key] < 0:
            v.error(where, key, f"{key} must be >= 0")
            ok = False
    if not ok:
        return None
    params = {k: val for k, val in raw.items() if k not in ("start", "duration")}
    return Fault(kind, params, float(raw.get("start", 0)),
                 float(raw["duration"]) if "duration" in raw else None, v.loc.line(where))


def _validate_expect(v: _Validator, i: int, raw: Any, labels: Mapping[str, str],
                     backends: list[str]) -> Expectation | None:
    where: tuple[Any, ...] = ("expect", i)
    if not isinstance(raw, dict):
        v.error((), "expect", f"expectation {i + 1} must be a table")
        return None
    kind = next((k for k, key in (("resource", "resource"), ("count", "count"),
                                  ("capacity", "capacity"), ("quota", "quota"),
                                  ("trace", "trace_contains"),
                                  ("trace", "trace_lacks"), ("metric", "metric"))
                 if key in raw), None)
    if kind is None:
        v.error(where, None, "an expectation needs resource, count, capacity, quota, "
                             "trace_contains, trace_lacks or metric")
        return None
    v.unknown(where, raw, _EXPECT_KEYS[kind], f"a {kind} expectation")
    types = {"resource": "str", "status": "str", "attach_status": "str", "size": "int",
             "host": "str", "availability_zone": "str", "count": "str", "kind": "str",
             "method": "str", "actor": "str", "contains": "str", "equals": "number",
             "at_least": "number", "at_most": "number", "capacity": "str", "field": "str",
             "trace_contains": "str", "trace_lacks": "str", "owner": "str", "quota": "str",
             "usage": "str", "metric": "str", "pool": "str"}
    ok = all(v.check_type(where, k, raw[k], types[k]) for k in raw if k in types)
    if not ok:
        return None
    if kind == "resource":
        if raw["resource"] not in labels:
            v.error(where, "resource", f"unknown label {raw['resource']!r} (labels: "
                                       f"{', '.join(sorted(labels)) or 'none'})")
            ok = False
        if len(raw) == 1:
            v.error(where, "resource", "say what to check: status, attach_status, size, "
                                       "host, availability_zone or owner")
            ok = False
        if "owner" in raw and raw["owner"] not in USERS:
            v.error(where, "owner", f"unknown user {raw['owner']!r} (one of: "
                                    f"{', '.join(USERS)})")
            ok = False
    if kind == "metric" and ("pool" in raw) != (str(raw["metric"]) in POOL_METRICS):
        v.error(where, "metric", f"{raw['metric']!r} is a per-pool metric: name the pool "
                                 "(pool = \"host@backend\")" if "pool" not in raw else
                f"pool goes with a per-pool metric ({', '.join(POOL_METRICS)}), not "
                f"{raw['metric']!r}")
        ok = False
    elif kind == "metric" and "pool" not in raw and not is_metric_key(str(raw["metric"])):
        v.error(where, "metric", f"unknown metric {raw['metric']!r} (one of: "
                                 f"{', '.join(SUMMARY_KEYS)}; or a count: http.<status>, "
                                 "error.<reason>, error.driver.<call>, scheduled; or per "
                                 f"pool: {', '.join(POOL_METRICS)})")
        ok = False
    if kind in ("count", "capacity", "quota", "metric") and not any(
            k in raw for k in ("equals", "at_least", "at_most")):
        v.error(where, kind, f"a {kind} expectation needs equals, at_least or at_most")
        ok = False
    if kind == "count" and raw["count"] not in _COUNTABLE:
        v.error(where, "count", f"count must be one of {', '.join(_COUNTABLE)}")
        ok = False
    if kind == "capacity":
        if raw["capacity"] not in backends:
            v.error(where, "capacity", f"unknown backend {raw['capacity']!r} (one of: "
                                       f"{', '.join(backends)})")
            ok = False
        if raw.get("field", "free_gb") not in _CAPACITY_FIELDS:
            v.error(where, "field", f"field must be one of {', '.join(_CAPACITY_FIELDS)}")
            ok = False
    if kind == "quota":
        if raw["quota"] not in USERS:
            v.error(where, "quota", f"unknown user {raw['quota']!r} (one of: "
                                    f"{', '.join(USERS)})")
            ok = False
        if raw.get("usage", "in_use") not in _QUOTA_USAGE:
            v.error(where, "usage", f"usage must be one of {', '.join(_QUOTA_USAGE)}")
            ok = False
    return Expectation(kind, dict(raw), v.loc.line(where)) if ok else None


def _load_python(p: Path, shown: str) -> Scenario:
    """Import a Python scenario file; its ``scenario`` coroutine function is the run."""
    spec = importlib.util.spec_from_file_location(f"cindersim_scenario_{p.stem}", p)
    if spec is None or spec.loader is None:
        raise ScenarioError([(shown, 1, "cannot import this file")])
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ScenarioError([(shown, exc.lineno or 1, f"syntax error: {exc.msg}")]) from None
    except Exception as exc:
        line = _line_in(exc, p)
        raise ScenarioError([(shown, line, f"{type(exc).__name__}: {exc}")]) from None
    fn = getattr(module, "scenario", None)
    if not asyncio.iscoroutinefunction(fn):
        raise ScenarioError([(shown, 1, "a Python scenario defines async def scenario(cloud)")])
    cloud = getattr(module, "CLOUD", None)
    try:
        load_config(cloud)
    except ConfigError as exc:
        raise ScenarioError([(shown, 1, f"CLOUD: {exc}")]) from None
    return Scenario(name=str(getattr(module, "NAME", p.stem)),
                    description=str(getattr(module, "DESCRIPTION", "") or ""), path=shown,
                    seed=int(getattr(module, "SEED", 0)), cloud=cloud, python=fn)


def _line_in(exc: BaseException, p: Path) -> int:
    """The last line of *p* in *exc*'s traceback (where a Python scenario failed)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == p.resolve() and frame.lineno is not None:
            line = frame.lineno
    return line



def scenario_files(directory: str | Path) -> list[Path]:
    """The scenario files of a directory (``*.toml`` and ``*.py``), sorted by name."""
    d = Path(directory)
    return sorted([*d.glob("*.toml"), *d.glob("*.py")], key=lambda q: q.name)

