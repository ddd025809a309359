"""More of Cinder's routes: volume encryption metadata, ``GET /extensions/{alias}``
and ``PUT /os-services/failover_host`` (their Cinder facts are in each module)."""

from __future__ import annotations

from typing import Any

from apitest import UNKNOWN, bad, create_volume, forbidden, not_found, req, run

from cindersim.cloud import Cloud

HOST = "cinder-1@lvmdriver-1"


def test_volume_encryption_metadata() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        r = await req(cloud, "POST", "/types", "admin", {"volume_type": {"name": "luks"}})
        tid = r.json["volume_type"]["id"]
        r = await req(cloud, "POST", f"/types/{tid}/encryption", "admin", {"encryption": {
            "provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64",
            "key_size": 256}})
        assert r.status == 200, r.json
        plain = await create_volume(cloud, "demo")
        secret = await create_volume(cloud, "demo", volume_type="luks")
        await cloud.settle()
        out: dict[str, Any] = {}
        for key, (sub, user) in {
            "plain": (f"/volumes/{plain}/encryption", "demo"),
            "secret": (f"/volumes/{secret}/encryption", "demo"),
            "one": (f"/volumes/{secret}/encryption/provider", "demo"),
            "unknown_key": (f"/volumes/{secret}/encryption/colour", "demo"),
            "other_project": (f"/volumes/{secret}/encryption", "alt_demo"),
            "missing": (f"/volumes/{UNKNOWN}/encryption", "admin"),
        }.items():
            r = await req(cloud, "GET", sub, user)
            out[key] = (r.status, r.json)
        out["secret_id"] = secret
        out["key_id"] = cloud.db.volumes[secret].encryption_key_id
        out["secrets"] = list(cloud.key_manager.secrets)
        return out

    out = run(main)
    assert out["plain"] == (200, {"encryption_key_id": None})
    assert out["secrets"] == [out["key_id"]]  # the volume's own Barbican secret
    assert out["secret"] == (200, {"encryption_key_id": out["key_id"],
                                   "control_location": "front-end",
                                   "cipher": "aes-xts-plain64", "key_size": 256,
                                   "provider": "luks"})
    assert out["one"] == (200, "luks")
    assert out["unknown_key"] == (404, not_found("The resource could not be found."))
    assert out["other_project"] == (404, not_found(
        f"Volume {out['secret_id']} could not be found."))
    assert out["missing"] == (404, not_found(f"Volume {UNKNOWN} could not be found."))


def test_extension_show_and_failover() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (method, sub, user, body, version) in {
            "ext": ("GET", "/extensions/os-hosts", "demo", None, None),
            "ext_missing": ("GET", "/extensions/os-nothing", "demo", None, None),
            "failover": ("PUT", "/os-services/failover_host", "admin", {"host": HOST}, None),
            "failover_member": ("PUT", "/os-services/failover_host", "demo", {"host": HOST},
                                None),
            "failover_nowhere": ("PUT", "/os-services/failover_host", "admin",
                                 {"host": "nowhere"}, None),
            "failover_both": ("PUT", "/os-services/failover_host", "admin",
                              {"host": HOST, "cluster": "c"}, "3.26"),
            "failover_none_old": ("PUT", "/os-services/failover_host", "admin", {}, "3.25"),
            "failover_extra": ("PUT", "/os-services/failover_host", "admin",
                               {"host": HOST, "colour": "red"}, None),
        }.items():
            r = await req(cloud, method, sub, user, body, version=version)
            out[key] = (r.status, r.json)
        return out

    out = run(main)
    assert out["ext"] == (200, {"extension": {
        "name": "Hosts", "alias": "os-hosts", "description": "Admin-only host administration.",
        "updated": "2011-06-29T00:00:00+00:00", "links": []}})
    assert out["ext_missing"] == (404, not_found("The resource could not be found."))
    assert out["failover"] == (400, bad(
        "Invalid input received: No service could be changed: replication_status in "
        f"['{HOST}'] must be ['enabled', 'failed-over'] and must be up to failover."))
    assert out["failover_member"] == (403, forbidden("volume_extension:services:update"))
    assert out["failover_nowhere"] == (400, bad("Invalid input received: No service found "
                                                "with host=nowhere"))
    assert out["failover_both"] == (400, bad("Invalid input received: One and only one of "
                                             "cluster and host must be set."))
    assert out["failover_none_old"] == (400, bad("Invalid input received: Host field is "
                                                 "missing."))
    assert out["failover_extra"] == (400, bad("Additional properties are not allowed "
                                              "('colour' was unexpected)"))
