"""Host strings (``volume_utils``), shared by every service."""

from __future__ import annotations

import pytest

from cindersim.services.volume_utils import append_host, extract_host


class TestExtractHost:
    @pytest.mark.parametrize(("level", "expected"), [
        ("host", "c1"), ("backend", "c1@lvm"), ("pool", "p1")])
    def test_extract_host(self, level: str, expected: str) -> None:
        assert extract_host("c1@lvm#p1", level) == expected

    def test_extract_pool_default(self) -> None:
        assert extract_host("c1@lvm", "pool") is None
        assert extract_host("c1@lvm", "pool", default_pool_name=True) == "_pool0"

    def test_append_host_is_undone_by_extract_host(self) -> None:
        pool_id = append_host("c1@lvm", "p1")
        assert pool_id == "c1@lvm#p1"
        assert (extract_host(pool_id), extract_host(pool_id, "pool")) == ("c1@lvm", "p1")
