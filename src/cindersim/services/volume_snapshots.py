"""Placeholder: filled in by the flows issue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

METHODS: dict[str, Callable[..., Awaitable[Any]]] = {}
