"""Routes of the v3 API: method + path template -> controller, with a minimum microversion."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .wsgi import ApiResponse, Version

__all__ = ["Controller", "Route", "Router", "route"]

Controller = Callable[..., Awaitable[ApiResponse]]
"""``async def controller(api, req, **path_params) -> ApiResponse``."""


@attrs.frozen
class Route:
    method: str
    template: str
    """Path under ``/v3/{project_id}``, e.g. ``/volumes/{volume_id}/action``."""
    controller: Controller
    min_version: Version = attrs.field(factory=lambda: Version(3, 0))
    max_version: Version = attrs.field(factory=lambda: Version(3, 71))
    regex: re.Pattern[str] = attrs.field(init=False, eq=False, repr=False)

    @regex.default
    def _compile(self) -> re.Pattern[str]:
        # An id may be empty: Cinder answers ".../volumes/" with the show route
        # and an empty id, which is a 404 for that id.
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]*)", self.template)
        return re.compile(f"^{pattern}$")

    @property
    def collection(self) -> str:
        return self.template.strip("/").split("/")[0]


def route(method: str, template: str, min_version: str = "3.0") -> Callable[[Controller],
                                                                                  Controller]:
    """Decorator that records a route on the controller function (collected by Router)."""

    def mark(fn: Controller) -> Controller:
        routes: list[Route] = getattr(fn, "__cindersim_routes__", [])
        routes.append(Route(method, template, fn, Version.parse(min_version)))
        fn.__cindersim_routes__ = routes  # type: ignore[attr-defined]
        return fn

    return mark


_MAX_FIXED = 4096
"""Bound of :attr:`Router._fixed`: a client trying every microversion cannot grow it
without end (about 200 parameterless routes, few versions ever used)."""

_Shape = tuple[dict[str, list[Route]], list[Route]]
"""Routes by method, and every route, that may match paths of one shape."""


class Router:
    """Matches (method, path) to a route; knows which first segments are collections."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.collections: set[str] = set()
        self._heads: set[str] = set()
        """The literal first segments of the templates (see :func:`_literal_head`)."""
        self._slash_counts: set[int] = set()
        self._shaped: dict[tuple[int, str, Version], _Shape] = {}
        """Memo of :meth:`_candidates`: (slashes, first segment, version) -> routes."""
        self._fixed: dict[tuple[str, str, Version], Route] = {}
        """Memo of :meth:`match` for routes without parameters (``POST /volumes``, on
        every create): (method, path, version) -> route.  Such a route's regex matches
        only its own template (or that and a final newline), so this stays small."""
        self.plans: dict[Any, Any] = {}
        """What a caller derives from these routes and keeps (cinder-api's routing of
        whole request paths, see ``ApiService._route``): emptied with this router's own
        memos whenever a route is added, so no caller keeps a stale answer."""

    def add_module(self, module: Any) -> None:
        """Register every ``@route`` function of a controller module, in definition order."""
        for value in vars(module).values():
            for r in getattr(value, "__cindersim_routes__", []):
                self.add(r)

    def add(self, r: Route) -> None:
        self.routes.append(r)
        self.collections.add(r.collection)
        head = _literal_head(r.template)
        if head is not None:
            self._heads.add(head)
        self._slash_counts.add(r.template.count("/"))
        self._shaped.clear()
        self._fixed.clear()
        self.plans.clear()

    def route_for(self, method: str, template: str) -> Route | None:
        """The route serving *template* (Cinder's spelling: any parameter names) for
        *method*, or None: same number of segments, each literal segment equal, each
        parameter a parameter.  Introspection for :mod:`.reference`, not dispatch."""
        wanted = _shape_of(template)
        for r in self.routes:
            if r.method == method and _shape_of(r.template) == wanted:
                return r
        return None

    def match(self, method: str, path: str,
              version: Version) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, params, path_exists).

        ``path_exists`` tells 405 (path known, method not) from 404.  A route
        whose minimum microversion is above the request's is treated as absent
        (404), as Cinder's versioned method dispatch does.
        """
        fixed = self._fixed.get((method, path, version))
        if fixed is not None:
            return fixed, {}, True
        slashes = path.count("/")
        first = path.split("/", 2)[1] if slashes else ""
        # Only the routes that may match (see _shape), memoised per (slashes, first
        # segment, version): a request tries one or two regexes instead of every route's.
        shape = self._shaped.get((slashes, first, version))
        if shape is None:
            shape = self._shape(slashes, first, version)
        by_method, every = shape
        for r in by_method.get(method, ()):
            m = r.regex.match(path)
            if m is not None:
                if not r.regex.groups and len(self._fixed) < _MAX_FIXED:
                    self._fixed[(method, path, version)] = r
                return r, m.groupdict(), True
        return None, {}, any(r.regex.match(path) for r in every)

    def _shape(self, slashes: int, first: str, version: Version) -> _Shape:
        """The routes at *version* that may match a path with *slashes* slashes and
        first segment *first*: by method, and all of them, in registration order (the
        first route matching path, version and method wins, as in a plain scan).

        A parameter never matches a ``/``, so a route can only match a path with as
        many slashes, whose first segment is the route's literal first segment (a
        "volumes\n" path is no "volumes" one: "$" matching before a final newline,
        it gets every route).  Only shapes some route has are memoised, so the memo
        stays small whatever clients send.
        """
        live = [r for r in self.routes if r.min_version <= version <= r.max_version]
        if slashes not in self._slash_counts:
            live = []  # no template has this many slashes: no regex can match
        elif first in self._heads:
            live = [r for r in live if r.template.count("/") == slashes
                    and _literal_head(r.template) in (first, None)]
        by_method: dict[str, list[Route]] = {}
        for r in live:
            by_method.setdefault(r.method, []).append(r)
        shape = (by_method, live)
        if slashes in self._slash_counts and first in self._heads:
            self._shaped[(slashes, first, version)] = shape
        return shape


def _shape_of(template: str) -> tuple[str | None, ...]:
    """A template's segments, a parameter as None (``/types/{id}`` -> ("types", None))."""
    return tuple(None if seg.startswith("{") and seg.endswith("}") else seg
                 for seg in template.strip("/").split("/"))


def _literal_head(template: str) -> str | None:
    """The first segment a template's regex matches character for character, or None
    when it may match others (a parameter, regex syntax, no leading slash)."""
    head = template.split("/", 2)[1] if template.startswith("/") else ""
    return head if _PLAIN.fullmatch(head) else None


_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
"""A first segment with no regex syntax and no parameter: matched character for character."""
