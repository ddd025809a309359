"""Call deadlines come out exactly as one heap of (deadline, sequence) would give them."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from cindersim.call_deadlines import CallDeadlines, Deadline

# Each step: add a call with this timeout at this clock (the clock never goes back),
# or pop the head (None).
steps = st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 5), st.sampled_from(
    [60.0, 60.0, 60.0, 10.0, 1.0, 120.0]))), max_size=60)


@given(steps)
def test_heads_and_pops_match_one_heap(script: list[tuple[int, float] | None]) -> None:
    deadlines = CallDeadlines()
    heap: list[Deadline] = []
    now = 0.0
    for seq, step in enumerate(script):
        if step is None:
            expected = heap[0] if heap else None
            assert deadlines.head() == expected
            if heap:
                heapq.heappop(heap)
                deadlines.pop()
            continue
        advance, timeout = step
        now += advance
        entry = (now + timeout, seq, f"msg-{seq:06d}")
        heapq.heappush(heap, entry)
        deadlines.add(*entry)
        assert len(deadlines) == len(heap)
    drained = []
    while (head := deadlines.head()) is not None:
        drained.append(head)
        deadlines.pop()
    assert drained == sorted(heap)
