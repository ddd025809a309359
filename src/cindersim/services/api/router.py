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


class Router:
    """Matches (method, path) to a route; knows which first segments are collections."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.collections: set[str] = set()
        self._slash_counts: set[int] = set()
        self._shaped: dict[tuple[int, str, Version], list[Route]] = {}
        """Memo of :meth:`_candidates`: (slashes, first segment, version) -> routes."""

    def add_module(self, module: Any) -> None:
        """Register every ``@route`` function of a controller module, in definition order."""
        for value in vars(module).values():
            for r in getattr(value, "__cindersim_routes__", []):
                self.add(r)

    def add(self, r: Route) -> None:
        self.routes.append(r)
        self.collections.add(r.collection)
        self._slash_counts.add(r.template.count("/"))
        self._shaped.clear()

    def match(self, method: str, path: str,
              version: Version) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, params, path_exists).

        ``path_exists`` tells 405 (path known, method not) from 404.  A route
        whose minimum microversion is above the request's is treated as absent
        (404), as Cinder's versioned method dispatch does.
        """
        path_exists = False
        for r in self._candidates(path, version):
            m = r.regex.match(path)
            if m is None:
                continue
            path_exists = True
            if r.method == method:
                return r, m.groupdict(), True
        return None, {}, path_exists

    def _candidates(self, path: str, version: Version) -> list[Route]:
        """The routes that may match *path* at *version*, in registration order.

        A parameter never matches a ``/``, so a route can only match a path with as
        many slashes, whose first segment is the route's literal first segment.
        Those lists are memoised per (slashes, first segment, version), a small
        domain, so a request tries a few regexes instead of every route's.
        """
        slashes = path.count("/")
        if slashes not in self._slash_counts:
            return []  # no template has this many slashes: no regex can match
        first = path.split("/", 2)[1] if path.startswith("/") else ""
        if first not in self.collections or "\n" in path:
            # Rare (no such collection, or a newline, which "$" lets end a path):
            # the plain scan, not memoised, since its domain is unbounded.
            return [r for r in self.routes if r.min_version <= version <= r.max_version]
        key = (slashes, first, version)
        found = self._shaped.get(key)
        if found is None:
            found = self._shaped[key] = [
                r for r in self.routes
                if r.min_version <= version <= r.max_version
                and r.template.count("/") == slashes
                and _literal_head(r.template) in (first, None)]
        return found


def _literal_head(template: str) -> str | None:
    """The first segment a template's regex matches character for character, or None
    when it may match others (a parameter, regex syntax, no leading slash)."""
    head = template.split("/", 2)[1] if template.startswith("/") else ""
    return head if _PLAIN.fullmatch(head) else None


_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
"""A first segment with no regex syntax and no parameter: matched character for character."""
