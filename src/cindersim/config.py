"""Cloud configuration with cinder.conf's own option names.

A what-if user writes what they would write in ``cinder.conf``:
``enabled_backends``, ``volume_group``, ``lvm_type``, ``target_helper``,
``max_over_subscription_ratio``, ``scheduler_max_attempts``, ``quota_volumes``
... in a dict, a TOML file or an INI (cinder.conf) file with the same layout:
a ``[DEFAULT]`` section, one section per enabled backend, and two sections real
Cinder does not have: ``[simulator]`` (hosts, sizes and latencies that are
facts of the simulated hardware) and ``[costs]`` (the backend cost model).

Unknown options are errors that name the option: a typo must not silently run
a different what-if.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from .backends.costs import CostModel

__all__ = ["BackendConfig", "CloudConfig", "ConfigError", "load_config"]


class ConfigError(ValueError):
    """A bad configuration: names the source, the section and the option."""


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in {"true", "1", "yes", "on"}:
        return True
    if s in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {v!r}")


def _list(v: Any) -> tuple[str, ...]:
    if isinstance(v, (list, tuple)):
        return tuple(str(x).strip() for x in v if str(x).strip())
    return tuple(x.strip() for x in str(v).split(",") if x.strip())


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(f"not an integer: {v!r}")
    if isinstance(v, float) and not v.is_integer():
        raise ValueError(f"not an integer: {v!r}")
    return int(v)


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError(f"not a number: {v!r}")
    return float(v)


def _mosr(v: Any) -> str:
    """max_over_subscription_ratio is a string in Cinder: a float >= 1.0 or 'auto'."""
    s = str(v).strip()
    if s == "auto":
        return s
    if float(s) < 1.0:
        raise ValueError("must be >= 1.0 or 'auto'")
    return str(float(s))


def _choice(*choices: str) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        s = str(v).strip()
        if s not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return s

    return conv


VOLUME_DRIVERS = ("cinder.volume.drivers.lvm.LVMVolumeDriver",
                  "cinder.volume.drivers.nfs.NfsDriver",
                  "cindersim.volume.drivers.fc_array.FcArrayDriver",
                  "cinder.volume.drivers.rbd.RBDDriver")
"""The volume drivers cindersim simulates (a different driver must not silently run LVM).
The FC array driver is cindersim's own: no in-tree Cinder driver exports over FC
without a vendor's array (LVM has no FC target helper)."""
NFS_DRIVER = VOLUME_DRIVERS[1]
FC_DRIVER = VOLUME_DRIVERS[2]
BACKUP_DRIVERS = ("cinder.backup.drivers.swift.SwiftBackupDriver",
                  "cinder.backup.drivers.posix.PosixBackupDriver",
                  "cinder.backup.drivers.nfs.NFSBackupDriver",
                  "cinder.backup.drivers.ceph.CephBackupDriver")
"""The backup drivers cindersim simulates: Swift, and the chunked file drivers (posix, nfs)."""


def _supported(*choices: str) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        s = str(v).strip()
        if s not in choices:
            raise ValueError(f"{s!r} is not supported by cindersim; supported: "
                             f"{', '.join(choices)}")
        return s

    return conv


# Options of a backend section: name -> (converter, default).
BACKEND_OPTIONS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "volume_driver": (_supported(*VOLUME_DRIVERS), VOLUME_DRIVERS[0]),
    "volume_backend_name": (str, None),
    "volume_group": (str, "cinder-volumes"),
    "lvm_type": (_choice("auto", "default", "thin"), "auto"),
    "lvm_mirrors": (_int, 0),
    "target_helper": (_choice("tgtadm", "lioadm"), "tgtadm"),
    "target_protocol": (_choice("iscsi"), "iscsi"),
    "target_ip_address": (str, None),
    "target_port": (_int, 3260),
    "target_prefix": (str, "iqn.2010-10.org.openstack:"),
    "volume_clear": (_choice("zero", "none"), "zero"),
    "volume_clear_size": (_int, 0),
    "reserved_percentage": (_int, 0),
    "max_over_subscription_ratio": (_mosr, "20.0"),
    "backend_availability_zone": (str, None),
    # NfsDriver (cinder/volume/drivers/nfs.py)
    "nfs_shares_config": (str, "/etc/cinder/nfs_shares"),
    "nfs_sparsed_volumes": (_bool, True),
    "nfs_qcow2_volumes": (_bool, False),
    "nfs_mount_point_base": (str, "/var/lib/cinder/mnt"),
    "nfs_mount_options": (str, None),
    "nfs_mount_attempts": (_int, 3),
    "nfs_snapshot_support": (_bool, False),
    # simulator facts of the hardware behind this backend
    "nfs_shares": (_list, None),  # nfs_shares_config's lines when that file is not here
    "nfs_share_size_gb": (_int, 100),
    "fc_array_size_gb": (_int, 100),
    "host": (str, "cinder-1"),
    "vg_size_gb": (_int, 100),
    "extent_size_mib": (_int, 4),
}

def _opt_str(v: Any) -> str | None:
    """A string option whose unset value is None (``rbd_user``, ``rbd_secret_uuid``)."""
    s = str(v).strip()
    return s or None


# The RBD driver's options (cinder/volume/drivers/rbd.py RBD_OPTS; report_discard_supported
# is BaseVD's) and the simulated cluster behind them.
BACKEND_OPTIONS.update({
    "rbd_cluster_name": (str, "ceph"),
    "rbd_pool": (str, "rbd"),
    "rbd_user": (_opt_str, None),
    "rbd_ceph_conf": (str, ""),
    "rbd_flatten_volume_from_snapshot": (_bool, False),
    "rbd_secret_uuid": (_opt_str, None),
    "rbd_max_clone_depth": (_int, 5),
    "rbd_store_chunk_size": (_int, 4),
    "rados_connection_retries": (_int, 3),
    "rados_connection_interval": (_int, 5),
    "report_dynamic_total_capacity": (_bool, True),
    "rbd_exclusive_cinder_pool": (_bool, True),
    "report_discard_supported": (_bool, False),
    # simulator facts: the Ceph cluster the first backend naming a ceph.conf deploys
    "ceph_osds": (_int, 3),
    "ceph_osd_size_gb": (_int, 100),
    "ceph_pool_size": (_int, 3),
})

# [DEFAULT] options: name -> (converter, default).
DEFAULT_OPTIONS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "enabled_backends": (_list, ("lvmdriver-1",)),
    "storage_availability_zone": (str, "nova"),
    "default_availability_zone": (str, None),
    "allow_availability_zone_fallback": (_bool, False),
    "default_volume_type": (str, "__DEFAULT__"),
    "scheduler_default_filters": (_list, ("AvailabilityZoneFilter", "CapacityFilter",
                                          "CapabilitiesFilter")),
    "scheduler_default_weighers": (_list, ("CapacityWeigher",)),
    "scheduler_max_attempts": (_int, 3),
    "capacity_weight_multiplier": (_float, 1.0),
    "allocated_capacity_weight_multiplier": (_float, -1.0),
    "volume_number_multiplier": (_float, -1.0),
    "quota_volumes": (_int, 10),
    "quota_snapshots": (_int, 10),
    "quota_gigabytes": (_int, 1000),
    "quota_backups": (_int, 10),
    "quota_backup_gigabytes": (_int, 1000),
    "quota_groups": (_int, 10),
    "per_volume_size_limit": (_int, -1),
    "reservation_expire": (_int, 86400),
    "no_snapshot_gb_quota": (_bool, False),
    "snapshot_same_host": (_bool, True),
    "cloned_volume_same_az": (_bool, True),
    "backend_stats_polling_interval": (_int, 60),
    "report_interval": (_int, 10),
    "service_down_time": (_int, 60),
    "periodic_interval": (_int, 60),
    "rpc_response_timeout": (_int, 60),
    "osapi_max_limit": (_int, 1000),
    "backup_driver": (_supported(*BACKUP_DRIVERS), BACKUP_DRIVERS[0]),
    "backup_swift_container": (str, "volumebackups"),
    "backup_swift_object_size": (_int, 52428800),
    "backup_swift_block_size": (_int, 32768),
    "backup_file_size": (_int, 1999994880),
    "backup_sha_block_size_bytes": (_int, 32768),
    "backup_compression_algorithm": (_choice("zlib", "gzip", "bz2", "bzip2", "zstd", "none",
                                             "off", "no"), "zlib"),
    "backup_use_temp_snapshot": (_bool, False),
    # cinder/backup/drivers/ceph.py service_opts
    "backup_ceph_conf": (str, "/etc/ceph/ceph.conf"),
    "backup_ceph_user": (_opt_str, "cinder"),
    "backup_ceph_chunk_size": (_int, 128 * 1024 * 1024),
    "backup_ceph_pool": (str, "backups"),
    "backup_ceph_stripe_unit": (_int, 0),
    "backup_ceph_stripe_count": (_int, 0),
    "backup_ceph_image_journals": (_bool, False),
    "backup_ceph_max_snapshots": (_int, 0),
    "restore_discard_excess_bytes": (_bool, True),
    "my_ip": (str, "192.168.122.10"),
    "zoning_mode": (_choice("fabric", "none"), None),
}

# [simulator] options: facts of the simulated world that cinder.conf does not hold.
SIMULATOR_OPTIONS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "bus_latency": (_float, 0.001),
    "api_latency": (_float, 0.002),
    "compute_hosts": (_list, ("compute-1",)),
    "compute_availability_zone": (str, None),
    "backup_host": (str, "backup-1"),
    "object_store_capacity_gb": (_int, 0),
}


@attrs.frozen
class BackendConfig:
    """One ``[backend]`` section of cinder.conf (plus its simulated hardware)."""

    name: str
    options: Mapping[str, Any]

    def __getattr__(self, item: str) -> Any:
        try:
            return self.options[item]
        except KeyError:
            raise AttributeError(item) from None

    @property
    def backend_name(self) -> str:
        return str(self.options.get("volume_backend_name") or self.name)

    @property
    def service_host(self) -> str:
        """``host@backend``, the name the volume service and its queue carry."""
        return f"{self.options['host']}@{self.name}"


@attrs.frozen
class CloudConfig:
    """The whole cloud: ``[DEFAULT]``, the backend sections, ``[simulator]``, ``[costs]``."""

    default: Mapping[str, Any]
    backends: tuple[BackendConfig, ...]
    simulator: Mapping[str, Any]
    costs: CostModel

    def __getattr__(self, item: str) -> Any:
        for table in (self.default, self.simulator):
            if item in table:
                return table[item]
        raise AttributeError(item)

    def backend_az(self, backend: BackendConfig) -> str:
        return str(backend.options.get("backend_availability_zone")
                   or self.default["storage_availability_zone"])

    def to_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {"DEFAULT": dict(self.default)}
        for b in self.backends:
            out[b.name] = dict(b.options)
        out["simulator"] = dict(self.simulator)
        out["costs"] = attrs.asdict(self.costs)
        return out


def _convert(source: str, section: str, raw: Mapping[str, Any],
             table: Mapping[str, tuple[Callable[[Any], Any], Any]]) -> dict[str, Any]:
    out = {name: default for name, (_, default) in table.items()}
    for key, value in raw.items():
        if key not in table:
            raise ConfigError(f"{source}: [{section}] unknown option {key!r}")
        conv = table[key][0]
        try:
            out[key] = conv(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: [{section}] {key} = {value!r}: {exc}") from None
    return out


def _build(data: Mapping[str, Any], source: str) -> CloudConfig:
    sections = dict(data)
    # A flat mapping (no sections) means [DEFAULT].
    if sections and not any(isinstance(v, Mapping) for v in sections.values()):
        sections = {"DEFAULT": sections}
    default = _convert(source, "DEFAULT", sections.pop("DEFAULT", {}) or {}, DEFAULT_OPTIONS)
    simulator = _convert(source, "simulator", sections.pop("simulator", {}) or {},
                         SIMULATOR_OPTIONS)
    raw_costs = sections.pop("costs", {}) or {}
    cost_fields = CostModel.field_names()
    for key in raw_costs:
        if key not in cost_fields:
            raise ConfigError(f"{source}: [costs] unknown option {key!r}")
    try:
        costs = CostModel(**{k: float(v) for k, v in raw_costs.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: [costs] {exc}") from None
    enabled = default["enabled_backends"]
    if not enabled:
        raise ConfigError(f"{source}: [DEFAULT] enabled_backends must name at least one backend")
    backends = []
    host_order: list[str] = []
    for name in enabled:
        raw = sections.pop(name, None)
        if raw is None and name != "lvmdriver-1":
            raise ConfigError(f"{source}: enabled_backends names {name!r} but there is no "
                              f"[{name}] section")
        opts = _convert(source, name, raw or {}, BACKEND_OPTIONS)
        if opts["volume_backend_name"] is None:
            opts["volume_backend_name"] = name
        if opts["target_ip_address"] is None:
            # $my_ip of the backend's own host: each volume host gets the next address.
            opts["target_ip_address"] = _host_ip(default["my_ip"], opts["host"], host_order)
        if opts["nfs_shares"] is None:
            opts["nfs_shares"] = _nfs_shares(opts, name)
        backends.append(BackendConfig(name, opts))
    if sections:
        extra = sorted(sections)[0]
        raise ConfigError(f"{source}: section [{extra}] is not an enabled backend "
                          "(add it to enabled_backends) nor DEFAULT/simulator/costs")
    seen: set[str] = set()
    for b in backends:
        if b.service_host in seen:
            raise ConfigError(f"{source}: backend {b.service_host} defined twice")
        seen.add(b.service_host)
    return CloudConfig(default, tuple(backends), simulator, costs)


def _nfs_shares(opts: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The lines of ``nfs_shares_config`` when that file exists here, else one export on
    the backend's own address (as devstack's NFS job exports a local directory)."""
    if opts["volume_driver"] != NFS_DRIVER:
        return ()
    try:
        text = Path(opts["nfs_shares_config"]).read_text()
    except OSError:
        return (f"{opts['target_ip_address']}:/srv/nfs/{name}",)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _host_ip(my_ip: str, host: str, order: list[str]) -> str:
    """``my_ip`` for the first volume host, the following addresses for the next ones."""
    if host not in order:
        order.append(host)
    index = order.index(host)
    parts = my_ip.split(".")
    if index == 0 or len(parts) != 4 or not parts[3].isdigit():
        return my_ip
    return ".".join([*parts[:3], str((int(parts[3]) + index) % 256)])


def load_config(config: CloudConfig | Mapping[str, Any] | str | Path | None = None) -> CloudConfig:
    """Build a :class:`CloudConfig` from None (the default cloud), a dict or a file.

    Files ending in ``.toml`` are TOML; anything else is read as cinder.conf INI.
    The default cloud: one AZ ``nova``, backend ``lvmdriver-1`` (LVM, thin by
    ``lvm_type=auto`` on an empty VG, 100 GiB VG, tgtadm) on host ``cinder-1``.
    """
    if isinstance(config, CloudConfig):
        return config
    if config is None:
        return _build({}, "<default>")
    if isinstance(config, Mapping):
        return _build(config, "<dict>")
    path = Path(config)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if path.suffix == ".toml":
        try:
            return _build(tomllib.loads(text), str(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {exc}") from None
    data: dict[str, dict[str, str]] = {"DEFAULT": dict(parser.defaults())}
    for section in parser.sections():
        data[section] = {k: v for k, v in parser.items(section)
                         if k not in parser.defaults() or parser.get(section, k, raw=True)
                         != parser.defaults().get(k)}
    return _build(data, str(path))
