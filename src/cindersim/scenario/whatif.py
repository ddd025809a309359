"""What-if tables of a scenario file: ``[fleet]``, ``[workload]`` and overrides.

``[fleet]`` expands into many identical cinder.conf backend sections (operators
ask about 20 or 1,000 backends, nobody writes 1,000 sections);
``[workload]`` becomes a :class:`cindersim.workload.Workload`; overrides
(``--set`` of a sweep) rewrite the parsed TOML document before validation, so
an override is checked exactly like the file's own value.

Every problem is reported through the loader's validator, as ``FILE:LINE:
message``.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..config import BACKEND_OPTIONS
from ..workload import (
    KINDS,
    Bursts,
    DailyCurve,
    EmpiricalSize,
    ExponentialLifetime,
    FixedLifetime,
    FixedSize,
    LogNormalSize,
    OperationMix,
    PoissonArrivals,
    Stream,
    UniformSize,
    Workload,
)
from .actions import USERS
from .model import ScenarioError, WorkloadSpec

if TYPE_CHECKING:
    from .load import _Validator

__all__ = ["apply_overrides", "expand_fleet", "parse_duration", "parse_override_value",
           "parse_rate", "validate_fleet", "validate_workload"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([smhdw])\s*$")

# --- values ------------------------------------------------------------------------------------
def parse_duration(value: Any) -> float | None:
    """Seconds from a number or ``"<n>s|m|h|d|w"`` (``"14d"``, ``"1.5h"``); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNITS[m.group(2) or "s"]
    return None


def parse_rate(value: Any) -> float | None:
    """Arrivals per second from a number (per second) or ``"<n>/s|m|h|d|w"``
    (``"100/d"``: a hundred a day); None if neither or not positive."""
    if isinstance(value, bool):
        return None
    rate: float | None = None
    if isinstance(value, (int, float)):
        rate = float(value)
    elif isinstance(value, str):
        m = _RATE.match(value)
        if m:
            rate = float(m.group(1)) / _UNITS[m.group(2)]
    return rate if rate is not None and math.isfinite(rate) and rate > 0 else None


def parse_override_value(text: str) -> Any:
    """A ``--set KEY=VALUE`` value: a TOML value if it parses as one (``0.5``, ``true``,
    ``[1, 2]``, ``{ poisson = 0.1 }``, ``"quoted"``), else the text as a string
    (``CapacityWeigher``, ``3d``)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


# --- overrides ------------------------------------------------------------------------------
def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], shown: str,
                    ) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """A copy of *data* with each dotted path set; and which paths overrides wrote.

    A path walks tables by key and arrays by index (``workload.streams.0``).
    The last key may be new (cinder.conf options are optional, so a sweep may
    set one the file leaves at its default), and so may tables on the way
    (``cloud.DEFAULT`` when the file has no ``[cloud.DEFAULT]``); the new key is
    then validated like any other, so a typo is still an "unknown key" error.
    Indexing past an array's end, or walking into a value that is not a table
    or an array, is an error naming the path.
    """
    out = copy.deepcopy(data)
    where: dict[tuple[Any, ...], str] = {}
    problems: list[tuple[str, int, str]] = []
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        if not parts or any(p == "" for p in parts):
            problems.append((shown, 0, f"override {dotted!r}: not a dotted key path"))
            continue
        node: Any = out
        path: list[Any] = []
        ok = True
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    problems.append((shown, 0, f"override {dotted!r}: no item {part!r} in "
                                               f"{'.'.join(map(str, path))} ({len(node)} "
                                               "item(s), counted from 0)"))
                    ok = False
                    break
                key: Any = int(part)
            elif isinstance(node, dict):
                key = part
                if not last and key not in node:
                    node[key] = {}
            else:
                problems.append((shown, 0, f"override {dotted!r}: "
                                           f"{'.'.join(map(str, path))} is {node!r}, not a "
                                           "table: there is no key "
                                           f"{part!r} in it"))
                ok = False
                break
            path.append(key)
            if last:
                node[key] = value
            else:
                node = node[key]
        if ok:
            where[tuple(path)] = str(dotted)
    if problems:
        raise ScenarioError(problems)
    return out, where


# --- [fleet] -----------------------------------------------------------------------------------
_FLEET_OWN = {"count": "int", "name_prefix": "str", "host_prefix": "str",
              "backends_per_host": "int", "availability_zones": "list"}


def validate_fleet(v: _Validator, fleet: Any) -> bool:
    """Check ``[fleet]``; True when :func:`expand_fleet` may run."""
    where: tuple[Any, ...] = ("fleet",)
    if not isinstance(fleet, dict):
        v.error((), "fleet", "fleet must be a table")
        return False
    ok = True
    if "count" not in fleet:
        v.error(where, None, "[fleet] needs count = <number of backends>")
        ok = False
    for key, value in fleet.items():
        kind = _FLEET_OWN.get(key)
        if kind == "list":
            if (not isinstance(value, list) or not value
                    or not all(isinstance(z, str) and z for z in value)):
                v.error(where, key, f"{key} must be a non-empty array of zone names")
                ok = False
            elif "backend_availability_zone" in fleet:
                v.error(where, key, "say availability_zones or backend_availability_zone, "
                                    "not both")
                ok = False
        elif kind is not None:
            if not v.check_type(where, key, value, kind):
                ok = False
            elif kind == "int" and value < 1:
                v.error(where, key, f"{key} must be >= 1, not {value}")
                ok = False
            elif kind == "str" and not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
                v.error(where, key, f"{key} must be letters, digits, '-', '_' or '.', "
                                    f"not {value!r}")
                ok = False
        elif key == "host":
            v.error(where, key, "a fleet's hosts come from host_prefix and "
                                "backends_per_host; host cannot be set")
            ok = False
        elif key in BACKEND_OPTIONS:
            try:
                BACKEND_OPTIONS[key][0](value)
            except (TypeError, ValueError) as exc:
                v.error(where, key, f"[fleet] {key} = {value!r}: {exc}")
                ok = False
        else:
            options = ", ".join(sorted(set(BACKEND_OPTIONS) - {"host"}))
            v.error(where, key, f"unknown key {key!r} in [fleet] (its own keys: "
                                f"{', '.join(sorted(_FLEET_OWN))}; or any backend option of "
                                f"cinder.conf: {options})")
            ok = False
    return ok


def fleet_names(fleet: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(backend section name, host) of each fleet backend, in order."""
    prefix = str(fleet.get("name_prefix", "lvm"))
    host = str(fleet.get("host_prefix", "cinder"))
    per = int(fleet.get("backends_per_host", 1))
    return [(f"{prefix}-{i}", f"{host}-{i // per}") for i in range(int(fleet["count"]))]


def fleet_ip(host_index: int) -> str:
    """The iSCSI portal address of the fleet's *host_index*-th host: ``10.0.0.1``,
    ``10.0.0.2`` ... (a storage network of its own: cinder.conf's ``$my_ip`` plus
    one per host would wrap after 255 hosts and two hosts would share a portal)."""
    n = host_index + 1
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def expand_fleet(fleet: Mapping[str, Any], cloud: Mapping[str, Any] | None) -> dict[str, Any]:
    """The cloud config dict with the fleet's backends merged in.

    Each fleet backend gets the fleet's cinder.conf options, its ``host``, a
    ``target_ip_address`` per host (:func:`fleet_ip`, unless the fleet sets one)
    and, with ``availability_zones``, a ``backend_availability_zone`` round-robin;
    a ``[cloud.<name>]`` section of the same name wins for the options it sets.
    ``enabled_backends`` becomes the fleet's names followed by any the file
    lists explicitly.
    """
    sections: dict[str, Any] = copy.deepcopy(dict(cloud or {}))
    if sections and not any(isinstance(x, dict) for x in sections.values()):
        sections = {"DEFAULT": sections}
    default = dict(sections.get("DEFAULT") or {})
    explicit = default.get("enabled_backends")
    if isinstance(explicit, str):
        listed = [b.strip() for b in explicit.split(",") if b.strip()]
    elif isinstance(explicit, list):
        listed = [str(b) for b in explicit]
    else:
        listed = []
    options = {k: val for k, val in fleet.items() if k not in _FLEET_OWN}
    zones = list(fleet.get("availability_zones") or [])
    names = []
    per = int(fleet.get("backends_per_host", 1))
    for i, (name, host) in enumerate(fleet_names(fleet)):
        section: dict[str, Any] = {**options, "host": host}
        if "target_ip_address" not in options:
            section["target_ip_address"] = fleet_ip(i // per)
        if zones:
            section["backend_availability_zone"] = zones[i % len(zones)]
        section.update(sections.get(name) or {})
        sections[name] = section
        names.append(name)
    default["enabled_backends"] = ",".join([*names, *(b for b in listed if b not in names)])
    sections["DEFAULT"] = default
    return sections


# --- [workload] -------------------------------------------------------------------------------
_WORKLOAD_KEYS = {"duration", "metrics_interval", "streams"}
_STREAM_KEYS = {"project", "volume_type", "arrivals", "sizes", "lifetime", "mix", "extend_by"}
_INTERVALS = (1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
              10800.0, 21600.0, 43200.0, 86400.0)


def default_interval(duration: float) -> float:
    """About 200 samples over the run, on a round period of at least 60 s."""
    want = duration / 200
    return next((i for i in _INTERVALS if i >= want and i >= 60.0), _INTERVALS[-1]
                if want <= _INTERVALS[-1] else math.ceil(want / 86400) * 86400.0)


def validate_workload(v: _Validator, raw: Any) -> WorkloadSpec | None:
    where: tuple[Any, ...] = ("workload",)
    if not isinstance(raw, dict):
        v.error((), "workload", "workload must be a table")
        return None
    v.unknown(where, raw, _WORKLOAD_KEYS, "[workload]")
    ok = True
    duration = parse_duration(raw.get("duration"))
    if "duration" not in raw:
        v.error(where, None, "[workload] needs duration = \"<n>s|m|h|d|w\" (or seconds)")
        ok = False
    elif duration is None or duration <= 0:
        v.error(where, "duration", f"duration must be a positive number of seconds or "
                                   f"\"<n>s|m|h|d|w\", not {raw['duration']!r}")
        ok = False
    interval: float | None = None
    if "metrics_interval" in raw:
        interval = parse_duration(raw["metrics_interval"])
        if interval is None or interval <= 0:
            v.error(where, "metrics_interval", "metrics_interval must be a positive number of "
                    f"seconds or \"<n>s|m|h|d|w\", not {raw['metrics_interval']!r}")
            ok = False
    streams_raw = raw.get("streams")
    if not isinstance(streams_raw, list) or not streams_raw:
        v.error(where, "streams" if "streams" in raw else None,
                "[workload] needs at least one [[workload.streams]]")
        return None
    streams: list[Stream] = []
    for i, s in enumerate(streams_raw):
        stream = _validate_stream(v, i, s)
        if stream is None:
            ok = False
        else:
            streams.append(stream)
    if not ok or duration is None:
        return None
    return WorkloadSpec(Workload(cast("Any", streams), duration),
                        interval if interval is not None else default_interval(duration),
                        v.loc.line(where))


def _one_of(v: _Validator, where: tuple[Any, ...], key: str, value: Any,
            kinds: tuple[str, ...], extra: tuple[str, ...] = ()) -> str | None:
    """The single kind key of an inline table like ``{ poisson = 0.1 }``."""
    if not isinstance(value, dict):
        v.error(where, key, f"{key} must be a table with one of: {', '.join(kinds)}")
        return None
    found = [str(k) for k in value if k in kinds]
    unknown = [k for k in value if k not in kinds and k not in extra]
    if unknown or len(found) != 1:
        bad = f" (unknown: {', '.join(map(repr, unknown))})" if unknown else ""
        v.error(where, key, f"{key} must have exactly one of: {', '.join(kinds)}{bad}")
        return None
    return found[0]


def _validate_stream(v: _Validator, i: int, raw: Any) -> Stream | None:
    where: tuple[Any, ...] = ("workload", "streams", i)
    if not isinstance(raw, dict):
        v.error(("workload",), "streams", f"stream {i + 1} must be a table")
        return None
    v.unknown(where, raw, _STREAM_KEYS, "a workload stream")
    ok = not any(k not in _STREAM_KEYS for k in raw)
    project = raw.get("project", "demo")
    if project not in USERS:
        v.error(where, "project", f"unknown project {project!r} (one of: {', '.join(USERS)})")
        ok = False
    vtype = raw.get("volume_type")
    if vtype is not None and not v.check_type(where, "volume_type", vtype, "str"):
        ok = False
    if "arrivals" not in raw:
        v.error(where, None, "a stream needs arrivals = { poisson = <per second> } (or bursts, "
                             "daily)")
        return None
    arrivals = _arrivals(v, where, raw["arrivals"])
    sizes = _sizes(v, where, "sizes", raw["sizes"]) if "sizes" in raw else FixedSize(1)
    extend_by = (_sizes(v, where, "extend_by", raw["extend_by"]) if "extend_by" in raw
                 else FixedSize(1))
    lifetime = _lifetime(v, where, raw["lifetime"]) if "lifetime" in raw else None
    mix = _mix(v, where, raw["mix"]) if "mix" in raw else OperationMix({"create": 1.0})
    if (not ok or arrivals is None or sizes is None or extend_by is None or mix is None
            or ("lifetime" in raw and lifetime is None)):
        return None
    return Stream(project=str(project), arrivals=arrivals, sizes=sizes, lifetimes=lifetime,
                  mix=mix, volume_type=vtype, extend_by=extend_by)


def _arrivals(v: _Validator, where: tuple[Any, ...], value: Any,
              ) -> PoissonArrivals | Bursts | DailyCurve | None:
    kind = _one_of(v, where, "arrivals", value, ("poisson", "bursts", "daily"))
    if kind is None:
        return None
    x = value[kind]
    if kind == "poisson":
        rate = parse_rate(x)
        if rate is None:
            v.error(where, "arrivals", f"poisson must be a positive rate per second or "
                                       f"\"<n>/s|m|h|d|w\", not {x!r}")
            return None
        return PoissonArrivals(rate)
    if kind == "daily":
        rates: list[float | None] = ([parse_rate(r) if r != 0 else 0.0 for r in x]
                                     if isinstance(x, list) else [])
        if len(rates) != 24 or any(r is None for r in rates) or not any(rates):
            v.error(where, "arrivals", "daily must be 24 rates (per second, or "
                                       "\"<n>/s|m|h|d|w\"), one per hour of the day, not all 0")
            return None
        return DailyCurve(cast("Any", [float(r or 0.0) for r in rates]))
    if not isinstance(x, dict):
        v.error(where, "arrivals", "bursts must be a table: { every = \"1h\", size = 20, "
                                   "spread = 60 }")
        return None
    bad = [k for k in x if k not in ("every", "size", "spread", "start")]
    if bad or "every" not in x or "size" not in x:
        v.error(where, "arrivals", "bursts needs every and size (optional spread, start)"
                + (f"; unknown: {', '.join(map(repr, bad))}" if bad else ""))
        return None
    every = parse_duration(x["every"])
    spread = parse_duration(x.get("spread", 0))
    start = parse_duration(x.get("start", 0))
    size = x["size"]
    if (every is None or every <= 0 or spread is None or start is None
            or isinstance(size, bool) or not isinstance(size, int) or size < 1):
        v.error(where, "arrivals", "bursts: every must be a positive duration, size an "
                                   "integer >= 1, spread and start durations >= 0")
        return None
    return Bursts(every, size, spread, start)


def _sizes(v: _Validator, where: tuple[Any, ...], key: str, value: Any,
           ) -> FixedSize | UniformSize | LogNormalSize | EmpiricalSize | None:
    kind = _one_of(v, where, key, value, ("fixed", "uniform", "lognormal", "empirical"),
                   extra=("weights",))
    if kind is None:
        return None
    x = value[kind]
    if "weights" in value and kind != "empirical":
        v.error(where, key, "weights goes with empirical sizes only")
        return None
    try:
        if kind == "fixed":
            return FixedSize(x)
        if kind == "uniform":
            if not isinstance(x, list) or len(x) != 2:
                raise ValueError("uniform must be [low, high] (GiB)")
            return UniformSize(x[0], x[1])
        if kind == "lognormal":
            if not isinstance(x, dict) or not {"mu", "sigma"} <= set(x) \
                    or set(x) - {"mu", "sigma", "max"}:
                raise ValueError("lognormal must be { mu = ..., sigma = ... } (optional max, "
                                 "GiB)")
            if not all(isinstance(x[k], (int, float)) and not isinstance(x[k], bool)
                       for k in x):
                raise ValueError("lognormal mu, sigma and max must be numbers")
            if "max" in x:
                return LogNormalSize(float(x["mu"]), float(x["sigma"]), x["max"])
            return LogNormalSize(float(x["mu"]), float(x["sigma"]))
        if not isinstance(x, list):
            raise ValueError("empirical must be an array of sizes (GiB)")
        weights = value.get("weights")
        if weights is not None and not (isinstance(weights, list) and all(
                isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights)):
            raise ValueError("weights must be an array of numbers")
        return EmpiricalSize(tuple(x), None if weights is None else tuple(weights))
    except (TypeError, ValueError) as exc:
        v.error(where, key, f"{key}: {exc}")
        return None


def _lifetime(v: _Validator, where: tuple[Any, ...], value: Any,
              ) -> FixedLifetime | ExponentialLifetime | None:
    kind = _one_of(v, where, "lifetime", value, ("fixed", "exponential"))
    if kind is None:
        return None
    seconds = parse_duration(value[kind])
    if seconds is None or seconds <= 0:
        v.error(where, "lifetime", f"lifetime {kind} must be a positive duration (seconds or "
                                   f"\"<n>s|m|h|d|w\"), not {value[kind]!r}")
        return None
    return FixedLifetime(seconds) if kind == "fixed" else ExponentialLifetime(seconds)


def _mix(v: _Validator, where: tuple[Any, ...], value: Any) -> OperationMix | None:
    if not isinstance(value, dict):
        v.error(where, "mix", f"mix must be a table of weights by operation ({', '.join(KINDS)})")
        return None
    try:
        return OperationMix(value)
    except (TypeError, ValueError) as exc:
        v.error(where, "mix", f"mix: {exc}")
        return None
