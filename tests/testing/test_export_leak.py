"""The export-leak invariant failure of issue 18: ``POST /attachments`` while the
backend's cinder-volume is stopped, which starts again just before cinder-api's call
times out.  The manager exports the volume and connects the attachment, the API
answers 500; the attachment is live (a DELETE cleans it up) and no target leaks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cindersim.cloud import Cloud, simulate
from cindersim.testing import exports_match_attachments
from cindersim.testing.machine import CONNECTOR, DEFAULT_MACHINE_CONFIG, V344


@pytest.mark.parametrize("down_for", [59.9, 61.0])
def test_attach_while_the_backend_is_down(down_for: float) -> None:
    async def main(cloud: Cloud) -> Any:
        pid, tok = cloud.project_id("demo"), cloud.token("demo")
        r = await cloud.request("POST", f"/v3/{pid}/volumes", json={"volume": {"size": 1}},
                                token=tok)
        vid = r.json["volume"]["id"]
        await cloud.settle()
        svc = cloud.volume_services[(cloud.db.volumes[vid].host or "").split("#")[0]]
        svc.stop()
        pending = asyncio.ensure_future(cloud.request(
            "POST", f"/v3/{pid}/attachments", headers=V344, token=tok,
            json={"attachment": {"volume_uuid": vid, "connector": CONNECTOR,
                                 "instance_uuid": "00000000-0000-4000-8000-000000000001"}}))
        await asyncio.sleep(down_for)
        svc.start()
        created = await pending
        await cloud.settle()
        after_start = exports_match_attachments(cloud)
        targets = len(svc.driver.target.targets())
        for att in list(cloud.db.attachments):
            await cloud.request("DELETE", f"/v3/{pid}/attachments/{att}", token=tok,
                                headers=V344)
        await cloud.settle()
        return (created.status, after_start, targets, exports_match_attachments(cloud),
                len(svc.driver.target.targets()), cloud.db.volumes[vid].status)

    status, after_start, targets, after_delete, left, vstatus = \
        simulate(main, config=DEFAULT_MACHINE_CONFIG).value
    assert status == 500  # the call timed out either way
    assert after_start == []
    assert targets == (1 if down_for < 60 else 0)
    assert (after_delete, left, vstatus) == ([], 0, "available")
