"""The layout's rules, checked on the source: who may import whom, and module sizes.

OpenStack's services touch each other only through RPC over the bus or another
service's API client; a reader should be able to tell from a module's imports what
it may touch.  Each rule below is a fact of that layout (issue 14):

* ``services/<svc>/`` imports another service's package only through the modules
  named in :data:`PUBLIC` (its RPC/API client faces and the objects Cinder shares);
* ``backends/`` (the storage) never imports ``services/`` or anything above it;
* renderers (``render/``) read only the trace, the status tables and the metrics
  derived from the trace.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

PUBLIC = frozenset({
    "cindersim.services.env",                   # what every service shares
    "cindersim.services.quota",                 # the quota engine, part of ServiceEnv
    "cindersim.services.volume_utils",          # cinder/volume/volume_utils.py: extract_host
    "cindersim.services.scheduler.request_spec",  # cinder/objects/request_spec.py, sent in RPCs
    "cindersim.services.api.wsgi",              # the HTTP response record every API returns
    "cindersim.services.glance.client",         # Glance's image API face (glanceclient's role)
    "cindersim.services.neutron.client",        # Neutron's API face (nova.network.neutron)
    "cindersim.services.keystone.client",       # keystonemiddleware's role: tokens, contexts
    "cindersim.services.key_manager.castellan",  # Castellan: the key manager's client face
})
"""Modules of a service package that other services may import."""

ABOVE_BACKENDS = ("services", "cloud", "serve", "scenario", "render", "cli", "sweep",
                  "testing", "workload", "metrics", "studio")
RENDER_MAY_USE = frozenset({"cindersim.trace", "cindersim.states", "cindersim.metrics",
                            "cindersim.pools"})  # metrics and pools: figures of a run
MAX_LINES = 700


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(name: str, source: str, *, is_package: bool = False) -> Iterator[str]:
    """Every ``cindersim`` module *source* imports (relative imports resolved; ``from
    pkg import mod`` counts as importing ``pkg.mod``)."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("cindersim"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("cindersim"):
                continue
            if node.module is None:
                yield from (f"{target}.{a.name}" for a in node.names)
            else:
                yield target


def _service(name: str) -> str | None:
    """The service package *name* belongs to; ``""`` for a shared module directly under
    ``services/`` (env, quota, volume_utils, message_api); None outside services/."""
    parts = name.split(".")
    if len(parts) < 3 or parts[1] != "services":
        return None
    return parts[2] if (SRC / "cindersim" / "services" / parts[2]).is_dir() else ""


def _is_within(target: str, module: str) -> bool:
    return target == module or target.startswith(module + ".")


def violations(modules: Mapping[str, tuple[str, bool]]) -> list[str]:
    """The rule each import breaks, for modules given as name -> (source, is_package)."""
    out = []
    for name, (source, is_package) in sorted(modules.items()):
        for target in imports_of(name, source, is_package=is_package):
            mine, theirs = _service(name), _service(target)
            if (mine is not None and theirs and mine != theirs
                    and target not in PUBLIC
                    and not any(_is_within(p, target) for p in PUBLIC)):
                out.append(f"{name} imports {target}: another service's internals")
            if name.startswith("cindersim.backends") and any(
                    _is_within(target, f"cindersim.{above}") for above in ABOVE_BACKENDS):
                out.append(f"{name} imports {target}: backends/ is below the services")
            if (name.startswith("cindersim.render") and not target.startswith("cindersim.render")
                    and target not in RENDER_MAY_USE):
                out.append(f"{name} imports {target}: a renderer reads only the trace")
    return out


def project_modules() -> dict[str, tuple[str, bool]]:
    return {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for p in sorted(SRC.rglob("*.py"))}


class TestLayout:
    def test_the_tree_keeps_the_import_rules(self) -> None:
        assert violations(project_modules()) == []

    def test_a_service_reaching_into_another_is_caught(self) -> None:
        """The check itself can fail: a deliberately bad import is reported."""
        bad = {
            "cindersim.services.backup.manager": (
                "from ..volume.manager import VolumeService\n", False),
            "cindersim.backends.lvm.volume_group": (
                "from ...services.quota import QuotaEngine\n", False),
            "cindersim.render.narrate": ("from ..cloud import Cloud\n", False),
            "cindersim.services.nova.api": ("from ..glance.client import Image\n", False),
        }
        assert violations(bad) == [
            "cindersim.backends.lvm.volume_group imports cindersim.services.quota: "
            "backends/ is below the services",
            "cindersim.render.narrate imports cindersim.cloud: a renderer reads only the trace",
            "cindersim.services.backup.manager imports cindersim.services.volume.manager: "
            "another service's internals",
        ]

    def test_no_module_is_over_700_lines(self) -> None:
        sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines())
                 for p in SRC.rglob("*.py")}
        assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
