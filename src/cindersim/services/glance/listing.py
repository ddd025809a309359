"""``GET /v2/images``: Glance's filters, sorting and marker/limit pagination.

Facts (``RequestDeserializer.index`` and ``ImagesController.index``):

* ``limit`` (default 25, capped at 1000; not an integer: 400 ``limit param must
  be an integer``; negative: 400 ``limit param must be positive``), ``marker``
  (an image id the caller can see, else 400);
* sorting ``sort=key[:dir],...`` or ``sort_key``/``sort_dir`` (mixing both: 400);
  keys ``name status container_format disk_format size id created_at
  updated_at``; default ``created_at`` desc; ``created_at`` and ``id`` break ties;
* filters: ``visibility`` (``public private shared community all``), ``status``,
  ``name``, ``owner``, ``id``, ``disk_format``, ``container_format`` (each also
  ``in:a,b``), ``size_min``/``size_max``, ``protected``, ``os_hidden`` (default
  false: hidden images are left out), ``tag`` (repeatable, all must match);
  any other parameter filters an extra property by exact value;
  ``changes-since``: 400 (not in v2);
* by default a caller lists public images, its own, and (when a member) shared
  ones; community images only with ``visibility=community`` unless owned.
* ``next`` is given when a page is full.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .http import LIMIT_DEFAULT, LIMIT_MAX, GlanceError

if TYPE_CHECKING:
    from .http import Request
    from .images import GlanceService
    from .records import Image

__all__ = ["list_images"]

_SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id",
              "created_at", "updated_at")
_IN_FILTERS = ("id", "name", "status", "owner", "disk_format", "container_format")
_BOOL = {"true": True, "false": False}


def _sorting(params: list[tuple[str, str]]) -> list[tuple[str, bool]]:
    """``[(key, descending)]`` from the query."""
    keys = [v.strip() for k, v in params if k == "sort_key"]
    dirs = [v.strip() for k, v in params if k == "sort_dir"]
    sort = [v for k, v in params if k == "sort"]
    pairs: list[tuple[str, str]] = []
    if sort:
        if keys or dirs:
            raise GlanceError(400, "Old and new sorting syntax cannot be combined")
        for item in sort[-1].strip().split(","):
            key, _, direction = item.partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    else:
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise GlanceError(400, "Number of sort dirs does not match the number of "
                                   "sort keys")
        keys = keys or ["created_at"]
        dirs = dirs or ["desc"]
        pairs = [(k, dirs[i] if len(dirs) > 1 else dirs[0]) for i, k in enumerate(keys)]
    out = []
    for key, direction in pairs:
        if key not in _SORT_KEYS:
            raise GlanceError(400, f"Invalid sort key: {key}. It must be one of the "
                                   f"following: {', '.join(_SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise GlanceError(400, f"Invalid sort direction: {direction}")
        out.append((key, direction == "desc"))
    return out


def _matcher(key: str, value: str) -> Callable[[Image], bool]:
    if key in _IN_FILTERS and value.startswith("in:"):
        wanted = {v.strip('"') for v in value[3:].split(",")}
        return lambda i: str(getattr(i, key)) in wanted
    if key in _IN_FILTERS:
        return lambda i: getattr(i, key) == value
    if key in ("size_min", "size_max"):
        try:
            bound = int(value)
        except ValueError:
            raise GlanceError(400, "Unable to filter on a range with a non-numeric "
                                   "value.") from None
        if key == "size_min":
            return lambda i: i.size is not None and i.size >= bound
        return lambda i: i.size is not None and i.size <= bound
    if key == "protected":
        if value not in _BOOL:
            raise GlanceError(400, f"Invalid value '{value}' for 'protected' filter. "
                                   "Valid values are 'true' or 'false'.")
        return lambda i: i.protected is _BOOL[value]
    return lambda i: str(i.properties.get(key)) == value if key in i.properties else False


def _seen(glance: GlanceService, image: Image, req: Request, visibility: str | None) -> bool:
    project, admin = req.ctx.project_id, req.admin
    if visibility not in (None, "all") and image.visibility != visibility:
        return False
    if not glance.visible(image, project, admin=admin):
        return False
    if visibility is None and image.visibility == "community":
        return admin or glance.owns(image, project)
    return True


def _sort_value(image: Image, *, key: str) -> tuple[int, Any]:
    value = getattr(image, key)
    return (0, "") if value is None else (1, value)


def list_images(glance: GlanceService, req: Request) -> tuple[list[Image], str | None]:
    """The page of images the query asks for, and the next marker (None at the end)."""
    params = list(req.query)
    single = dict(params)
    if single.get("changes-since"):
        raise GlanceError(400, 'The "changes-since" filter is no longer available on v2.')
    visibility = single.get("visibility") or None
    if visibility not in (None, "community", "public", "private", "shared", "all"):
        raise GlanceError(400, f"Invalid visibility value: {visibility}")
    member_status = single.get("member_status", "accepted")
    if member_status not in ("pending", "accepted", "rejected", "all"):
        raise GlanceError(400, f"Invalid status: {member_status}")
    hidden = single.get("os_hidden", "false").lower()
    if hidden not in _BOOL:
        raise GlanceError(400, f"Invalid value '{hidden}' for 'os_hidden' filter. "
                               "Valid values are 'true' or 'false'.")
    limit = LIMIT_DEFAULT
    if "limit" in single:
        try:
            limit = int(single["limit"])
        except ValueError:
            raise GlanceError(400, "limit param must be an integer") from None
        if limit < 0:
            raise GlanceError(400, "limit param must be positive")
    limit = min(limit, LIMIT_MAX)
    order = _sorting(params)
    tags = [v.strip() for k, v in params if k == "tag"]
    skip = {"limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "member_status",
            "os_hidden", "tag", "changes-since"}
    matchers = [_matcher(k, v) for k, v in single.items() if k not in skip]

    images = [i for i in glance.images.values()
              if i.status != "deleted" and i.os_hidden is _BOOL[hidden]
              and _seen(glance, i, req, visibility)
              and all(t in i.tags for t in tags) and all(m(i) for m in matchers)]
    keys = [*order]
    for tiebreak in ("created_at", "id"):
        if tiebreak not in (k for k, _ in keys):
            keys.append((tiebreak, True))
    for key, descending in reversed(keys):  # stable sorts, least significant key first
        images.sort(key=functools.partial(_sort_value, key=key), reverse=descending)
    marker = single.get("marker")
    if marker is not None:
        at = next((n for n, i in enumerate(images) if i.id == marker), None)
        if at is None:
            raise GlanceError(400, f"No image found with ID {marker}")
        images = images[at + 1:]
    page = images[:limit]
    next_marker = page[-1].id if page and len(page) == limit else None
    return page, next_marker
