"""Copies of JSON-shaped values: what ``json.loads(json.dumps(value))`` gives, directly.

Request and response bodies, capability reports and trace details are dicts,
lists, strings, numbers, booleans and None.  Copying them through JSON text is
exact but slow on a hot path (every REST request, every capability report of a
1,000-backend fleet); :func:`copy_json` walks the value instead and refuses
anything JSON would change (a tuple, a non-string key, any other type), so the
caller can fall back to the real round trip or to ``copy.deepcopy``.

:func:`loads` parses request bodies that come off the wire: ``json.loads`` with a
bound on nesting.  A body nested a thousand deep makes the C decoder raise
``RecursionError`` (not ``ValueError``), and one a few hundred deep parses but
then overflows the stack of whatever walks it next (a copy, the trace, the
encoder); both must be a client's 400, never a 500 or a dropped connection.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "JsonTooDeep", "NotJson", "copy_json", "copy_json_twice", "depth_exceeds",
           "loads"]

MAX_DEPTH = 100
"""Deepest nesting :func:`loads` accepts.  Real request bodies nest a handful of
levels (``{"volume": {"metadata": {...}}}``); 100 leaves every walker in this
process far from Python's recursion limit."""

_SCALARS = frozenset((str, int, float, bool, type(None)))
"""Exact types JSON gives back as they are (a set: one hash probe, not five compares)."""


class NotJson(ValueError):
    """The value holds something JSON text would not give back as it is."""


def copy_json(value: Any) -> Any:
    """A fresh copy of a JSON-shaped *value*; raises :class:`NotJson` otherwise."""
    if type(value) is dict:  # the usual value (a body): tested before anything is stored
        # dict.copy runs in C; only the values that are containers need a walk of their own
        # (rebinding existing keys while iterating is safe: the size never changes).
        out = value.copy()
        # Keys, then each value by key: items() costs a view and an iterator per dict
        # (measured ~40 ns a dict slower on a request body's two).
        for k in out:
            if type(k) is not str:
                raise NotJson(f"a {type(k).__name__} key")
            v = out[k]
            if type(v) not in _SCALARS:
                out[k] = copy_json(v)
        return out
    kind = type(value)
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    raise NotJson(f"a {kind.__name__}")


def copy_json_twice(value: Any) -> tuple[Any, Any]:
    """Two fresh copies of a JSON-shaped *value*, sharing no container with it or with
    each other, made in one walk: for a body both an API and the full trace keep
    (:meth:`cindersim.Cloud.request`); raises :class:`NotJson` as :func:`copy_json`."""
    kind = type(value)
    if kind is dict:
        first = value.copy()
        second = value.copy()
        for k in first:  # (not items(): see copy_json)
            if type(k) is not str:
                raise NotJson(f"a {type(k).__name__} key")
            v = first[k]
            if type(v) not in _SCALARS:
                first[k], second[k] = copy_json_twice(v)
        return first, second
    if kind is list:
        first = value.copy()
        second = value.copy()
        for i, v in enumerate(first):
            if type(v) not in _SCALARS:
                first[i], second[i] = copy_json_twice(v)
        return first, second
    if kind in _SCALARS:
        return value, value
    raise NotJson(f"a {kind.__name__}")


class JsonTooDeep(ValueError):
    """A JSON text nested deeper than :data:`MAX_DEPTH` (a ``ValueError``, as a
    syntax error is: callers already map that to their 400)."""


def depth_exceeds(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the brackets of JSON *text* nest deeper than *limit*.

    Brackets inside strings do not count.  Bytes are scanned as they are (every
    bracket, quote and backslash is one ASCII byte in UTF-8).
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # Fast path (C speed): with at most *limit* opening brackets, no nesting can exceed it.
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for untrusted bodies: :class:`JsonTooDeep` beyond *max_depth*
    levels, ``ValueError`` (``UnicodeDecodeError`` included) for anything else
    that is not JSON."""
    if depth_exceeds(text, max_depth):
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)
