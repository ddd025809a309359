"""Deprecated: Keystone's HTTP face moved to :mod:`cindersim.services.keystone.api`.

Re-exports the old names; importing one from code outside cindersim warns
(``DeprecationWarning``).
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING, Any

from ..services.keystone import api as _api

if TYPE_CHECKING:  # the names, for type checkers; at run time __getattr__ serves them
    from ..services.keystone.api import KEYSTONE_VERSION, REGION, Keystone

__all__ = ["KEYSTONE_VERSION", "REGION", "Keystone"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    caller = str(sys._getframe(1).f_globals.get("__name__", ""))
    if not (caller == "cindersim" or caller.startswith("cindersim.")):
        warnings.warn(f"cindersim.serve.keystone is deprecated: import {name} from "
                      "cindersim.services.keystone", DeprecationWarning, stacklevel=2)
    return getattr(_api, name)


def __dir__() -> list[str]:
    return sorted(__all__)
