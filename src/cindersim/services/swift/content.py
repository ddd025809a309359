"""What a GET of an object returns, and its ETag.

Objects written through the API keep their bytes and the md5 computed at PUT
(Swift's ETag).  Objects cinder-backup wrote hold no bytes (the store keeps a
body describing them and their size): ``_metadata`` is served as the JSON
document Cinder writes (``json.dumps(..., sort_keys=True, indent=2)``) when that text has the
recorded size; anything else (chunks, ``_sha256file``) as *size* bytes of a
deterministic filler derived from the object's name.  Their ETag is the md5 of
what is served, computed on first need and kept (once per object).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import attrs

from ...backends.objectstore import StoredObject

__all__ = ["ApiObject", "EtagCache", "backup_account_of", "served_bytes"]


@attrs.frozen
class ApiObject:
    """An object PUT through the API: its bytes and Swift's metadata."""

    data: bytes = attrs.field(repr=False)
    etag: str
    content_type: str
    timestamp: float


def served_bytes(obj: StoredObject) -> bytes:
    """The bytes a GET of a cinder-backup object returns (exactly ``obj.size`` long)."""
    body: Any = obj.body
    if isinstance(body, bytes) and len(body) == obj.size:
        return body
    if isinstance(body, dict):
        try:
            text = json.dumps(body, sort_keys=True, indent=2).encode()
        except (TypeError, ValueError):
            text = b""
        if len(text) == obj.size:
            return text
    pattern = hashlib.sha256(f"{obj.container}/{obj.name}".encode()).digest()
    return (pattern * (obj.size // len(pattern) + 1))[:obj.size]


class EtagCache:
    """md5 of served bytes per store object, computed once (validated by identity)."""

    def __init__(self) -> None:
        self._etags: dict[tuple[str, str], tuple[StoredObject, str]] = {}

    def etag(self, obj: StoredObject) -> str:
        key = (obj.container, obj.name)
        cached = self._etags.get(key)
        if cached is not None and cached[0] is obj:
            return cached[1]
        etag = hashlib.md5(served_bytes(obj), usedforsecurity=False).hexdigest()
        self._etags[key] = (obj, etag)
        return etag


def backup_account_of(project_of_backup: Callable[[str], str | None],
                      ) -> Callable[[str, str], str | None]:
    """An ``AccountOf`` for cinder-backup's objects: the backup id in the object's name.

    Cinder's Swift prefix ends ``..._backup_<backup id>`` and every object of a
    backup starts with it (chunks ``-00001``..., ``_sha256file``, ``_metadata``).
    """

    def account_of(_container: str, name: str) -> str | None:
        _, sep, tail = name.rpartition("_backup_")
        if not sep or len(tail) < 36:
            return None
        return project_of_backup(tail[:36])

    return account_of
