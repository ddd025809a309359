"""Glance v2 image actions: deactivate / reactivate (glance/api/v2/image_actions.py)."""

from __future__ import annotations

from typing import Any

from cindersim.cloud import Cloud, simulate

JSON = {"Accept": "application/json"}


async def _image(cloud: Cloud, tok: str, *, upload: bool = True, **body: Any) -> str:
    made = await cloud.request("POST", "/image/v2/images", token=tok, json={
        "name": "img", "disk_format": "raw", "container_format": "bare", **body})
    assert made.status == 201, made.json
    iid = str(made.json["id"])
    if upload:
        r = await cloud.glance.handle("PUT", f"/image/v2/images/{iid}/file", {
            "X-Auth-Token": tok, "Content-Type": "application/octet-stream"}, b"x" * 1024)
        assert r.status == 204
    return iid


async def _action(cloud: Cloud, tok: str, iid: str, action: str, *, method: str = "POST",
                  body: bytes | None = None) -> Any:
    return await cloud.glance.handle(method, f"/image/v2/images/{iid}/actions/{action}",
                                     {"X-Auth-Token": tok, **JSON}, body)


async def _status(cloud: Cloud, tok: str, iid: str) -> str:
    r = await cloud.request("GET", f"/image/v2/images/{iid}", token=tok)
    return str(r.json["status"])


def test_deactivate_and_reactivate_round_trip_and_their_effects() -> None:
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        pid = cloud.project_id("demo")
        iid = await _image(cloud, tok)
        out: dict[str, Any] = {"id": iid}
        out["deactivate"] = await _action(cloud, tok, iid, "deactivate")
        out["after_deactivate"] = await _status(cloud, tok, iid)
        out["again"] = await _action(cloud, tok, iid, "deactivate")  # no-op
        out["download"] = await cloud.glance.handle(
            "GET", f"/image/v2/images/{iid}/file", {"X-Auth-Token": tok, **JSON})
        out["volume"] = await cloud.request("POST", f"/v3/{pid}/volumes", token=tok, json={
            "volume": {"size": 1, "imageRef": iid}})
        out["reactivate"] = await _action(cloud, tok, iid, "reactivate")
        out["after_reactivate"] = await _status(cloud, tok, iid)
        out["reactivate_again"] = await _action(cloud, tok, iid, "reactivate")
        out["download_again"] = await cloud.glance.handle(
            "GET", f"/image/v2/images/{iid}/file", {"X-Auth-Token": tok})
        return out

    out = simulate(main).value
    assert (out["deactivate"].status, out["deactivate"].body) == (204, None)
    assert out["after_deactivate"] == "deactivated"
    assert out["again"].status == 204
    assert out["download"].status == 403
    assert "has been deactivated" in out["download"].body["message"]
    assert out["volume"].status == 400
    assert out["volume"].json["badRequest"]["message"] == (
        f"Invalid input received: Image {out['id']} is not active.")
    assert out["reactivate"].status == 204
    assert out["after_reactivate"] == "active"
    assert out["reactivate_again"].status == 204
    assert out["download_again"].status == 200


def test_wrong_status_is_glances_403() -> None:
    """``Image.deactivate`` raises Forbidden for any status but active/deactivated."""
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        iid = await _image(cloud, tok, upload=False)
        return (await _action(cloud, tok, iid, "deactivate"),
                await _action(cloud, tok, iid, "reactivate"), await _status(cloud, tok, iid))

    deact, react, status = simulate(main).value
    assert (deact.status, react.status, status) == (403, 403, "queued")
    assert deact.body["message"].startswith(
        "Not allowed to deactivate image in status 'queued'")
    assert react.body["message"].startswith(
        "Not allowed to reactivate image in status 'queued'")
    assert deact.body["title"] == "Forbidden"


def test_unknown_invisible_and_foreign_images() -> None:
    async def main(cloud: Cloud) -> Any:
        demo, alt, admin = cloud.token("demo"), cloud.token("alt_demo"), cloud.token("admin")
        private = await _image(cloud, demo, visibility="private")
        public = await _image(cloud, admin, visibility="public")
        identity = cloud.identity
        identity.create_user("demo_reader", default_project="demo")
        identity.grant("demo_reader", "demo", "reader")
        reader = cloud.token("demo_reader", "demo")
        return {
            "unknown": await _action(cloud, demo, "00000000-0000-4000-8000-00000000dead",
                                     "deactivate"),
            "other_project_private": await _action(cloud, alt, private, "deactivate"),
            "other_project_public": await _action(cloud, demo, public, "deactivate"),
            "reader_of_owner": await _action(cloud, reader, private, "deactivate"),
            "admin_any": await _action(cloud, admin, private, "deactivate"),
            "status": await _status(cloud, demo, private),
            "public_status": await _status(cloud, demo, public),
        }

    out = simulate(main).value
    assert out["unknown"].status == 404
    assert out["unknown"].body["message"].startswith(
        "No image found with ID 00000000-0000-4000-8000-00000000dead")
    assert out["other_project_private"].status == 404  # may not even see it
    assert out["other_project_public"].status == 403  # sees it, may not change it
    assert out["other_project_public"].body["message"].startswith(
        "You are not authorized to complete deactivate action.")
    assert out["reader_of_owner"].status == 403
    assert out["admin_any"].status == 204
    assert (out["status"], out["public_status"]) == ("deactivated", "active")


def test_a_body_and_other_methods_are_refused() -> None:
    async def main(cloud: Cloud) -> Any:
        tok = cloud.token("demo")
        iid = await _image(cloud, tok)
        return (await _action(cloud, tok, iid, "deactivate", body=b"{}"),
                await _action(cloud, tok, iid, "deactivate", method="GET"),
                await _action(cloud, tok, iid, "explode"),
                await _status(cloud, tok, iid))

    with_body, get, unknown, status = simulate(main).value
    assert with_body.status == 400
    assert with_body.body["message"].startswith("A body is not expected with this request.")
    assert (get.status, get.headers["Allow"]) == (405, "POST")
    assert unknown.status == 404
    assert status == "active"
