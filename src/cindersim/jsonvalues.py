"""Copies of JSON-shaped values: what ``json.loads(json.dumps(value))`` gives, directly.

Request and response bodies, capability reports and trace details are dicts,
lists, strings, numbers, booleans and None.  Copying them through JSON text is
exact but slow on a hot path (every REST request, every capability report of a
1,000-backend fleet); :func:`copy_json` walks the value instead and refuses
anything JSON would change (a tuple, a non-string key, any other type), so the
caller can fall back to the real round trip or to ``copy.deepcopy``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NotJson", "copy_json"]

_SCALARS = frozenset((str, int, float, bool, type(None)))
"""Exact types JSON gives back as they are (a set: one hash probe, not five compares)."""


class NotJson(ValueError):
    """The value holds something JSON text would not give back as it is."""


def copy_json(value: Any) -> Any:
    """A fresh copy of a JSON-shaped *value*; raises :class:`NotJson` otherwise."""
    kind = type(value)
    if kind is dict:
        # dict.copy runs in C; only the values that are containers need a walk of their own
        # (rebinding existing keys while iterating is safe: the size never changes).
        out = value.copy()
        for k, v in out.items():
            if type(k) is not str:
                raise NotJson(f"a {type(k).__name__} key")
            if type(v) not in _SCALARS:
                out[k] = copy_json(v)
        return out
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    raise NotJson(f"a {kind.__name__}")
