"""/snapshots/{id}/metadata against cinder/api/v3/snapshot_metadata.py and its schema."""

from __future__ import annotations

from typing import Any

from apitest import bad, create_volume, not_found, req, run

from cindersim.cloud import Cloud


async def snapshot(cloud: Cloud) -> str:
    vid = await create_volume(cloud)
    await cloud.settle()
    r = await req(cloud, "POST", "/snapshots", json={"snapshot": {"volume_id": vid}})
    assert r.status == 202, r.json
    await cloud.settle()
    sid: str = r.json["snapshot"]["id"]
    return sid


def test_crud() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        sid = await snapshot(cloud)
        base = f"/snapshots/{sid}/metadata"
        out: list[Any] = [sid]
        for method, path, body in [
                ("POST", base, {"metadata": {"a": "1"}, "other": True}),
                ("PUT", f"{base}/a", {"meta": {"a": "2"}}),
                ("GET", base, None),
                ("PUT", base, {"metadata": {"b": "3"}}),
                ("DELETE", f"{base}/b", None),
                ("GET", f"{base}/b", None),
                ("POST", base, {"metadata": {"a/b": "1"}}),
                ("PUT", f"{base}/a", {"meta": {"z": "1"}}),
                ("GET", base, None)]:
            r = await req(cloud, method, path, json=body)
            out.append((r.status, r.json))
        return out

    sid, *out = run(main)
    assert out == [
        (200, {"metadata": {"a": "1"}}),  # other top-level keys are allowed here
        (200, {"meta": {"a": "2"}}),
        (200, {"metadata": {"a": "2"}}),
        (200, {"metadata": {"b": "3"}}),
        (200, None),
        (404, not_found(f"Snapshot {sid} has no metadata with key b.")),
        # Snapshot metadata keys may not hold a '/' (volume metadata keys may).
        (400, bad("Invalid input for field/attribute metadata. Value: {'a/b': '1'}. "
                  "Additional properties are not allowed ('a/b' was unexpected)")),
        (400, bad("Request body and URI mismatch")),
        (200, {"metadata": {}}),
    ]


def test_other_project_is_404() -> None:
    async def main(cloud: Cloud) -> Any:
        sid = await snapshot(cloud)
        r = await req(cloud, "GET", f"/snapshots/{sid}/metadata", "alt_demo")
        return sid, r.status, r.json

    sid, status, body = run(main)
    assert (status, body) == (404, not_found(f"Snapshot {sid} could not be found."))
