"""/qos-specs against cinder/api/contrib/qos_specs_manage.py and cinder/volume/qos_specs.py."""

from __future__ import annotations

from typing import Any

from apitest import UNKNOWN, bad, forbidden, not_found, req, run

from cindersim.cloud import Cloud


def test_lifecycle() -> None:
    async def main(cloud: Cloud) -> list[Any]:
        out: list[Any] = []

        async def call(method: str, path: str, body: Any = None, user: str = "admin") -> None:
            r = await req(cloud, method, path, user, body)
            out.append((r.status, r.json))

        r = await req(cloud, "POST", "/qos-specs", "admin",
                      {"qos_specs": {"name": " q ", "read_iops_sec": "100"}})
        qid = r.json["qos_specs"]["id"]
        out.append((r.status, r.json["qos_specs"]))
        t = await req(cloud, "POST", "/types", "admin", {"volume_type": {"name": "t"}})
        tid = t.json["volume_type"]["id"]
        await call("POST", "/qos-specs", {"qos_specs": {"name": "q"}})
        await call("POST", "/qos-specs", {"qos_specs": {"name": "z", "consumer": "nobody"}})
        await call("PUT", f"/qos-specs/{qid}", {"qos_specs": {"consumer": "both"}})
        await call("GET", f"/qos-specs/{qid}/associate")
        await call("GET", f"/qos-specs/{qid}/associate?vol_type_id={tid}")
        await call("GET", f"/qos-specs/{qid}/associations")
        await call("DELETE", f"/qos-specs/{qid}")
        await call("PUT", f"/qos-specs/{qid}/delete_keys", {"keys": ["nope"]})
        await call("PUT", f"/qos-specs/{qid}/delete_keys", {"keys": ["read_iops_sec"]})
        await call("GET", f"/qos-specs/{qid}/disassociate?vol_type_id={tid}")
        await call("DELETE", f"/qos-specs/{qid}")
        await call("GET", f"/qos-specs/{UNKNOWN}")
        await call("GET", "/qos-specs", user="demo")
        return [qid, tid, *out]

    qid, tid, *out = run(main)
    assert out == [
        (200, {"id": qid, "name": "q", "consumer": "back-end",
               "specs": {"read_iops_sec": "100"}}),
        (409, {"conflictingRequest": {"code": 409, "message": "QoS Specs q already exists."}}),
        (400, bad("Invalid qos specs: Valid consumer of QoS specs are: ['front-end', "
                  "'back-end', 'both']")),
        (200, {"qos_specs": {"consumer": "both"}}),
        (400, bad("Volume Type id must not be None.")),
        (202, None),
        (200, {"qos_associations": [{"association_type": "volume_type", "name": "t",
                                     "id": tid}]}),
        (400, bad("Qos specs still in use.")),
        (404, not_found(f"QoS spec {qid} has no spec with key nope.")),
        (202, None),
        (202, None),
        (202, None),
        (404, not_found(f"No such QoS spec {UNKNOWN}.")),
        (403, forbidden("volume_extension:qos_specs_manage:get_all")),
    ]
