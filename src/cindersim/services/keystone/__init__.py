"""Keystone-lite: the identity service of a simulated cloud.

* :mod:`.records` - domains, projects, users, roles, tokens; Keystone's errors;
* :mod:`.identity` - the store (:class:`IdentityStore`) and the devstack-like
  bootstrap (:func:`default_cloud`);
* :mod:`.context` - what Cinder makes of a token (:class:`RequestContext`), and
  its ``noauth`` strategy;
* :mod:`.policy` - Keystone's default policies for project-scoped tokens;
* :mod:`.catalog` - discovery documents and the service catalog;
* :mod:`.api` - the HTTP face at ``/identity`` (:class:`Keystone`), with
  :mod:`.tokens`, :mod:`.resources` and :mod:`.assignments` behind it.
"""

from __future__ import annotations

from .api import Keystone
from .catalog import KEYSTONE_VERSION, REGION
from .context import RequestContext, noauth_context, noauth_token
from .identity import Assignment, IdentityStore, default_cloud
from .records import (
    DEFAULT_DOMAIN_ID,
    DEFAULT_DOMAIN_NAME,
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN_EXPIRATION,
    Domain,
    KeystoneError,
    Project,
    Role,
    TokenInfo,
    User,
)

__all__ = [
    "DEFAULT_DOMAIN_ID",
    "DEFAULT_DOMAIN_NAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN_EXPIRATION",
    "KEYSTONE_VERSION",
    "REGION",
    "Assignment",
    "Domain",
    "IdentityStore",
    "Keystone",
    "KeystoneError",
    "Project",
    "RequestContext",
    "Role",
    "TokenInfo",
    "User",
    "default_cloud",
    "noauth_context",
    "noauth_token",
]
