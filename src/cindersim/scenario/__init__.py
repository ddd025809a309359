"""Scenario files: a cloud, a seed, user-level steps, faults and expectations.

A scenario is what a learner replays and an operator asks "what if" with.  It
is a TOML file (``scenarios/*.toml``)::

    name = "create"
    description = "Create a 1 GiB volume and delete it"
    seed = 0
    # microversion = "3.71"        # OpenStack-API-Version of every request

    [cloud]                         # cinder.conf names; see cindersim.config
    [cloud.DEFAULT]
    enabled_backends = "lvm-a,lvm-b"
    [cloud.lvm-a]
    host = "cinder-1"
    vg_size_gb = 10

    [[faults]]                      # what goes wrong, and when
    driver = "create_volume"        # a driver call fails (FaultRule)
    backend = "cinder-1@lvm-a"
    times = 1

    [[steps]]                       # user-level actions, in order
    action = "create_volume"
    as = "v1"                       # a label later steps and expectations use
    size = 1

    [[steps]]
    action = "delete_volume"
    volume = "v1"
    expect_status = 202             # the HTTP status this step must get

    [[expect]]
    resource = "v1"
    status = "deleted"

Steps (``action``; :data:`ACTIONS` lists each with its parameters; ``cindersim
flows`` prints them): ``create_volume`` (size, name, type, az, snapshot /
source / backup labels), ``delete_volume`` (cascade, force), ``extend``,
``create_snapshot``, ``delete_snapshot``, ``attach`` / ``detach`` (through
the attachments API today, through Nova once a ``server`` is given and Nova
exists), ``backup`` (incremental, force), ``restore``, ``delete_backup``,
``transfer`` (the owner offers, ``to`` accepts with the auth_key; ``accept =
false`` only offers), ``reset_status``, ``set_quota``, ``request`` (any REST
call), ``advance`` (virtual seconds), ``settle``, ``stop_service`` / ``start_service``.  Every
step may say ``user`` (default ``demo``; ``admin`` for admin actions),
``expect_status`` (else any 2xx is expected) and ``settle = false`` (by default
the runner lets the cloud settle after each step, so flows read one at a
time).  Actions whose flows do not exist yet are refused at validation with
"not yet supported"; enabling one is filling in its row of :data:`ACTIONS`.

Faults (``[[faults]]``, each with optional ``start`` and ``duration`` in
virtual seconds): ``driver = "<op>"`` (``backend``, ``nth``, ``times``,
``always``, ``probability``, ``error``, ``message``); ``message = "drop" |
"delay" | "duplicate" | "hold"`` (``topic``, ``server``, ``method``,
``sender``, ``kind``, ``times``, ``probability``, ``delay``); ``stop_service =
"cinder-scheduler" | "cinder-backup" | "cinder-volume:<host@backend>"``.

Expectations (``[[expect]]``): ``resource = "<label>"`` with ``status``
(``deleted`` when gone), ``attach_status``, ``size``, ``host``,
``availability_zone``, ``owner`` (the user whose project owns it); ``count =
"volumes" | "snapshots" | "backups" | "attachments" | "events" | "messages"``
(filters ``status``, ``kind``, ``method``, ``actor``, ``contains``) with ``equals`` / ``at_least`` /
``at_most``; ``capacity = "<host@backend>"`` with ``field`` (``free_gb``,
``total_gb``, ``provisioned_gb``, ``allocated_gb``, ``volumes``) and a
comparison; ``quota = "<user>"`` with ``field`` (``volumes``,
``gigabytes``, ``snapshots`` ...), ``usage`` (``in_use``, ``reserved``,
``limit``) and a comparison; ``trace_contains = "text"`` / ``trace_lacks = "text"`` (optional
``kind``).

What-if tables (docs/workloads.md): ``[fleet]`` expands into many identical
backends (``count``, ``name_prefix``, ``host_prefix``, ``backends_per_host``,
``availability_zones`` and any cinder.conf backend option); ``[workload]``
(``duration``, ``metrics_interval``, ``[[workload.streams]]`` with
``project``, ``volume_type``, ``arrivals``, ``sizes``, ``lifetime``, ``mix``)
generates client traffic after the steps (then optional) and collects
metrics: :attr:`ScenarioResult.metrics`, checked by ``[[expect]] metric =
"<summary or count key>"`` with a comparison.  :func:`load_scenario` takes
``overrides`` (dotted key paths, a sweep's parameters) and
:func:`run_scenario` a ``trace_mode`` and ``trace_stream``.

Errors in a file (bad TOML, an unknown key, a wrong type, an unknown label,
an action not supported yet) are reported as ``FILE:LINE: message`` before
anything runs: :class:`ScenarioError`.

**Python scenarios** are for what TOML cannot say.  A ``.py`` file defines
``async def scenario(cloud)`` and optionally ``NAME``, ``DESCRIPTION``,
``SEED`` and ``CLOUD`` (a config dict); a failed ``assert`` is a failed
expectation.  :func:`mark_step` opens a narrated section::

    from cindersim.scenario import mark_step

    DESCRIPTION = "Ten creates race for a 10 GiB backend"
    CLOUD = {"DEFAULT": {}, "lvmdriver-1": {"vg_size_gb": 10, "lvm_type": "default"}}

    async def scenario(cloud):
        token = cloud.token("demo")
        project = cloud.project_id("demo")
        mark_step(cloud, "create_volume", params={"size": 2, "count": 10})
        for _ in range(10):
            await cloud.request("POST", f"/v3/{project}/volumes",
                                json={"volume": {"size": 2}}, token=token)
        await cloud.settle()
        statuses = sorted(str(v.status) for v in cloud.db.volumes.values())
        assert statuses.count("available") == 4, statuses
"""

from __future__ import annotations

from .actions import ACTIONS, FLOWS, Action, Param, Runner
from .actions import _nova_exists as _nova_exists  # what this build has (tests skip on it)
from .load import load_scenario, scenario_files
from .model import (
    Expectation,
    Fault,
    PythonScenario,
    Scenario,
    ScenarioError,
    Step,
    WorkloadSpec,
)
from .run import ScenarioResult, mark_step, run_scenario

__all__ = [
    "ACTIONS",
    "FLOWS",
    "Action",
    "Expectation",
    "Fault",
    "Param",
    "PythonScenario",
    "Runner",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Step",
    "WorkloadSpec",
    "load_scenario",
    "mark_step",
    "run_scenario",
    "scenario_files",
]
