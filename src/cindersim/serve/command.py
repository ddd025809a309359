"""``cindersim serve``: arguments, the start-up banner, and the blocking run.

The banner gives what a user pastes to point a real client at the server: the
endpoints, a ``clouds.yaml`` (Keystone password login as ``demo``, as ``admin``,
and a no-Keystone entry using cinderclient-style ``user:project`` tokens), and
the environment lines for python-cinderclient, both with Keystone and with its
``noauth`` plugin.  Facts behind the choices are in real-clients.md:

* cinderclient's noauth with ``CINDER_ENDPOINT=http://h/v3`` sends project-less
  URLs (``/v3/volumes``), which Cinder accepts from microversion 3.67, so the
  env lines set ``OS_VOLUME_API_VERSION=3.71``.
* openstacksdk's ``auth_type: none`` sends ``X-Auth-Token: notused``, which
  NoAuthMiddleware would read as user and project ``notused``; the
  ``admin_token`` plugin sends the token we give, so the no-Keystone entry
  uses it with ``demo:<demo project id>``.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

from ..cloud import Cloud
from ..config import ConfigError
from ..services.keystone import DEFAULT_PASSWORD
from .server import ServeOptions, ServerLimits, SimServer, exposes_noauth, serve

__all__ = ["add_arguments", "banner", "main", "options_from_args", "run"]


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("speed must be > 0")
    return value


def _user(text: str) -> tuple[str, str, tuple[str, ...]]:
    """``NAME:PROJECT:ROLE[+ROLE...]`` -> (name, project, roles)."""
    if text.count(":") != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:PROJECT:ROLE[+ROLE...]")
    name, project, roles = text.split(":")
    parsed = tuple(r for r in roles.split("+") if r)
    if not name or not project or not parsed:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:PROJECT:ROLE[+ROLE...]")
    return name, project, parsed


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``serve``'s options to *parser* (the CLI's subparser, or a standalone one)."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", type=int, default=8776,
                        help="port to bind (default 8776, Cinder's; 0 picks a free one)")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="cloud configuration, cinder.conf-style (INI or TOML)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the simulation's ids and random choices (default 0)")
    parser.add_argument("--speed", type=_speed, default=60.0,
                        help="virtual seconds per real second (default 60: a simulated "
                             "minute per second)")
    parser.add_argument("--trace", metavar="PATH", default=None,
                        help="write the simulation's trace here as JSON Lines (streamed; "
                             "complete when the server stops)")
    parser.add_argument("--auth", choices=("both", "keystone", "noauth"), default="both",
                        help="tokens cinder-api accepts: 'keystone' (issued by "
                             "/identity/v3), 'noauth' (every token is user:project, an "
                             "admin, as Cinder's auth_strategy=noauth), or 'both' (default: "
                             "a token with ':' is noauth, others Keystone's)")
    parser.add_argument("--allow-remote-noauth", action="store_true",
                        help="serve noauth tokens (--auth noauth or both) on a non-loopback "
                             "--host; without it that is refused, since any client reaching "
                             "the port could act as an admin")
    limits = ServerLimits()
    parser.add_argument("--max-body-size", type=int, default=limits.max_body_size,
                        metavar="BYTES",
                        help="largest request body; larger is 413 without being read "
                             f"(default {limits.max_body_size}, oslo.middleware's "
                             "max_request_body_size)")
    parser.add_argument("--max-upload-size", type=int, default=limits.max_upload_size,
                        metavar="BYTES",
                        help="largest image file or object upload (PUT /image/v2/images/"
                             "{id}/file, PUT /object-store/...), held in memory "
                             f"(default {limits.max_upload_size})")
    parser.add_argument("--max-connections", type=_count, default=limits.max_connections,
                        help="connections served at once; more are answered 503 and "
                             f"closed (default {limits.max_connections})")
    parser.add_argument("--idle-timeout", type=_positive, default=limits.idle_timeout,
                        metavar="SECONDS",
                        help="wall seconds a connection may wait with no request under "
                             f"way before it is closed (default {limits.idle_timeout:g})")
    parser.add_argument("--request-timeout", type=_positive, default=limits.request_timeout,
                        metavar="SECONDS",
                        help="wall seconds a request has to arrive whole after its first "
                             "byte (else 408 and close), and a response to be read "
                             f"(default {limits.request_timeout:g})")
    parser.add_argument("--user", metavar="NAME:PROJECT:ROLE[+ROLE]", type=_user,
                        action="append", default=[],
                        help="one more Keystone user (password 'secret') holding ROLE on "
                             "PROJECT (created if missing), e.g. a reader for Tempest's "
                             "pre-provisioned accounts; repeatable")
    parser.add_argument("--token-expiration", metavar="SECONDS", type=_positive,
                        default=None,
                        help="Keystone's [token] expiration in virtual seconds (default "
                             "3600); at a high --speed a client that trusts the token's "
                             "wall-clock expires_at needs it longer")


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    limits = ServerLimits(max_body_size=args.max_body_size,
                          max_upload_size=args.max_upload_size,
                          max_connections=args.max_connections,
                          idle_timeout=args.idle_timeout, request_timeout=args.request_timeout)
    return ServeOptions(host=args.host, port=args.port, config=args.config, seed=args.seed,
                        speed=args.speed, trace=args.trace, auth=args.auth, limits=limits)


def banner(server: SimServer, options: ServeOptions) -> str:
    """What ``cindersim serve`` prints once it listens."""
    cloud: Cloud = server.cloud
    base = server.base_url
    auth_url = f"{base}/identity/v3"
    demo = cloud.project_id("demo")
    admin = cloud.project_id("admin")
    lines = [
        f"cindersim serve: a simulated Cinder at {base} (seed {options.seed}, "
        f"{options.speed:g} virtual seconds per real second, auth {options.auth})",
        f"  block-storage  {base}/v3/<project_id>    (demo: {base}/v3/{demo})",
        f"  identity       {auth_url}    (users admin, demo, alt_demo; "
        f"password {DEFAULT_PASSWORD!r}; domain Default)",
        f"  compute        {base}/compute/v2.1",
        f"  projects       admin {admin}  demo {demo}  alt_demo {cloud.project_id('alt_demo')}",
        "",
        "# clouds.yaml (then: openstack --os-cloud cindersim volume create --size 1 v1)",
        "clouds:",
    ]
    for name, user in (("cindersim", "demo"), ("cindersim-admin", "admin")):
        lines += [
            f"  {name}:",
            "    auth_type: password",
            f"    auth: {{auth_url: \"{auth_url}\", username: {user}, "
            f"password: {DEFAULT_PASSWORD}, project_name: {user},",
            "           user_domain_name: Default, project_domain_name: Default}",
            "    region_name: RegionOne",
            "    identity_api_version: 3",
        ]
    if options.auth != "keystone":
        lines += [
            "  cindersim-noauth:",
            "    auth_type: admin_token",
            f"    auth: {{endpoint: \"{base}/v3/{demo}\", token: \"demo:{demo}\"}}",
            f"    image_endpoint_override: \"{base}/image\"",
        ]
    lines += [
        "",
        "# python-cinderclient with Keystone",
        f"export OS_AUTH_URL={auth_url} OS_USERNAME=demo OS_PASSWORD={DEFAULT_PASSWORD} "
        "OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default "
        "OS_VOLUME_API_VERSION=3.71",
    ]
    if options.auth != "keystone":
        lines += [
            "# python-cinderclient without Keystone (noauth: an admin in project demo)",
            f"export OS_AUTH_TYPE=noauth CINDER_ENDPOINT={base}/v3 OS_USER_ID=demo "
            f"OS_PROJECT_ID={demo} OS_VOLUME_API_VERSION=3.71",
        ]
    trace = f"; trace to {options.trace}" if options.trace else ""
    lines += ["", f"Ctrl-C or SIGTERM stops the server{trace}.", ""]
    return "\n".join(lines)


def _provision(cloud: Cloud, args: argparse.Namespace) -> None:
    """Apply ``--user`` and ``--token-expiration`` before the first request: the
    ``ready`` callback runs on the server's loop, so no request is in flight."""
    identity = cloud.identity
    if getattr(args, "token_expiration", None) is not None:
        identity.token_expiration = args.token_expiration
    for name, project, roles in getattr(args, "user", None) or []:
        if identity.find_project(project) is None:
            identity.create_project(project)
        if identity.find_user(name) is None:
            identity.create_user(name, default_project=project)
        for role in roles:
            identity.grant(name, project, role)


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Run ``cindersim serve`` with parsed *args*; returns the exit status."""
    stream = out if out is not None else sys.stdout
    try:
        options = options_from_args(args)
    except ValueError as exc:
        sys.stderr.write(f"cindersim serve: {exc}\n")
        return 2
    if exposes_noauth(options):
        if not args.allow_remote_noauth:
            sys.stderr.write(
                f"cindersim serve: refusing to serve --auth {options.auth} on {options.host!r}, "
                "a non-loopback address: any client that reaches the port could act as an "
                "admin with a 'user:project' token.  Use --auth keystone, bind 127.0.0.1, "
                "or pass --allow-remote-noauth if that is what you want.\n")
            return 2
        sys.stderr.write(
            f"cindersim serve: WARNING: --auth {options.auth} on {options.host!r} (not "
            "loopback): anyone who can reach this port is an admin (noauth tokens).\n")

    def ready(server: SimServer) -> None:
        _provision(server.cloud, args)
        stream.write(banner(server, options))
        stream.flush()

    try:
        written = serve(options, ready=ready)
    except ConfigError as exc:
        sys.stderr.write(f"cindersim serve: {exc}\n")
        return 2
    except ValueError as exc:  # --user names a role the identity does not have
        sys.stderr.write(f"cindersim serve: --user: {exc}\n")
        return 2
    except OSError as exc:  # the port is taken, the config or trace path is unusable
        sys.stderr.write(f"cindersim serve: {exc}\n")
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the server listened
        sys.stderr.write("cindersim serve: interrupted\n")
        return 130
    if options.trace is not None:
        stream.write(f"cindersim serve: stopped; {written} trace events written to "
                     f"{options.trace}\n")
    else:
        stream.write("cindersim serve: stopped\n")
    stream.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m cindersim.serve [options]``: the same as ``cindersim serve``."""
    parser = argparse.ArgumentParser(
        prog="cindersim serve",
        description="Serve a simulated Cinder (and a minimal Keystone) over HTTP, so "
                    "python-cinderclient, openstacksdk and the openstack CLI can use it.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
