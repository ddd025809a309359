"""Cinder's group exceptions (``cinder/exception.py``), beside :mod:`cindersim.errors`.

Same shapes: a message template and the HTTP code the API answers with.
``GroupLimitExceeded`` (413) lives with the quota engine.
"""

from __future__ import annotations

from cindersim.errors import CinderException, Invalid, NotFound

__all__ = ["GroupNotFound", "GroupSnapshotNotFound", "GroupTypeExists", "GroupTypeInUse",
           "GroupTypeNotFound", "GroupTypeNotFoundByName", "GroupTypeSpecsNotFound",
           "InvalidGroup", "InvalidGroupSnapshot", "InvalidGroupSnapshotStatus",
           "InvalidGroupStatus", "InvalidGroupType"]


class InvalidGroupType(Invalid):
    message = "Invalid group type: %(reason)s"


class InvalidGroup(Invalid):
    message = "Invalid Group: %(reason)s"


class InvalidGroupStatus(Invalid):
    message = "Invalid Group Status: %(reason)s"


class InvalidGroupSnapshot(Invalid):
    message = "Invalid GroupSnapshot: %(reason)s"


class InvalidGroupSnapshotStatus(Invalid):
    message = "Invalid GroupSnapshot Status: %(reason)s"


class GroupNotFound(NotFound):
    message = "Group %(group_id)s could not be found."


class GroupSnapshotNotFound(NotFound):
    message = "GroupSnapshot %(group_snapshot_id)s could not be found."


class GroupTypeNotFound(NotFound):
    message = "Group type %(group_type_id)s could not be found."


class GroupTypeNotFoundByName(GroupTypeNotFound):
    message = "Group type with name %(group_type_name)s could not be found."


class GroupTypeSpecsNotFound(NotFound):
    message = "Group Type %(group_type_id)s has no specs with key %(group_specs_key)s."


class GroupTypeExists(CinderException):
    """``Duplicate``: the controller answers 409."""

    message = "Group Type %(id)s already exists."
    code = 409


class GroupTypeInUse(CinderException):
    message = ("Group Type %(group_type_id)s deletion is not allowed with groups present "
               "with the type.")
    code = 400
