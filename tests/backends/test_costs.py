"""The cost meter: what it adds up, and whether its reports go anywhere."""

from __future__ import annotations

from cindersim.backends.costs import Meter, trace_recorder
from cindersim.trace import Trace


def test_take_returns_what_was_charged_since_the_last_take() -> None:
    meter = Meter()
    meter.charge("lvm", "lvs", 0.5, "lvs")
    meter.add(0.25)
    assert meter.pending == 0.75
    assert meter.take() == 0.75
    assert meter.take() == 0.0
    assert meter.total == 0.75


def test_reports_follows_the_trace_as_it_changes() -> None:
    # The meter asks the trace each time: a subscription made (or dropped) after the
    # meter was bound counts at once.
    trace = Trace(mode="off")
    meter = Meter(record=trace_recorder(trace, "host@lvm"))
    assert not meter.reports()
    seen: list[str] = []
    unsubscribe = trace.subscribe(lambda e: seen.append(e.summary), kinds=["backend"])
    assert meter.reports()
    meter.charge("lvm", "lvcreate", 0.4, "lvcreate -n lv1")
    assert seen == ["lvcreate -n lv1"]
    unsubscribe()
    assert not meter.reports()
    meter.charge("lvm", "lvcreate", 0.4, "lvcreate -n lv2")
    assert seen == ["lvcreate -n lv1"]


def test_reports_without_a_recorder_or_its_wanted() -> None:
    assert not Meter().reports()
    meter = Meter(record=lambda component, op, summary, seconds, detail: None)
    assert meter.reports()  # a recorder with no wanted() takes every report
    meter.bind(None)
    assert not meter.reports()
