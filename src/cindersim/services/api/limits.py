"""Placeholder controller module: routes are added by the flows issue."""

from __future__ import annotations
