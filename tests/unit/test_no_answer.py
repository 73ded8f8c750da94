"""The no-answer rule and guard: pause the desk that let a 112 call ring out, never the last one serving.

AMI events are written as Asterisk sends them and reach the model and the guard through the AMI adapter's
translator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from ec112.ami.events import translate
from ec112.domain.call_events import CallEvent
from ec112.domain.events import DomainEvent, NoAnswerAlert
from ec112.domain.presence import Presence
from ec112.domain.presence_views import AgentState, AgentView
from ec112.routing.dialplan import CALL_CONTEXTS
from ec112.routing.no_answer import NO_ANSWER_REASON, NoAnswerAction, lift_when_unreachable, on_ring_no_answer
from ec112.services.event_bus import LocalEventBus
from ec112.services.no_answer import NoAnswerGuard

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
QUEUE = "112"


def typed(raw: Mapping[str, str], now: datetime = NOW) -> CallEvent:
    event = translate(raw, now)
    assert event is not None
    return event


def view(endpoint: str, state: AgentState, reason: str | None = None) -> AgentView:
    return AgentView(endpoint, f"PJSIP/{endpoint}", state, NOW, reason, None, None, 0)


@pytest.mark.parametrize(("others", "expected"), [
    ([AgentState.AVAILABLE], NoAnswerAction.PAUSE),
    ([AgentState.ON_CALL], NoAnswerAction.PAUSE),  # busy now, free again without anybody's action
    ([AgentState.WRAP_UP, AgentState.PAUSED], NoAnswerAction.PAUSE),
    ([AgentState.PAUSED, AgentState.UNREACHABLE], NoAnswerAction.KEEP_LAST),
    ([], NoAnswerAction.KEEP_LAST),
])
def test_a_taker_who_rang_out_is_paused_unless_the_last_one_serving(
    others: list[AgentState], expected: NoAnswerAction
) -> None:
    agents = [view("taker03", AgentState.AVAILABLE)] + [view(f"t{i}", s) for i, s in enumerate(others)]
    assert on_ring_no_answer("taker03", agents) is expected


def test_an_unreachable_phone_or_an_unknown_member_is_not_paused() -> None:
    assert on_ring_no_answer("taker02", [view("taker02", AgentState.UNREACHABLE),
                                         view("taker01", AgentState.AVAILABLE)]) is NoAnswerAction.PHONE_GONE
    assert on_ring_no_answer("nobody", [view("taker01", AgentState.AVAILABLE)]) is NoAnswerAction.IGNORE
    assert on_ring_no_answer("taker04", [view("taker04", AgentState.PAUSED, "sholat"),
                                         view("taker01", AgentState.AVAILABLE)]) is NoAnswerAction.IGNORE


def test_only_a_no_answer_pause_on_an_unreachable_phone_is_lifted() -> None:
    assert lift_when_unreachable(view("t", AgentState.UNREACHABLE, NO_ANSWER_REASON))
    assert not lift_when_unreachable(view("t", AgentState.UNREACHABLE, "sholat"))
    assert not lift_when_unreachable(view("t", AgentState.PAUSED, NO_ANSWER_REASON))


def member(endpoint: str, **fields: str) -> dict[str, str]:
    return {"Event": "QueueMemberStatus", "Queue": QUEUE, "Interface": f"PJSIP/{endpoint}", "MemberName": endpoint,
            "Status": "1", "Paused": "0", "PausedReason": "", "InCall": "0", **fields}


def test_presence_shows_an_unreachable_phone_since_asterisk_said_so_even_when_paused() -> None:
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    presence.apply(typed(member("taker02")), NOW)
    later = datetime(2026, 12, 1, 14, 0, 7, tzinfo=UTC)
    presence.apply(typed(member("taker02", Status="5", Paused="1", PausedReason="sholat"), later), later)
    agent = presence.snapshot().agents[0]
    assert (agent.state, agent.since, agent.paused_reason) == (AgentState.UNREACHABLE, later, "sholat")
    presence.apply(typed(member("taker02", Status="1"), later), later)
    assert presence.snapshot().agents[0].state is AgentState.AVAILABLE


class FakeAsterisk:
    """Answers QueuePause and feeds the resulting member event back, as Asterisk would."""

    def __init__(self, presence: Presence, fail: bool = False) -> None:
        self.presence = presence
        self.fail = fail
        self.actions: list[tuple[str, bool, str]] = []

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        if self.fail:
            raise ConnectionError("AMI is down")
        self.actions.append((interface, paused, reason))
        self.presence.apply(typed({"Event": "QueueMemberPause", "Queue": queue, "Interface": interface,
                             "Paused": "1" if paused else "0", "PausedReason": reason}), NOW)


class Recorder:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str | None, dict[str, Any]]] = []
        self.published: list[DomainEvent] = []

    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        self.entries.append((actor, action, target, detail))

    def on_event(self, event: DomainEvent) -> None:
        self.published.append(event)


def guard_for(*members: dict[str, str], fail: bool = False) -> tuple[NoAnswerGuard, FakeAsterisk, Recorder]:
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    for m in members:
        presence.apply(typed(m), NOW)
    asterisk, rec = FakeAsterisk(presence, fail=fail), Recorder()
    bus = LocalEventBus()
    bus.subscribe(DomainEvent, rec.on_event)

    def agents() -> Sequence[AgentView]:
        return presence.snapshot().agents

    return NoAnswerGuard(asterisk, agents, rec, bus, queue=QUEUE, clock=lambda: NOW), asterisk, rec


def rang_out(endpoint: str, ms: str = "3000") -> dict[str, str]:
    return {"Event": "AgentRingNoAnswer", "Queue": QUEUE, "Interface": f"PJSIP/{endpoint}", "MemberName": endpoint,
            "RingTime": ms, "Linkedid": "1700000000.1"}


async def test_guard_pauses_audits_and_alerts() -> None:
    guard, asterisk, rec = guard_for(member("taker01"), member("taker03"))
    await guard.apply(typed(rang_out("taker03")))
    assert asterisk.actions == [("PJSIP/taker03", True, NO_ANSWER_REASON)]
    assert rec.entries[0][:3] == ("ec112", "agent.pause", "taker03")
    assert rec.entries[0][3]["reason"] == NO_ANSWER_REASON
    assert rec.entries[0][3]["ring_seconds"] == 3.0
    assert rec.published == [NoAnswerAlert(at=NOW, actor="ec112", endpoint="taker03", action="paused",
                                           ring_seconds=3.0)]
    await guard.apply(typed(rang_out("taker03")))  # a late duplicate: already paused, nothing more
    assert len(asterisk.actions) == 1


async def test_guard_keeps_the_last_taker_serving_and_says_so() -> None:
    guard, asterisk, rec = guard_for(member("taker03"), member("taker01", Paused="1", PausedReason="sholat"))
    await guard.apply(typed(rang_out("taker03")))
    assert asterisk.actions == []
    assert [e[1] for e in rec.entries] == ["agent.no_answer"]
    assert [e.action for e in rec.published if isinstance(e, NoAnswerAlert)] == ["kept_last"]
    assert [k.endpoint for k in guard.recent_kept()] == ["taker03"]


async def test_guard_lifts_a_no_answer_pause_when_the_phone_turns_out_dead() -> None:
    guard, asterisk, rec = guard_for(member("taker01"), member("taker02"))
    await guard.apply(typed(rang_out("taker02")))  # rang out before qualify noticed the dead phone
    unreachable = member("taker02", Status="5", Paused="1", PausedReason=NO_ANSWER_REASON)
    asterisk.presence.apply(typed(unreachable), NOW)
    await guard.apply(typed(unreachable))
    assert asterisk.actions[-1] == ("PJSIP/taker02", False, "")
    assert rec.entries[-1][:3] == ("ec112", "agent.unpause", "taker02")


async def test_guard_ignores_other_queues_and_survives_a_refused_pause() -> None:
    guard, _asterisk, rec = guard_for(member("taker01"), member("taker03"), fail=True)
    await guard.apply(typed({**rang_out("taker03"), "Queue": "other"}))
    await guard.apply(typed(rang_out("taker03")))  # AMI down: logged, no audit of a pause that did not happen
    assert rec.entries == []
    assert rec.published == []
