"""Charts of a what-if run, drawn with matplotlib (the optional ``plot`` extra).

Without matplotlib nothing else in cindersim changes: :func:`require_pyplot`
raises :class:`PlotUnavailable`, whose message says how to install it, and
the CLI prints that and carries on.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INSTALL_HINT", "PlotUnavailable", "require_pyplot"]

INSTALL_HINT = "pip install 'cindersim[plot]'"


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed (or cannot be imported)."""


def require_pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (files only, no display).

    Raises:
        PlotUnavailable: matplotlib is missing; the message names
            ``pip install 'cindersim[plot]'``.
    """
    try:
        import matplotlib  # noqa: PLC0415 (optional extra)

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as exc:
        raise PlotUnavailable(
            f"charts need matplotlib, which is not installed ({exc}): "
            f"{INSTALL_HINT}") from None
    return plt
