"""Scheduling records sharing their equal parts (a full trace's ``schedule`` events)."""

from __future__ import annotations

from scheduler_helpers import VOL, VOL2, manager

from cindersim.services.scheduler.filter_scheduler import SchedulingDecision, schedule_create_volume
from cindersim.services.scheduler.request_spec import RequestSpec, RetryRecord
from cindersim.services.scheduler.shared_parts import SharedParts


def test_a_shared_record_equals_the_plain_one() -> None:
    hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 5}))
    shared = SharedParts()
    for size in (1, 10, 1):  # b fails CapacityFilter for 10: a rejected list
        d = schedule_create_volume(hm, RequestSpec(size=size, volume_id=VOL), now=0)
        assert d.to_dict(shared) == d.to_dict()


def test_equal_parts_of_consecutive_records_are_the_same_objects() -> None:
    hm = manager(("a@l#p", {}), ("b@l#p", {}))
    shared = SharedParts()
    first = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL), now=0).to_dict(
        shared)
    second = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL2), now=1).to_dict(
        shared)
    for key in ("candidates", "down_hosts", "filters", "pinned_out"):
        assert second[key] is first[key], key
    # The weights moved with the first placement: those parts are the pass's own.
    assert second["weighers"] is not first["weighers"]
    assert second["weighers"] != first["weighers"]


def test_a_different_verdict_gets_its_own_part() -> None:
    hm = manager(("a@l#p", {"free_capacity_gb": 5}))
    shared = SharedParts()
    fits = schedule_create_volume(hm, RequestSpec(size=1, volume_id=VOL), now=0)
    too_big = schedule_create_volume(hm, RequestSpec(size=10, volume_id=VOL2), now=1)
    a, b = fits.to_dict(shared), too_big.to_dict(shared)
    assert a["filters"] is not b["filters"]
    assert b["filters"][1] == {"name": "CapacityFilter", "passed": [], "rejected": ["a@l#p"]}
    assert b["retry"] == {"num_attempts": 1, "backends": [], "hosts": []}
    assert a["retry"] == {"num_attempts": 1, "backends": ["a@l#p"], "hosts": ["a@l#p"]}


def test_the_memos_are_bounded() -> None:
    shared = SharedParts()
    parts = [shared.ids((f"h{i}@l#p",)) for i in range(SharedParts.MAX * 3)]
    assert len(shared._lists) <= SharedParts.MAX
    assert parts[0] == ["h0@l#p"]
    assert shared.ids(("h0@l#p",)) == ["h0@l#p"]  # rebuilt after being forgotten


def test_a_shared_narration_equals_the_plain_one() -> None:
    hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 5}))
    shared = SharedParts()
    told = {}
    for size in (1, 10, 1, 1, 200):  # 10: b rejected; 200: nothing fits
        d = schedule_create_volume(hm, RequestSpec(size=size, volume_id=VOL), now=0)
        told[size] = d.narrate(shared)
        assert told[size] == d.narrate()
    assert "CapacityFilter rejects b@l#p and keeps 1." in told[10]
    assert "No backend fits" in told[200]


def test_the_recorded_pass_sets_every_field_in_its_place() -> None:
    hm = manager(("a@l#p", {"free_capacity_gb": 50}), ("b@l#p", {}))
    spec = RequestSpec(size=10, volume_id=VOL, resource_backend="a@l")
    d = schedule_create_volume(hm, spec, now=0)
    assert d._asdict() == {
        "operation": "create_volume", "request": spec, "candidates": ("a@l#p", "b@l#p"),
        "down_hosts": (), "filters": d.filters, "weighers": d.weighers,
        "weighed": d.weighed, "pinned_out": ("b@l#p",), "chosen": "a@l#p",
        "chosen_zone": "nova", "consumed_gb": 10.0, "retry": RetryRecord(1, ("a@l#p",), ("a@l#p",)),
        "previous_error": None, "reverted": None, "reason": None, "message": None}
    assert [f.name for f in d.filters] == ["AvailabilityZoneFilter", "CapacityFilter",
                                           "CapabilitiesFilter"]
    assert [w.backend_id for w in d.weighed] == ["b@l#p", "a@l#p"]  # b has more free
    assert d == SchedulingDecision(**d._asdict())


def test_a_first_attempts_paragraph_is_told_anew_when_any_part_it_reads_differs() -> None:
    # The paragraph memo's key is everything the narration reads: a record that
    # differs from a memoised one in any single such part is narrated afresh.
    d = _pinned_pass()
    variants = _narration_variants(d)
    shared = SharedParts()
    assert d.narrate(shared) == d.narrate()
    told = {d.narrate()}
    for v in variants:
        assert v.narrate(shared) == v.narrate(), v
        told.add(v.narrate())
    assert len(told) == len(variants) + 1  # each variant is told differently
    # A retry's paragraph (the last error, capacity given back) is never memoised.
    again = d._replace(previous_error="boom", reverted=("b@l#p", 10.0))
    assert again.narrate(shared) == again.narrate()
    assert again.narrate(shared).startswith("The last attempt failed (boom). ")


def test_a_traced_pass_is_its_narration_and_its_record_whatever_differs() -> None:
    """traced() is (narrate(), to_dict()) for a pass differing from a memoised one in
    any single part either reads; each event gets a dict of its own."""
    d = _pinned_pass()
    w = d.weighers[0]
    variants = [
        *_narration_variants(d),
        d._replace(operation="backend_passes_filters"),
        d._replace(retry=RetryRecord(2, ("a@l#p",), ("a@l#p",))),
        d._replace(retry=None),
        d._replace(weighed=d.weighed[::-1]),
        d._replace(weighers=(w._replace(raw=(1.0, 2.0)),)),
        d._replace(previous_error="boom", reverted=("b@l#p", 10.0)),
    ]
    shared = SharedParts()
    details = []
    for v in [d, *variants, d]:
        summary, detail = v.traced(shared)
        assert (summary, detail) == (v.narrate(), v.to_dict()), v
        details.append(detail)
    assert details[0] == details[-1]
    assert details[0] is not details[-1]
    details[0]["chosen"] = "changed"  # an event's dict is its own: the memo is untouched
    assert d.traced(shared)[1] == d.to_dict()


def _pinned_pass() -> SchedulingDecision:
    hm = manager(("a@l#p", {"free_capacity_gb": 50}), ("b@l#p", {}))
    spec = RequestSpec(size=10, volume_id=VOL, resource_backend="a@l")
    return schedule_create_volume(hm, spec, now=0)


def _narration_variants(d: SchedulingDecision) -> list[SchedulingDecision]:
    """*d* with one part the narration reads changed, each."""
    w = d.weighers[0]
    return [
        d._replace(candidates=(*d.candidates, "c@l#p")),
        d._replace(down_hosts=("c@l",)),
        d._replace(filters=d.filters[:1]),
        d._replace(weighers=(w._replace(name="OtherWeigher"),)),
        d._replace(weighers=(w._replace(multiplier=2.0),)),
        d._replace(weighers=(w._replace(multiplier=0.0),)),
        d._replace(weighers=(w._replace(multiplier=-0.0),)),  # equal to 0.0, told apart
        d._replace(weighers=(w._replace(backends=w.backends[::-1]),)),
        d._replace(weighers=(w._replace(normalized=(0.5, 0.25)),)),
        d._replace(weighers=()),
        d._replace(pinned_out=()),
        d._replace(request=RequestSpec(size=10, volume_id=VOL, resource_backend="a@l#p")),
        d._replace(chosen="b@l#p"),
        d._replace(consumed_gb=3.0),
        d._replace(chosen=None, consumed_gb=0, reason="Nothing fits here"),
        d._replace(chosen=None, consumed_gb=0, message="No valid backend was found. Hm"),
    ]


def test_a_records_parts_are_the_single_memos_answers_asked_at_once() -> None:
    hm = manager(("a@l#p", {}), ("b@l#p", {"free_capacity_gb": 5}))
    shared = SharedParts()
    d = schedule_create_volume(hm, RequestSpec(size=10, volume_id=VOL), now=0)
    key = (d.candidates, d.down_hosts, d.filters, d.pinned_out, d.retry, d.weighed)
    parts = shared.record(key)
    assert d.retry is not None
    singles = (shared.ids(d.candidates), shared.ids(d.down_hosts), shared.filters(d.filters),
               shared.ids(d.pinned_out), shared.retry(d.retry), shared.weighed(d.weighed))
    assert all(p is s for p, s in zip(parts, singles, strict=True))
    assert shared.record(key) is parts
    # Any one part differing is another record's parts.
    other = shared.record((d.candidates, d.down_hosts, d.filters, d.pinned_out, None,
                           d.weighed))
    assert other[4] is None
    assert other[:4] == parts[:4]
    assert len(shared._records) == 2
    for i in range(SharedParts.MAX * 2):
        shared.record(((f"h{i}@l#p",), (), (), (), None, ()))
    assert len(shared._records) <= SharedParts.MAX
