"""cindersim: a deterministic, virtual-time simulator of OpenStack Cinder."""

from __future__ import annotations

__all__: list[str] = []
