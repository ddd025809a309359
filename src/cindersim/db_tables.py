"""Cinder's tables beyond the volume core: QoS specs, user messages, default-type
overrides and quota classes (``quality_of_service_specs``, ``messages``,
``default_volume_types``, ``quota_classes``).

They hang off the :class:`~cindersim.db.Database` object, one :class:`ApiTables` per
database made on first use, in insertion order, so every service reaches them the
way it reaches the others (the scheduler writes user messages); they are part of
``Database.snapshot()``/``fingerprint()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .db import Database

__all__ = ["ApiTables", "DefaultType", "Message", "QosSpecs", "tables"]


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


def tables(db: Database) -> ApiTables:
    """The extra tables of *db* (made on first use)."""
    found: ApiTables | None = getattr(db, "_api_tables", None)
    if found is None:
        found = ApiTables()
        db._api_tables = found  # type: ignore[attr-defined]
    return found
