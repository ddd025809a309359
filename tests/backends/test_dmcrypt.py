"""dm-crypt/LUKS over fingerprint blocks: ciphertext below, plaintext above."""

from __future__ import annotations

import pytest

from cindersim.backends.blocks import BlockData, content_fingerprint
from cindersim.backends.dmcrypt import (
    CryptError,
    is_luks,
    luks_change_key,
    luks_format,
    luks_open,
    payload_offset,
    plain_open,
)


class TestLuks:
    @pytest.mark.parametrize("version", ["luks1", "luks2"])
    def test_format_open_write_read_back(self, version: str) -> None:
        lv = BlockData.of_gib(1)
        assert is_luks(lv) is None
        luks_format(lv, "pass", version=version, salt="v1")
        assert is_luks(lv) == version
        dev = luks_open(lv, "pass", "crypt-x")
        off = payload_offset(version)
        assert dev.size_blocks == lv.size_blocks - off
        dev.write(5, 3, "guest")
        assert [dev.read(i) for i in (5, 6, 7)] == [content_fingerprint("guest", i)
                                                     for i in (5, 6, 7)]
        assert lv.read(5 + off) not in (0, content_fingerprint("guest", 5))
        again = luks_open(lv, "pass", "crypt-y")  # a second open sees the same data
        assert again.items() == dev.items()

    def test_wrong_passphrase_and_no_header(self) -> None:
        lv = BlockData.of_gib(1)
        with pytest.raises(CryptError) as none:
            luks_open(lv, "pass", "c")
        assert none.value.exit_code == 1
        luks_format(lv, "pass")
        with pytest.raises(CryptError) as wrong:
            luks_open(lv, "other", "c")
        assert (wrong.value.exit_code, wrong.value.stderr) == (
            2, "No key available with this passphrase.")

    def test_change_key_keeps_the_data(self) -> None:
        lv = BlockData.of_gib(1)
        luks_format(lv, "old")
        luks_open(lv, "old", "c").write(0, 1, "data")
        luks_change_key(lv, "old", "new")
        assert luks_open(lv, "new", "c").read(0) == content_fingerprint("data", 0)
        with pytest.raises(CryptError):
            luks_open(lv, "old", "c")

    def test_resize_follows_the_device_below(self) -> None:
        lv = BlockData.of_gib(1)
        luks_format(lv, "p", version="luks2")
        dev = luks_open(lv, "p", "c")
        lv.resize(lv.size_blocks * 2)
        dev.resize()
        assert dev.size_blocks == lv.size_blocks - payload_offset("luks2")

    def test_too_small_for_a_header(self) -> None:
        with pytest.raises(CryptError):
            luks_format(BlockData(10), "p", version="luks2")


def test_plain_has_no_header_and_a_wrong_key_reads_garbage() -> None:
    lv = BlockData.of_gib(1)
    plain_open(lv, "k", "c").write(0, 1, "data")
    assert is_luks(lv) is None
    assert plain_open(lv, "k", "c").read(0) == content_fingerprint("data", 0)
    assert plain_open(lv, "other", "c").read(0) not in (0, content_fingerprint("data", 0))
