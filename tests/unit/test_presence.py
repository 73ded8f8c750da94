"""Presence of queue, call takers and calls: recorded Asterisk sequences, snapshot rebuild, SSE fan-out.

The recorded AMI events and snapshot rows stay raw (what Asterisk sends): they reach the model through the AMI
adapter's translator, as in the daemon."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ec112.ami.events import channel_rows, queue_snapshot, translate
from ec112.domain.call_events import AsteriskConnected, AsteriskDisconnected, ChannelRow, QueueSnapshot
from ec112.domain.events import DomainEvent
from ec112.domain.presence import AgentState, Presence, PresenceSnapshot
from ec112.routing.dialplan import CALL_CONTEXTS
from ec112.services.ami_pipeline import AmiEventPipeline
from ec112.services.event_bus import LocalEventBus
from ec112.services.presence import PresenceService
from ec112.web.live_feed import LiveFeed, LiveMessage

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ami"
QUEUE = "emergency"
CALLER = "ec112lab-1795820610.7"
BRIDGE = "069ecd6e-575a-415f-a5e0-cdff8bc02632"
T_ADDED = 1_795_820_474.0


def load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def feed(presence: Presence, raw: Mapping[str, str], now: datetime) -> bool:
    """Apply one raw AMI event as the pipeline does: translated, and skipped when ec112 does not use it."""
    event = translate(raw, now)
    return presence.apply(event, now) if event is not None else False


async def deliver(service: PresenceService, raw: Mapping[str, str], now: datetime | None = None) -> None:
    event = translate(raw, now or datetime.now(UTC))
    if event is not None:
        await service.apply(event)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def ts(event: Mapping[str, str]) -> datetime:
    return at(float(event["Timestamp"]))


def member_added(endpoint: str, t: float, queue: str = QUEUE, **fields: str) -> dict[str, str]:
    return {"Event": "QueueMemberAdded", "Timestamp": f"{t:.6f}", "Queue": queue, "MemberName": endpoint,
            "Interface": f"PJSIP/{endpoint}", "StateInterface": f"PJSIP/{endpoint}", "Membership": "dynamic",
            "CallsTaken": "0", "LastCall": "0", "LastPause": "0", "LoginTime": f"{int(t)}", "InCall": "0",
            "Status": "1", "Paused": "0", "PausedReason": "", **fields}


def agent1_states(events: Sequence[Mapping[str, str]], presence: Presence) -> list[AgentState]:
    seen: list[AgentState] = []
    for event in events:
        feed(presence, event, ts(event))
        state = next(a.state for a in presence.snapshot().agents if a.endpoint == "agent1")
        if not seen or seen[-1] != state:
            seen.append(state)
    return seen


@pytest.mark.parametrize("fixture", ["answered_call_recorded.jsonl", "answered_call_status_first.jsonl"])
def test_answered_call_moves_taker_through_every_state_in_both_orderings(fixture: str) -> None:
    events = load(fixture)
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("agent1", T_ADDED), at(T_ADDED))

    states = agent1_states(events, presence)

    assert states == [AgentState.AVAILABLE, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP]
    complete = next(e for e in events if e["Event"] == "AgentComplete")
    agent = presence.snapshot().agents[0]
    assert agent.since == ts(complete)
    assert agent.calls_today == 1
    assert agent.call_linkedid is None
    assert presence.snapshot().calls == ()  # the caller hung up
    assert not presence.tick(ts(complete) + timedelta(seconds=4.9))
    assert presence.tick(ts(complete) + timedelta(seconds=5))
    assert presence.snapshot().agents[0].state == AgentState.AVAILABLE


def test_during_the_call_taker_and_call_show_each_other() -> None:
    events = load("answered_call_recorded.jsonl")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("agent1", T_ADDED), at(T_ADDED))
    upto = next(i for i, e in enumerate(events) if e["Event"] == "QueueCallerJoin")
    for event in events[: upto + 1]:
        feed(presence, event, ts(event))
    waiting = presence.snapshot().queue.waiting
    assert [(w.linkedid, w.position, w.caller_number) for w in waiting] == [(CALLER, 1, "+4915112345678")]
    assert presence.snapshot().calls[0].state == "queued"

    for event in events[upto + 1 :]:
        feed(presence, event, ts(event))
        if event["Event"] == "AgentConnect":
            break
    snap = presence.snapshot()
    assert snap.queue.waiting == ()
    assert (snap.agents[0].call_linkedid, snap.agents[0].caller_number) == (CALLER, "+4915112345678")
    call = snap.calls[0]
    assert (call.state, call.taker, call.channel) == ("talking", "agent1", "PJSIP/trunk-00000007")
    assert call.started_at == ts(events[0])  # Newchannel of the citizen (context ec112-from-trunk)


def test_ticket_number_follows_the_call_from_queue_to_taker_and_goes_with_the_hangup() -> None:
    events = load("answered_call_recorded.jsonl")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("agent1", T_ADDED), at(T_ADDED))
    assert not presence.ticket_opened(CALLER, "112-261128-00007")  # the intake opens it before the call shows
    for event in events:
        feed(presence, event, ts(event))
        snap = presence.snapshot()
        if event["Event"] == "QueueCallerJoin":
            assert [w.ticket for w in snap.queue.waiting] == ["112-261128-00007"]
            assert [c.ticket for c in snap.calls] == ["112-261128-00007"]
        if event["Event"] == "AgentConnect":
            assert snap.agents[0].ticket == "112-261128-00007"
    snap = presence.snapshot()
    assert snap.calls == ()
    assert snap.agents[0].ticket is None
    assert not presence.ticket_opened("never-seen", "112-261128-00008")


def test_a_drills_call_is_marked_exercise_on_the_wallboard_rows() -> None:
    events = load("answered_call_recorded.jsonl")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("agent1", T_ADDED), at(T_ADDED))
    presence.ticket_opened(CALLER, "112-261128-00007", exercise=True)  # issue 14: LATIHAN on the wallboard
    for event in events:
        feed(presence, event, ts(event))
        snap = presence.snapshot()
        if event["Event"] == "QueueCallerJoin":
            assert [w.exercise for w in snap.queue.waiting] == [True]
            assert [c.exercise for c in snap.calls] == [True]
        if event["Event"] == "AgentConnect":
            assert snap.agents[0].exercise is True
    assert presence.snapshot().agents[0].exercise is False  # the call is over


def test_taker_leg_hangup_does_not_end_the_call() -> None:
    events = load("answered_call_recorded.jsonl")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    for event in events:
        if event["Event"] == "Hangup" and event["Uniqueid"] != CALLER:
            feed(presence, event, ts(event))
            assert [c.linkedid for c in presence.snapshot().calls] == [CALLER]
            return
        feed(presence, event, ts(event))
    pytest.fail("fixture has no taker-leg Hangup")


def test_paused_taker_shows_reason_and_since_whatever_the_device() -> None:
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("taker01", 100), at(100))
    pause = {"Event": "QueueMemberPause", "Timestamp": "200.0", "Queue": QUEUE, "Interface": "PJSIP/taker01",
             "MemberName": "taker01", "Paused": "1", "PausedReason": "toilet"}
    assert feed(presence, pause, at(200))
    ringing = {**member_added("taker01", 100), "Event": "QueueMemberStatus", "Timestamp": "210.0",
               "Status": "2", "InCall": "1", "Paused": "1", "PausedReason": "toilet"}
    feed(presence, ringing, at(210))
    agent = presence.snapshot().agents[0]
    assert (agent.state, agent.paused_reason, agent.since) == (AgentState.PAUSED, "toilet", at(200))

    feed(presence, {**pause, "Timestamp": "300.0", "Paused": "0", "PausedReason": ""}, at(300))
    agent = presence.snapshot().agents[0]
    assert (agent.state, agent.paused_reason, agent.since) == (AgentState.ON_CALL, None, at(300))


def join(linkedid: str, position: int, t: float, queue: str = QUEUE) -> dict[str, str]:
    return {"Event": "QueueCallerJoin", "Timestamp": f"{t}", "Queue": queue, "Uniqueid": linkedid,
            "Linkedid": linkedid, "Channel": f"PJSIP/trunk-{linkedid}", "CallerIDNum": f"08{linkedid}",
            "CallerIDName": "<unknown>", "Position": str(position), "Count": str(position)}


def test_waiting_callers_keep_queue_order_and_move_up() -> None:
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    for i, linkedid in enumerate(("a", "b", "c"), start=1):
        feed(presence, join(linkedid, i, float(i)), at(i))
    abandon = {**join("b", 2, 10.0), "Event": "QueueCallerAbandon", "HoldTime": "9"}
    assert feed(presence, abandon, at(10))
    waiting = presence.snapshot().queue.waiting
    assert [(w.linkedid, w.position, w.caller_name) for w in waiting] == [("a", 1, None), ("c", 2, None)]
    assert waiting[1].joined_at == at(3)


def test_other_queues_are_ignored() -> None:
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    before = presence.snapshot()
    assert not feed(presence, member_added("taker09", 1, queue="support"), at(1))
    assert not feed(presence, join("x", 1, 2.0, queue="support"), at(2))
    assert presence.snapshot() == before


def test_calls_today_counts_since_local_midnight_wita() -> None:
    presence = Presence(QUEUE, wrapup_seconds=0, call_contexts=CALL_CONTEXTS)  # the default zone: WITA (UTC+8)
    before_midnight = datetime(2026, 11, 27, 15, 59, tzinfo=UTC)  # 23:59 WITA
    feed(presence, member_added("taker01", before_midnight.timestamp()), before_midnight)
    complete = {"Event": "AgentComplete", "Queue": QUEUE, "Interface": "PJSIP/taker01", "Linkedid": "x",
                "Uniqueid": "x", "Timestamp": f"{before_midnight.timestamp()}"}
    feed(presence, complete, before_midnight)
    assert presence.snapshot().agents[0].calls_today == 1
    assert presence.tick(before_midnight + timedelta(minutes=1, seconds=1))
    assert presence.snapshot().agents[0].calls_today == 0


# --- rebuilding from QueueStatus + CoreShowChannels --------------------------------------------------------------

SECOND = "lab-2.9"


def mid_call_from_events() -> tuple[Presence, datetime]:
    events = load("answered_call_recorded.jsonl")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    feed(presence, member_added("agent1", T_ADDED), at(T_ADDED))
    feed(presence, member_added("taker02", T_ADDED), at(T_ADDED))
    feed(presence, {"Event": "QueueMemberPause", "Queue": QUEUE, "Interface": "PJSIP/taker02", "Paused": "1",
                    "PausedReason": "toilet", "Timestamp": "1795820500.0"}, at(1_795_820_500))
    end = next(i for i, e in enumerate(events) if e["Event"] == "BridgeEnter")
    for event in events[:end]:
        feed(presence, event, ts(event))
    t = ts(events[end])
    second = {"Event": "Newchannel", "Timestamp": f"{t.timestamp() + 1}", "Channel": "PJSIP/trunk-00000009",
              "Context": "ec112-from-trunk", "Exten": "112", "Uniqueid": SECOND, "Linkedid": SECOND,
              "CallerIDNum": "081299", "CallerIDName": "Siti"}
    feed(presence, second, t + timedelta(seconds=1))
    feed(presence, {**second, **join(SECOND, 1, t.timestamp() + 3), "Channel": "PJSIP/trunk-00000009",
                    "CallerIDNum": "081299", "CallerIDName": "Siti"}, t + timedelta(seconds=3))
    return presence, t + timedelta(seconds=5)


def asterisk_snapshot() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    def member(name: str, **fields: str) -> dict[str, str]:
        return {"Event": "QueueMember", "Queue": QUEUE, "Name": name, "Location": f"PJSIP/{name}",
                "StateInterface": f"PJSIP/{name}", "Membership": "dynamic", "CallsTaken": "0", "LastCall": "0",
                "LastPause": "0", "LoginTime": f"{int(T_ADDED)}", "InCall": "0", "Status": "1", "Paused": "0",
                "PausedReason": "", **fields}

    queue_status = [
        {"Event": "QueueParams", "Queue": QUEUE, "Calls": "1", "Completed": "0", "Abandoned": "0"},
        member("agent1", Status="2", InCall="1"),
        member("taker02", Paused="1", PausedReason="toilet", LastPause="1795820500"),
        {"Event": "QueueEntry", "Queue": QUEUE, "Position": "1", "Channel": "PJSIP/trunk-00000009",
         "Uniqueid": SECOND, "CallerIDNum": "081299", "CallerIDName": "Siti", "Wait": "2", "Priority": "0"},
        {"Event": "QueueParams", "Queue": "support", "Calls": "0"},
        member("taker09", Queue="support"),
    ]
    channels = [
        {"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000007", "Uniqueid": CALLER, "Linkedid": CALLER,
         "Context": "ec112-emergency", "Extension": "112", "Application": "Queue", "ApplicationData": f"{QUEUE},r",
         "BridgeId": BRIDGE, "Duration": "00:00:07", "CallerIDNum": "+4915112345678"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/agent1-00000008", "Uniqueid": "ec112lab-1795820612.8",
         "Linkedid": CALLER, "Context": "from-agent", "Extension": "112", "Application": "AppQueue",
         "BridgeId": BRIDGE, "Duration": "00:00:05", "CallerIDNum": "112"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000009", "Uniqueid": SECOND, "Linkedid": SECOND,
         "Context": "ec112-emergency", "Extension": "112", "Application": "Queue", "ApplicationData": f"{QUEUE},r",
         "BridgeId": "", "Duration": "00:00:04", "CallerIDNum": "081299"},
    ]
    return queue_status, channels


def typed_snapshot() -> tuple[QueueSnapshot, tuple[ChannelRow, ...]]:
    queue_status, channels = asterisk_snapshot()
    return queue_snapshot(queue_status), channel_rows(channels)


def without_times(snap: PresenceSnapshot) -> PresenceSnapshot:
    epoch = at(0)
    return PresenceSnapshot(
        replace(snap.queue, waiting=tuple(replace(w, joined_at=epoch) for w in snap.queue.waiting)),
        tuple(replace(a, since=epoch) for a in snap.agents),
        tuple(replace(c, started_at=epoch) for c in snap.calls),
    )


def moment(view: object) -> datetime:
    for name in ("since", "started_at", "joined_at"):
        value = getattr(view, name, None)
        if isinstance(value, datetime):
            return value
    raise AssertionError(view)


def test_reset_from_asterisk_snapshot_equals_state_built_from_events() -> None:
    built, now = mid_call_from_events()
    rebuilt = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    rebuilt.reset(*typed_snapshot(), now)

    expected, actual = built.snapshot(), rebuilt.snapshot()
    assert [(a.endpoint, a.state) for a in actual.agents] == [("agent1", AgentState.ON_CALL),
                                                               ("taker02", AgentState.PAUSED)]
    assert without_times(actual) == without_times(expected)
    for got, want in zip(actual.agents + actual.calls + actual.queue.waiting,
                         expected.agents + expected.calls + expected.queue.waiting, strict=True):
        assert abs(moment(got) - moment(want)) <= timedelta(seconds=1)  # snapshots have whole seconds


def test_reset_on_reconnect_keeps_since_of_unchanged_takers_and_drops_vanished_calls() -> None:
    presence, now = mid_call_from_events()
    paused_since = next(a.since for a in presence.snapshot().agents if a.endpoint == "taker02")
    queue_status, _ = asterisk_snapshot()
    idle = [e for e in queue_status if e["Event"] != "QueueEntry"]
    idle[1] = {**idle[1], "Status": "1", "InCall": "0", "LastCall": f"{int(now.timestamp()) - 60}", "CallsTaken": "1"}
    presence.reset(queue_snapshot(idle), (), now)
    snap = presence.snapshot()
    assert snap.calls == ()
    assert snap.queue.waiting == ()
    assert [(a.endpoint, a.state, a.calls_today) for a in snap.agents] == [
        ("agent1", AgentState.AVAILABLE, 1), ("taker02", AgentState.PAUSED, 0)]
    assert snap.agents[1].since == paused_since


# --- service: AMI (re)connect and subscribers ---------------------------------------------------------------------


class FakeTelephony:
    def __init__(self) -> None:
        self.queue_status_calls: list[str] = []
        self.snapshot = typed_snapshot()

    async def queue_status(self, queue: str) -> QueueSnapshot:
        self.queue_status_calls.append(queue)
        return self.snapshot[0]

    async def active_channels(self) -> Sequence[ChannelRow]:
        return self.snapshot[1]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wired(feed_buffer: int = 256, **kwargs: Any) -> tuple[PresenceService, LiveFeed]:
    """Presence publishing on a bus, with the live stream subscribed as the daemon wires them."""
    bus = LocalEventBus()
    feed = LiveFeed(ticket_prefix="112", subscriber_buffer=feed_buffer)
    bus.subscribe(DomainEvent, feed.on_event)
    return PresenceService(queue=QUEUE, bus=bus, **kwargs), feed


def drain(subscriber: asyncio.Queue[LiveMessage]) -> list[LiveMessage]:
    changes = []
    while not subscriber.empty():
        changes.append(subscriber.get_nowait())
    return changes


async def test_subscribers_receive_changes_in_order_with_increasing_ids() -> None:
    events = load("answered_call_recorded.jsonl")
    clock = Clock(ts(events[0]))
    service, feed = wired(wrapup_seconds=5, clock=clock)
    subscriber = feed.subscribe()
    await deliver(service, member_added("agent1", T_ADDED))
    for event in events:
        clock.now = ts(event)
        await deliver(service, event)
    changes = drain(subscriber)
    ids = [c.id for c in changes]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    agent_states = [c.data["state"] for c in changes if c.kind == "agent"]
    assert agent_states == ["available", "ringing", "on_call", "wrap_up"]
    assert changes[-1].kind == "call_ended"
    assert changes[-1].data == {"linkedid": CALLER}
    version = feed.version

    clock.now += timedelta(seconds=5)
    assert service.tick()
    (change,) = drain(subscriber)
    assert (change.kind, change.data["state"], change.id) == ("agent", "available", ids[-1] + 1)
    assert feed.version == version + 1
    feed.unsubscribe(subscriber)
    await deliver(service, {**member_added("agent1", T_ADDED), "Event": "QueueMemberRemoved"})
    assert subscriber.empty()


async def test_ami_reconnect_rebuilds_from_asterisk_and_tells_subscribers_to_reload() -> None:
    built, now = mid_call_from_events()
    telephony = FakeTelephony()
    service, feed = wired(wrapup_seconds=5, clock=Clock(now))
    pipeline = AmiEventPipeline(telephony, [service], queue=QUEUE, clock=Clock(now))
    subscriber = feed.subscribe()
    await pipeline.handle(AsteriskDisconnected(now))
    assert service.ami_down_since == now
    assert drain(subscriber)[0].data == {"connected": False, "down_since": now.isoformat()}

    await pipeline.handle(AsteriskConnected(now))
    assert telephony.queue_status_calls == [QUEUE]  # Asterisk is read once per (re)connect
    assert service.ami_down_since is None
    assert [c.kind for c in drain(subscriber)] == ["reload"]
    assert without_times(service.snapshot()) == without_times(built.snapshot())


async def test_slow_subscriber_gets_reload_instead_of_unbounded_backlog() -> None:
    service, feed = wired(wrapup_seconds=5, clock=Clock(at(1000)),
                              feed_buffer=3)
    slow, fast = feed.subscribe(), feed.subscribe()
    for i in range(10):
        await deliver(service, join(f"c{i}", i + 1, 1000.0 + i))
        drain(fast)
    backlog = drain(slow)
    assert len(backlog) <= 3
    assert "reload" in [c.kind for c in backlog]
    assert [c.id for c in backlog] == sorted(c.id for c in backlog)


async def test_tick_loop_ends_wrap_up_without_any_event() -> None:
    clock = Clock(at(1000))
    service, feed = wired(wrapup_seconds=2, clock=clock)
    await deliver(service, member_added("taker01", 900))
    await deliver(service, {"Event": "AgentComplete", "Queue": QUEUE, "Interface": "PJSIP/taker01",
                         "Linkedid": "x", "Uniqueid": "x", "Timestamp": "1000.0"})
    assert service.snapshot().agents[0].state == AgentState.WRAP_UP
    subscriber = feed.subscribe()
    clock.now = at(1002)
    task = asyncio.create_task(service.tick_loop(interval=0.01))
    try:
        async with asyncio.timeout(2):
            change = await subscriber.get()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert (change.kind, change.data["state"]) == ("agent", "available")


async def test_a_burst_of_events_goes_out_as_one_diff_after_the_window() -> None:
    service, feed = wired(wrapup_seconds=5, clock=Clock(at(1000)), coalesce_seconds=0.05)
    subscriber = feed.subscribe()
    for i in range(50):  # a surge: 50 callers join within the window
        await deliver(service, join(f"c{i}", i + 1, 1000.0 + i / 100))
    assert subscriber.empty()  # nothing yet: one diff at the end of the window, not 50
    await asyncio.sleep(0.1)
    changes = drain(subscriber)
    assert [c.kind for c in changes].count("queue") == 1
    assert len(service.snapshot().queue.waiting) == 50
    assert [w.position for w in service.snapshot().queue.waiting] == list(range(1, 51))


async def test_a_reader_never_sees_a_view_older_than_the_model() -> None:
    service, feed = wired(wrapup_seconds=5, clock=Clock(at(1000)), coalesce_seconds=10.0)
    subscriber = feed.subscribe()
    await deliver(service, join("c1", 1, 1000.0))
    assert subscriber.empty()
    assert [w.linkedid for w in service.snapshot().queue.waiting] == ["c1"]  # read: the window is flushed
    assert [c.kind for c in drain(subscriber)] == ["queue", "call"]  # and subscribers got it at the same time
