"""``/os-quota-class-sets``: quota classes (``cinder/api/contrib/quota_classes.py``).

Facts of Cinder kept here (``cinder/quota.py``' ``DbQuotaDriver``, the
``update_quota_class`` schema and its ``quota_class_set`` format checker):

* ``GET /os-quota-class-sets/{class}`` (``volume_extension:quota_classes:get``,
  admin) -> 200 ``{"quota_class_set": {"id": class, <resource>: limit ...}}`` for
  every resource (the fixed ones, ``groups`` and the per-type ones): the class's own
  row, else the ``default`` class's, else the config default.  Any class name is
  answered, known or not.
* ``PUT /os-quota-class-sets/{class}`` (``...:update``, admin) ``{"quota_class_set":
  {resource: limit}}`` writes one row per key and answers the same set, without
  ``id``.  The schema runs before the policy: keys must be quota resources (``400
  Invalid input received: Bad key(s) in quota class set: a, b``, checked first),
  values integers or digit strings (``^[0-9]*$``), at least -1 and at most
  2147483647.  Unlike os-quota-sets, nothing is compared with usage.  A class name
  longer than 255 characters is a 400.
* The ``default`` class is what ``use_default_quota_class`` makes every project's
  default: its rows are :attr:`QuotaEngine.class_defaults`, so they reach
  ``os-quota-sets`` (show, ``defaults``) and every reservation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_tables import tables
from ...errors import InvalidInput
from .common import enforce, invalid_field
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["class_limits"]

ACTOR = "cinder-api"
DEFAULT_CLASS = "default"
MAX_INT = 2147483647
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. ")


def _classes(api: ApiService) -> dict[str, dict[str, int]]:
    """The ``quota_classes`` rows; the ``default`` class is the quota engine's own dict."""
    classes = tables(api.env.db).quota_classes
    if classes.get(DEFAULT_CLASS) is not api.env.quota.class_defaults:
        classes[DEFAULT_CLASS] = api.env.quota.class_defaults
    return classes


def class_limits(api: ApiService, name: str) -> dict[str, int]:
    """``get_class_quotas(context, name)``: the class's rows, else the defaults."""
    quota = api.env.quota
    own = _classes(api).get(name, {})
    return {r: own[r] if r in own else quota.default_limit(r) for r in quota.resources()}


def _validate(api: ApiService, body: Any) -> dict[str, int]:
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if "quota_class_set" not in body:
        raise HTTPError(400, "'quota_class_set' is a required property")
    extra = [k for k in body if k != "quota_class_set"]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")
    values = body["quota_class_set"]
    if not isinstance(values, dict):
        raise invalid_field("quota_class_set", values, f"{values!r} is not of type 'object'")
    # The format checker runs first and raises InvalidInput itself (not a schema error).
    known = set(api.env.quota.resources())
    bad = [str(k) for k in values if k not in known]
    if bad:
        raise InvalidInput(reason=f"Bad key(s) in quota class set: {', '.join(bad)}")
    out: dict[str, int] = {}
    for key, value in values.items():
        if not (0 < len(key) <= 300 and set(key) <= _KEY_CHARS):
            raise HTTPError(400, f"Additional properties are not allowed ('{key}' was "
                                 "unexpected)")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise invalid_field(key, value, f"{value!r} is not of type 'integer', 'string'")
        if isinstance(value, str):
            if not value:
                raise invalid_field(key, value, "'' is too short")
            if not (value.isascii() and value.isdigit()):
                raise invalid_field(key, value, f"{value!r} does not match '^[0-9]*$'")
        number = int(value)
        if number < -1:
            raise invalid_field(key, value, f"{number} is less than the minimum of -1")
        if number > MAX_INT:
            raise invalid_field(key, value,
                                f"{number} is greater than the maximum of {MAX_INT}")
        out[key] = number
    return out


def _named(class_name: str) -> None:
    """``/os-quota-class-sets/`` names no member (the collection has no index)."""
    if not class_name:
        raise HTTPError(404, "The resource could not be found.")


@route("GET", "/os-quota-class-sets/{class_name}")
async def show(api: ApiService, req: ApiRequest, class_name: str) -> ApiResponse:
    _named(class_name)
    enforce(api, req, "volume_extension:quota_classes:get")
    quota_set: dict[str, Any] = dict(class_limits(api, class_name))
    quota_set["id"] = class_name
    return ApiResponse(200, {"quota_class_set": quota_set})


@route("PUT", "/os-quota-class-sets/{class_name}")
async def update(api: ApiService, req: ApiRequest, class_name: str) -> ApiResponse:
    _named(class_name)
    values = _validate(api, req.body)
    enforce(api, req, "volume_extension:quota_classes:update")
    if not 1 <= len(class_name) <= 255:
        size = len(class_name)
        raise HTTPError(400, f"quota_class_name has {size} characters, "
                             + ("less than 1." if size < 1 else "more than 255."))
    _classes(api).setdefault(class_name, {}).update(values)
    api.env.trace.emit("quota_class.update", ACTOR,
                       f"quota class {class_name} set: "
                       + ", ".join(f"{k}={v}" for k, v in values.items()),
                       resource=f"quota_class:{class_name}", limits=values)
    return ApiResponse(200, {"quota_class_set": class_limits(api, class_name)})
