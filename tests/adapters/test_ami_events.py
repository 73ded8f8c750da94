"""The AMI adapter's one translator: raw AMI events and action replies (as Asterisk 16/22 send them) → ec112's types.

Every event kind ec112 uses, the values a broken peer can send (degrade, never raise), the events ec112 leaves
out, the QueueStatus / CoreShowChannels rows, and the typed stream the pipeline reads."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ec112.ami.events import (
    TypedEvents,
    ami_count,
    channel_row,
    channel_rows,
    device_state,
    epoch,
    hms_duration,
    queue_snapshot,
    translate,
)
from ec112.ami.status import CONNECTED_EVENT, DISCONNECTED_EVENT
from ec112.domain.call_events import (
    AsteriskConnected,
    AsteriskDisconnected,
    CallerJoinedQueue,
    CallerLeftQueue,
    ChannelCreated,
    ChannelHungUp,
    ChannelRow,
    DeviceState,
    MemberAdded,
    MemberCompleted,
    MemberConnected,
    MemberDropped,
    MemberPaused,
    MemberRangOut,
    MemberRemoved,
    MemberRinging,
    MemberStatusChanged,
    QueueEntryRow,
    QueueMemberRow,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ami"
READ = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
T = 1_795_820_612.5
AT = datetime.fromtimestamp(T, UTC)
CALL = "ec112lab-1795820610.7"
CALLER = {"Channel": "PJSIP/trunk-00000007", "Uniqueid": CALL, "Linkedid": CALL, "CallerIDNum": "+62811000111",
          "CallerIDName": "Budi"}
MEMBER = {"Queue": "112", "MemberName": "taker01", "Interface": "PJSIP/taker01", "StateInterface": "PJSIP/taker01"}


def raw(event: str, **fields: str) -> dict[str, str]:
    return {"Event": event, "Privilege": "agent,all", "Timestamp": f"{T:.6f}", **fields}


def test_connection_markers_of_the_client() -> None:
    assert translate({"Event": CONNECTED_EVENT, "Version": "5.0.4"}, READ) == AsteriskConnected(READ)
    assert translate({"Event": DISCONNECTED_EVENT, "Reason": "no Pong"}, READ) == AsteriskDisconnected(READ, "no Pong")


def test_channels_created_and_hung_up() -> None:
    created = translate(raw("Newchannel", Context="ec112-from-trunk", Exten="112", **CALLER), READ)
    assert created == ChannelCreated(AT, CALL, CALL, "PJSIP/trunk-00000007", "ec112-from-trunk", "+62811000111")
    assert isinstance(created, ChannelCreated)
    assert created.is_origin
    leg = translate(raw("Hangup", Channel="PJSIP/taker01-0000000a", Uniqueid="ec112lab-1795820612.8",
                        Linkedid=CALL, Cause="16"), READ)
    assert leg == ChannelHungUp(AT, CALL, "ec112lab-1795820612.8", "PJSIP/taker01-0000000a")
    assert isinstance(leg, ChannelHungUp)
    assert not leg.is_origin  # a taker's leg carries the caller's linkedid
    nameless = translate({"Event": "Hangup", "Uniqueid": ""}, READ)
    assert isinstance(nameless, ChannelHungUp)
    assert not nameless.is_origin


def test_callers_joining_and_leaving_the_queue() -> None:
    assert translate(raw("QueueCallerJoin", Queue="112", Position="2", Count="2", **CALLER), READ) == \
        CallerJoinedQueue(AT, "112", CALL, CALL, "PJSIP/trunk-00000007", "+62811000111", "Budi", 2)
    assert translate(raw("QueueCallerLeave", Queue="112", Position="1", **CALLER), READ) == \
        CallerLeftQueue(AT, "112", CALL, abandoned=False)
    assert translate(raw("QueueCallerAbandon", Queue="112", HoldTime="9", **CALLER), READ) == \
        CallerLeftQueue(AT, "112", CALL, abandoned=True)
    no_linkedid = translate({"Event": "QueueCallerJoin", "Queue": "112", "Uniqueid": "u.1"}, READ)
    assert isinstance(no_linkedid, CallerJoinedQueue)
    assert (no_linkedid.linkedid, no_linkedid.uniqueid, no_linkedid.channel) == ("u.1", "u.1", "")
    assert no_linkedid.position is None  # unread: the model puts the caller last
    assert no_linkedid.at == READ  # no Timestamp: when it was read


@pytest.mark.parametrize(("name", "kind"), [("QueueMemberAdded", MemberAdded),
                                           ("QueueMemberStatus", MemberStatusChanged)])
def test_member_status(name: str, kind: type) -> None:
    event = translate(raw(name, Status="2", InCall="1", Paused="1", PausedReason="sholat", CallsTaken="3", **MEMBER),
                      READ)
    assert event == kind(AT, "112", "PJSIP/taker01", DeviceState.IN_USE, True, True, "sholat")
    unsaid = translate({"Event": name, "Queue": "112", "Location": "PJSIP/taker02", "PausedReason": ""}, READ)
    assert unsaid == kind(READ, "112", "PJSIP/taker02", None, False, False, None)  # no Status: keep what is known


def test_member_removed_paused_and_its_calls() -> None:
    assert translate(raw("QueueMemberRemoved", **MEMBER), READ) == MemberRemoved(AT, "112", "PJSIP/taker01")
    assert translate(raw("QueueMemberPause", Paused="1", PausedReason="toilet", **MEMBER), READ) == \
        MemberPaused(AT, "112", "PJSIP/taker01", True, "toilet")
    assert translate(raw("QueueMemberPaused", Paused="0", Reason="", **MEMBER), READ) == \
        MemberPaused(AT, "112", "PJSIP/taker01", False, None)  # Asterisk 13's name and field
    assert translate(raw("QueueMemberPause", Paused="1", Reason="rapat", **MEMBER), READ) == \
        MemberPaused(AT, "112", "PJSIP/taker01", True, "rapat")
    call = {**CALLER, **MEMBER}
    assert translate(raw("AgentCalled", DestChannel="PJSIP/taker01-0000000a", **call), READ) == \
        MemberRinging(AT, "112", "PJSIP/taker01", CALL)
    assert translate(raw("AgentRingNoAnswer", RingTime="15000", **call), READ) == \
        MemberRangOut(AT, "112", "PJSIP/taker01", CALL, 15.0)
    assert translate(raw("AgentDump", **call), READ) == MemberDropped(AT, "112", "PJSIP/taker01", CALL)
    assert translate(raw("AgentConnect", HoldTime="3", RingTime="2", DestChannel="PJSIP/taker01-0000000a", **call),
                     READ) == MemberConnected(AT, "112", "PJSIP/taker01", "PJSIP/taker01", CALL, CALL,
                                              "PJSIP/trunk-00000007", "+62811000111", "Budi")
    assert translate(raw("AgentComplete", TalkTime="60", Reason="caller", **call), READ) == \
        MemberCompleted(AT, "112", "PJSIP/taker01", CALL, "caller")


def test_connect_without_an_interface_names_the_taker_by_its_channel() -> None:
    event = translate(raw("AgentConnect", Queue="112", DestChannel="PJSIP/taker02-0000000b", **CALLER), READ)
    assert isinstance(event, MemberConnected)
    assert (event.interface, event.taker_channel) == ("", "PJSIP/taker02-0000000b")


@pytest.mark.parametrize("name", ["VarSet", "Newstate", "BridgeEnter", "DialBegin", "QueueParams", "QueueMember",
                                  "Bogus", "", "newchannel"])
def test_events_ec112_does_not_use_are_left_out(name: str) -> None:
    assert translate(raw(name, **CALLER), READ) is None
    assert translate({}, READ) is None


@pytest.mark.parametrize("timestamp", ["", "0", "-1", "nan", "inf", "1e400", "4102444800", "x", "1:2"])
def test_a_garbage_timestamp_is_when_the_event_was_read(timestamp: str) -> None:
    event = translate({"Event": "Hangup", "Timestamp": timestamp}, READ)
    assert event is not None
    assert event.at == READ


def test_malformed_numbers_and_states_degrade() -> None:
    join = translate(raw("QueueCallerJoin", Queue="112", Position="first"), READ)
    assert isinstance(join, CallerJoinedQueue)
    assert join.position is None
    huge = translate(raw("QueueCallerJoin", Queue="112", Position="99999999999"), READ)
    assert isinstance(huge, CallerJoinedQueue)
    assert huge.position == 1_000_000
    negative = translate(raw("QueueCallerJoin", Queue="112", Position="-3"), READ)
    assert isinstance(negative, CallerJoinedQueue)
    assert negative.position == 0
    ring = translate(raw("AgentRingNoAnswer", RingTime="garbage", **MEMBER), READ)
    assert isinstance(ring, MemberRangOut)
    assert ring.ring_seconds == 0
    odd = translate(raw("QueueMemberStatus", Status="42", Paused="yes", InCall="true", **MEMBER), READ)
    assert isinstance(odd, MemberStatusChanged)
    assert (odd.device, odd.paused, odd.in_call) == (DeviceState.UNKNOWN, False, False)


def test_field_readers() -> None:
    assert [device_state(str(n)) for n in range(9)] == list(DeviceState)
    assert [s for s in DeviceState if s.gone] == [DeviceState.INVALID, DeviceState.UNAVAILABLE]
    assert [s for s in DeviceState if s.in_use] == [DeviceState.IN_USE, DeviceState.BUSY,
                                                    DeviceState.RINGING_IN_USE, DeviceState.ON_HOLD]
    assert epoch("1795820612") == datetime.fromtimestamp(1_795_820_612, UTC)
    assert epoch("0") is epoch(None) is epoch("nan") is epoch("4102444800") is None
    assert (ami_count("7"), ami_count(""), ami_count("x", 3), ami_count("-2"), ami_count("10000000")) == \
        (7, 0, 3, 0, 1_000_000)
    assert hms_duration("01:02:03") == timedelta(hours=1, minutes=2, seconds=3)
    assert hms_duration("99999999999:00:00") == hms_duration("-1:00:00") == hms_duration("1:2") == timedelta(0)


def test_queue_status_rows() -> None:
    snapshot = queue_snapshot([
        {"Event": "QueueParams", "Queue": "112", "Calls": "1"},
        {"Event": "QueueMember", "Queue": "112", "Name": "taker01", "Location": "PJSIP/taker01", "Status": "5",
         "InCall": "0", "Paused": "1", "PausedReason": "sholat", "CallsTaken": "4", "LastCall": "1795820000",
         "LastPause": "1795820500", "LoginTime": "1795810000"},
        {"Event": "QueueMember", "Queue": "112", "Location": "PJSIP/taker02", "CallsTaken": "x", "LastCall": "0"},
        {"Event": "QueueEntry", "Queue": "112", "Position": "1", "Channel": "PJSIP/trunk-00000009",
         "Uniqueid": "lab-2.9", "CallerIDNum": "081299", "CallerIDName": "Siti", "Wait": "12"},
        {"Event": "QueueStatusComplete", "EventList": "Complete"},
    ])
    assert snapshot.members == (
        QueueMemberRow("112", "PJSIP/taker01", DeviceState.UNAVAILABLE, False, True, "sholat", 4,
                       epoch("1795820000"), epoch("1795820500"), epoch("1795810000")),
        QueueMemberRow("112", "PJSIP/taker02", DeviceState.AVAILABLE, False, False, None, 0, None, None, None),
    )
    assert snapshot.entries == (QueueEntryRow("112", "PJSIP/trunk-00000009", "", "lab-2.9", "081299", "Siti", 1,
                                              timedelta(seconds=12)),)


def test_core_show_channel_rows() -> None:
    caller = channel_row({"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000007", "Uniqueid": CALL,
                          "Linkedid": CALL, "Context": "ec112-emergency", "Application": "Queue",
                          "ApplicationData": "112,r", "BridgeId": "b1", "Duration": "00:00:07",
                          "CallerIDNum": "+62811000111", "CallerIDName": "Budi"})
    assert caller == ChannelRow("PJSIP/trunk-00000007", CALL, CALL, "ec112-emergency", "112", "+62811000111", "Budi",
                                "b1", timedelta(seconds=7))
    (leg, bare) = channel_rows([
        {"Channel": "PJSIP/taker01-0000000a", "Uniqueid": "x.8", "Linkedid": CALL, "Application": "AppQueue",
         "ApplicationData": "(Outgoing Line)", "Duration": "garbage"},
        {},
    ])
    assert (leg.in_queue, leg.age, leg.context) == (None, timedelta(0), None)  # a taker's leg is not "in" the queue
    assert bare == ChannelRow("", "", "", None, None, None, None, "", timedelta(0))


def test_recorded_transcripts_translate_in_order() -> None:
    for name in ("answered_call_recorded.jsonl", "answered_call_status_first.jsonl"):
        lines = (FIXTURES / name).read_text().splitlines()
        events = [translate(json.loads(line), READ) for line in lines if line.strip()]
        kinds = [type(e).__name__ for e in events if e is not None]
        assert kinds[:2] == ["ChannelCreated", "CallerJoinedQueue"]
        assert kinds.index("MemberRinging") < kinds.index("MemberConnected") < kinds.index("MemberCompleted")
        assert all(e is None or e.at != READ for e in events)  # timestampevents = yes: Asterisk's own times


async def test_the_typed_stream_skips_what_ec112_does_not_use_and_counts_every_event_read() -> None:
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for event in ({"Event": CONNECTED_EVENT}, {"Event": "VarSet"}, raw("Hangup", **CALLER)):
        queue.put_nowait(event)
    seen: list[str] = []
    stream = TypedEvents(queue, lambda: READ, on_read=seen.append)
    assert await stream.get() == AsteriskConnected(READ)
    assert await stream.get() == ChannelHungUp(AT, CALL, CALL, "PJSIP/trunk-00000007")
    assert seen == [CONNECTED_EVENT, "VarSet", "Hangup"]
