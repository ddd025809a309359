"""Workloads: determinism, distribution sanity, validation, and a replay through cinder-api."""

from __future__ import annotations

import bisect
import math
import random
import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim import states
from cindersim.cloud import Cloud, simulate
from cindersim.workload import (
    Bursts,
    DailyCurve,
    EmpiricalSize,
    ExponentialLifetime,
    FixedLifetime,
    FixedSize,
    LogNormalSize,
    Operation,
    OperationMix,
    OperationResult,
    PoissonArrivals,
    Stream,
    UniformSize,
    Workload,
    _Alive,
    drive,
)

MIX = OperationMix({"create": 3, "extend": 1, "snapshot": 1, "attach": 1, "backup": 1,
                    "delete": 1})


def _workload() -> Workload:
    return Workload([
        Stream("demo", PoissonArrivals(0.1), UniformSize(1, 3), ExponentialLifetime(50), MIX),
        Stream("alt_demo", Bursts(every=60, size=3, spread=5), FixedSize(2),
               FixedLifetime(30)),
    ], duration=300)


def test_same_seed_same_operations() -> None:
    a = _workload().generate(random.Random(7))
    b = _workload().generate(random.Random(7))
    assert a == b
    assert len(a) > 20


def test_different_seed_different_operations() -> None:
    assert _workload().generate(random.Random(7)) != _workload().generate(random.Random(8))


def test_operations_are_time_ordered_and_targets_precede() -> None:
    ops = _workload().generate(random.Random(3))
    assert [o.time for o in ops] == sorted(o.time for o in ops)
    assert [o.seq for o in ops] == list(range(len(ops)))
    kinds = Counter(o.kind for o in ops)
    assert kinds["create"] > 0
    assert kinds["delete"] > 0
    for o in ops:
        if o.kind == "create":
            assert o.target is None
            assert o.size is not None
        else:
            assert o.target is not None
            assert o.target < o.seq
            assert ops[o.target].kind == "create"
            assert ops[o.target].project == o.project
    # A volume is deleted at most once.
    deleted = [o.target for o in ops if o.kind == "delete"]
    assert len(deleted) == len(set(deleted))


def test_fixed_lifetime_deletes_exactly_at_create_plus_lifetime() -> None:
    w = Workload([Stream("demo", Bursts(every=100, size=2), FixedSize(1), FixedLifetime(40))],
                 duration=250)
    ops = w.generate(random.Random(0))
    assert [(o.time, o.kind, o.target) for o in ops] == [
        (0.0, "create", None), (0.0, "create", None), (40.0, "delete", 0), (40.0, "delete", 1),
        (100.0, "create", None), (100.0, "create", None), (140.0, "delete", 4),
        (140.0, "delete", 5), (200.0, "create", None), (200.0, "create", None),
        (240.0, "delete", 8), (240.0, "delete", 9)]


def test_adding_a_stream_leaves_the_others_alone() -> None:
    one = Workload([Stream("demo", PoissonArrivals(0.2))], duration=100)
    two = Workload([Stream("demo", PoissonArrivals(0.2)),
                    Stream("alt_demo", PoissonArrivals(0.2))], duration=100)
    first = [(o.time, o.size) for o in one.generate(random.Random(1))]
    both = [(o.time, o.size) for o in two.generate(random.Random(1)) if o.project == "demo"]
    assert both == first


def test_poisson_rate_within_loose_bounds() -> None:
    rng = random.Random(11)
    times = list(PoissonArrivals(2.0).times(rng, 1000.0))
    assert 1800 < len(times) < 2200
    assert all(0 <= t < 1000 for t in times)


def test_bursts_count_and_spread() -> None:
    times = list(Bursts(every=10, size=4, spread=2, start=1).times(random.Random(0), 50))
    assert len(times) == 20
    assert times == sorted(times)
    for i, t in enumerate(times):
        start = 1 + 10 * (i // 4)
        assert start <= t <= start + 2


def _old_burst_times(b: Bursts, rng: random.Random, duration: float) -> Iterator[float]:
    """Bursts.times before overlapping bursts were merged (each burst sorted alone)."""
    t0 = b.start
    while t0 < duration:
        offsets = sorted(rng.uniform(0.0, b.spread) if b.spread else 0.0
                         for _ in range(b.size))
        for off in offsets:
            if t0 + off < duration:
                yield t0 + off
        t0 += b.every


@pytest.mark.parametrize("burst", [Bursts(every=10, size=4, spread=2, start=1),
                                   Bursts(every=60, size=3, spread=5),
                                   Bursts(every=5, size=7, spread=4.9, start=3),
                                   Bursts(every=100, size=2)])
def test_bursts_apart_draw_and_arrive_as_before(burst: Bursts) -> None:
    """Bursts that do not overlap keep their times and the rng draws between them
    (a consumer drawing from the same rng after each arrival sees the same values)."""
    def consume(times: Iterator[float], rng: random.Random) -> list[tuple[float, float]]:
        return [(t, rng.random()) for t in times]

    for seed in (0, 3, 99):
        a, b = random.Random(seed), random.Random(seed)
        assert consume(burst.times(a, 500), a) == consume(_old_burst_times(burst, b, 500), b)


def test_overlapping_bursts_arrive_in_time_order_and_their_operations_generate() -> None:
    """A burst spread wider than the gap to the next used to yield times out of
    order, and an operation could then precede the create it targets (KeyError)."""
    burst = Bursts(every=10, size=4, spread=25)
    times = list(burst.times(random.Random(4), 400))
    assert times == sorted(times)
    assert 150 < len(times) <= 160  # the last bursts reach past the 400 s end
    assert all(0 <= t < 400 for t in times)
    w = Workload([Stream("demo", burst, UniformSize(1, 5), ExponentialLifetime(40), MIX)],
                 duration=400)
    for seed in range(5):
        ops = w.generate(random.Random(seed))
        assert [o.time for o in ops] == sorted(o.time for o in ops)
        assert all(o.target is None or o.target < o.seq for o in ops)


def test_daily_curve_thinning_follows_the_rates() -> None:
    hourly = [0.0] * 12 + [0.05] * 12
    times = list(DailyCurve(hourly).times(random.Random(5), 2 * 86400.0))
    assert all((t // 3600) % 24 >= 12 for t in times)
    # Expected 0.05/s over 24 busy hours: 4320.
    assert 4000 < len(times) < 4650


def test_size_distribution_means() -> None:
    rng = random.Random(2)
    n = 20000
    assert statistics.fmean(UniformSize(1, 9).draw(rng) for _ in range(n)) == pytest.approx(
        5, abs=0.15)
    lognormal = [LogNormalSize(2.0, 0.5).draw(rng) for _ in range(n)]
    # E[ceil(X)] is about E[X] + 0.5 with E[X] = exp(mu + sigma^2/2) = 8.37.
    assert 8.4 < statistics.fmean(lognormal) < 9.3
    assert min(lognormal) >= 1
    emp = Counter(EmpiricalSize([1, 10], weights=[3, 1]).draw(rng) for _ in range(n))
    assert 0.72 < emp[1] / n < 0.78
    assert FixedSize(5).draw(rng) == 5
    assert statistics.fmean(ExponentialLifetime(100).draw(rng) for _ in range(n)) == \
        pytest.approx(100, rel=0.05)


def test_mix_probabilities() -> None:
    rng = random.Random(4)
    counts = Counter(OperationMix({"create": 0.5, "delete": 0.25, "extend": 0.25}).draw(rng)
                     for _ in range(20000))
    assert set(counts) == {"create", "delete", "extend"}
    assert 0.48 < counts["create"] / 20000 < 0.52
    assert 0.23 < counts["delete"] / 20000 < 0.27


@pytest.mark.parametrize("build", [
    lambda: PoissonArrivals(0),
    lambda: PoissonArrivals(-1.0),
    lambda: Bursts(every=0, size=1),
    lambda: DailyCurve([1.0] * 23),
    lambda: DailyCurve([0.0] * 24),
    lambda: FixedSize(0),
    lambda: UniformSize(5, 2),
    lambda: EmpiricalSize([]),
    lambda: EmpiricalSize([1, 2], weights=[1]),
    lambda: EmpiricalSize([0]),
    lambda: FixedLifetime(0),
    lambda: OperationMix({}),
    lambda: OperationMix({"resize": 1.0}),
    lambda: OperationMix({"create": 0.0}),
    lambda: Workload([], duration=0),
])
def test_validation_rejects(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_drive_replays_through_cinder_api() -> None:
    ops = _workload().generate(random.Random(3))

    async def main(cloud: Cloud) -> list[OperationResult]:
        results = await drive(cloud, ops)
        await cloud.settle()
        return results

    result = simulate(main, seed=1)
    results = result.value
    assert [r.operation for r in results] == ops
    assert states.check_trace(result.trace.events) == []
    creates = [r for r in results if r.operation.kind == "create"]
    assert creates
    assert all(r.status == 202 for r in creates)
    # Every create went through POST /volumes at (or after) its operation's time.
    posts = [e for e in result.trace.events
             if e.kind == "api.request" and e.detail["method"] == "POST"
             and e.detail["path"].endswith("/volumes")]
    assert len(posts) == len(creates)
    start = posts[0].time - creates[0].operation.time
    for e, r in zip(posts, creates, strict=True):
        assert e.time >= start + r.operation.time - 1e-9
    # Volumes deleted by the workload are gone; the others remain.
    deleted = {r.resource for r in results
               if r.operation.kind == "delete" and r.status == 202}
    live = {f"volume:{v.id}" for v in result.cloud.db.volumes.values()}
    assert deleted
    assert not (deleted & live)
    assert len(live) == len(creates) - len(deleted)


def test_drive_skips_operations_whose_volume_never_existed() -> None:
    ops = [Operation(0.0, "create", "demo", size=100000, seq=0),
           Operation(1.0, "extend", "demo", size=1, seq=1, target=0),
           Operation(2.0, "delete", "demo", seq=2, target=0)]

    async def main(cloud: Cloud) -> list[OperationResult]:
        return await drive(cloud, ops)

    results = simulate(main, seed=0).value
    assert [r.status for r in results] == [413, None, None]


# --- the old eager generator, kept verbatim as the reference -----------------------------
def _reference_generate(w: Workload, rng: random.Random) -> list[Operation]:
    """What ``Workload.generate`` did before it used tuples, a heap of pending deletes
    and a plain tuple sort: per-operation dicts, ``bisect.insort``/``pop(0)``, a keyed
    sort and the mix's cumulative weights rebuilt per draw."""
    def draw_kind(mix: OperationMix, srng: random.Random) -> str:
        kinds = [k for k, _ in mix.weights]
        cum: list[float] = []
        total = 0.0
        for _, wt in mix.weights:
            total += wt
            cum.append(total)
        return kinds[bisect.bisect_right(cum, srng.random() * total)]

    def stream_ops(si: int, stream: Stream, srng: random.Random) -> Any:
        alive: dict[int, float] = {}
        local = 0
        pending: list[tuple[float, int, int]] = []
        base = {"project": stream.project, "volume_type": stream.volume_type}

        def flush(until: float) -> Any:
            while pending and pending[0][0] <= until:
                t, lid, target = pending.pop(0)
                if target in alive:
                    del alive[target]
                    yield t, si, lid, {**base, "kind": "delete", "target": target}

        for t in stream.arrivals.times(srng, w.duration):
            yield from flush(t)
            kind = draw_kind(stream.mix, srng)
            if kind == "create":
                size = stream.sizes.draw(srng)
                life = None if stream.lifetimes is None else stream.lifetimes.draw(srng)
                cid = local
                local += 1
                alive[cid] = math.inf
                yield t, si, cid, {**base, "kind": "create", "size": size, "lifetime": life}
                if life is not None and t + life < w.duration:
                    bisect.insort(pending, (t + life, local, cid))
                    local += 1
                continue
            if not alive:
                continue
            candidates = sorted(alive)
            target = candidates[srng.randrange(len(candidates))]
            fields: dict[str, Any] = {**base, "kind": kind, "target": target}
            if kind == "extend":
                fields["size"] = stream.extend_by.draw(srng)
            if kind == "delete":
                del alive[target]
            yield t, si, local, fields
            local += 1
        yield from flush(math.inf)

    raw: list[Any] = []
    seeds = [rng.getrandbits(64) for _ in w.streams]
    for si, (stream, seed) in enumerate(zip(w.streams, seeds, strict=True)):
        raw.extend(stream_ops(si, stream, random.Random(seed)))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    seq_of: dict[tuple[int, int], int] = {}
    out: list[Operation] = []
    for seq, (t, si, local, fields) in enumerate(raw):
        seq_of[(si, local)] = seq
        tgt = fields.pop("target", None)
        out.append(Operation(time=t, seq=seq,
                             target=None if tgt is None else seq_of[(si, tgt)], **fields))
    return out


def _equivalence_workloads() -> list[Workload]:
    return [
        _workload(),
        # Overlapping bursts (spread > every): a stream's times are not monotonic.  (Only
        # creates: an operation on an earlier-drawn volume could then sort before its
        # create, which both versions reject with a KeyError.)
        Workload([Stream("demo", Bursts(every=10, size=4, spread=25), UniformSize(1, 5),
                         ExponentialLifetime(40), volume_type="lvm")], duration=400),
        # Simultaneous arrivals and deletes due exactly at an arrival time (ties).
        Workload([Stream("demo", Bursts(every=10, size=3), FixedSize(1), FixedLifetime(20),
                         OperationMix({"create": 2, "delete": 1, "extend": 1})),
                  Stream("alt_demo", Bursts(every=10, size=2, start=5), FixedSize(3),
                         FixedLifetime(5), MIX, extend_by=UniformSize(1, 2))], duration=200),
        Workload([Stream("demo", DailyCurve([0.01] * 12 + [0.05] * 12),
                         EmpiricalSize([1, 2, 8], [0.5, 0.3, 0.2]), ExponentialLifetime(3000),
                         OperationMix({"create": 1.5, "snapshot": 0.5, "backup": 0.25})),
                  Stream("demo", PoissonArrivals(0.02), LogNormalSize(1.0, 0.5), None,
                         OperationMix({"create": 1, "attach": 1}), volume_type="fast"),
                  Stream("alt_demo", PoissonArrivals(0.05), FixedSize(1),
                         ExponentialLifetime(10))], duration=86400),
    ]


@pytest.mark.parametrize("index", range(4))
def test_generate_matches_the_old_eager_generator(index: int) -> None:
    w = _equivalence_workloads()[index]
    for seed in (0, 1, 7, 12345):
        new = w.generate(random.Random(seed))
        assert new == _reference_generate(w, random.Random(seed))
        # also the rng the caller passed in is left in the same state
        a, b = random.Random(seed), random.Random(seed)
        w.generate(a)
        _reference_generate(w, b)
        assert a.random() == b.random()


def test_drive_replays_in_time_order_whatever_the_input_order() -> None:
    ops = _workload().generate(random.Random(5))

    def replay(given: list[Operation]) -> list[tuple[int, int | None, str | None]]:
        async def main(cloud: Cloud) -> list[OperationResult]:
            return await drive(cloud, given)

        return [(r.operation.seq, r.status, r.resource)
                for r in simulate(main, seed=2).value]

    in_order = replay(ops)
    assert [seq for seq, _, _ in in_order] == list(range(len(ops)))
    assert replay(list(reversed(ops))) == in_order
    assert replay([*ops[1:], ops[0]]) == in_order


@given(st.lists(st.tuples(st.sampled_from(["add", "discard", "nth"]),
                          st.integers(0, 300)), max_size=400))
def test_the_live_id_index_answers_what_sorting_the_live_ids_would(
        steps: list[tuple[str, int]]) -> None:
    alive = _Alive()
    model: set[int] = set()
    for what, n in steps:
        if what == "add":
            alive.add(n)
            model.add(n)
        elif what == "discard":
            alive.discard(n)
            model.discard(n)
        elif model:
            ordered = sorted(model)
            assert alive.nth(n % len(ordered)) == ordered[n % len(ordered)]
        assert len(alive) == len(model)
        assert all((i in alive) == (i in model) for i in (0, n, 299, 5000))
