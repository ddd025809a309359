"""Scenario files: every bundled one runs green, bad files fail with FILE:LINE, Python form."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import cindersim.scenario as scenario_module
from cindersim import states
from cindersim.scenario import (
    ACTIONS,
    Action,
    load_scenario,
    run_scenario,
    scenario_files,
)
from scenario_files import SCENARIOS, errors_of, write


class TestBundledScenarios:
    """Each file in scenarios/ runs, every expectation holds, every status edge is legal."""

    @pytest.mark.parametrize("path", [p for p in scenario_files(SCENARIOS)
                                      if not load_scenario(p).long], ids=lambda p: p.name)
    def test_runs_green(self, path: Path) -> None:
        # long scenarios (minutes each) run scaled down: tests/test_long_scenario.py
        res = run_scenario(load_scenario(path))
        assert res.failures == ()
        assert res.ok
        assert states.check_trace(res.trace.events) == []
        assert res.scenario.description

    def test_the_required_what_ifs_are_there(self) -> None:
        names = {p.stem for p in scenario_files(SCENARIOS)}
        assert {"demo", "create", "capacity-exhausted", "reschedule", "scheduler-stopped",
                "quota-exceeded", "two-azs", "thin-oversubscription",
                "delete-with-snapshots", "backup-in-use", "incremental-restore",
                "second-attach", "failed-restore"} <= names

    def test_seed_override_changes_ids_not_outcome(self) -> None:
        sc = load_scenario(SCENARIOS / "create.toml")
        a, b = run_scenario(sc), run_scenario(sc, seed=7)
        assert a.ok
        assert b.ok
        assert a.trace.digest() != b.trace.digest()
        assert run_scenario(sc).trace.digest() == a.trace.digest()


class TestExpectations:
    def test_failures_report_expected_and_actual_with_lines(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "x"
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 1
            expect_status = 400

            [[expect]]
            resource = "v1"
            status = "error"

            [[expect]]
            count = "volumes"
            at_least = 2

            [[expect]]
            trace_lacks = "lvcreate"
            """)
        res = run_scenario(load_scenario(p))
        assert not res.ok
        assert res.failures == (
            (2, "step 1 (create_volume as v1): expected HTTP 400, got 202"),
            (8, "volume v1 status: expected 'error', got 'available'"),
            (12, "count of volumes: expected at least 2, got 1"),
            (16, "trace: expected no event containing 'lvcreate', found one"),
        )
        report = res.report().splitlines()
        assert report[0].startswith(f"{p}: x: FAILED (4 expectation(s), 4 failed")
        assert report[2] == f"{p}:8: volume v1 status: expected 'error', got 'available'"

    def test_an_unexpected_refusal_fails_and_later_steps_skip(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [cloud.DEFAULT]
            quota_volumes = 0
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 1
            [[steps]]
            action = "delete_volume"
            volume = "v1"
            """)
        res = run_scenario(load_scenario(p))
        assert [line for line, _ in res.failures] == [3, 7]
        assert "expected a 2xx response, got 413 (overLimit: VolumeLimitExceeded" \
            in res.failures[0][1]
        assert res.failures[1][1] == ("step 2 (delete_volume) skipped: label 'v1' was never "
                                      "bound (its step failed)")

    def test_capacity_and_counts(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 3
            [[expect]]
            capacity = "cinder-1@lvmdriver-1"
            field = "allocated_gb"
            equals = 3
            [[expect]]
            count = "messages"
            method = "create_volume"
            equals = 2
            [[expect]]
            resource = "v1"
            size = 3
            host = "cinder-1@lvmdriver-1"
            """)
        res = run_scenario(load_scenario(p))
        assert res.failures == ()

    def test_a_window_fault_stops_and_restarts_a_service(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[faults]]
            stop_service = "cinder-volume:cinder-1@lvmdriver-1"
            start = 5
            duration = 10
            [[steps]]
            action = "advance"
            seconds = 6
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 1
            [[expect]]
            resource = "v1"
            status = "available"
            [[expect]]
            count = "events"
            kind = "bus.queued"
            equals = 1
            """)
        res = run_scenario(load_scenario(p))
        assert res.failures == ()
        assert res.result.virtual_time >= 15


class TestMalformedFiles:
    """Problems are found before anything runs, each as FILE:LINE: message."""

    def test_bad_toml(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "x"
            [[steps]]
            action = "create_volume
            """)
        assert errors_of(p) == [f"{p}:3: bad TOML: Illegal character '\\n'"]

    def test_unknown_keys_wrong_types_and_labels(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "x"
            colour = "red"

            [[steps]]
            action = "create_volume"
            as = "v1"
            size = "1"

            [[steps]]
            action = "delete_volume"
            volume = "v2"
            cascade = "yes"

            [[steps]]
            action = "extend"
            volume = "v1"
            new_size = 2
            sise = 3

            [[expect]]
            resource = "v9"
            status = "available"
            """)
        assert errors_of(p) == [
            f"{p}:2: unknown key 'colour' in the scenario (expected one of: cloud, "
            "description, expect, faults, fleet, long, microversion, name, seed, steps, workload)",
            f"{p}:7: size must be an integer, not '1'",
            f"{p}:11: unknown label 'v2' (labels defined before this step: v1)",
            f"{p}:12: cascade must be true or false, not 'yes'",
            f"{p}:18: unknown key 'sise' in a extend step (expected one of: action, as, "
            "expect_status, new_size, settle, user, volume)",
            f"{p}:21: unknown label 'v9' (labels: v1)",
        ]

    def test_label_of_the_wrong_kind_and_reused(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            [[steps]]
            action = "create_snapshot"
            as = "v1"
            volume = "v1"
            [[steps]]
            action = "delete_snapshot"
            snapshot = "v1"
            """)
        assert errors_of(p) == [
            f"{p}:6: label 'v1' is already used",
            f"{p}:10: label 'v1' names a volume, not a snapshot",
        ]

    def test_missing_parameters_actions_and_users(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "fly"
            [[steps]]
            volume = "x"
            [[steps]]
            action = "advance"
            [[steps]]
            action = "settle"
            user = "root"
            """)
        errs = errors_of(p)
        assert errs[0].startswith(f"{p}:2: unknown action 'fly' (one of: create_volume, ")
        assert errs[1].startswith(f"{p}:3: step 2 needs action = \"...\"")
        assert errs[2] == f"{p}:5: advance needs seconds = ..."
        assert errs[3] == f"{p}:9: unknown user 'root' (one of: admin, demo, alt_demo)"

    def test_cloud_options_are_checked_where_they_are(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            name = "x"
            [cloud.DEFAULT]
            enabled_backends = "a"
            [cloud.a]
            host = "h"
            vg_size = 10
            [[steps]]
            action = "settle"
            """)
        assert errors_of(p) == [f"{p}:6: [cloud] [a] unknown option 'vg_size'"]

    def test_faults_and_expectations_are_checked(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[faults]]
            driver = "create_volum"
            [[faults]]
            stop_service = "cinder-nothing"
            [[faults]]
            message = "lose"
            [[steps]]
            action = "settle"
            [[expect]]
            capacity = "nowhere@x"
            equals = 1
            [[expect]]
            count = "volumes"
            """)
        errs = errors_of(p)
        assert [e.split(": ", 1)[0] for e in errs] == [f"{p}:2", f"{p}:4", f"{p}:6", f"{p}:10",
                                                        f"{p}:13"]
        assert "unknown driver operation 'create_volum'" in errs[0]
        assert "unknown service 'cinder-nothing'" in errs[1]
        assert errs[2].endswith("message must be drop, delay, duplicate or hold")
        assert "unknown backend 'nowhere@x'" in errs[3]
        assert errs[4].endswith("a count expectation needs equals, at_least or at_most")

    def test_an_action_whose_flow_is_missing_is_not_yet_supported(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(ACTIONS, "teleport", Action("teleport", None, "not built", {},
                                                        missing="no teleporter yet"))
        monkeypatch.setitem(ACTIONS, "old", Action(
            "old", None, "needs a route", {}, run=ACTIONS["settle"].run,
            needs=("POST /teleports",)))
        p = write(tmp_path, """
            [[steps]]
            action = "teleport"
            [[steps]]
            action = "old"
            """)
        assert errors_of(p) == [
            f"{p}:2: action 'teleport' is not yet supported: no teleporter yet",
            f"{p}:4: action 'old' is not yet supported: cinder-api has no POST /teleports yet",
        ]

    def test_unreadable_file(self, tmp_path: Path) -> None:
        assert errors_of(tmp_path / "missing.toml") == [
            f"{tmp_path / 'missing.toml'}:0: cannot read: No such file or directory"]


@pytest.mark.skipif(scenario_module._nova_exists() is False, reason="this build has no Nova")
class TestThroughNova:
    """With a ``server``, attach and detach go through nova-api as the documents describe."""

    def test_boot_attach_write_detach(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 1
            [[steps]]
            action = "boot_server"
            as = "srv"
            [[steps]]
            action = "attach"
            as = "a1"
            volume = "v1"
            server = "srv"
            [[steps]]
            action = "guest_write"
            server = "srv"
            count = 4
            [[steps]]
            action = "detach"
            attachment = "a1"
            [[expect]]
            resource = "v1"
            status = "available"
            """)
        res = run_scenario(load_scenario(p))
        assert res.failures == ()
        events = res.trace.events
        assert states.check_trace(events) == []
        news = [str(e.detail["new"]) for e in events
                if e.kind == "status" and str(e.resource).startswith("volume:")
                and e.detail["field"] == "status"]
        assert news[-4:] == ["attaching", "in-use", "detaching", "available"]
        kinds = [(e.kind, e.actor) for e in events]
        assert any(k == "guest.write" for k, _ in kinds)
        assert any(k == "api.request" and a == "nova-api" for k, a in kinds)


class TestPythonScenarios:
    def test_the_documented_example_runs(self, tmp_path: Path) -> None:
        doc = scenario_module.__doc__ or ""
        example = doc[doc.index("    from cindersim.scenario import mark_step"):]
        p = write(tmp_path, textwrap.dedent(example), "race.py")
        sc = load_scenario(p)
        assert sc.description == "Ten creates race for a 10 GiB backend"
        res = run_scenario(sc)
        assert res.failures == ()
        assert any(e.kind == "scenario" for e in res.trace.events)

    def test_a_failed_assert_is_a_failed_expectation_at_its_line(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            async def scenario(cloud):
                await cloud.settle()
                assert len(cloud.db.volumes) == 1, "no volume"
            """, "f.py")
        res = run_scenario(load_scenario(p))
        assert res.failures == ((3, "assertion failed: no volume"),)

    def test_bad_python_files(self, tmp_path: Path) -> None:
        p = write(tmp_path, "def scenario(:\n", "bad.py")
        assert errors_of(p) == [f"{p}:1: syntax error: invalid syntax"]
        q = write(tmp_path, "x = 1\n", "none.py")
        assert errors_of(q) == [f"{q}:1: a Python scenario defines async def scenario(cloud)"]


class TestTransfer:
    """The transfer action: the owner offers, the receiver accepts with the auth_key."""

    def test_offer_without_accept_leaves_the_volume_awaiting(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 2
            [[steps]]
            action = "transfer"
            as = "t1"
            volume = "v1"
            accept = false
            [[expect]]
            resource = "v1"
            status = "awaiting-transfer"
            [[expect]]
            resource = "v1"
            owner = "demo"
            [[expect]]
            quota = "demo"
            field = "gigabytes"
            equals = 2
            [[expect]]
            quota = "alt_demo"
            field = "volumes"
            equals = 0
            """)
        res = run_scenario(load_scenario(p))
        assert res.failures == ()
        assert states.check_trace(res.trace.events) == []
        assert len(res.result.cloud.db.transfers) == 1

    def test_accepted_transfer_moves_volume_and_quota(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 2
            [[steps]]
            action = "transfer"
            as = "t1"
            volume = "v1"
            [[expect]]
            resource = "v1"
            owner = "demo"
            [[expect]]
            quota = "alt_demo"
            field = "gigabytes"
            equals = 3
            """)
        res = run_scenario(load_scenario(p))
        assert res.failures == (
            (9, "volume v1 owner: expected 'demo', got 'alt_demo'"),
            (12, "quota of alt_demo gigabytes in_use: expected 3, got 2"),
        )
        assert states.check_trace(res.trace.events) == []
        cloud = res.result.cloud
        assert cloud.db.transfers == {}
        assert cloud.quota.usage(cloud.project_id("demo"))["volumes"]["in_use"] == 0

    def test_a_refused_transfer_fails_its_step(self, tmp_path: Path) -> None:
        """An in-use-like status (here: already offered) is refused with Cinder's 400."""
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            size = 1
            [[steps]]
            action = "transfer"
            volume = "v1"
            accept = false
            [[steps]]
            action = "transfer"
            volume = "v1"
            """)
        res = run_scenario(load_scenario(p))
        assert len(res.failures) == 1
        line, msg = res.failures[0]
        assert line == 9
        assert msg.startswith("step 3 (transfer): expected a 2xx response, got 400 (badRequest: ")

    def test_bad_transfer_and_quota_keys(self, tmp_path: Path) -> None:
        p = write(tmp_path, """
            [[steps]]
            action = "create_volume"
            as = "v1"
            [[steps]]
            action = "transfer"
            volume = "v1"
            to = "mallory"
            [[expect]]
            quota = "nobody"
            equals = 0
            [[expect]]
            quota = "demo"
            usage = "spent"
            equals = 0
            [[expect]]
            quota = "demo"
            [[expect]]
            resource = "v1"
            owner = "eve"
            """)
        assert errors_of(p) == [
            f"{p}:7: to must be one of admin, demo, alt_demo, not 'mallory'",
            f"{p}:9: unknown user 'nobody' (one of: admin, demo, alt_demo)",
            f"{p}:13: usage must be one of in_use, reserved, limit",
            f"{p}:16: a quota expectation needs equals, at_least or at_most",
            f"{p}:19: unknown user 'eve' (one of: admin, demo, alt_demo)",
        ]
