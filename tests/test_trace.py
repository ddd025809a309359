"""The trace: ordering, JSONL round trip, filters and the structlog face."""

from __future__ import annotations

import io
import pickle

import pytest

from cindersim.trace import Trace, TraceEvent, load_jsonl


def clock() -> tuple[list[float], Trace]:
    now = [0.0]
    return now, Trace(lambda: now[0])


class TestTrace:
    def test_events_are_numbered_and_stamped_with_virtual_time(self) -> None:
        now, tr = clock()
        tr.emit("api.request", "client", "POST /volumes")
        now[0] = 2.5
        ev = tr.emit("status", "cinder-volume", "creating -> available", resource="volume:1",
                     old="creating", new="available")
        assert ev is not None
        assert (ev.seq, ev.time, ev.detail["new"]) == (1, 2.5, "available")

    def test_jsonl_round_trip_is_byte_identical(self) -> None:
        _, tr = clock()
        tr.emit("bus.send", "cinder-api", "cast", target="cinder-scheduler", args={"size": 1})
        tr.emit("status", "x", "s", resource="volume:1", old=None, new="creating")
        text = tr.to_jsonl()
        events = load_jsonl(text.splitlines())
        again = Trace()
        again.events.extend(events)
        assert again.to_jsonl() == text
        assert again.digest() == tr.digest()

    def test_filter_by_kind_prefix_actor_and_resource(self) -> None:
        _, tr = clock()
        tr.emit("bus.send", "cinder-api", "a")
        tr.emit("bus.deliver", "cinder-volume@h@b", "b", resource="volume:1")
        tr.emit("status", "cinder-volume@h@b", "c", resource="volume:2")
        assert [e.summary for e in tr.filter(kind="bus")] == ["a", "b"]
        assert [e.summary for e in tr.filter(actor="cinder-volume")] == ["b", "c"]
        assert [e.summary for e in tr.filter(resource="volume:2")] == ["c"]
        assert tr.filter(kind="bus", prefix=False) == []

    def test_structlog_logger_writes_into_the_trace(self) -> None:
        _, tr = clock()
        log = tr.logger("cinder-scheduler").bind(request="req-1")
        log.info("no weighed backends", resource="volume:9", filtered=3)
        (ev,) = tr.events
        assert (ev.kind, ev.actor, ev.summary, ev.resource) == (
            "log", "cinder-scheduler", "no weighed backends", "volume:9")
        assert ev.detail == {"level": "info", "request": "req-1", "filtered": 3}

    def test_streaming_mode_writes_lines_and_keeps_nothing(self) -> None:
        buf = io.StringIO()
        tr = Trace(mode="full", stream=buf)
        tr.emit("k", "a", "one")
        tr.emit("k", "a", "two")
        assert tr.events == []
        assert [e.summary for e in load_jsonl(buf.getvalue().splitlines())] == ["one", "two"]

    def test_metrics_mode_feeds_subscribers_only(self) -> None:
        tr = Trace(mode="metrics")
        assert not tr.recording
        seen: list[str] = []
        unsubscribe = tr.subscribe(lambda e: seen.append(e.summary))
        assert tr.recording
        tr.emit("k", "a", "x")
        unsubscribe()
        tr.emit("k", "a", "y")
        assert (seen, tr.events, len(tr)) == (["x"], [], 2)

    def test_wants_names_exactly_the_kinds_that_would_go_somewhere(self) -> None:
        full = Trace()
        assert full.wants("anything")
        full.subscribe(lambda e: None, kinds=["status"])
        assert full.wants("anything")  # a full trace keeps every kind anyway
        quiet = Trace(mode="metrics")
        assert not quiet.wants("status")
        seen: list[str] = []
        drop = quiet.subscribe(lambda e: seen.append(e.kind), kinds=["status"])
        assert (quiet.wants("status"), quiet.wants("bus.send")) == (True, False)
        quiet.emit("bus.send", "a", "not built")
        quiet.emit("status", "a", "built")
        every = quiet.subscribe(lambda e: None)
        assert quiet.wants("bus.send")
        every()
        drop()
        assert not quiet.wants("status")
        assert seen == ["status"]
        quiet.subscribe(lambda e: None)
        quiet.close()
        assert not quiet.wants("status")

    def test_wants_now_follows_the_mode_subscribers_and_close(self) -> None:
        quiet = Trace(mode="off")
        status = quiet.wants_now("status")
        assert status() is False
        drop = quiet.subscribe(lambda e: None, kinds=["status"])
        assert status() is True
        assert quiet.wants_now("bus.send")() is False
        every = quiet.subscribe(lambda e: None)
        bus_send = quiet.wants_now("bus.send")
        assert bus_send() is True
        every()
        drop()
        assert (status(), bus_send()) == (False, False)
        quiet.mode = "full"
        assert (status(), bus_send()) == (True, True)
        quiet.close()
        assert (status(), bus_send()) == (False, False)

    def test_closed_trace_records_nothing_more(self) -> None:
        _, tr = clock()
        tr.emit("k", "a", "kept")
        tr.close()
        tr.emit("k", "a", "dropped")
        assert [e.summary for e in tr.events] == ["kept"]

    def test_events_are_frozen_records_that_copy_what_they_are_given(self) -> None:
        detail = {"old": "creating"}
        ev = TraceEvent(3, 1.5, "status", "cinder-volume", "s", resource="volume:1",
                        detail=detail)
        detail["old"] = "changed later by the caller"
        assert ev.detail == {"old": "creating"}
        with pytest.raises(AttributeError):
            ev.kind = "other"  # type: ignore[misc]
        moved = ev._replace(seq=0)
        assert (moved.seq, moved.kind, ev.seq) == (0, "status", 3)
        assert TraceEvent.from_dict(ev.to_dict()) == ev
        assert pickle.loads(pickle.dumps(ev)) == ev
        assert TraceEvent(0, 0.0, "k", "a", "s").detail == {}

    def test_emit_hands_its_keyword_detail_to_the_event_and_modes_decide_keeping(self) -> None:
        _, tr = clock()
        tr.mode = "metrics"
        seen: list[TraceEvent] = []
        tr.subscribe(seen.append)
        tr.emit("k", "a", "seen, not kept", n=1)
        tr.mode = "full"
        tr.emit("k", "a", "kept", n=2)
        assert [e.summary for e in tr.events] == ["kept"]
        assert [e.detail["n"] for e in seen] == [1, 2]
        quiet = Trace(mode="off")
        quiet.emit("k", "a", "dropped")
        quiet.mode = "full"  # with no subscriber: every kind is built and kept from now
        quiet.emit("k", "a", "kept")
        assert ([e.summary for e in quiet.events], len(quiet)) == (["kept"], 2)

    def test_the_three_emits_number_alike_and_own_or_copy_their_detail(self) -> None:
        # emit_detail copies the mapping it is given (its caller may change it after),
        # emit_owned keeps the very dict; a kind nobody wants is counted, never built.
        now, tr = clock()
        tr.mode = "metrics"
        seen: list[TraceEvent] = []
        tr.subscribe(seen.append, kinds=["k"])
        given = {"n": 1}
        tr.emit_detail("k", "a", "detail", given, target="t", resource="r")
        given["n"] = 99
        tr.emit_detail("other", "a", "unwanted", {"n": 2})
        owned = {"n": 3}
        now[0] = 2.5
        tr.emit_owned("k", "a", "owned", owned, "t2")
        tr.emit_owned("other", "a", "unwanted", {"n": 4})
        tr.emit("k", "a", "emitted", resource="r3", n=5)
        tr.emit("other", "a", "unwanted", n=6)
        tr.emit_detail("k", "a", "empty", {})
        assert [(e.seq, e.summary, e.target, e.resource, e.detail) for e in seen] == [
            (0, "detail", "t", "r", {"n": 1}), (2, "owned", "t2", None, {"n": 3}),
            (4, "emitted", None, "r3", {"n": 5}), (6, "empty", None, None, {})]
        assert seen[1].detail is owned
        assert seen[1].time == 2.5
        assert len(tr) == 7

    def test_a_full_trace_feeds_whoever_subscribes_later_and_stops_when_they_leave(
            self) -> None:
        _, tr = clock()
        tr.emit("k", "a", "before")
        seen: list[TraceEvent] = []
        unsubscribe = tr.subscribe(seen.append)
        tr.emit_owned("k", "a", "while", {})
        unsubscribe()
        tr.emit("k", "a", "after")
        assert [e.summary for e in tr.events] == ["before", "while", "after"]
        assert [e.summary for e in seen] == ["while"]
