"""Deprecated: the identity store moved to :mod:`cindersim.services.keystone`.

This module re-exports the old names.  Importing one of them from code outside
cindersim warns (``DeprecationWarning``); cindersim's own modules that still
import from here stay quiet until they move.
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING, Any

from .services import keystone as _keystone

if TYPE_CHECKING:  # the names, for type checkers; at run time __getattr__ serves them
    from .services.keystone import (
        DEFAULT_DOMAIN_ID,
        DEFAULT_DOMAIN_NAME,
        DEFAULT_PASSWORD,
        DEFAULT_TOKEN_EXPIRATION,
        IdentityStore,
        Project,
        RequestContext,
        Role,
        TokenInfo,
        User,
        default_cloud,
        noauth_context,
        noauth_token,
    )

__all__ = [
    "DEFAULT_DOMAIN_ID",
    "DEFAULT_DOMAIN_NAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN_EXPIRATION",
    "IdentityStore",
    "Project",
    "RequestContext",
    "Role",
    "TokenInfo",
    "User",
    "default_cloud",
    "noauth_context",
    "noauth_token",
]


def _internal(depth: int) -> bool:
    """Whether the code asking (``depth`` frames up) is cindersim's own."""
    name = str(sys._getframe(depth).f_globals.get("__name__", ""))
    return name == "cindersim" or name.startswith("cindersim.")


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _internal(2):
        warnings.warn(f"cindersim.identity is deprecated: import {name} from "
                      "cindersim.services.keystone", DeprecationWarning, stacklevel=2)
    return getattr(_keystone, name)


def __dir__() -> list[str]:
    return sorted(__all__)
