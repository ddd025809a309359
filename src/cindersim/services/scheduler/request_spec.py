"""What the scheduler is asked to place: ``RequestSpec``, the retry record and the
``filter_properties`` every filter and weigher gets.

Cinder passes these around as the ``RequestSpec`` versioned object
(``cinder/objects/request_spec.py``) and the ``filter_properties`` dict built by
``FilterScheduler._populate_retry`` and ``_get_weighted_candidates``; here they
are frozen records, so a pass never changes what its caller handed in.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

if TYPE_CHECKING:
    from .filter_scheduler import SchedulerConfig

__all__ = ["EMPTY_MAPPING", "FIRST_RETRY", "FilterProperties", "RequestSpec", "RetryRecord",
           "first_attempt_on", "frozen_mapping", "volume_create_spec"]


EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})
"""The one empty read-only mapping (most requests have no hints, many no extra specs)."""


def frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of *value* (the one shared empty mapping when it is empty)."""
    return MappingProxyType(dict(value)) if value else EMPTY_MAPPING


_new_tuple: Any = tuple.__new__
_PROVISIONING_TYPE: Final = "provisioning:type"


def _str_tuple(value: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


@attrs.frozen(slots=False)
class RequestSpec:
    """What is being placed: Cinder's ``RequestSpec`` with ``volume_properties``
    flattened into fields.

    Without ``__slots__`` on purpose: :func:`volume_create_spec` (every create) hands
    a new spec its whole instance dict in one step, where slots take one call each.
    """

    size: int
    """GiB: the volume's size (for an extend, its *current* size)."""
    volume_id: str | None = None
    snapshot_id: str | None = None
    group_id: str | None = None
    volume_type_name: str | None = None
    volume_type_id: str | None = None
    extra_specs: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_mapping)
    """The volume type's extra specs, in the type's order."""
    availability_zone: str | None = None
    availability_zones: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    """Allowed zones (a type's ``RESKEY:availability_zones``); wins over the AZ."""
    resource_backend: str | None = None
    """Pin to a backend (source volume's/snapshot's host for clones)."""
    multiattach: bool = False
    operation: str | None = None
    """``'extend_volume'`` enables the online-extend capability check."""
    attach_status: str = "detached"
    project_id: str | None = None
    user_id: str | None = None
    image_id: str | None = None
    """A Glance image to copy into the new volume (``imageRef``)."""

    @functools.cached_property
    def thin(self) -> bool:
        """Thin unless the type says ``provisioning:type=thick`` (what CapacityFilter and
        CapacityWeigher work with).  Kept in the instance dict, not a field (traces carry
        the fields): :func:`volume_create_spec` puts it there, and a create's pass reads
        it as a plain attribute, without a frame."""
        return self.extra_specs.get(_PROVISIONING_TYPE) != "thick"

    @property
    def resource_extra_specs(self) -> Mapping[str, Any]:
        """Extra specs as the filters see them: a multiattach request adds
        ``multiattach='<is> True'`` unless the type already says something."""
        if self.multiattach and "multiattach" not in self.extra_specs:
            return MappingProxyType({**self.extra_specs, "multiattach": "<is> True"})
        return self.extra_specs

    @property
    def resource_id(self) -> str | None:
        """The id ``_populate_retry`` reports: the volume's, else the group's."""
        return self.volume_id or self.group_id

    def to_dict(self) -> dict[str, Any]:
        """Cinder's request_spec dict shape, for messages and traces."""
        volume_type = None
        if self.volume_type_name or self.volume_type_id or self.extra_specs:
            volume_type = {"name": self.volume_type_name, "id": self.volume_type_id,
                           "extra_specs": dict(self.extra_specs)}
        return {
            "volume_id": self.volume_id, "snapshot_id": self.snapshot_id,
            "image_id": self.image_id,
            "group_id": self.group_id, "volume_type": volume_type,
            "availability_zones": list(self.availability_zones),
            "resource_backend": self.resource_backend, "operation": self.operation,
            "volume_properties": {
                "size": self.size, "availability_zone": self.availability_zone,
                "multiattach": self.multiattach, "attach_status": self.attach_status,
                "project_id": self.project_id, "user_id": self.user_id,
            },
        }


_new_object = object.__new__
_set_dict = object.__setattr__


def volume_create_spec(size: int, volume_id: str, snapshot_id: str | None,
                       volume_type_name: str, volume_type_id: str,
                       extra_specs: Mapping[str, Any], availability_zone: str,
                       availability_zones: tuple[str, ...], resource_backend: str | None,
                       multiattach: bool, project_id: str | None, user_id: str | None,
                       image_id: str | None) -> RequestSpec:
    """``RequestSpec(...)`` of a volume create (cinder-api, every create), its instance
    dict given whole: attrs' frozen ``__init__`` sets each of the sixteen fields through
    ``object.__setattr__`` and runs the converters, which takes about twice as long.
    *availability_zones* is already the tuple the converter would make; the extra specs
    are copied as the converter copies them.  The tests check that every field ends as
    ``RequestSpec(...)`` leaves it."""
    # frozen_mapping(extra_specs), and RequestSpec.thin as its first read would keep it,
    # without their frames (most types have no extra specs).
    specs: Mapping[str, Any]
    if extra_specs:
        specs, thin = MappingProxyType(dict(extra_specs)), \
            extra_specs.get(_PROVISIONING_TYPE) != "thick"
    else:
        specs, thin = EMPTY_MAPPING, True
    fields = {
        "size": size, "volume_id": volume_id, "snapshot_id": snapshot_id, "group_id": None,
        "volume_type_name": volume_type_name, "volume_type_id": volume_type_id,
        "extra_specs": specs, "availability_zone": availability_zone,
        "availability_zones": availability_zones, "resource_backend": resource_backend,
        "multiattach": multiattach, "operation": None, "attach_status": "detached",
        "project_id": project_id, "user_id": user_id}
    # The last field apart: CPython builds a display of fifteen pairs in one step, and
    # one of sixteen pair by pair.
    fields["image_id"] = image_id
    fields["thin"] = thin  # (not a field: after them)
    spec: RequestSpec = _new_object(RequestSpec)
    _set_dict(spec, "__dict__", fields)
    return spec


class RetryRecord(NamedTuple):
    """``filter_properties['retry']``, carried through reschedules.

    ``hosts`` duplicates ``backends`` (Cinder keeps both for compatibility and
    IgnoreAttemptedHostsFilter reads ``hosts``).  ``exc`` is set by the volume
    manager's reschedule task and consumed by the next scheduling pass.

    A frozen typed record, as a named tuple: every scheduling pass makes one or two,
    and a tuple is built in one call where a frozen attrs class sets each field
    through ``object.__setattr__``.  Traces and messages carry :meth:`to_dict`.
    """

    num_attempts: int
    backends: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    exc: str | None = None

    def with_backend(self, backend_id: str) -> RetryRecord:
        """This record naming *backend_id* too (what a pass that chose it carries on).
        A first pass's is :func:`first_attempt_on`'s, shared per pool."""
        if self is FIRST_RETRY:
            return first_attempt_on(backend_id)
        record: RetryRecord = _new_tuple(RetryRecord, (
            self.num_attempts, (*self.backends, backend_id), (*self.hosts, backend_id),
            self.exc))
        return record

    def with_exc(self, exc: str) -> RetryRecord:
        """What OnFailureRescheduleTask stores before recasting to the scheduler."""
        return self._replace(exc=exc)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"num_attempts": self.num_attempts,
                             "backends": list(self.backends), "hosts": list(self.hosts)}
        if self.exc is not None:
            d["exc"] = self.exc
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> RetryRecord | None:
        """An empty or missing dict is "no retry yet", as Cinder's ``if retry``."""
        if not d:
            return None
        return cls(num_attempts=int(d["num_attempts"]),
                   backends=tuple(d.get("backends", ())), hosts=tuple(d.get("hosts", ())),
                   exc=d.get("exc"))


FIRST_RETRY: Final = RetryRecord(1)
"""The record a first scheduling pass starts (one attempt, nothing tried yet): a
frozen value, so every pass shares it."""


@functools.lru_cache(maxsize=4096)
def first_attempt_on(backend_id: str) -> RetryRecord:
    """``FIRST_RETRY.with_backend(backend_id)``: the record a first pass that chose
    *backend_id* carries on.  Immutable, so one per pool serves every create (and a
    caller may tell it by identity)."""
    record: RetryRecord = _new_tuple(RetryRecord, (1, (backend_id,), (backend_id,), None))
    return record


class FilterProperties(NamedTuple):
    """What filters and weighers get besides the backend (``filter_properties``).

    * ``new_size``: set for extends: the filters check ``new_size - size``.
    * ``vol_exists_on``: retype: the volume already lives on this backend, so
      capacity passes.
    * ``scheduler_hints``: a read-only mapping (the scheduler hands over
      :func:`frozen_mapping` of the request's hints).
    * ``rng``: the simulation's rng (ChanceWeigher).
    * ``volume_host``: volume id -> its ``host`` or None (affinity filters; Cinder
      asks the DB).
    * ``volume_number``: backend id -> number of volumes on it (VolumeNumberWeigher;
      the DB count).

    A frozen typed record, as a named tuple: every scheduling pass builds one, in one
    call where a frozen attrs class set each of the nine fields through
    ``object.__setattr__`` (several times slower).
    """

    request_spec: RequestSpec
    config: SchedulerConfig
    new_size: int | None = None
    retry: RetryRecord | None = None
    vol_exists_on: str | None = None
    scheduler_hints: Mapping[str, Any] = EMPTY_MAPPING
    rng: random.Random | None = None
    volume_host: Callable[[str], str | None] | None = None
    volume_number: Callable[[str], int] | None = None

    @property
    def size(self) -> int:
        return self.request_spec.size

    @property
    def extra_specs(self) -> Mapping[str, Any]:
        """The volume type's extra specs (``filter_properties['volume_type']``)."""
        return self.request_spec.extra_specs

    @property
    def thin(self) -> bool:
        """Thin unless the type says ``provisioning:type=thick`` (:attr:`RequestSpec.thin`:
        a pass reads that directly)."""
        return self.request_spec.thin
