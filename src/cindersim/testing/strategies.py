"""Hypothesis strategies for property-based tests of a simulated Cinder.

Compose them in your own tests (``@given(backend_configs(), volume_sizes())``)
or in a :class:`~cindersim.testing.CloudStateMachine` subclass.  Every value
they generate is one real Cinder would accept where that is the point
(configs load with :func:`cindersim.load_config`, fault plans name real driver
operations, step lists validate as scenario files), and deliberately bad where
that is the point (:func:`request_bodies` feeds the API fuzzer).

* :func:`volume_sizes` - sizes in GiB;
* :func:`volume_type_specs` - extra specs of a volume type
  (``volume_backend_name``, ``provisioning:type``, ``multiattach``);
* :func:`backend_configs` - whole cloud configs with cinder.conf option names;
* :func:`connectors` - os-brick connector dicts, as Nova sends them;
* :func:`fault_plans` - lists of :class:`~cindersim.FaultRule`;
* :func:`request_bodies` - JSON bodies, mostly wrong, for fuzzing cinder-api;
* :func:`scenario_steps` - ``[[steps]]`` tables of a TOML scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from ..backends.faults import DEFAULT_ERRORS, FaultRule

__all__ = [
    "BACKUP_DRIVER_OPS",
    "VOLUME_DRIVER_OPS",
    "backend_configs",
    "connectors",
    "fault_plans",
    "request_bodies",
    "scenario_steps",
    "volume_sizes",
    "volume_type_specs",
]

VOLUME_DRIVER_OPS: tuple[str, ...] = tuple(op for op in DEFAULT_ERRORS
                                           if op not in {"backup", "restore", "delete_backup"})
"""LVMVolumeDriver methods a :class:`FaultRule` can fail (they run on one backend)."""

BACKUP_DRIVER_OPS: tuple[str, ...] = ("backup", "restore", "delete_backup")
"""Backup driver methods (cinder-backup's, on no volume backend)."""

_BACKEND_NAMES = ("lvmdriver-1", "lvm-a", "lvm-b", "thin-1", "thick-1", "fast", "slow")
_HOSTS = ("cinder-1", "cinder-2", "cinder-3")
_AZS = ("nova", "az-east", "az-west")
_WEIGHERS = ("CapacityWeigher", "AllocatedCapacityWeigher", "VolumeNumberWeigher",
             "ChanceWeigher")


# --- sizes and types ----------------------------------------------------------------------
def volume_sizes(min_size: int = 1, max_size: int = 16) -> st.SearchStrategy[int]:
    """Volume sizes in GiB (Cinder's ``size`` is a whole number of GiB, at least 1)."""
    return st.integers(min_value=max(1, min_size), max_value=max_size)


def volume_type_specs(backend_names: Sequence[str] = ("lvmdriver-1",),
                      ) -> st.SearchStrategy[dict[str, str]]:
    """Extra specs of a volume type, as ``cinder type-key`` sets them.

    ``volume_backend_name`` is matched by the CapabilitiesFilter against a backend's
    reported name; ``provisioning:type`` is ``thin`` or ``thick`` (the LVM driver
    reports ``thin_provisioning_support``/``thick_provisioning_support``);
    ``multiattach`` uses the ``<is> True`` operator syntax of Cinder's extra-spec
    matching.  Every key is optional: an empty dict is a valid type.
    """
    return st.fixed_dictionaries({}, optional={
        "volume_backend_name": st.sampled_from(list(backend_names)),
        "provisioning:type": st.sampled_from(["thin", "thick"]),
        "multiattach": st.just("<is> True"),
    })


# --- configs ------------------------------------------------------------------------------
@st.composite
def backend_configs(draw: st.DrawFn, min_backends: int = 1,
                    max_backends: int = 3) -> dict[str, dict[str, Any]]:
    """A cloud config dict with cinder.conf names that :func:`cindersim.load_config` loads.

    One to three LVM backends (``enabled_backends``), each on a host, thick
    (``lvm_type = default``), thin or ``auto``, its VG size, an
    over-subscription ratio (a float >= 1.0 or ``auto``, the only values Cinder
    accepts), a reserved percentage and sometimes its own availability zone.
    The target helper is a property of the host (one tgtd or one LIO per
    machine), so backends sharing a host share their helper.  ``[DEFAULT]``
    may swap the weigher and carries quotas big enough not to be the story.
    """
    names = draw(st.lists(st.sampled_from(_BACKEND_NAMES), min_size=min_backends,
                          max_size=max_backends, unique=True))
    helpers = {h: draw(st.sampled_from(["tgtadm", "lioadm"])) for h in _HOSTS}
    default: dict[str, Any] = {"enabled_backends": ",".join(names)}
    if draw(st.booleans()):
        default["storage_availability_zone"] = draw(st.sampled_from(_AZS))
    if draw(st.booleans()):
        default["scheduler_default_weighers"] = draw(st.sampled_from(_WEIGHERS))
    if draw(st.booleans()):
        default["quota_volumes"] = draw(st.integers(1, 50))
        default["quota_gigabytes"] = draw(st.integers(1, 1000))
    config: dict[str, dict[str, Any]] = {"DEFAULT": default}
    for name in names:
        host = draw(st.sampled_from(_HOSTS))
        section: dict[str, Any] = {
            "host": host,
            "vg_size_gb": draw(st.integers(1, 200)),
            "lvm_type": draw(st.sampled_from(["default", "thin", "auto"])),
            "target_helper": helpers[host],
        }
        if draw(st.booleans()):
            section["max_over_subscription_ratio"] = draw(st.one_of(
                st.just("auto"),
                st.floats(1.0, 20.0, allow_nan=False).map(lambda r: round(r, 2)).map(str)))
        if draw(st.booleans()):
            section["reserved_percentage"] = draw(st.integers(0, 50))
        if draw(st.booleans()):
            section["backend_availability_zone"] = draw(st.sampled_from(_AZS))
        if draw(st.booleans()):
            section["volume_backend_name"] = draw(st.sampled_from(["LVM", name]))
        config[name] = section
    return config


def connectors(hosts: Sequence[str] = ("compute-1",)) -> st.SearchStrategy[dict[str, Any]]:
    """os-brick ``get_connector_properties`` dicts, as Nova passes them to Cinder.

    The initiator IQN is derived from the host name (as open-iscsi's
    ``/etc/iscsi/initiatorname.iscsi`` is per machine); ``multipath`` and
    ``mode`` vary.
    """
    return st.builds(
        lambda host, octet, multipath, mode: {
            "initiator": f"iqn.1994-05.com.redhat:{host}", "ip": f"192.168.122.{octet}",
            "host": host, "platform": "x86_64", "os_type": "linux", "multipath": multipath,
            "do_local_attach": False, "mode": mode},
        st.sampled_from(list(hosts)), st.integers(20, 250), st.booleans(),
        st.sampled_from(["rw", "ro"]))


def fault_plans(backends: Sequence[str] = ("cinder-1@lvmdriver-1",), *,
                max_rules: int = 3) -> st.SearchStrategy[list[FaultRule]]:
    """Lists of :class:`FaultRule` over real driver operation names.

    Volume-driver operations may be narrowed to one of *backends*
    (``host@backend``); backup-driver operations never are (cinder-backup is
    not a volume backend).  A rule fires once, a few times from its nth
    matching call, or with a probability (drawn from the simulation's seeded
    rng, so a run still replays exactly).
    """
    volume_rule = st.builds(
        lambda op, backend, nth, times, probability: FaultRule(
            op=op, backend=backend, nth=nth, times=times, probability=probability),
        st.sampled_from(VOLUME_DRIVER_OPS), st.one_of(st.none(), st.sampled_from(list(backends))),
        st.one_of(st.none(), st.integers(1, 3)), st.one_of(st.just(1), st.integers(1, 3)),
        st.one_of(st.none(), st.sampled_from([0.25, 0.5, 1.0])))
    backup_rule = st.builds(
        lambda op, times: FaultRule(op=op, times=times),
        st.sampled_from(BACKUP_DRIVER_OPS), st.integers(1, 2))
    return st.lists(st.one_of(volume_rule, backup_rule), max_size=max_rules)


# --- request bodies -------------------------------------------------------------------------
_WRAPPERS = ("volume", "snapshot", "backup", "restore", "attachment", "os-extend",
             "os-reset_status", "os-force_delete", "os-complete", "os-attach", "os-detach",
             "os-reserve", "os-unreserve", "os-begin_detaching", "os-roll_detaching",
             "os-initialize_connection", "os-terminate_connection", "os-set_bootable",
             "os-update_readonly_flag", "os-retype", "os-force_detach",
             "os-volume_upload_image", "os-update_snapshot_status", "quota_set",
             "volume_type", "extra_specs", "encryption", "addProjectAccess",
             "removeProjectAccess", "transfer", "accept", "server", "volumeAttachment",
             "metadata")
_FIELDS = ("size", "new_size", "name", "description", "volume_id", "snapshot_id",
           "source_volid", "backup_id", "volume_type", "availability_zone", "metadata",
           "imageRef", "status", "attach_status", "migration_status", "force", "incremental",
           "container", "connector", "instance_uuid", "volume_uuid", "mode", "auth_key",
           "volumes", "gigabytes", "snapshots", "backups", "multiattach", "bootable",
           "readonly", "new_type", "migration_policy", "project", "flavorRef", "volumeId",
           "block_device_mapping_v2", "mountpoint", "host_name", "attachment_id",
           "extra_specs", "is_public", "os-volume-type-access:is_public", "user_id")

_HUGE = st.sampled_from([2 ** 31, 2 ** 63, 2 ** 64 + 1, -(2 ** 63) - 1, 10 ** 30, 10 ** 400])


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(),
        st.integers(-3, 20), _HUGE, st.integers(),
        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.5, 1.5, -0.0, 1e308]),
        st.text(max_size=20),
        st.sampled_from(["", " ", "1", "-1", "1.5", "true", "none", "null", "available",
                         "in-use", "error", "deleting", "<is> True", "x" * 300, "\u0000",
                         "\u00e9t\u00e9", "\U0001f4be", "\ud7ff", "00000000-0000-0000-0000-"
                         "000000000000", "../..", "%s", "{}", "[]"]))


def _json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(_FIELDS), st.text(max_size=8)),
                            children, max_size=4)),
        max_leaves=max_leaves)


@st.composite
def request_bodies(draw: st.DrawFn) -> Any:
    """JSON request bodies for fuzzing: mostly shaped like Cinder's, mostly wrong.

    Half of them wrap real field names (``size``, ``volume_id``, ``connector``
    ...) in a real top-level key (``volume``, ``os-extend``, ``attachment`` ...)
    with values of any type: wrong types, huge numbers, unicode, nesting;
    keys go missing or extra ones appear.  The rest are arbitrary JSON values
    (a bare list, a number, ``null``, deep nesting).
    """
    if draw(st.booleans()):
        return draw(_json_values())
    inner = draw(st.dictionaries(st.sampled_from(_FIELDS), _json_values(6), max_size=5))
    if draw(st.booleans()):
        inner.update(draw(st.dictionaries(st.text(max_size=10), _scalars(), max_size=2)))
    inner_value: Any = inner if draw(st.integers(0, 4)) else draw(_scalars())
    body = {draw(st.sampled_from(_WRAPPERS)): inner_value}
    if draw(st.integers(0, 5)) == 0:
        body[draw(st.sampled_from(_WRAPPERS))] = draw(_json_values(4))
    return body


# --- scenario steps ----------------------------------------------------------------------------
_SERVICES_FIXED = ("cinder-scheduler", "cinder-backup")


@st.composite
def scenario_steps(draw: st.DrawFn, backends: Sequence[str] = ("cinder-1@lvmdriver-1",),
                   min_steps: int = 1, max_steps: int = 12) -> list[dict[str, Any]]:
    """A list of ``[[steps]]`` tables in the TOML scenario format of
    :mod:`cindersim.scenario`, valid for a cloud whose volume services are
    *backends* (``host@backend``).

    Labels are defined (``as``) before they are used and each names the kind
    of resource its parameter wants, so the list passes the scenario
    validator; whether each request then succeeds is up to the cloud (steps
    carry no ``expect_status``: a refusal is an outcome, not a format error).
    """
    labels: dict[str, list[str]] = {"volume": [], "snapshot": [], "backup": [],
                                     "attachment": []}
    counter = [0]

    def fresh(kind: str) -> str:
        counter[0] += 1
        name = f"{kind[0]}{counter[0]}"
        labels[kind].append(name)
        return name

    services = [*_SERVICES_FIXED, *(f"cinder-volume:{b}" for b in backends)]
    steps: list[dict[str, Any]] = []
    n = draw(st.integers(min_steps, max_steps))
    for _ in range(n):
        choices = ["create_volume", "advance", "settle", "stop_service", "start_service",
                   "request"]
        if labels["volume"]:
            choices += ["delete_volume", "extend", "create_snapshot", "attach", "backup",
                        "reset_status", "create_volume_from"]
        if labels["snapshot"]:
            choices.append("delete_snapshot")
        if labels["backup"]:
            choices += ["restore", "delete_backup"]
        if labels["attachment"]:
            choices.append("detach")
        action = draw(st.sampled_from(choices))

        def vol() -> str:
            return draw(st.sampled_from(labels["volume"]))

        step: dict[str, Any]
        if action == "create_volume":
            step = {"action": "create_volume", "size": draw(volume_sizes(1, 4))}
            step["as"] = fresh("volume")
        elif action == "create_volume_from":
            source_kind = draw(st.sampled_from(
                [k for k in ("volume", "snapshot", "backup") if labels[k]]))
            param = {"volume": "source", "snapshot": "snapshot", "backup": "backup"}[source_kind]
            step = {"action": "create_volume",
                    param: draw(st.sampled_from(labels[source_kind]))}
            step["as"] = fresh("volume")
        elif action == "delete_volume":
            step = {"action": "delete_volume", "volume": vol()}
            flag = draw(st.sampled_from([None, "cascade", "force"]))
            if flag == "cascade":
                step["cascade"] = True
            elif flag == "force":
                step.update(force=True, user="admin")
        elif action == "extend":
            step = {"action": "extend", "volume": vol(), "new_size": draw(volume_sizes(2, 6))}
        elif action == "create_snapshot":
            step = {"action": "create_snapshot", "volume": vol(), "force": draw(st.booleans())}
            step["as"] = fresh("snapshot")
        elif action == "delete_snapshot":
            step = {"action": "delete_snapshot",
                    "snapshot": draw(st.sampled_from(labels["snapshot"]))}
        elif action == "attach":
            step = {"action": "attach", "volume": vol(),
                    "mode": draw(st.sampled_from(["rw", "ro"]))}
            step["as"] = fresh("attachment")
        elif action == "detach":
            step = {"action": "detach",
                    "attachment": draw(st.sampled_from(labels["attachment"]))}
        elif action == "backup":
            step = {"action": "backup", "volume": vol(), "incremental": draw(st.booleans()),
                    "force": draw(st.booleans())}
            step["as"] = fresh("backup")
        elif action == "restore":
            step = {"action": "restore", "backup": draw(st.sampled_from(labels["backup"]))}
            if draw(st.booleans()):
                step["volume"] = vol()
            else:
                step["as"] = fresh("volume")
        elif action == "delete_backup":
            step = {"action": "delete_backup",
                    "backup": draw(st.sampled_from(labels["backup"]))}
        elif action == "reset_status":
            step = {"action": "reset_status", "volume": vol(),
                    "status": draw(st.sampled_from(["available", "error"])), "user": "admin"}
        elif action == "advance":
            step = {"action": "advance", "seconds": draw(st.sampled_from([1, 30, 60.5, 600]))}
        elif action == "settle":
            step = {"action": "settle"}
        elif action in ("stop_service", "start_service"):
            step = {"action": action, "service": draw(st.sampled_from(services))}
        else:
            step = {"action": "request", "method": "GET",
                    "path": draw(st.sampled_from(["/volumes", "/volumes/detail", "/snapshots",
                                                  "/backups", "/limits",
                                                  "/os-quota-sets/{project}"]))}
        if draw(st.integers(0, 3)) == 0:
            step["settle"] = False
        steps.append(step)
    return steps
