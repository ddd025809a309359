"""List queries as Cinder parses them: filters, sorting, marker, limit, offset, links.

Shared by every list route (``cinder/api/common.py``, ``cinder/api/api_utils.py``,
``cinder/common/sqlalchemyutils.py`` and ``etc/cinder/resource_filters.json``):

* From 3.31 (``RESOURCE_FILTER``) a non-admin's filter keys are checked against
  ``resource_filters.json``: an unknown one is ``400 Invalid filters <k1>,<k2> are
  found in query options.`` (``all_tenants`` excepted: cinderclient always sends it).
  From 3.34 (``LIKE_FILTER``) ``key~`` asks for a substring match; a non-admin may use
  it only when ``key~`` itself is configured (the default file configures none).
  Below 3.31 a non-admin's unknown filters are silently dropped instead.  Admins may
  use any key (except on pools); a key that is no column of the table matches nothing.
* ``created_at``/``updated_at`` take ``op:time[,op:time]`` with op in
  gt/gte/eq/neq/lt/lte: ``400 Invalid <op> operator`` or ``400 Invalid <time> value``.
* Sorting: ``sort=key[:dir],...`` or the deprecated ``sort_key``/``sort_dir``; a key
  that is no column is ``400 Invalid input received: Invalid sort key``; ``id`` is
  always the last key.  An unknown ``marker`` is the resource's own 404 (the DB layer
  fetches the marker row).  ``offset`` is a non-negative integer.
* A ``<collection>_links`` next link is given whenever the page is full (as many items
  as the limit, or ``osapi_max_limit``), even when nothing follows -- Cinder compares
  the limit with the page's length (or ``count`` when ``with_count`` asked for it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload
from urllib.parse import urlencode

import attrs

from ...errors import InvalidInput
from .wsgi import ApiRequest, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = [
    "PAGING_KEYS",
    "RESOURCE_FILTERS",
    "TIME_OPERATORS",
    "Page",
    "matches_time",
    "page_of",
    "parse_time_filter",
    "query_filters",
    "strict_bool",
]

T = TypeVar("T")

RESOURCE_FILTERS: Final[Mapping[str, tuple[str, ...]]] = {
    "volume": ("name", "status", "metadata", "bootable", "migration_status",
               "availability_zone", "group_id", "size", "created_at", "updated_at",
               "consumes_quota"),
    "backup": ("name", "status", "volume_id"),
    "snapshot": ("name", "status", "volume_id", "metadata", "availability_zone",
                 "consumes_quota"),
    "group": ("name",),
    "group_snapshot": ("name", "status", "group_id"),
    "attachment": ("volume_id", "status", "instance_id", "attach_status"),
    "message": ("resource_uuid", "resource_type", "event_id", "request_id",
                "message_level"),
    "pool": ("name", "volume_type"),
    "volume_type": ("is_public", "extra_specs"),
}
"""Cinder's default ``resource_filters.json`` (what ``GET /resource_filters`` lists)."""

PAGING_KEYS: Final = frozenset({"marker", "limit", "offset", "sort", "sort_key", "sort_dir"})
TIME_OPERATORS: Final = ("gt", "gte", "eq", "neq", "lt", "lte")

_TRUE: Final = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE: Final = frozenset({"0", "f", "false", "off", "n", "no"})


def query_filters(req: ApiRequest, resource: str, *, legacy_allowed: Iterable[str] | None = None,
                  skip: Iterable[str] = ()) -> dict[str, str]:
    """The request's filters (its query without paging keys and *skip*), checked.

    At 3.31 and later a non-admin's keys must be in ``resource_filters.json`` (see the
    module docstring); below it a non-admin's keys outside *legacy_allowed* (default:
    the same list) are dropped.  The last value of a repeated key wins.
    """
    skipped = set(skip) | PAGING_KEYS
    filters = {k: v[-1] for k, v in req.query.items() if k not in skipped and v}
    for key in filters:
        if not key.isascii():
            raise HTTPError(400, "Filter keys can only contain ASCII characters.")
    is_admin = bool(req.context.is_admin)
    configured = RESOURCE_FILTERS.get(resource, ())
    if req.at_least("3.31"):
        if is_admin and resource != "pool":
            return filters
        like = req.at_least("3.34")
        invalid = [k for k in filters
                   if not (k in configured or (like and f"{k}~" in configured))]
        if "all_tenants" in invalid:
            invalid.remove("all_tenants")  # bug #1917574: cinderclient always sends it
            filters.pop("all_tenants")
        if invalid:
            raise HTTPError(400, f"Invalid filters {','.join(invalid)} are found in query "
                                 "options.")
        return filters
    if not is_admin:
        allowed = set(configured if legacy_allowed is None else legacy_allowed)
        filters = {k: v for k, v in filters.items() if k in allowed}
    return filters


def strict_bool(key: str, value: str, *, strict: bool = True) -> bool:
    """``_check_boolean_filter_value``: from 3.2 only oslo's boolean strings (else
    ``400 Invalid input received: 'key = value'``); before, anything but
    ``False``/``false``/``FALSE`` (and the empty string) is true."""
    if strict:
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise InvalidInput(reason=f"'{key} = {value}'")
    if value in ("False", "false", "FALSE"):
        return False
    return bool(value)


def _parse_iso(text: str) -> datetime:
    """``timeutils.parse_isotime``, as naive UTC (how the DB holds times)."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)  # ValueError on anything else
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def parse_time_filter(value: str) -> dict[str, datetime]:
    """``_handle_time_comparison_filters`` for one value: ``op:time[,op:time]``."""
    out: dict[str, datetime] = {}
    for unit in value.split(","):
        op, _, when = unit.partition(":")
        if not _:
            when = op  # "gt" alone: the time is the operator's own text
        if op not in TIME_OPERATORS:
            raise HTTPError(400, f"Invalid {op} operator")
        try:
            out[op] = _parse_iso(when)
        except ValueError:
            raise HTTPError(400, f"Invalid {when} value") from None
    return out


def matches_time(stamp: str | None, wanted: Mapping[str, datetime]) -> bool:
    """Whether a row's timestamp passes every comparison (NULL passes none)."""
    if stamp is None:
        return False
    at = _parse_iso(stamp)
    checks: dict[str, Callable[[datetime, datetime], bool]] = {
        "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "eq": lambda a, b: a == b,
        "neq": lambda a, b: a != b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
    return all(checks[op](at, when) for op, when in wanted.items())


@attrs.frozen
class Page:
    """One page of a list: its items and the ``<collection>_links`` entries."""

    items: list[Any]
    links: list[dict[str, str]]
    total: int
    """How many items matched before marker/offset/limit (``count`` at 3.45)."""


def sortable(value: Any) -> tuple[int, Any]:
    """A sort key where None sorts first (as SQL NULLs do in ascending order), then
    numbers, then text."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))


def _sort_keys(req: ApiRequest, default_key: str, default_dir: str) -> list[tuple[str, str]]:
    """``common.get_sort_params`` then ``process_sort_params``' direction check."""
    query = req.query
    if "sort" in query and ("sort_key" in query or "sort_dir" in query):
        raise HTTPError(400, "The 'sort_key' and 'sort_dir' parameters are deprecated and "
                             "cannot be used with the 'sort' parameter.")
    keys: list[tuple[str, str]] = []
    sort = req.q("sort")
    if sort is not None:
        for part in sort.strip().split(","):
            key, _, direction = part.partition(":")
            keys.append((key.strip(), direction.strip() or default_dir))
    else:
        keys.append(((req.q("sort_key") or default_key).strip(),
                     (req.q("sort_dir") or default_dir).strip()))
    for _, direction in keys:
        if direction not in {"asc", "desc"}:
            raise InvalidInput(reason="Unknown sort direction, must be 'desc' or 'asc'.")
    if all(k != "id" for k, _ in keys):
        keys.append(("id", keys[0][1]))
    return keys


@overload
def count_param(req: ApiRequest, name: str, default: int) -> int: ...
@overload
def count_param(req: ApiRequest, name: str, default: None = None) -> int | None: ...
def count_param(req: ApiRequest, name: str, default: int | None = None) -> int | None:
    """A ``limit``/``offset``-like query parameter: an integer, 0 or more, or *default*
    when absent (``api_utils.validate_integer``'s messages)."""
    raw = req.q(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPError(400, f"{name} param must be an integer") from None
    if value < 0:
        raise HTTPError(400, f"{name} param must be positive")
    return value


def _int_param(req: ApiRequest, name: str, default: int) -> int:
    raw = req.q(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPError(400, f"{name} param must be an integer") from None


def page_of(api: ApiService, req: ApiRequest, items: Sequence[T], *, collection: str,
            field: Callable[[T, str], Any], ident: Callable[[T], str],
            columns: Iterable[str], not_found: Callable[[str], Exception],
            default_sort: str = "created_at", default_dir: str = "desc",
            aliases: Mapping[str, str] | None = None) -> Page:
    """Sort, then marker, offset and limit, and the next link, as Cinder's DB layer and
    ``ViewBuilder._get_collection_links`` do.

    *columns* are the sortable names (the table's columns); *aliases* maps API names
    to them (``name`` -> ``display_name``); *not_found* makes the 404 of an unknown
    marker (``VolumeNotFound(volume_id=marker)`` ...).
    """
    aliases = aliases or {}
    allowed = set(columns)
    keys = [(aliases.get(k, k), d) for k, d in _sort_keys(req, default_sort, default_dir)]
    for key, _ in keys:
        if key not in allowed:
            raise InvalidInput(reason="Invalid sort key")
    max_limit = int(api.env.config.default["osapi_max_limit"])
    limit = _int_param(req, "limit", max_limit)
    if limit < 0:
        raise HTTPError(400, "limit param must be positive")
    limit = min(limit, max_limit)
    offset = _offset(req)
    ordered = list(items)
    for key, direction in reversed(keys):
        ordered.sort(key=lambda it, k=key: sortable(field(it, k)),  # type: ignore[misc]
                     reverse=direction == "desc")
    marker = req.q("marker")
    if marker is not None:
        ids = [ident(it) for it in ordered]
        if marker not in ids:
            raise not_found(marker)
        ordered = ordered[ids.index(marker) + 1:]
    page = ordered[offset:offset + limit]
    links: list[dict[str, str]] = []
    counted = len(items) if req.at_least("3.45") and req.q("with_count") is not None else 0
    if page and limit <= (counted or len(page)):
        params = {k: v[-1] for k, v in req.query.items() if k != "marker"}
        params["marker"] = ident(page[-1])
        prefix = f"{api.base_url}/v3"
        if req.project_id is not None:
            prefix += f"/{req.project_id}"
        links.append({"rel": "next", "href": f"{prefix}/{collection}?{urlencode(params)}"})
    return Page(page, links, len(items))


def _offset(req: ApiRequest) -> int:
    """``api_utils.validate_integer(offset, 'offset', 0, DB_MAX_INT)``."""
    raw = req.q("offset")
    if raw is None:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise HTTPError(400, "offset must be an integer") from None
    if value < 0:
        raise HTTPError(400, "offset must be >= 0")
    if value > 0x7FFFFFFF:
        raise HTTPError(400, f"offset must be <= {0x7FFFFFFF}")
    return value
