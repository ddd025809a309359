"""Configuration with cinder.conf's option names, from a dict, TOML or INI."""

from __future__ import annotations

from pathlib import Path

import pytest

from cindersim.config import CloudConfig, ConfigError, load_config

INI = """\
[DEFAULT]
enabled_backends = lvm-1, lvm-2
quota_volumes = 5
allow_availability_zone_fallback = true
scheduler_default_filters = AvailabilityZoneFilter,CapacityFilter

[lvm-1]
volume_group = vg1
lvm_type = thin
max_over_subscription_ratio = 1.5
host = node1

[lvm-2]
volume_backend_name = LVM_2
host = node2
target_ip_address = 10.1.0.2
backend_availability_zone = az2

[simulator]
bus_latency = 0.01
"""

TOML = """\
[DEFAULT]
enabled_backends = ["lvm-1", "lvm-2"]
quota_volumes = 5
allow_availability_zone_fallback = true
scheduler_default_filters = ["AvailabilityZoneFilter", "CapacityFilter"]

[lvm-1]
volume_group = "vg1"
lvm_type = "thin"
max_over_subscription_ratio = 1.5
host = "node1"

[lvm-2]
volume_backend_name = "LVM_2"
host = "node2"
target_ip_address = "10.1.0.2"
backend_availability_zone = "az2"

[simulator]
bus_latency = 0.01
"""

DICT = {
    "DEFAULT": {"enabled_backends": "lvm-1,lvm-2", "quota_volumes": 5,
                "allow_availability_zone_fallback": True,
                "scheduler_default_filters": ["AvailabilityZoneFilter", "CapacityFilter"]},
    "lvm-1": {"volume_group": "vg1", "lvm_type": "thin", "max_over_subscription_ratio": 1.5,
              "host": "node1"},
    "lvm-2": {"volume_backend_name": "LVM_2", "host": "node2",
              "target_ip_address": "10.1.0.2", "backend_availability_zone": "az2"},
    "simulator": {"bus_latency": 0.01},
}


def check_example(cfg: CloudConfig) -> None:
    assert cfg.default["enabled_backends"] == ("lvm-1", "lvm-2")
    assert cfg.default["quota_volumes"] == 5
    assert cfg.default["allow_availability_zone_fallback"] is True
    assert cfg.default["scheduler_default_filters"] == ("AvailabilityZoneFilter",
                                                        "CapacityFilter")
    one, two = cfg.backends
    assert (one.name, one.service_host, one.backend_name) == ("lvm-1", "node1@lvm-1", "lvm-1")
    assert (one.volume_group, one.lvm_type) == ("vg1", "thin")
    assert one.max_over_subscription_ratio == "1.5"
    assert one.target_ip_address == cfg.default["my_ip"]
    assert (two.service_host, two.backend_name, two.target_ip_address) == (
        "node2@lvm-2", "LVM_2", "10.1.0.2")
    assert cfg.backend_az(one) == "nova"
    assert cfg.backend_az(two) == "az2"
    assert cfg.bus_latency == 0.01
    assert cfg.quota_volumes == 5  # attribute access reads [DEFAULT] and [simulator]


class TestSources:
    def test_dict(self) -> None:
        check_example(load_config(DICT))

    def test_toml_file(self, tmp_path: Path) -> None:
        path = tmp_path / "cloud.toml"
        path.write_text(TOML)
        check_example(load_config(path))
        check_example(load_config(str(path)))

    def test_ini_file(self, tmp_path: Path) -> None:
        path = tmp_path / "cinder.conf"
        path.write_text(INI)
        check_example(load_config(path))

    def test_the_three_forms_agree(self, tmp_path: Path) -> None:
        (tmp_path / "c.toml").write_text(TOML)
        (tmp_path / "c.conf").write_text(INI)
        forms = [load_config(DICT), load_config(tmp_path / "c.toml"),
                 load_config(tmp_path / "c.conf")]
        assert forms[0].to_dict() == forms[1].to_dict() == forms[2].to_dict()

    def test_flat_mapping_is_default_section(self) -> None:
        cfg = load_config({"quota_gigabytes": 50, "storage_availability_zone": "zone-x"})
        assert cfg.default["quota_gigabytes"] == 50
        assert cfg.backend_az(cfg.backends[0]) == "zone-x"

    def test_a_cloud_config_passes_through(self) -> None:
        cfg = load_config(DICT)
        assert load_config(cfg) is cfg

    def test_ini_default_section_values_are_not_backend_options(self, tmp_path: Path) -> None:
        """configparser copies [DEFAULT] into every section; they must not be read as
        (unknown) backend options."""
        path = tmp_path / "cinder.conf"
        path.write_text("[DEFAULT]\nenabled_backends = b\nquota_volumes = 3\n\n[b]\nhost = x\n")
        cfg = load_config(path)
        assert cfg.backends[0].service_host == "x@b"
        assert cfg.default["quota_volumes"] == 3


class TestDefaults:
    def test_default_cloud(self) -> None:
        cfg = load_config(None)
        d = cfg.default
        assert d["enabled_backends"] == ("lvmdriver-1",)
        assert d["storage_availability_zone"] == "nova"
        assert d["default_availability_zone"] is None
        assert d["default_volume_type"] == "__DEFAULT__"
        assert d["scheduler_default_filters"] == ("AvailabilityZoneFilter", "CapacityFilter",
                                                  "CapabilitiesFilter")
        assert d["scheduler_default_weighers"] == ("CapacityWeigher",)
        assert d["scheduler_max_attempts"] == 3
        assert d["capacity_weight_multiplier"] == 1.0
        assert d["allocated_capacity_weight_multiplier"] == -1.0
        assert (d["quota_volumes"], d["quota_snapshots"], d["quota_backups"],
                d["quota_groups"]) == (10, 10, 10, 10)
        assert (d["quota_gigabytes"], d["quota_backup_gigabytes"]) == (1000, 1000)
        assert d["per_volume_size_limit"] == -1
        assert d["reservation_expire"] == 86400
        assert d["no_snapshot_gb_quota"] is False
        assert (d["backend_stats_polling_interval"], d["report_interval"],
                d["service_down_time"]) == (60, 10, 60)
        assert d["osapi_max_limit"] == 1000
        (backend,) = cfg.backends
        assert backend.service_host == "cinder-1@lvmdriver-1"
        assert backend.volume_group == "cinder-volumes"
        assert backend.lvm_type == "auto"
        assert backend.target_helper == "tgtadm"
        assert backend.target_port == 3260
        assert backend.volume_clear == "zero"
        assert backend.reserved_percentage == 0
        assert backend.max_over_subscription_ratio == "20.0"

    def test_lvmdriver_1_needs_no_section(self) -> None:
        cfg = load_config({"DEFAULT": {"enabled_backends": "lvmdriver-1"}})
        assert cfg.backends[0].vg_size_gb == 100

    def test_mosr_auto_is_kept(self) -> None:
        cfg = load_config({"DEFAULT": {"enabled_backends": "b"},
                           "b": {"max_over_subscription_ratio": "auto"}})
        assert cfg.backends[0].max_over_subscription_ratio == "auto"


class TestErrors:
    @pytest.mark.parametrize(("data", "words"), [
        ({"DEFAULT": {"quota_volume": 5}}, "[DEFAULT] unknown option 'quota_volume'"),
        ({"DEFAULT": {"enabled_backends": "b"}, "b": {"volume_grup": "x"}},
         "[b] unknown option 'volume_grup'"),
        ({"simulator": {"latency": 1}}, "[simulator] unknown option 'latency'"),
        ({"costs": {"nonsense": 1}}, "[costs] unknown option 'nonsense'"),
        ({"DEFAULT": {"enabled_backends": "a,b"}, "a": {}},
         "enabled_backends names 'b' but there is no [b] section"),
        ({"DEFAULT": {"enabled_backends": "a"}, "a": {}, "zzz": {"host": "x"}},
         "section [zzz] is not an enabled backend"),
        ({"DEFAULT": {"enabled_backends": ""}}, "enabled_backends must name at least one"),
        ({"DEFAULT": {"quota_volumes": "ten"}}, "[DEFAULT] quota_volumes = 'ten'"),
        ({"DEFAULT": {"scheduler_max_attempts": 1.5}}, "scheduler_max_attempts = 1.5"),
        ({"DEFAULT": {"allow_availability_zone_fallback": "maybe"}},
         "allow_availability_zone_fallback = 'maybe': not a boolean"),
        ({"DEFAULT": {"enabled_backends": "b"}, "b": {"lvm_type": "fat"}},
         "[b] lvm_type = 'fat': must be one of auto, default, thin"),
        ({"DEFAULT": {"enabled_backends": "b"}, "b": {"max_over_subscription_ratio": 0.5}},
         "max_over_subscription_ratio = 0.5: must be >= 1.0 or 'auto'"),
        ({"DEFAULT": {"enabled_backends": "a,b"}, "a": {"host": "h"}, "b": {"host": "h"},
          "x": {}}, "section [x]"),
    ])
    def test_error_names_the_option(self, data: dict[str, object], words: str) -> None:
        with pytest.raises(ConfigError) as info:
            load_config(data)
        assert words in str(info.value)
        assert str(info.value).startswith("<dict>: ")

    def test_duplicate_backend_name_on_one_host(self) -> None:
        with pytest.raises(ConfigError, match="defined twice"):
            load_config({"DEFAULT": {"enabled_backends": "lvmdriver-1,lvmdriver-1"}})

    def test_unknown_option_in_a_file_names_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.conf"
        path.write_text("[DEFAULT]\nenabled_backend = lvmdriver-1\n")
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert str(info.value) == f"{path}: [DEFAULT] unknown option 'enabled_backend'"

    def test_bad_toml_and_missing_file(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text("[DEFAULT\n")
        with pytest.raises(ConfigError, match=str(bad)):
            load_config(bad)
        with pytest.raises(ConfigError, match="cannot read"):
            load_config(tmp_path / "absent.conf")
