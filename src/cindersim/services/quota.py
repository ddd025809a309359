"""Cinder's quota engine: limits, reservations, commits and the 413s they become.

Follows ``cinder/quota.py`` and ``quota_reserve`` / ``reservation_commit`` /
``reservation_rollback`` / ``reservation_expire`` of ``cinder/db/sqlalchemy/api.py``:

* A resource is over when its limit is >= 0, its delta is >= 0 and
  ``in_use + reserved + delta > limit``.  Negative deltas are always allowed.
* Reserving writes one reservation row per resource; only positive deltas
  raise ``reserved``.  Commit moves a delta into ``in_use`` (and out of
  ``reserved`` when positive); rollback and expiry only undo ``reserved``.
* Creates commit at the API, so a volume in ``error`` keeps its quota until deleted.

The usage and reservation rows live in :class:`~cindersim.db.Database`; this
module holds only the deployment's defaults.  A rejected reservation writes
nothing at all (not even the zero usage rows Cinder would create), so
"a rejected request changed nothing" can be checked by fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from cindersim.db import Database, QuotaUsage, Reservation, VolumeType
from cindersim.errors import (
    BackupLimitExceeded,
    InvalidInput,
    NotFound,
    OverQuota,
    QuotaError,
    SnapshotLimitExceeded,
    VolumeBackupSizeExceedsAvailableQuota,
    VolumeLimitExceeded,
    VolumeSizeExceedsAvailableQuota,
    VolumeSizeExceedsLimit,
)
from cindersim.ids import IdFactory

__all__ = [
    "BASE_RESOURCES",
    "CONFIG_OPTIONS",
    "DEFAULT_LIMITS",
    "GroupLimitExceeded",
    "QuotaEngine",
    "QuotaResourceUnknown",
    "ResourceUsage",
    "UnexpectedOverQuota",
    "over_quota_error",
]

BASE_RESOURCES: tuple[str, ...] = (
    "volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups",
    "per_volume_gigabytes")
"""The fixed resources, in the order os-quota-sets shows them."""

_RESERVABLE = frozenset(BASE_RESOURCES) - {"per_volume_gigabytes"}

DEFAULT_LIMITS: Mapping[str, int] = {
    "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
    "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1}
"""cinder.conf defaults.  Per-type ``volumes_<t>``/``gigabytes_<t>``/``snapshots_<t>`` are -1."""

CONFIG_OPTIONS: Mapping[str, str] = {
    "quota_volumes": "volumes", "quota_snapshots": "snapshots",
    "quota_gigabytes": "gigabytes", "quota_backups": "backups",
    "quota_backup_gigabytes": "backup_gigabytes", "quota_groups": "groups",
    "per_volume_size_limit": "per_volume_gigabytes"}
"""cinder.conf option -> resource.  ``per_volume_size_limit`` is Cinder's name for it."""

_PER_TYPE_PREFIXES = ("volumes", "gigabytes", "snapshots")
_MAX_LIMIT = 2147483647  # the os-quota-sets schema's upper bound
RESERVATION_EXPIRE = 86400
"""``reservation_expire``: seconds a reservation lives before the periodic task drops it."""


_VolumePlan = tuple[VolumeType | None, tuple[str, ...], tuple[tuple[str, str], ...]]
"""A (project, type)'s :meth:`QuotaEngine.commit_volume` plan: the type (None: no type),
its resources in ``volume_deltas`` order, and their ``quota_usages`` keys."""
_NO_PLAN: _VolumePlan = (None, (), ())
"""What :meth:`QuotaEngine.commit_volume` reads where there is no plan (no resources)."""
_MAX_PLANS = 4096
"""Plans kept before the map is emptied (a plan of a deleted type is never used again)."""

def _still(types: Mapping[str, VolumeType], vtype: VolumeType, name: str | None) -> bool:
    """Whether *vtype* is still stored under its id with the *name* something kept for
    it was made from: a rename or a delete makes every such thing stale at once."""
    return vtype.name == name and types.get(vtype.id) is vtype


ResourceUsage = dict[str, int]
"""``{"limit": ..., "in_use": ..., "reserved": ...}`` (os-quota-sets ``?usage=true``)."""


class GroupLimitExceeded(QuotaError):
    """cinder.exception.GroupLimitExceeded (belongs in errors.py)."""

    message = "Maximum number of groups allowed (%(allowed)d) exceeded"


class UnexpectedOverQuota(QuotaError):
    """cinder.exception.UnexpectedOverQuota (belongs in errors.py)."""

    message = "Unexpected over quota on %(name)s."


class QuotaResourceUnknown(NotFound):
    """cinder.exception.QuotaResourceUnknown (belongs in errors.py)."""

    message = "Unknown quota resources %(unknown)s."


_LIMIT_EXCEPTIONS: Mapping[str, type[QuotaError]] = {
    "snapshots": SnapshotLimitExceeded, "backups": BackupLimitExceeded,
    "volumes": VolumeLimitExceeded, "groups": GroupLimitExceeded}


def over_quota_error(exc: OverQuota, resource: str, size: int | None = None) -> QuotaError:
    """The 413 the API raises for *exc* (``quota_utils.process_reserve_over_quota``).

    *resource* is what was being created (``volumes``, ``snapshots``, ``backups``,
    ``groups``; extend passes ``gigabytes``), *size* the gigabytes requested.
    ``overs`` is sorted, so a gigabytes excess is reported before a count excess.
    """
    def consumed(name: str) -> int:
        u = exc.usages[name]
        return u["reserved"] + u["in_use"]

    unexpected: list[str] = []
    for over in exc.overs:
        if "gigabytes" in over:
            cls = (VolumeBackupSizeExceedsAvailableQuota if resource == "backups"
                   else VolumeSizeExceedsAvailableQuota)
            return cls(name=over, requested=size, consumed=consumed(over),
                       quota=exc.quotas[over])
        if resource in _LIMIT_EXCEPTIONS and resource in over:
            return _LIMIT_EXCEPTIONS[resource](allowed=exc.quotas[over], name=over)
        unexpected.append(over)
    return UnexpectedOverQuota(name=", ".join(unexpected))


class QuotaEngine:
    """Limits from config and per-project overrides; usage and reservations in *db*.

    Args:
        db: the store holding ``quotas``, ``quota_usages`` and ``reservations``.
        ids: mints reservation uuids.
        config: cinder.conf options (:data:`CONFIG_OPTIONS`, ``no_snapshot_gb_quota``,
            ``reservation_expire``); anything else is rejected to catch typos.
    """

    def __init__(self, db: Database, ids: IdFactory,
                 config: Mapping[str, int | bool] | None = None) -> None:
        self.db = db
        self.ids = ids
        self.defaults: dict[str, int] = dict(DEFAULT_LIMITS)
        self.class_defaults: dict[str, int] = {}
        """The ``default`` quota class's rows (``os-quota-class-sets/default``): with
        ``use_default_quota_class`` (on by default) they win over the config defaults."""
        self.no_snapshot_gb_quota = False
        self.reservation_expire = RESERVATION_EXPIRE
        for option, value in (config or {}).items():
            if option in CONFIG_OPTIONS:
                self.defaults[CONFIG_OPTIONS[option]] = int(value)
            elif option == "no_snapshot_gb_quota":
                self.no_snapshot_gb_quota = bool(value)
            elif option == "reservation_expire":
                self.reservation_expire = int(value)
            else:
                raise ValueError(f"unknown quota option {option!r}")
        self._next_usage_id = 1 + max((u.id for u in db.quota_usages.values()), default=0)
        self._type_resources: dict[str, tuple[VolumeType, str]] = {}
        """Per-type resource -> the type it is named after, and that type's name then
        (see :meth:`_per_type_known`)."""
        self._volume_plans: dict[tuple[str, str | None], _VolumePlan] = {}
        """(project, type name) -> its :meth:`commit_volume` plan."""

    # --- resources and limits -------------------------------------------------------------
    def resources(self) -> list[str]:
        """Every resource, per-type ones built from the volume types (by name) like Cinder."""
        out = list(BASE_RESOURCES)
        for vtype in self.db.volume_types.values():
            out.extend(f"{prefix}_{vtype.name}" for prefix in _PER_TYPE_PREFIXES)
        return out

    def default_limit(self, resource: str) -> int:
        """``get_defaults``: the ``default`` quota class, else the config default."""
        found = self.class_defaults.get(resource)
        return self.defaults.get(resource, -1) if found is None else found

    def limit(self, project_id: str, resource: str) -> int:
        override = self.db.quotas.get(project_id)
        if override and resource in override:
            return override[resource]
        # default_limit, inline: extends and transfers ask per_volume_gigabytes
        found = self.class_defaults.get(resource)
        return self.defaults.get(resource, -1) if found is None else found

    def usage(self, project_id: str) -> dict[str, ResourceUsage]:
        """Per resource ``{limit, in_use, reserved}``, in os-quota-sets order."""
        out: dict[str, ResourceUsage] = {}
        for res in self.resources():
            row = self.db.quota_usages.get((project_id, res))
            out[res] = {"limit": self.limit(project_id, res),
                        "in_use": row.in_use if row else 0,
                        "reserved": row.reserved if row else 0}
        return out

    def limits(self, project_id: str) -> dict[str, int]:
        return {res: self.limit(project_id, res) for res in self.resources()}

    # --- deltas the flows reserve --------------------------------------------------------------
    def release_volume(self, project_id: str, size: int, volume_type_id: str | None,
                       use_quota: bool = True) -> None:
        """Give back a deleted volume's quota: negative deltas are always allowed, so
        reserve then commit, as the volume manager does."""
        if not use_quota:
            return
        vtype = self.db.volume_types.get(volume_type_id or "")
        self.commit_volume(project_id, -size, vtype.name if vtype is not None else None,
                           count=-1)

    def volume_deltas(self, size: int, volume_type_name: str | None = None,
                      count: int = 1) -> dict[str, int]:
        """``volumes``/``gigabytes`` and their per-type twins (``add_volume_type_opts``)."""
        deltas = {"volumes": count, "gigabytes": size}
        if volume_type_name is not None:
            deltas[f"volumes_{volume_type_name}"] = count
            deltas[f"gigabytes_{volume_type_name}"] = size
        return deltas

    def snapshot_deltas(self, size: int, volume_type_name: str | None = None,
                        count: int = 1) -> dict[str, int]:
        """Snapshots count toward ``gigabytes`` unless ``no_snapshot_gb_quota``."""
        deltas = {"snapshots": count}
        if not self.no_snapshot_gb_quota:
            deltas["gigabytes"] = size
        if volume_type_name is not None:
            deltas[f"snapshots_{volume_type_name}"] = count
            if not self.no_snapshot_gb_quota:
                deltas[f"gigabytes_{volume_type_name}"] = size
        return deltas

    @staticmethod
    def backup_deltas(size: int, count: int = 1) -> dict[str, int]:
        return {"backups": count, "backup_gigabytes": size}

    # --- reserve / commit / rollback / expire ----------------------------------------------
    def _usage_row(self, project_id: str, resource: str) -> QuotaUsage:
        key = (project_id, resource)
        row = self.db.quota_usages.get(key)
        if row is None:
            row = QuotaUsage(self._next_usage_id, project_id, resource)
            self._next_usage_id += 1
            self.db.quota_usages[key] = row
        return row

    def reserve(self, project_id: str, deltas: Mapping[str, int],
                expire: float | None = None) -> list[str]:
        """Reserve *deltas*; returns one reservation id per resource, in *deltas* order.

        Raises :class:`OverQuota` (overs sorted, as Cinder does) and writes nothing
        when any resource would exceed its limit.  *expire* is a lifetime in seconds
        (default ``reservation_expire``).
        """
        rows = self._checked(project_id, deltas)
        db = self.db
        expire_at = db.now() + (self.reservation_expire if expire is None else expire)
        reservations = db.reservations
        ids: list[str] = []
        for (r, d), known in zip(deltas.items(), rows, strict=True):
            row = known if known is not None else self._usage_row(project_id, r)
            rid = self.ids.uuid()  # one uuid per reservation, in deltas order, as before
            reservations[rid] = Reservation(rid, project_id, r, d, expire_at, row.id)
            if d > 0:
                row.reserved += d
            ids.append(rid)
        return ids

    def reserve_committed(self, project_id: str, deltas: Mapping[str, int]) -> None:
        """:meth:`reserve` then :meth:`commit` of its ids, with nothing in between.

        Where a flow commits right after it reserves, with no await and nothing that can
        fail in between (a create at the API writes only its row in between; a deleted
        volume's quota goes back in one step), the reservation rows live for no time at
        all: nobody can see them.  So they are not written; their uuids are still drawn,
        one per resource in *deltas* order, so every later id is the one the two calls
        give.
        The usage rows end as the two calls leave them, and :class:`OverQuota` is
        raised, with nothing written, exactly as :meth:`reserve` raises it.
        """
        self._checked(project_id, deltas, commit=True)

    def commit_volume(self, project_id: str, size: int, volume_type_name: str | None,
                      count: int = 1, per_volume: bool = False, defer_ids: bool = False) -> int:
        """``reserve_committed(project_id, volume_deltas(size, volume_type_name, count))``,
        as a create at the API and a volume's release do it (every create asks).
        *per_volume*: :meth:`check_per_volume` of *size* first (a create with nothing to
        do in between: the limit is read from the limits the commit reads anyway).
        *defer_ids*: leave the reservations' ids undrawn and return how many there are
        (else 0), for a caller whose next draw is an id: ``ids.uuid(skipped)`` draws them
        with it in one step (a create at the API, whose volume's id comes next).

        The resources and usage-row keys of one (project, type) are made once, and the
        plan holding them counts only while its type is still stored under its id with
        the name it was made from (as :meth:`_entries_current` checks): a rename or a
        delete is seen at once.  Limits and usage rows are read on every call, so an
        admin's change counts from the next create.  An unknown type name takes the
        general path, which raises :class:`QuotaResourceUnknown`.
        """
        vtype, resources, keys = self._volume_plans.get((project_id, volume_type_name),
                                                        _NO_PLAN)
        # None yet, or its type changed (not _still(...), inline: every create asks).
        if not resources or (vtype is not None and (
                vtype.name != volume_type_name or self.db.volume_types.get(vtype.id)
                is not vtype)):
            plan = self._volume_plan(project_id, volume_type_name)
            if plan is None:
                if per_volume:
                    self.check_per_volume(size, project_id)
                self.reserve_committed(project_id, self.volume_deltas(
                    size, volume_type_name, count))
                return 0
            _, resources, keys = plan
        # volume_deltas' order; without a type only the first two have a resource.
        self._within_limits(project_id, resources, keys, (count, size, count, size), True,
                            count < 0 or size < 0, size if per_volume else None,
                            not defer_ids)
        return len(keys) if defer_ids else 0

    def _volume_plan(self, project_id: str, volume_type_name: str | None) -> _VolumePlan | None:
        """A fresh plan for :meth:`commit_volume` (kept), or None for an unknown type name."""
        vtype = None
        if volume_type_name is not None:
            vtype = next((t for t in self.db.volume_types.values()
                          if t.name == volume_type_name), None)
            if vtype is None:
                return None
        resources = tuple(self.volume_deltas(0, volume_type_name))
        plan: _VolumePlan = (vtype, resources, tuple((project_id, r) for r in resources))
        if len(self._volume_plans) >= _MAX_PLANS:  # types come and go (Tempest): bounded
            self._volume_plans.clear()
        self._volume_plans[(project_id, volume_type_name)] = plan
        return plan

    def _checked(self, project_id: str, deltas: Mapping[str, int], *, commit: bool = False,
                 ) -> list[QuotaUsage | None]:
        """Validate *deltas* and check their limits; the usage row of each (None: none
        yet), in *deltas* order.  Raises as :meth:`reserve` documents.  *commit*: then
        commit them at once, as :meth:`reserve_committed` documents."""
        # An unknown resource is reported before any excess; the per-type ones exist
        # while their type does.
        if not _RESERVABLE.issuperset(deltas) and not self._per_type_known(deltas):
            valid = frozenset(self.resources()) - {"per_volume_gigabytes"}
            raise QuotaResourceUnknown(unknown=sorted(r for r in deltas if r not in valid))
        return self._within_limits(project_id, tuple(deltas), [(project_id, r) for r in deltas],
                                   tuple(deltas.values()), commit, commit)

    def _within_limits(self, project_id: str, resources: Sequence[str],
                       keys: Sequence[tuple[str, str]], deltas: Sequence[int],
                       commit: bool = False, clamp: bool = False,
                       per_volume: int | None = None, draw_ids: bool = True,
                       ) -> list[QuotaUsage | None]:
        """The usage row of each of *resources* (None: none yet; *keys* are their
        ``quota_usages`` keys); raises :class:`OverQuota`, with nothing written, when a
        delta would take one over its limit.

        With *commit*, what :meth:`reserve_committed` does next, in the same frame
        (every create comes here): draw the reservations' ids, then move each delta into
        ``in_use``, making a row a resource has none of.  *clamp*: whether a delta may
        be negative (only then can ``in_use`` go below zero, which commit clamps; a
        create's deltas are not).  *per_volume*: a size to hold to
        ``per_volume_gigabytes`` first, as :meth:`check_per_volume` does.  *draw_ids*:
        False leaves the reservations' ids to the caller (see :meth:`commit_volume`).
        """
        db = self.db
        rows = list(map(db.quota_usages.get, keys))  # in C: no frame, no loop
        limits: Mapping[str, int] = self.defaults if not self.class_defaults else {
            **self.defaults, **self.class_defaults}  # default_limit, folded
        override = db.quotas.get(project_id)
        if override:
            limits = {**limits, **override}
        if per_volume is not None:  # check_per_volume, on the same limits as limit() reads
            limit = limits.get("per_volume_gigabytes", -1)
            if 0 <= limit < per_volume:
                raise VolumeSizeExceedsLimit(size=per_volume, limit=limit)
        # Each resource with a limit is held to it (most have none: every per-type one by
        # default).  A plain loop by index: max(map(limits.get, ...)) as a first test, and
        # zip(), measured slower on a create's four resources (Python 3.11).
        i = 0
        for r in resources:
            if r in limits:
                limit, d = limits[r], deltas[i]
                if limit >= 0 and d >= 0:
                    row = rows[i]
                    if (row.in_use + row.reserved if row else 0) + d > limit:
                        self._raise_over(project_id, dict(zip(resources, deltas, strict=False)))
            i += 1  # noqa: SIM113 -- enumerate() measured ~50 ns slower here
        if not commit:
            return rows
        # The reservations' ids (see reserve_committed), drawn before the rows are
        # touched: making a usage row draws nothing, so this is the order reserve draws.
        if draw_ids:
            self.ids.skip(len(rows))
        # A project's (or type's) first volume makes its rows, in order; all() is in C
        # (and proves no row is None, which mypy cannot see).
        made: list[QuotaUsage] = rows if all(rows) else [  # type: ignore[assignment]
            row if row is not None else self._usage_row(project_id, r)
            for r, row in zip(resources, rows, strict=True)]
        # By index, not zip(): measured ~100 ns faster on a create's four rows (*deltas*
        # may be longer: a typeless plan's rows are its first two).
        i = 0
        for row in made:
            row.in_use += deltas[i]  # reserve's +d then commit's -d on ``reserved`` cancel
            i += 1  # noqa: SIM113 -- as above
        if clamp:  # commit's clamp at zero
            for row in made:
                row.in_use = max(row.in_use, 0)
        return rows

    def _per_type_known(self, deltas: Mapping[str, int]) -> bool:
        """Whether each resource of *deltas* outside the fixed ones is a per-type resource
        (``volumes_<type name>`` ...) of a type in the table now.

        Every entry of the map it keeps is checked against the table on each use: it
        counts only while that very type is still stored under its id and still has
        the name the entry was made from, so a rename or a delete is seen at once and
        nothing has to invalidate the map.  A miss (a new type, or a name no type has)
        rebuilds it from the table once, then answers."""
        if self._entries_current(deltas):
            return True
        self._type_resources = {f"{prefix}_{vt.name}": (vt, vt.name)
                                for vt in self.db.volume_types.values()
                                for prefix in _PER_TYPE_PREFIXES}
        return self._entries_current(deltas)

    def _entries_current(self, deltas: Mapping[str, int]) -> bool:
        """Whether the map has a current entry for each per-type resource of *deltas*."""
        types, cache = self.db.volume_types, self._type_resources
        for r in deltas:
            if r in _RESERVABLE:
                continue
            hit = cache.get(r)
            if hit is None or not _still(types, *hit):
                return False
        return True

    def _raise_over(self, project_id: str, deltas: Mapping[str, int]) -> None:
        """Raise :class:`OverQuota` with every resource's limit and usage (overs sorted)."""
        quotas = {r: self.limit(project_id, r) for r in deltas}
        usages: dict[str, dict[str, int]] = {}
        for r in deltas:
            row = self.db.quota_usages.get((project_id, r))
            usages[r] = {"in_use": row.in_use if row else 0,
                         "reserved": row.reserved if row else 0}
        overs = sorted(r for r, d in deltas.items()
                       if quotas[r] >= 0 and d >= 0
                       and usages[r]["in_use"] + usages[r]["reserved"] + d > quotas[r])
        raise OverQuota(overs, quotas, usages)

    def _take(self, reservation_ids: Iterable[str]) -> Iterator[tuple[Reservation, QuotaUsage]]:
        # Ids already gone (expired, or committed twice) are skipped, as Cinder's
        # query by uuid simply does not find them.  A generator: no list per commit.
        # Each reservation is popped just before its row is used, exactly as a list
        # built first would have done (the rows are distinct objects from the pops).
        reservations = self.db.reservations
        usage_rows = self.db.quota_usages
        for rid in reservation_ids:
            res = reservations.pop(rid, None)
            if res is not None:
                yield res, usage_rows[(res.project_id, res.resource)]

    def commit(self, reservation_ids: Iterable[str]) -> None:
        """Move each delta into ``in_use``.

        A negative delta larger than ``in_use`` would leave it negative; Cinder
        then resyncs from the resource tables on the next reserve.  The
        simulator's counts are exact, so it clamps at zero instead.
        """
        # _take, inline (every create and delete commits): no generator to resume per id.
        reservations = self.db.reservations
        usage_rows = self.db.quota_usages
        for rid in reservation_ids:
            res = reservations.pop(rid, None)
            if res is None:
                continue
            row = usage_rows[(res.project_id, res.resource)]
            delta = res.delta
            if delta >= 0:
                row.reserved -= delta
            in_use = row.in_use + delta
            row.in_use = in_use if in_use > 0 else 0  # max(0, ...) without the call

    def rollback(self, reservation_ids: Iterable[str]) -> None:
        """Give back what the reservations held."""
        for res, row in self._take(reservation_ids):
            if res.delta >= 0:
                row.reserved -= res.delta

    def expire(self, now: float | None = None) -> list[str]:
        """Roll back reservations whose expiry is before *now*; returns their ids."""
        at = self.db.now() if now is None else now
        stale = [rid for rid, res in self.db.reservations.items() if res.expire < at]
        self.rollback(stale)
        return stale

    # --- limit checks and updates -----------------------------------------------------------
    def check_per_volume(self, size: int, project_id: str | None = None) -> None:
        """``per_volume_gigabytes`` (a limit check, never reserved)."""
        limit = (self.default_limit("per_volume_gigabytes") if project_id is None
                 else self.limit(project_id, "per_volume_gigabytes"))
        if 0 <= limit < size:
            raise VolumeSizeExceedsLimit(size=size, limit=limit)

    def update_project(self, project_id: str, values: Mapping[str, object]) -> dict[str, int]:
        """os-quota-sets PUT: validate everything, then write; returns the new limits.

        Bad keys, non-integers and values below -1 are 400s; so is a limit below
        what the project already uses or holds reserved (-1 and
        ``per_volume_gigabytes`` are never checked against usage).
        """
        known = self.resources()
        bad = [k for k in values if k not in known and k not in ("id", "tenant_id")]
        if bad:
            raise InvalidInput(f"Bad key(s) in quota set: {','.join(bad)}")
        current = self.usage(project_id)
        valid: dict[str, int] = {}
        for key, raw in values.items():
            if key in ("id", "tenant_id"):
                continue
            if isinstance(raw, bool) or not isinstance(raw, int) or not -1 <= raw <= _MAX_LIMIT:
                raise InvalidInput(reason=f"Quota limit for {key} must be an integer "
                                          f"between -1 and {_MAX_LIMIT}.")
            if key != "per_volume_gigabytes" and raw != -1:
                used = current[key]["in_use"] + current[key]["reserved"]
                if raw < used:
                    raise InvalidInput(
                        f"Quota {key} limit must be equal or greater than existing "
                        f"resources. Current usage is {used} and the requested limit "
                        f"is {raw}.")
            valid[key] = raw
        self.db.quotas.setdefault(project_id, {}).update(valid)
        return self.limits(project_id)

    def delete_project(self, project_id: str) -> None:
        """os-quota-sets DELETE: back to defaults; usage and reservations stay."""
        self.db.quotas.pop(project_id, None)
