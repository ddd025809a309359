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

    def test_repeated_answers_stay_the_same(self) -> None:
        # extract_host is cached by its arguments: a second ask of each level gives
        # the first answer, whatever was asked in between.
        first = [extract_host("c2@lvm#p2", level) for level in ("host", "backend", "pool")]
        extract_host("c2@other#p3")
        again = [extract_host("c2@lvm#p2", level) for level in ("host", "backend", "pool")]
        assert first == again == ["c2", "c2@lvm", "p2"]
        assert extract_host("c2@lvm#p2", level="backend") == "c2@lvm"

    def test_unknown_level_raises_every_time(self) -> None:
        for _ in range(2):  # an error is not cached as an answer
            with pytest.raises(ValueError, match="unknown level 'rack'"):
                extract_host("c1@lvm#p1", "rack")
