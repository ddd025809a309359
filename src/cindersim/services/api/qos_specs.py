"""``/qos-specs`` (``cinder/api/contrib/qos_specs_manage.py``,
``cinder/api/schemas/qos_specs.py``, ``cinder/volume/qos_specs.py``,
``cinder/api/views/qos_specs.py``); every route is ``admin_api``.

* Create: ``{"qos_specs": {"name": ..., "consumer": ..., <spec>: <value>...}}``;
  ``consumer`` defaults to ``back-end`` and must be front-end/back-end/both (400
  ``Invalid qos specs: ...``); a taken name is ``409 QoS Specs <name> already
  exists.``.  Create and show answer ``{"qos_specs": {id, name, consumer, specs},
  "links": [...]}``.
* Update (``PUT``) merges specs (``consumer`` checked again) and echoes the body.
* Delete: 202; associated with a type and not ``force`` is ``400 Qos specs still in
  use.``; ``force`` disassociates first.  ``PUT .../delete_keys`` removes keys
  (``404 QoS spec <id> has no spec with key <k>.``).
* ``GET .../associations`` lists the types; ``.../associate?vol_type_id=`` (a type
  with other specs: ``400 Invalid volume type: Type <t> is already associated with
  another qos specs: <q>``), ``.../disassociate?vol_type_id=`` and
  ``.../disassociate_all`` answer 202.  A missing ``vol_type_id`` is ``400 Volume Type
  id must not be None.``; an unknown id ``404 No such QoS spec <id>.``.

The front-end specs Cinder hands out in ``connection_info['data']['qos_specs']`` at
initialize_connection are the volume manager's part (not modelled here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...db_tables import QosSpecs, tables
from ...errors import InvalidVolumeType
from .common import enforce, link
from .listing import page_of, query_filters
from .router import route
from .volume_list import bool_param
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from .service import ApiService

__all__ = ["CONSUMERS", "qos_of_type"]

ACTOR = "cinder-api"
CONSUMERS = ("front-end", "back-end", "both")
_SPEC_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            "-_:.")


def qos_of_type(api: ApiService, type_id: str) -> QosSpecs | None:
    """The specs associated with a type (what the volume manager would hand out)."""
    vtype = api.env.db.volume_types.get(type_id)
    if vtype is None or vtype.qos_specs_id is None:
        return None
    return tables(api.env.db).qos_specs.get(vtype.qos_specs_id)


def _get(api: ApiService, specs_id: str) -> QosSpecs:
    spec = tables(api.env.db).qos_specs.get(specs_id)
    if spec is None:
        raise HTTPError(404, f"No such QoS spec {specs_id}.")
    return spec


def _view(api: ApiService, req: ApiRequest, spec: QosSpecs) -> dict[str, Any]:
    return {"id": spec.id, "name": spec.name, "consumer": spec.consumer,
            "specs": dict(spec.specs)}


def _check_consumer(consumer: Any) -> str:
    if consumer not in CONSUMERS:
        raise HTTPError(400, "Invalid qos specs: Valid consumer of QoS specs are: "
                             "['front-end', 'back-end', 'both']")
    return str(consumer)


def _emit(api: ApiService, summary: str, spec: QosSpecs, **detail: Any) -> None:
    api.env.trace.emit("qos_specs.change", ACTOR, summary, resource=f"qos_specs:{spec.id}",
                       name=spec.name, **detail)


@route("GET", "/qos-specs")
async def index(api: ApiService, req: ApiRequest) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:get_all")
    filters = query_filters(req, "qos_specs", legacy_allowed=("id", "name", "consumer"))
    specs = [s for s in tables(api.env.db).qos_specs.values()
             if all(str(getattr(s, k, None)) == v for k, v in filters.items())]
    page = page_of(api, req, specs, collection="qos-specs",
                   field=lambda s, k: getattr(s, k, None), ident=lambda s: s.id,
                   columns=("id", "name", "consumer", "created_at", "updated_at"),
                   not_found=lambda m: HTTPError(404, f"No such QoS spec {m}."))
    body: dict[str, Any] = {"qos_specs": [_view(api, req, s) for s in page.items]}
    if page.links:
        body["qos_specs_links"] = page.links
    return ApiResponse(200, body)


@route("POST", "/qos-specs")
async def create(api: ApiService, req: ApiRequest) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or "qos_specs" not in body:
        raise HTTPError(400, "'qos_specs' is a required property")
    extra = [k for k in body if k != "qos_specs"]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise HTTPError(400, f"Additional properties are not allowed ({listed} "
                             f"{'were' if len(extra) > 1 else 'was'} unexpected)")
    specs = body["qos_specs"]
    if not isinstance(specs, dict):
        raise HTTPError(400, f"Invalid input for field/attribute qos_specs. Value: {specs}. "
                             f"{specs!r} is not of type 'object'")
    if "name" not in specs:
        raise HTTPError(400, f"Invalid input for field/attribute qos_specs. Value: {specs}. "
                             "'name' is a required property")
    name = specs["name"]
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 255:
        raise HTTPError(400, f"Invalid input for field/attribute name. Value: {name}. "
                             f"{name!r} is not a 'name_skip_leading_trailing_spaces'")
    enforce(api, req, "volume_extension:qos_specs_manage:create")
    name = name.strip()
    values = {k: v for k, v in specs.items() if k != "name"}
    consumer = _check_consumer(values.pop("consumer", "back-end"))
    rows = tables(api.env.db).qos_specs
    if any(s.name == name for s in rows.values()):
        raise HTTPError(409, f"QoS Specs {name} already exists.")
    now = api.env.db.stamp()
    spec = QosSpecs(id=api.env.sim.ids.uuid(), name=name, consumer=consumer,
                    specs={str(k): str(v) for k, v in values.items()}, created_at=now)
    rows[spec.id] = spec
    _emit(api, f"qos specs {name} created", spec, consumer=consumer, specs=dict(spec.specs))
    return ApiResponse(200, {"qos_specs": _view(api, req, spec),
                             "links": link(api, req, "qos-specs", spec.id)})


@route("GET", "/qos-specs/{specs_id}")
async def show(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:get")
    spec = _get(api, specs_id)
    return ApiResponse(200, {"qos_specs": _view(api, req, spec),
                             "links": link(api, req, "qos-specs", spec.id)})


@route("PUT", "/qos-specs/{specs_id}")
async def update(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or "qos_specs" not in body:
        raise HTTPError(400, "'qos_specs' is a required property")
    specs = body["qos_specs"]
    if not isinstance(specs, dict):
        raise HTTPError(400, f"Invalid input for field/attribute qos_specs. Value: {specs}. "
                             f"{specs!r} is not of type 'object'")
    for key, value in specs.items():
        if not (0 < len(key) <= 255 and set(key) <= _SPEC_KEY_CHARS):
            raise HTTPError(400, f"Invalid input for field/attribute qos_specs. Value: "
                                 f"{specs}. Additional properties are not allowed "
                                 f"({key!r} was unexpected)")
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise HTTPError(400, f"Invalid input for field/attribute {key}. Value: {value}. "
                                 f"{value!r} is not of type 'string', 'null'")
    enforce(api, req, "volume_extension:qos_specs_manage:update")
    spec = _get(api, specs_id)
    if "consumer" in specs:
        spec.consumer = _check_consumer(specs["consumer"])
    spec.specs.update({k: str(v) for k, v in specs.items()
                       if k != "consumer" and v is not None})
    spec.updated_at = api.env.db.stamp()
    _emit(api, f"qos specs {spec.name} updated", spec, specs=dict(spec.specs))
    return ApiResponse(200, body)


def _types_of(api: ApiService, specs_id: str) -> list[Any]:
    return [t for t in api.env.db.volume_types.values() if t.qos_specs_id == specs_id]


@route("DELETE", "/qos-specs/{specs_id}")
async def delete(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:delete")
    force = bool_param(req, "force")
    spec = _get(api, specs_id)
    associated = _types_of(api, specs_id)
    if associated and not force:
        raise HTTPError(400, "Qos specs still in use.")
    for vtype in associated:
        vtype.qos_specs_id = None
    del tables(api.env.db).qos_specs[specs_id]
    _emit(api, f"qos specs {spec.name} deleted", spec, force=force)
    return ApiResponse(202, None)


@route("PUT", "/qos-specs/{specs_id}/delete_keys")
async def delete_keys(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    body = req.body
    if not isinstance(body, dict) or "keys" not in body:
        raise HTTPError(400, "'keys' is a required property")
    keys = body["keys"]
    if not isinstance(keys, list) or not all(isinstance(k, str) and 0 < len(k) <= 255
                                             for k in keys):
        raise HTTPError(400, f"Invalid input for field/attribute keys. Value: {keys}. "
                             f"{keys!r} is not of type 'array'")
    if len(set(keys)) != len(keys):
        raise HTTPError(400, f"Invalid input for field/attribute keys. Value: {keys}. "
                             f"{keys!r} has non-unique elements")
    enforce(api, req, "volume_extension:qos_specs_manage:delete")
    spec = _get(api, specs_id)
    for key in keys:
        if key not in spec.specs:
            raise HTTPError(404, f"QoS spec {specs_id} has no spec with key {key}.")
    spec.specs = {k: v for k, v in spec.specs.items() if k not in keys}
    spec.updated_at = api.env.db.stamp()
    _emit(api, f"qos specs {spec.name} lost {', '.join(keys)}", spec, specs=dict(spec.specs))
    return ApiResponse(202, None)


@route("GET", "/qos-specs/{specs_id}/associations")
async def associations(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:get_all")
    _get(api, specs_id)
    return ApiResponse(200, {"qos_associations": [
        {"association_type": "volume_type", "name": t.name, "id": t.id}
        for t in _types_of(api, specs_id)]})


def _type_param(api: ApiService, req: ApiRequest, specs_id: str) -> Any:
    type_id = req.q("vol_type_id")
    if type_id is None:
        raise HTTPError(400, "Volume Type id must not be None.")
    _get(api, specs_id)
    return api.env.db.get_volume_type(type_id)


@route("GET", "/qos-specs/{specs_id}/associate")
async def associate(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:update")
    vtype = _type_param(api, req, specs_id)
    if vtype.qos_specs_id not in (None, specs_id):
        raise InvalidVolumeType(reason=f"Type {vtype.id} is already associated with "
                                       f"another qos specs: {vtype.qos_specs_id}")
    vtype.qos_specs_id = specs_id
    _emit(api, f"qos specs associated with type {vtype.name}", _get(api, specs_id),
          volume_type_id=vtype.id)
    return ApiResponse(202, None)


@route("GET", "/qos-specs/{specs_id}/disassociate")
async def disassociate(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:update")
    vtype = _type_param(api, req, specs_id)
    if vtype.qos_specs_id == specs_id:
        vtype.qos_specs_id = None
        _emit(api, f"qos specs disassociated from type {vtype.name}", _get(api, specs_id),
              volume_type_id=vtype.id)
    return ApiResponse(202, None)


@route("GET", "/qos-specs/{specs_id}/disassociate_all")
async def disassociate_all(api: ApiService, req: ApiRequest, specs_id: str) -> ApiResponse:
    enforce(api, req, "volume_extension:qos_specs_manage:update")
    spec = _get(api, specs_id)
    for vtype in _types_of(api, specs_id):
        vtype.qos_specs_id = None
    _emit(api, f"qos specs {spec.name} disassociated from every type", spec)
    return ApiResponse(202, None)
