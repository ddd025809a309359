"""``cindersim serve``: arguments, the start-up banner (:mod:`.banner`), and the
blocking run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import IO

from ..cloud import Cloud
from ..config import ConfigError
from .banner import banner, inventory
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

    shown: list[asyncio.Task[None]] = []

    async def show(server: SimServer) -> None:
        try:
            found = await inventory(server)
        except Exception as exc:  # the endpoints still matter; say what went wrong
            sys.stderr.write(f"cindersim serve: could not list flavors and images: {exc}\n")
            found = None
        stream.write(banner(server, options, found))
        stream.flush()

    def ready(server: SimServer) -> None:
        _provision(server.cloud, args)
        # The inventory is asked of the services' REST faces, which are coroutines.
        shown.append(asyncio.get_running_loop().create_task(show(server)))

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
