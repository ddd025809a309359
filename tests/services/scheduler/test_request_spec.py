"""The request records carried between cinder-api, the scheduler and cinder-volume."""

from __future__ import annotations

import attrs

from cindersim.services.scheduler.request_spec import (
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
            # Nothing more in the instance dict, and in the fields' order.
            assert list(vars(fast)) == list(vars(slow)) == [
                f.name for f in attrs.fields(RequestSpec)]
