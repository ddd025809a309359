"""The start-up banner of ``cindersim serve``: what a user pastes to point a real
client at the server.

* The endpoints, the projects' ids, and what the ``demo`` user has: its flavors
  and images, asked of nova-api and Glance over their REST faces with a token
  for ``demo`` (revoked afterwards, and derived, not drawn from the seed's rng),
  and its networks when the cloud runs Neutron.
* A ``clouds.yaml``: Keystone password logins as ``demo`` and as ``admin``,
  carrying ``volume_api_version: "3.71"`` (cindersim's newest Cinder
  microversion; openstackclient then sends ``OpenStack-API-Version: volume
  3.71``) and ``compute_api_version``; and, unless ``--auth keystone``, a
  no-Keystone entry using cinderclient-style ``user:project`` tokens.
* The environment for python-cinderclient and the ``openstack`` CLI as two
  alternatives, one with Keystone and one with Cinder's ``noauth`` strategy:
  each starts by unsetting the other's variables, since a shell holding both
  sets would mix them (``OS_AUTH_TYPE=noauth`` with a password login fails).

Facts behind the choices (real-clients.md):

* cinderclient's noauth with ``CINDER_ENDPOINT=http://h/v3`` sends project-less
  URLs (``/v3/volumes``), which Cinder accepts from microversion 3.67, so the
  env lines set ``OS_VOLUME_API_VERSION=3.71``.
* openstacksdk's ``auth_type: none`` sends ``X-Auth-Token: notused``, which
  NoAuthMiddleware would read as user and project ``notused``; the
  ``admin_token`` plugin sends the token we give, so the no-Keystone entry
  uses it with ``demo:<demo project id>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..services.api.wsgi import ApiResponse
from ..services.keystone import DEFAULT_PASSWORD
from ..services.nova.api import MAX_VERSION as NOVA_MAX_VERSION

if TYPE_CHECKING:
    from .server import ServeOptions, SimServer

__all__ = ["VOLUME_API_VERSION", "Inventory", "banner", "inventory"]

VOLUME_API_VERSION = "3.71"
COMPUTE_API_VERSION = f"{NOVA_MAX_VERSION[0]}.{NOVA_MAX_VERSION[1]}"
_ACTOR = "serve-banner"
_KEYSTONE_VARS = ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME",
                  "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_CLOUD")
_NOAUTH_VARS = ("OS_AUTH_TYPE", "CINDER_ENDPOINT", "OS_USER_ID", "OS_PROJECT_ID")

Handler = Callable[[str, str, Mapping[str, str], Any], Awaitable[ApiResponse]]


@attrs.frozen
class Inventory:
    """What a user has, as ``(name, id)`` pairs in the services' list order."""

    user: str
    flavors: tuple[tuple[str, str], ...] = ()
    images: tuple[tuple[str, str], ...] = ()
    networks: tuple[tuple[str, str], ...] | None = None
    """None when the cloud runs no Neutron."""


async def _names(handle: Handler | None, path: str, key: str, token: str
                 ) -> tuple[tuple[str, str], ...]:
    if handle is None:
        return ()
    response = await handle("GET", path, {"X-Auth-Token": token,
                                          "X-Cindersim-Actor": _ACTOR}, None)
    body = response.body
    if response.status != 200 or not isinstance(body, dict):
        return ()
    return tuple((str(item.get("name") or ""), str(item.get("id")))
                 for item in body.get(key) or () if isinstance(item, dict))


def _handler(owner: Any) -> Handler | None:
    handle = getattr(owner, "handle", None)
    return handle if callable(handle) else None


async def inventory(server: SimServer, user: str = "demo") -> Inventory:
    """Ask nova-api, Glance (and Neutron, if any) what *user* sees, as a client would."""
    cloud = server.cloud
    identity = cloud.identity
    if identity.find_user(user) is None or identity.find_project(user) is None:
        return Inventory(user)
    token = identity.issue_token(user, user, derive_from="serve-banner")
    try:
        nova = _handler(getattr(getattr(cloud, "nova", None), "api", None))
        glance = _handler(getattr(cloud, "glance", None))
        neutron = getattr(cloud, "neutron", None)
        networks = None
        if neutron is not None:
            networks = await _names(_handler(neutron), "/networking/v2.0/networks",
                                    "networks", token)
        return Inventory(
            user,
            flavors=await _names(nova, "/compute/v2.1/flavors", "flavors", token),
            images=await _names(glance, "/image/v2/images", "images", token),
            networks=networks)
    finally:
        identity.revoke(token)


def _listed(items: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} ({ident})" for name, ident in items) or "(none)"


def banner(server: SimServer, options: ServeOptions, found: Inventory | None = None) -> str:
    """What ``cindersim serve`` prints once it listens."""
    cloud = server.cloud
    base = server.base_url
    auth_url = f"{base}/identity/v3"
    demo = cloud.project_id("demo")
    admin = cloud.project_id("admin")
    neutron = getattr(cloud, "neutron", None) is not None
    lines = [
        f"cindersim serve: a simulated Cinder at {base} (seed {options.seed}, "
        f"{options.speed:g} virtual seconds per real second, auth {options.auth})",
        f"  block-storage  {base}/v3/<project_id>    (demo: {base}/v3/{demo})",
        f"  identity       {auth_url}    (users admin, demo, alt_demo; "
        f"password {DEFAULT_PASSWORD!r}; domain Default)",
        f"  compute        {base}/compute/v2.1",
        f"  image          {base}/image",
        f"  object-store   {base}/object-store/v1/AUTH_<project_id>",
    ]
    if neutron:
        lines.append(f"  network        {base}/networking")
    if getattr(cloud, "key_manager", None) is not None:
        lines.append(f"  key-manager    {base}/key-manager")
    lines.append(f"  projects       admin {admin}  demo {demo}  alt_demo "
                 f"{cloud.project_id('alt_demo')}")
    if found is not None:
        lines += [f"  {found.user} has:",
                  f"    flavors      {_listed(found.flavors)}",
                  f"    images       {_listed(found.images)}"]
        if found.networks is not None:
            lines.append(f"    networks     {_listed(found.networks)}")
    lines += ["", "# clouds.yaml (then: openstack --os-cloud cindersim volume create "
                  "--size 1 v1)", "clouds:"]
    for name, user in (("cindersim", "demo"), ("cindersim-admin", "admin")):
        lines += [
            f"  {name}:",
            "    auth_type: password",
            f"    auth: {{auth_url: \"{auth_url}\", username: {user}, "
            f"password: {DEFAULT_PASSWORD}, project_name: {user},",
            "           user_domain_name: Default, project_domain_name: Default}",
            "    region_name: RegionOne",
            "    identity_api_version: 3",
            f"    volume_api_version: \"{VOLUME_API_VERSION}\"",
            f"    compute_api_version: \"{COMPUTE_API_VERSION}\"",
        ]
    if options.auth != "keystone":
        lines += [
            "  cindersim-noauth:",
            "    auth_type: admin_token",
            f"    auth: {{endpoint: \"{base}/v3/{demo}\", token: \"demo:{demo}\"}}",
            f"    image_endpoint_override: \"{base}/image\"",
            f"    volume_api_version: \"{VOLUME_API_VERSION}\"",
        ]
    lines += [
        "",
        "# Environment, EITHER with Keystone (python-cinderclient, openstack CLI) ...",
        f"unset {' '.join(_NOAUTH_VARS)}",
        f"export OS_AUTH_URL={auth_url} OS_USERNAME=demo OS_PASSWORD={DEFAULT_PASSWORD} "
        "OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default "
        f"OS_IDENTITY_API_VERSION=3 OS_VOLUME_API_VERSION={VOLUME_API_VERSION}",
    ]
    if options.auth != "keystone":
        lines += [
            "# ... OR without Keystone (python-cinderclient's noauth: an admin in project "
            "demo); not both in one shell",
            f"unset {' '.join(_KEYSTONE_VARS)}",
            f"export OS_AUTH_TYPE=noauth CINDER_ENDPOINT={base}/v3 OS_USER_ID=demo "
            f"OS_PROJECT_ID={demo} OS_VOLUME_API_VERSION={VOLUME_API_VERSION}",
        ]
    trace = f"; trace to {options.trace}" if options.trace else ""
    lines += ["", f"Ctrl-C or SIGTERM stops the server{trace}.", ""]
    return "\n".join(lines)
