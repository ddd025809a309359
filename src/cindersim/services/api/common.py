"""What every controller needs: policy, body validation, scoping and pagination.

Validation mirrors Cinder's JSON-schema validation closely enough that a
client sees the same code (400) and a message of the same shape; it always
happens before anything is written, so a rejected request changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from ...errors import InvalidInput
from .listing import sortable
from .wsgi import ApiRequest, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = [
    "admin",
    "body_of",
    "check_keys",
    "enforce",
    "invalid_field",
    "is_uuid_like",
    "link",
    "opt_bool",
    "opt_int",
    "opt_metadata",
    "opt_name",
    "opt_str",
    "opt_uuid",
    "paginate",
    "read_scope",
]

T = TypeVar("T")
MAX_INT = 2**31 - 1


def enforce(api: ApiService, req: ApiRequest, action: str,
            target_project_id: str | None = None) -> None:
    """Cinder's policy check (403 ``Policy doesn't allow ... to be performed.``)."""
    api.policy.enforce(req.context, action,
                             target_project_id if target_project_id is not None
                             else req.context.project_id)


def admin(req: ApiRequest) -> bool:
    return bool(req.context.is_admin)


def read_scope(req: ApiRequest) -> str | None:
    """The project a GET by id is limited to: admins see everything, others their own."""
    return None if admin(req) else req.context.project_id


def invalid_field(field: str, value: Any, reason: str) -> HTTPError:
    """A JSON-schema style 400, as cinder.api.validation words it."""
    return HTTPError(400, f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def body_of(req: ApiRequest, key: str) -> dict[str, Any]:
    """``body[key]`` as a dict, or the 400 Cinder gives for a missing/ill-typed element."""
    try:  # a body is a JSON value: only an object (a dict) has string keys
        inner = req.body[key]
    except (KeyError, TypeError, IndexError):
        # The JSON-schema ``required`` failure at the top level has no path, so
        # Cinder's validator reports jsonschema's own words.
        raise HTTPError(400, f"'{key}' is a required property") from None
    if not isinstance(inner, dict):
        raise invalid_field(key, inner, f"{_js(inner)} is not of type 'object'")
    return inner


def check_keys(obj: Mapping[str, Any], allowed: Iterable[str], *, strict: bool,
               field: str | None = None) -> None:
    """Reject unknown keys when the microversion's schema forbids them.

    *field* names the object when it is nested (``volume`` in ``{"volume": {...}}``):
    Cinder's validator then prefixes "Invalid input for field/attribute <field>.
    Value: <obj>." as for any error with a path.
    """
    if not strict:
        return
    unexpected = obj.keys() - allowed  # one C-level set difference, nearly always empty
    if unexpected:
        extra = [k for k in obj if k in unexpected]  # in the body's order
        listed = ", ".join(f"'{k}'" for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        reason = f"Additional properties are not allowed ({listed} {verb} unexpected)"
        if field is not None:
            raise invalid_field(field, dict(obj), reason)
        raise HTTPError(400, reason)


def _js(value: Any) -> str:
    return repr(value)


def opt_str(obj: Mapping[str, Any], key: str, *, max_len: int = 255,
            nullable: bool = True) -> str | None:
    if key not in obj or (obj[key] is None and nullable):
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{_js(value)} is not of type 'string'")
    if len(value) > max_len:
        raise invalid_field(key, value, f"{_js(value)} is too long")
    return value


def opt_int(obj: Mapping[str, Any], key: str, *, minimum: int = 0,
            maximum: int = MAX_INT) -> int | None:
    """An integer, or a string of digits (Cinder's schemas accept both)."""
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is not int:  # a plain int (the usual case) needs no other test
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise invalid_field(key, value, f"{_js(value)} is not of type 'integer', 'string'")
        if isinstance(value, str):
            # The schemas' string pattern is '^[0-9]+$': no sign, no spaces.
            if not value.isdigit() or not value.isascii():
                raise invalid_field(key, value, f"{_js(value)} does not match '^[0-9]+$'")
            value = int(value)
    if value < minimum:
        raise invalid_field(key, value, f"{value} is less than the minimum of {minimum}")
    if value > maximum:
        raise invalid_field(key, value, f"{value} is greater than the maximum of {maximum}")
    return value


_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}


def opt_bool(obj: Mapping[str, Any], key: str) -> bool | None:
    """A boolean, or one of oslo's boolean strings."""
    if key not in obj or obj[key] is None:
        return None
    value = obj[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise invalid_field(key, value, f"{_js(value)} is not of type 'boolean', 'string'")


_METADATA_KEY = re.compile(r"^[a-zA-Z0-9-_:. /]{1,255}$")
"""``parameter_types.extra_specs``' patternProperties: the keys metadata may have."""


def opt_metadata(obj: Mapping[str, Any], key: str = "metadata", *,
                 nullable: bool = True) -> dict[str, str] | None:
    """Cinder's ``metadata`` schema: keys match ``[a-zA-Z0-9-_:. /]{1,255}``, values
    are strings of at most 255 characters.  An error about one value names that
    value's key as the field, since the validator reports the deepest path."""
    if key not in obj or (obj[key] is None and nullable):
        return None
    value = obj[key]
    if not isinstance(value, dict):
        kinds = "'object', 'null'" if nullable else "'object'"
        raise invalid_field(key, value, f"{_js(value)} is not of type {kinds}")
    bad = [k for k in value if not _METADATA_KEY.match(k)]
    if bad:
        listed = ", ".join(_js(k) for k in bad)
        verb = "were" if len(bad) > 1 else "was"
        raise invalid_field(key, value, f"Additional properties are not allowed ({listed} "
                                        f"{verb} unexpected)")
    for k, v in value.items():
        if not isinstance(v, str):
            raise invalid_field(k, v, f"{_js(v)} is not of type 'string'")
        if len(v) > 255:
            raise invalid_field(k, v, f"{_js(v)} is too long")
    return {str(k): str(v) for k, v in value.items()}


def opt_name(obj: Mapping[str, Any], key: str, entity: str) -> str | None:
    """A name or description (``*_non_mandatory_remove_white_spaces`` formats).

    Strings or null; surrounding whitespace is stripped (the controller stores the
    stripped value); longer than 255 characters is ``InvalidInput`` with
    oslo's ``check_string_length`` words, e.g. "name has 256 characters, more than 255."
    """
    if key not in obj or obj[key] is None:
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{_js(value)} is not of type 'string', 'null'")
    value = value.strip()
    if len(value) > 255:
        raise InvalidInput(reason=f"{entity} has {len(value)} characters, more than 255.")
    return value


_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")


def is_uuid_like(value: str) -> bool:
    """``oslo_utils.uuidutils.is_uuid_like`` (dashes optional, any case)."""
    return bool(_UUID.match(value))


def opt_uuid(obj: Mapping[str, Any], key: str) -> str | None:
    """``parameter_types.optional_uuid``: a uuid string or null."""
    if key not in obj or obj[key] is None:
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise invalid_field(key, value, f"{_js(value)} is not of type 'string', 'null'")
    if not is_uuid_like(value):
        raise invalid_field(key, value, f"{_js(value)} is not a 'uuid'")
    return value


def link(api: ApiService, req: ApiRequest, collection: str, rid: str) -> list[dict[str, str]]:
    """The ``self`` and ``bookmark`` links Cinder's view builders add."""
    project = req.context.project_id if req.project_id is None else req.project_id
    base = api.base_url
    return [{"rel": "self", "href": f"{base}/v3/{project}/{collection}/{rid}"},
            {"rel": "bookmark", "href": f"{base}/{project}/{collection}/{rid}"}]


def _sort_keys(req: ApiRequest, default_key: str) -> list[tuple[str, str]]:
    """``sort=key:dir,key`` or ``sort_key``/``sort_dir``; default ``created_at`` desc."""
    keys: list[tuple[str, str]] = []
    sort = req.q("sort")
    if sort is not None:
        if req.q("sort_key") is not None or req.q("sort_dir") is not None:
            raise HTTPError(400, "The 'sort_key' and 'sort_dir' parameters are deprecated and "
                                 "cannot be used with the 'sort' parameter.")
        for part in sort.split(","):
            key, _, direction = part.strip().partition(":")
            direction = direction or "desc"
            if direction not in {"asc", "desc"}:
                raise HTTPError(400, f"Invalid sort direction: {direction}")
            keys.append((key.strip(), direction))
    else:
        sort_key = req.q("sort_key") or default_key
        sort_dir = req.q("sort_dir") or "desc"
        if sort_dir not in {"asc", "desc"}:
            raise HTTPError(400, f"Invalid sort direction: {sort_dir}")
        keys.append((sort_key, sort_dir))
    return keys


def paginate(api: ApiService, req: ApiRequest, items: Sequence[T], *, collection: str,
             field: Callable[[T, str], Any], ident: Callable[[T], str],
             sort_fields: Iterable[str], default_sort: str = "created_at",
             ) -> tuple[list[T], list[dict[str, str]]]:
    """Sort, apply marker and limit, and build the ``next`` link, as Cinder's common.py.

    Returns the page and the ``<collection>_links`` list (empty when there is no more).
    """
    keys = _sort_keys(req, default_sort)
    allowed = set(sort_fields)
    for key, _ in keys:
        if key not in allowed:
            raise InvalidInput(reason=f"Invalid sort key {key}")
    ordered = list(items)
    # Cinder always adds id as the last key, in the direction of the first.
    keys_with_id = [*keys, ("id", keys[0][1])] if all(k != "id" for k, _ in keys) else keys
    for key, direction in reversed(keys_with_id):
        def sort_value(it: T, k: str = key) -> tuple[int, Any]:
            return sortable(field(it, k))

        ordered.sort(key=sort_value, reverse=direction == "desc")
    marker = req.q("marker")
    if marker is not None:
        ids = [ident(it) for it in ordered]
        if marker not in ids:
            raise InvalidInput(reason=f"marker [{marker}] not found")
        ordered = ordered[ids.index(marker) + 1:]
    max_limit = int(api.env.config.default["osapi_max_limit"])
    raw_limit = req.q("limit")
    limit = max_limit
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise HTTPError(400, "limit param must be an integer") from None
        if limit < 0:
            raise HTTPError(400, "limit param must be positive")
        limit = min(limit, max_limit)
    page = ordered[:limit]
    links: list[dict[str, str]] = []
    if page and len(page) == limit and len(ordered) > limit:
        params = {k: v[-1] for k, v in req.query.items() if k != "marker"}
        params["marker"] = ident(page[-1])
        project = req.context.project_id if req.project_id is None else req.project_id
        links.append({"href": f"{api.base_url}/v3/{project}/{collection}?{urlencode(params)}",
                      "rel": "next"})
    return page, links


def list_body(req: ApiRequest, key: str, views: list[Any], links: list[dict[str, str]],
              total: int, *, countable: bool = True) -> dict[str, Any]:
    """A list response as Cinder's view builders make it: ``{key: [...]}``, the
    ``<key>_links`` next link when there is more, and ``count`` (3.45, ``with_count``)."""
    body: dict[str, Any] = {key: views}
    if links:
        body[f"{key}_links"] = links
    if countable and req.at_least("3.45") and req.q_bool("with_count"):
        body["count"] = total
    return body
