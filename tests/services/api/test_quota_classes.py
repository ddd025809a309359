"""/os-quota-class-sets against cinder/api/contrib/quota_classes.py, and the ``default``
class feeding every project's defaults (``use_default_quota_class``)."""

from __future__ import annotations

from typing import Any

from apitest import bad, create_volume, forbidden, req, run

from cindersim.cloud import Cloud


def test_show_update_and_default_class_feeds_quota() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        out: dict[str, Any] = {}
        r = await req(cloud, "GET", "/os-quota-class-sets/default", "admin")
        out["show"] = (r.status, r.json)
        r = await req(cloud, "PUT", "/os-quota-class-sets/default", "admin",
                      {"quota_class_set": {"volumes": 1, "gigabytes": "50"}})
        out["update"] = (r.status, r.json)
        r = await req(cloud, "GET", "/os-quota-class-sets/gold", "admin")
        out["other_class"] = r.json["quota_class_set"]
        r = await req(cloud, "PUT", "/os-quota-class-sets/gold", "admin",
                      {"quota_class_set": {"volumes": 7}})
        out["gold"] = r.json["quota_class_set"]
        demo = cloud.project_id("demo")
        r = await req(cloud, "GET", f"/os-quota-sets/{demo}", "demo")
        out["project"] = r.json["quota_set"]
        r = await req(cloud, "GET", f"/os-quota-sets/{demo}/defaults", "demo")
        out["defaults"] = r.json["quota_set"]
        await create_volume(cloud, "demo")
        r = await req(cloud, "POST", "/volumes", "demo", {"volume": {"size": 1}})
        out["second_volume"] = (r.status, r.json)
        return out

    out = run(main)
    status, body = out["show"]
    assert status == 200
    assert body["quota_class_set"] == {
        "id": "default", "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
        "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1,
        "volumes___DEFAULT__": -1, "gigabytes___DEFAULT__": -1, "snapshots___DEFAULT__": -1}
    status, body = out["update"]
    assert status == 200
    assert "id" not in body["quota_class_set"]
    assert (body["quota_class_set"]["volumes"], body["quota_class_set"]["gigabytes"]) == (1, 50)
    # Another class falls back on the default class, then on the config.
    assert (out["other_class"]["volumes"], out["other_class"]["snapshots"]) == (1, 10)
    assert (out["gold"]["volumes"], out["gold"]["gigabytes"]) == (7, 50)
    assert (out["project"]["volumes"], out["project"]["gigabytes"]) == (1, 50)
    assert (out["defaults"]["volumes"], out["defaults"]["gigabytes"]) == (1, 50)
    assert out["second_volume"][0] == 413
    assert "Maximum number of volumes allowed (1) exceeded" in str(out["second_volume"][1])


def test_update_errors_and_policy() -> None:
    async def main(cloud: Cloud) -> dict[str, Any]:
        out: dict[str, Any] = {}
        before = cloud.quota.class_defaults.copy()
        for name, (user, body) in {
            "member": ("demo", {"quota_class_set": {"volumes": 1}}),
            "bad_key": ("admin", {"quota_class_set": {"volumes": 1, "bogus": 2, "x": 3}}),
            "member_bad_key": ("demo", {"quota_class_set": {"bogus": 2}}),
            "below": ("admin", {"quota_class_set": {"volumes": -2}}),
            "text": ("admin", {"quota_class_set": {"volumes": "ten"}}),
            "kind": ("admin", {"quota_class_set": {"volumes": [1]}}),
            "missing": ("admin", {"quota_set": {"volumes": 1}}),
            "extra": ("admin", {"quota_class_set": {}, "more": 1}),
        }.items():
            r = await req(cloud, "PUT", "/os-quota-class-sets/default", user, body)
            out[name] = (r.status, r.json)
        r = await req(cloud, "GET", "/os-quota-class-sets/default", "demo")
        out["member_show"] = (r.status, r.json)
        r = await req(cloud, "PUT", "/os-quota-class-sets/" + "c" * 256, "admin",
                      {"quota_class_set": {"volumes": 1}})
        out["long"] = (r.status, r.json)
        out["unchanged"] = cloud.quota.class_defaults == before
        return out

    out = run(main)
    assert out["member"] == (403, forbidden("volume_extension:quota_classes:update"))
    assert out["member_show"] == (403, forbidden("volume_extension:quota_classes:get"))
    assert out["bad_key"] == (400, bad("Invalid input received: Bad key(s) in quota class "
                                       "set: bogus, x"))
    # The schema runs before the policy check.
    assert out["member_bad_key"] == (400, bad("Invalid input received: Bad key(s) in quota "
                                              "class set: bogus"))
    assert out["below"] == (400, bad("Invalid input for field/attribute volumes. Value: -2. "
                                     "-2 is less than the minimum of -1"))
    assert out["text"] == (400, bad("Invalid input for field/attribute volumes. Value: ten. "
                                    "'ten' does not match '^[0-9]*$'"))
    assert out["kind"] == (400, bad("Invalid input for field/attribute volumes. Value: [1]. "
                                    "[1] is not of type 'integer', 'string'"))
    assert out["missing"] == (400, bad("'quota_class_set' is a required property"))
    assert out["extra"] == (400, bad("Additional properties are not allowed ('more' was "
                                     "unexpected)"))
    assert out["long"] == (400, bad("quota_class_name has 256 characters, more than 255."))
    assert out["unchanged"]
