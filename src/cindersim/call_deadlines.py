"""When each waiting RPC call stops waiting: oslo.messaging's ``rpc_response_timeout``.

A caller of ``call`` waits at most its timeout (60 s by default) for the reply,
then raises ``MessagingTimeout``.  The bus keeps one timer for all of them, armed at
the earliest deadline, and :class:`CallDeadlines` orders the deadlines.

Almost every call is answered long before its deadline, and an answered call's
entry stays until it reaches the head (removing it from the middle would cost
more): calls sent back to back leave a minute of entries.  So an entry is small
(deadline, sequence, message id: it keeps no message or arguments alive), and
since every call with the default timeout has its deadline after the one sent
before it, the entries go in a queue; only a call with a shorter timeout than one
sent earlier goes to a heap.  A heap of every entry cost ``log n`` comparisons a
pop: about a fifth of a bus call round trip.  The head is the earlier head of the
two, so deadlines come out in exactly the order one heap of ``(deadline,
sequence)`` would give.
"""

from __future__ import annotations

import heapq
from collections import deque

__all__ = ["CallDeadlines", "Deadline"]

Deadline = tuple[float, int, str]
"""(when the caller stops waiting, the bus's sequence number, the call's message id)."""


class CallDeadlines:
    """Deadlines of calls, earliest (then first sent) first."""

    __slots__ = ("_early", "_queue")

    def __init__(self) -> None:
        self._queue: deque[Deadline] = deque()
        self._early: list[Deadline] = []

    def __len__(self) -> int:
        return len(self._queue) + len(self._early)

    def add(self, when: float, seq: int, msg_id: str) -> None:
        """A call sent with deadline *when*; *seq* grows from call to call."""
        queue = self._queue
        if not queue or when >= queue[-1][0]:
            queue.append((when, seq, msg_id))
        else:
            heapq.heappush(self._early, (when, seq, msg_id))

    def head(self) -> Deadline | None:
        """The earliest deadline, or None."""
        queue, early = self._queue, self._early
        if not early:
            return queue[0] if queue else None
        if not queue:
            return early[0]
        return early[0] if early[0] < queue[0] else queue[0]

    def pop(self) -> None:
        """Drop the head (the entry :meth:`head` returned)."""
        queue, early = self._queue, self._early
        if early and (not queue or early[0] < queue[0]):
            heapq.heappop(early)
        else:
            queue.popleft()
