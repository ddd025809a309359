"""The request records carried between cinder-api, the scheduler and cinder-volume."""

from __future__ import annotations

from cindersim.services.scheduler.request_spec import RetryRecord


class TestRetryRecord:
    def test_retry_dict_round_trip(self) -> None:
        r = RetryRecord(2, ("x",), ("x",), exc="boom")
        assert RetryRecord.from_dict(r.to_dict()) == r
        assert RetryRecord.from_dict({}) is None
