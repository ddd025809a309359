"""The request records carried between cinder-api, the scheduler and cinder-volume."""

from __future__ import annotations

import attrs

from cindersim.services.scheduler.filter_scheduler import DEFAULT_CONFIG
from cindersim.services.scheduler.request_spec import (
    FilterProperties,
    RequestSpec,
    RetryRecord,
    volume_create_spec,
)


class TestRetryRecord:
    def test_retry_dict_round_trip(self) -> None:
        r = RetryRecord(2, ("x",), ("x",), exc="boom")
        assert RetryRecord.from_dict(r.to_dict()) == r
        assert RetryRecord.from_dict({}) is None


class TestVolumeCreateSpec:
    def test_every_field_ends_as_the_constructor_leaves_it(self) -> None:
        for extra_specs, zones, picks in (
                ({}, (), (None, None, None, None)),
                ({"volume_backend_name": "lvm", "multiattach": "<is> True"}, ("az1", "az2"),
                 ("snap", "host@b#p", "user", "image"))):
            snapshot_id, backend, user_id, image_id = picks
            fast = volume_create_spec(3, "vol", snapshot_id, "type", "type-id", extra_specs,
                                      "nova", zones, backend, True, "proj", user_id, image_id)
            slow = RequestSpec(size=3, volume_id="vol", snapshot_id=snapshot_id,
                               volume_type_name="type", volume_type_id="type-id",
                               extra_specs=extra_specs, availability_zone="nova",
                               availability_zones=zones, resource_backend=backend,
                               multiattach=True, project_id="proj", user_id=user_id,
                               image_id=image_id)
            for field in attrs.fields(RequestSpec):
                mine, theirs = getattr(fast, field.name), getattr(slow, field.name)
                assert type(mine) is type(theirs), field.name
                assert mine == theirs, field.name
            assert fast == slow
            assert attrs.asdict(fast) == attrs.asdict(slow)
            # Nothing more in the instance dict, and in the fields' order, then the kept
            # thin/thick choice, as its first read leaves it.
            assert fast.thin is slow.thin is True
            assert list(vars(fast)) == list(vars(slow)) == [
                *(f.name for f in attrs.fields(RequestSpec)), "thin"]

    def test_thin_is_kept_as_its_first_read_works_it_out(self) -> None:
        for specs, thin in (({}, True), ({"provisioning:type": "thin"}, True),
                            ({"provisioning:type": "thick"}, False)):
            fast = volume_create_spec(1, "vol", None, "type", "type-id", specs, "nova", (),
                                      None, False, None, None, None)
            slow = RequestSpec(size=1, extra_specs=specs)
            assert "thin" not in vars(slow)
            assert fast.thin is slow.thin is thin
            assert vars(slow)["thin"] is thin
            assert FilterProperties(fast, DEFAULT_CONFIG).thin is thin
            # The kept value is not a field: neither a trace nor equality sees it.
            assert "thin" not in attrs.asdict(fast)
