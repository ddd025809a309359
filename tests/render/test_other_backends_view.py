"""Issue 22: the narration, Mermaid and the studio's data for RBD, NFS and FC flows say
what those backends do, not LVM/iSCSI: lifelines, read-only queries, the backend
panel's contents and the code links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cindersim.render import narrate
from cindersim.render.mermaid import mermaid
from cindersim.render.studio import studio_model
from cindersim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
_RUNS: dict[str, Any] = {}


def _events(kind: str) -> Any:
    if kind not in _RUNS:
        res = run_scenario(load_scenario(ROOT / "scenarios" / f"attach-{kind}.toml"))
        _RUNS[kind] = res.trace.events
    return _RUNS[kind]


@pytest.mark.parametrize(("kind", "lifelines", "absent"), [
    ("nfs", ["participant Share as NFS share"], ["LVM", "ObjectStore", "iSCSI"]),
    ("fc", ["participant Array as FC array", "participant Fabric as FC fabric (zoning)"],
     ["participant LVM", "NovaCompute->>Array", "iSCSI"]),
    ("rbd", ["participant Ceph as Ceph cluster (RBD)"], ["participant LVM", "iSCSI"]),
])
def test_mermaid_lifelines(kind: str, lifelines: list[str], absent: list[str]) -> None:
    text = mermaid(_events(kind))
    for line in lifelines:
        assert line in text
    for word in absent:
        assert word not in text
    if kind == "fc":
        assert "Volume->>Array: array-fc-1: map LUN" in text  # the driver maps, not Nova
        assert "Note over NovaCompute: echo '- - -'" in text  # a host scanning its HBAs


@pytest.mark.parametrize(("kind", "ops"), [("nfs", "stat -f, du"),
                                           ("rbd", "rados connect")])
def test_read_only_queries_name_the_backends_own_commands(kind: str, ops: str) -> None:
    text = narrate(_events(kind))
    assert f"read-only backend queries: {ops}" in text or \
        f"read-only backend query: {ops}" in text
    assert "lvs/vgs" not in text
    assert "lvs/vgs" not in narrate(_events(kind), lang="vi")


@pytest.mark.parametrize(("kind", "host", "store", "items"), [
    ("rbd", "cinder-1@ceph", "rbd", {"image", "snapshot", "clone"}),
    ("nfs", "cinder-1@nfs-1", "nfs", {"raw file", "qcow2 overlay"}),
    ("fc", "cinder-1@fc-1", "fc", {"LUN"}),
])
def test_the_backend_panel_lists_what_the_backend_stores(kind: str, host: str, store: str,
                                                         items: set[str]) -> None:
    from cindersim.render.state import StateTracker  # noqa: PLC0415

    tracker = StateTracker()
    kinds_seen: set[str] = set()
    for ev in _events(kind):
        tracker.feed(ev)
        be = tracker.state["backends"].get(host)
        if be is not None:
            kinds_seen |= {v["kind"].split(" ")[0] if v["kind"].startswith("LUN") else v["kind"]
                           for v in be["lvs"].values()}
    be = tracker.state["backends"][host]
    assert be["store"] == store
    assert items <= kinds_seen
    assert tracker.state["targets"] == {}
    if kind == "fc":
        assert any(k.startswith("LUN 1 → compute-1") for k in _mapped_kinds(kind, host))


def _mapped_kinds(kind: str, host: str) -> list[str]:
    from cindersim.render.state import StateTracker  # noqa: PLC0415

    tracker = StateTracker()
    out: list[str] = []
    for ev in _events(kind):
        tracker.feed(ev)
        be = tracker.state["backends"].get(host)
        if be is not None:
            out.extend(v["kind"] for v in be["lvs"].values())
    return out


@pytest.mark.parametrize(("kind", "want", "unwanted"), [
    ("nfs", "nfs.py: NfsDriver.initialize_connection", "ISCSITarget"),
    ("fc", "driver.py: FibreChannelDriver.initialize_connection", "ISCSITarget"),
    ("rbd", "rbd.py: RBDDriver.initialize_connection", "ISCSITarget"),
])
def test_code_links_are_the_drivers_own(kind: str, want: str, unwanted: str) -> None:
    model = studio_model(_events(kind))
    labels = {link["label"] for flow in model["flows"] for step in flow["steps"]
              for link in step["code"]}
    assert want in labels
    assert not any(unwanted in label or "LVMVolumeDriver" in label for label in labels)
