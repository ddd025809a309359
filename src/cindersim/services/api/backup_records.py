"""``GET /backups/{id}/export_record`` and ``POST /backups/import_record`` (admin).

Follows ``cinder/api/contrib/backups.py``, the ``import_record`` schema and
``export_record`` / ``_get_import_backup`` / ``import_record`` of
``cinder/backup/api.py`` (cinder-backup's half is
:mod:`cindersim.services.backup.records`):

* **export** (``backup:export-import``): another project's backup is a 404; the
  backup must be ``available`` (``400 Invalid backup: Backup status must be
  available and not <s>.``); cinder-api picks a live backup host, *calls*
  ``export_record`` there and answers 200 ``{"backup-record": {"backup_service",
  "backup_url"}}`` (an ``InvalidBackup`` from the backup service is a 400 too).
* **import** (``backup:backup-import``; the schema first: ``backup-record`` with
  exactly ``backup_service`` (a string <= 255) and ``backup_url`` (non-empty
  base64)): with no backup service up and enabled, ``503 Service <s> could not be
  found.``  The URL must decode to a record with an ``id`` and a ``size`` (``400
  Invalid input received: ...``); a backup with that id that is not deleted is
  ``400 Invalid backup: Backup already exists in database.``  Quota is reserved
  (backups +1, backup_gigabytes +size: 413 when over) and committed, the row
  written ``creating`` in the caller's project with the placeholder volume
  ``00000000-0000-0000-0000-000000000000``, and ``import_record`` cast to the last
  live backup host (with the others to try after it).  **201** with the summary
  view; the backup turns ``available`` (or ``error``) when cinder-backup is done.
* Deleted backups are gone from the simulator's table (Cinder soft-deletes and
  revives the row): importing a deleted backup's record writes a new row with the
  same id, which is what a client sees either way.
* A backup_url that is not valid base64 (bad padding) makes Cinder's format
  checker raise outside the validator, a 500; the simulator answers the
  ``Can't parse backup record.`` 400 its decoder gives for the same text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...backup_record import decode_record
from ...bus import Target
from ...db import Backup
from ...errors import InvalidBackup, InvalidInput, OverQuota
from ...states import BackupStatus, Op
from ..quota import over_quota_error
from .backups import backup_summary
from .common import enforce, invalid_field, read_scope
from .router import route
from .wsgi import ApiRequest, ApiResponse, HTTPError

if TYPE_CHECKING:
    from ...db import Service
    from .service import ApiService

ACTOR = "cinder-api"
IMPORT_VOLUME_ID = "00000000-0000-0000-0000-000000000000"
"""``cinder.backup.api.IMPORT_VOLUME_ID``: the volume of a backup being imported."""


def _live_backup_services(api: ApiService) -> list[Service]:
    """``_list_backup_hosts``: cinder-backup services up and not disabled."""
    now = api.env.sim.now()
    down_time = float(api.env.config.default["service_down_time"])
    return [s for s in api.env.db.services_of("cinder-backup")
            if not s.disabled and s.is_up(now, down_time)]


@route("GET", "/backups/{backup_id}/export_record")
async def export_record(api: ApiService, req: ApiRequest, backup_id: str) -> ApiResponse:
    env = api.env
    backup = env.db.get_backup(backup_id, read_scope(req))
    enforce(api, req, "backup:export-import", backup.project_id)
    if backup.status != BackupStatus.AVAILABLE:
        raise InvalidBackup(reason=f"Backup status must be available and not "
                                   f"{backup.status}.")
    # _get_available_backup_service_host: the backup's own host while it is up,
    # else any live one (ServiceNotFound, a 404, when there is none).
    live = _live_backup_services(api)
    hosts = [s.host for s in live]
    if not hosts:
        raise HTTPError(404, "Service cinder-backup could not be found.")
    host = backup.host if backup.host in hosts else hosts[0]
    backup.host = host
    record: dict[str, Any] = await env.bus.call(ACTOR, Target("cinder-backup", host),
                                                "export_record", backup_id=backup.id)
    return ApiResponse(200, {"backup-record": {"backup_service": record["backup_service"],
                                               "backup_url": record["backup_url"]}})


def _import_body(req: ApiRequest) -> tuple[str, str]:
    """The ``import_record`` schema: backup_service and backup_url."""
    body = req.body
    if not isinstance(body, dict):
        raise HTTPError(400, f"{body!r} is not of type 'object'")
    if "backup-record" not in body:
        raise HTTPError(400, "'backup-record' is a required property")
    extra = [k for k in body if k != "backup-record"]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise HTTPError(400, f"Additional properties are not allowed ({listed} {verb} "
                             "unexpected)")
    inner = body["backup-record"]
    if not isinstance(inner, dict):
        raise invalid_field("backup-record", inner, f"{inner!r} is not of type 'object'")
    service = inner.get("backup_service")
    if "backup_service" in inner:
        if not isinstance(service, str):
            raise invalid_field("backup_service", service,
                                f"{service!r} is not of type 'string'")
        if len(service) > 255:
            raise invalid_field("backup_service", service, f"{service!r} is too long")
    url = inner.get("backup_url")
    if "backup_url" in inner:
        if not isinstance(url, str):
            raise invalid_field("backup_url", url, f"{url!r} is not of type 'string'")
        if not url:
            raise invalid_field("backup_url", url, "'' is too short")
    for key in ("backup_service", "backup_url"):
        if key not in inner:
            raise invalid_field("backup-record", inner, f"'{key}' is a required property")
    extra = [k for k in inner if k not in ("backup_service", "backup_url")]
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise invalid_field("backup-record", inner, f"Additional properties are not allowed "
                                                    f"({listed} {verb} unexpected)")
    assert isinstance(service, str)
    assert isinstance(url, str)
    return service, url


@route("POST", "/backups/import_record")
async def import_record(api: ApiService, req: ApiRequest) -> ApiResponse:
    env = api.env
    db = env.db
    ctx = req.context
    backup_service, backup_url = _import_body(req)
    enforce(api, req, "backup:backup-import")
    hosts = [s.host for s in _live_backup_services(api)]
    if not hosts:
        raise HTTPError(503, f"Service {backup_service} could not be found.")
    record = decode_record(backup_url)
    if "id" not in record:
        raise InvalidInput(reason="Provided backup record is missing an id")
    if "size" not in record:
        raise InvalidInput(reason="Provided backup record is missing size attribute")
    backup_id, size = record["id"], record["size"]
    if not isinstance(backup_id, str) or not backup_id:
        raise InvalidInput(reason="Provided backup record has an invalid id")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidInput(reason="Provided backup record has an invalid size")
    if backup_id in db.backups:
        raise InvalidBackup(reason="Backup already exists in database.")
    try:
        reservations = env.quota.reserve(ctx.project_id, env.quota.backup_deltas(size))
    except OverQuota as exc:
        raise over_quota_error(exc, "backups", size) from exc
    backup = Backup(id=backup_id, project_id=ctx.project_id, user_id=ctx.user_id,
                    volume_id=IMPORT_VOLUME_ID, size=size, status=BackupStatus.CREATING)
    db.add(backup, op=Op.BACKUP_IMPORT, actor=ACTOR)
    env.quota.commit(reservations)
    first = hosts.pop()
    env.bus.cast(ACTOR, Target("cinder-backup", first), "import_record", backup_id=backup.id,
                 backup_service=backup_service, backup_url=backup_url, backup_hosts=hosts)
    return ApiResponse(201, {"backup": backup_summary(api, req, backup)})
