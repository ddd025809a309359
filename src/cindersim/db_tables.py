"""Cinder's tables beyond the volume core: the services table, QoS specs, user messages,
default-type overrides and quota classes (``quality_of_service_specs``, ``messages``,
``default_volume_types``, ``quota_classes``).

They hang off the :class:`~cindersim.db.Database` object, one :class:`ApiTables` per
database made on first use, in insertion order, so every service reaches them the
way it reaches the others (the scheduler writes user messages); they are part of
``Database.snapshot()``/``fingerprint()``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .db import Database

__all__ = ["ApiTables", "DefaultType", "Message", "QosSpecs", "Service", "existing_tables",
           "tables"]


@attrs.define(slots=True, eq=True)
class QosSpecs:
    """A row of ``quality_of_service_specs`` with its key/value children."""

    id: str
    name: str
    consumer: str = "back-end"
    specs: dict[str, str] = attrs.field(factory=dict)
    created_at: str | None = None
    updated_at: str | None = None


@attrs.define(slots=True, eq=True)
class Message:
    """A row of ``messages`` (``cinder/message/api.py``)."""

    id: str
    project_id: str
    request_id: str
    resource_type: str
    resource_uuid: str | None
    event_id: str
    message_level: str
    action_id: str
    detail_id: str
    created_at: str
    expires_at: str


@attrs.define(slots=True, eq=True)
class DefaultType:
    """A row of ``default_volume_types``: one project's default type (3.62)."""

    project_id: str
    volume_type_id: str


@attrs.define(slots=True, eq=True)
class ApiTables:
    qos_specs: dict[str, QosSpecs] = attrs.field(factory=dict)
    messages: dict[str, Message] = attrs.field(factory=dict)
    default_types: dict[str, DefaultType] = attrs.field(factory=dict)
    """By project id."""
    quota_classes: dict[str, dict[str, int]] = attrs.field(factory=dict)
    """``quota_classes``: class name -> resource -> hard limit overrides."""
    extra: dict[str, Any] = attrs.field(factory=dict)


def existing_tables(db: Database) -> ApiTables | None:
    """The extra tables of *db* if anything has made them yet, else None (a reader
    that finds none knows every one of them is empty)."""
    return db.api_tables


def tables(db: Database) -> ApiTables:
    """The extra tables of *db* (made on first use)."""
    found = existing_tables(db)
    if found is None:
        found = ApiTables()
        db.api_tables = found
    return found


@attrs.define(slots=True, eq=True)
class Service:
    """A row of ``services``: one per (binary, host), written by the service itself.

    Every Cinder service writes its row at start and then bumps ``updated_at`` every
    ``report_interval`` (10 s) from its periodic ``report_state``; cinder-api
    (``os-services``) and the scheduler read liveness from it
    (``utils.service_is_up``: up while ``now - updated_at <= service_down_time``).
    The heartbeat is kept in closed form, not as a timer per service: while a service
    runs its last heartbeat is the latest multiple of ``report_interval`` since it
    (re)started; a stopped service keeps the heartbeat it had when it stopped.
    """

    id: int
    host: str
    """``cinder-1@lvmdriver-1`` for cinder-volume (host@backend); ``cinder-1`` otherwise."""
    binary: str
    """``cinder-volume``, ``cinder-scheduler`` or ``cinder-backup``."""
    topic: str
    availability_zone: str
    report_interval: float = 10.0
    started_at: float = 0.0
    """Virtual second the service last (re)started reporting."""
    stopped_at: float | None = None
    """When it stopped reporting (None while it runs)."""
    disabled: bool = False
    disabled_reason: str | None = None
    frozen: bool = False
    replication_status: str = "disabled"
    active_backend_id: str | None = None
    cluster_name: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    """Set when an operator changes ``disabled``/``frozen`` (os-services)."""

    def last_heartbeat(self, now: float) -> float:
        """Virtual second of the last ``report_state`` at *now* (``updated_at``)."""
        end = now if self.stopped_at is None else min(now, self.stopped_at)
        if end <= self.started_at:
            return self.started_at
        beats = math.floor((end - self.started_at) / self.report_interval)
        return self.started_at + beats * self.report_interval

    def is_up(self, now: float, service_down_time: float) -> bool:
        """``cinder.utils.service_is_up``."""
        return now - self.last_heartbeat(now) <= service_down_time
