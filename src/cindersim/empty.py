"""Shared, read-only empty containers: one object for every record that has nothing yet.

A live volume used to carry several empty containers of its own (its user and image
metadata, its LV's segments, snapshots, chunk map and COW set): about 500 bytes of
nothing per volume, most of them never written.  A record's default is now one of the
shared empties below; code that adds to a container first replaces the empty with a
fresh one (``if type(x) is EmptyDict: x = record.field = {}``), as copy-on-write.

The shared objects are real ``dict``/``list``/``set`` subclasses, so every reader (views,
``dict(...)``, ``len``, iteration, ``==``) sees an ordinary empty container.  What would
add an element raises ``TypeError``, so a writer that forgot to replace the empty fails
loudly instead of filling every record's container at once; what removes nothing from an
empty container (``pop`` with a default, ``discard``, ``clear``) behaves as it would on
any empty container.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn, TypeVar

__all__ = ["EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET", "EmptyDict", "EmptyList", "EmptySet",
           "empty_dict", "empty_list", "empty_set", "writable_dict"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"a shared read-only {type(self).__name__}: replace it with a fresh "
                    "container before adding to it")


class EmptyDict(dict[K, V]):
    """An empty dict nobody may add to (see the module docstring)."""

    __slots__ = ()
    __setitem__ = _refuse
    setdefault = _refuse
    update = _refuse
    __ior__ = _refuse

    def pop(self, key: K, *default: Any) -> Any:
        return dict.pop(self, key, *default)  # KeyError or the default: nothing to remove

    def clear(self) -> None:
        pass


class EmptyList(list[T]):
    """An empty list nobody may add to (see the module docstring)."""

    __slots__ = ()
    append = _refuse
    extend = _refuse
    insert = _refuse
    __setitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse

    def clear(self) -> None:
        pass


class EmptySet(set[T]):
    """An empty set nobody may add to (see the module docstring)."""

    __slots__ = ()
    add = _refuse
    update = _refuse
    __ior__ = _refuse
    __ixor__ = _refuse
    symmetric_difference_update = _refuse

    def clear(self) -> None:
        pass


EMPTY_DICT: Final[EmptyDict[Any, Any]] = EmptyDict()
EMPTY_LIST: Final[EmptyList[Any]] = EmptyList()
EMPTY_SET: Final[EmptySet[Any]] = EmptySet()


def empty_dict() -> dict[Any, Any]:
    """The shared empty dict, typed for any record field (an attrs default)."""
    return EMPTY_DICT


def empty_list() -> list[Any]:
    """The shared empty list, typed for any record field (an attrs default)."""
    return EMPTY_LIST


def empty_set() -> set[Any]:
    """The shared empty set, typed for any record field (an attrs default)."""
    return EMPTY_SET


def writable_dict(record: Any, name: str) -> dict[Any, Any]:
    """``record.<name>``, to add to: a fresh dict of the record's own in place of the
    shared empty one (for writers that change a dict field in place)."""
    d: dict[Any, Any] = getattr(record, name)
    if type(d) is EmptyDict:
        d = {}
        setattr(record, name, d)
    return d
