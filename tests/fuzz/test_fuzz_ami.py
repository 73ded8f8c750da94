"""AMI: message parsing and the byte-safe reader, the translator to ec112's typed events and snapshot rows, then
arbitrary event sequences through the translator into the pure presence model and the channel helpers. Nothing may
raise, and the model's invariants hold after every step."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from hypothesis import example, given
from hypothesis import strategies as st

from ec112.ami.events import channel_rows, hms_duration, queue_snapshot, translate
from ec112.ami.protocol import AmiMessage, AmiProtocol, parse_message
from ec112.domain.call_events import CallEvent
from ec112.domain.channels import emergency_calls, group_calls, is_emergency_call
from ec112.domain.presence import Presence
from ec112.routing.dialplan import CALL_CONTEXTS

from .budget import budget, ran

QUEUE = "112"
T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
HEADER_KEYS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=":"),
                      min_size=1, max_size=20)
HEADER_VALUES = st.text(st.characters(blacklist_characters="\n\r", codec="utf-8"), max_size=40)

# Values that look like Asterisk's, and the ones a broken or hostile peer could send in the same fields.
ODD = st.sampled_from(["", "nan", "inf", "-1", "1e400", "-1e12", "99999999999", "99999999999:00:00", "1:2",
                       "٣", "<unknown>", "0", "  ", "\u2028", "x" * 200])
LINKEDIDS = st.sampled_from(["ec112lab-1.1", "ec112lab-2.5", "ec112lab-3.9", ""])
ENDPOINTS = st.sampled_from(["PJSIP/taker01", "PJSIP/taker02", "PJSIP/taker03-0000000a", "Local/x@y;1", ""])
CHANNELS = st.sampled_from(["PJSIP/trunk-00000001", "PJSIP/trunk-00000002", "PJSIP/taker01-0000000a", ""])
EVENT_NAMES = st.sampled_from([
    "Newchannel", "Hangup", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberAdded",
    "QueueMemberStatus", "QueueMemberRemoved", "QueueMemberPause", "QueueMemberPaused", "AgentCalled",
    "AgentRingNoAnswer", "AgentDump", "AgentConnect", "AgentComplete", "QueueParams", "Bogus"])


def _field(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(good, good, good, ODD, st.text(max_size=12))


EVENT = st.fixed_dictionaries(
    {"Event": EVENT_NAMES},
    optional={
        "Queue": _field(st.sampled_from([QUEUE, "other"])),
        "Linkedid": _field(LINKEDIDS),
        "Uniqueid": _field(LINKEDIDS),
        "Channel": _field(CHANNELS),
        "Context": _field(st.sampled_from(["ec112-from-trunk", "ec112-emergency", "takers"])),
        "Interface": _field(ENDPOINTS),
        "Location": _field(ENDPOINTS),
        "Position": _field(st.integers(0, 5).map(str)),
        "Wait": _field(st.integers(0, 600).map(str)),
        "Timestamp": _field(st.floats(1.7e9, 1.9e9).map(lambda t: f"{t:.6f}")),
        "Status": _field(st.integers(0, 8).map(str)),
        "Paused": _field(st.sampled_from(["0", "1"])),
        "InCall": _field(st.sampled_from(["0", "1"])),
        "CallerIDNum": _field(st.sampled_from(["+62811000111", "<unknown>", "0811"])),
        "CallerIDName": _field(st.sampled_from(["Budi", "<unknown>"])),
        "PausedReason": _field(st.sampled_from(["sholat", ""])),
        "Duration": _field(st.sampled_from(["00:00:05", "01:02:03"])),
        "LastCall": _field(st.floats(0, 1.9e9).map(lambda t: str(int(t)))),
        "LastPause": _field(st.floats(0, 1.9e9).map(lambda t: str(int(t)))),
        "LoginTime": _field(st.floats(0, 1.9e9).map(lambda t: str(int(t)))),
        "CallsTaken": _field(st.integers(0, 50).map(str)),
        "Application": _field(st.sampled_from(["Queue", "AGI", "Dial"])),
        "ApplicationData": _field(st.sampled_from([QUEUE, f"{QUEUE},t", "other"])),
        "BridgeId": _field(st.sampled_from(["b1", "b2", ""])),
    },
)
SNAPSHOT_EVENT = EVENT.map(lambda e: {**e, "Event": e["Event"].replace("QueueMemberStatus", "QueueMember")
                                      .replace("QueueCallerJoin", "QueueEntry")})
STEP: st.SearchStrategy[tuple[str, Any, int]] = st.one_of(
    st.tuples(st.just("apply"), EVENT, st.integers(0, 120)),
    st.tuples(st.just("tick"), st.just({}), st.integers(0, 600)),
    st.tuples(st.just("reset"), st.lists(SNAPSHOT_EVENT, max_size=6), st.integers(0, 60)),
    st.tuples(st.just("ticket"), LINKEDIDS, st.integers(1, 99)),
)


@given(st.text(max_size=600))
@budget()
def test_parse_message_of_any_text_is_a_message_or_none(block: str) -> None:
    ran("ami.parse_message(text)")
    message = parse_message(block)
    if message is not None:
        assert "event" in message or "response" in message
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in message.fields.items())


@given(st.sampled_from(["Event", "Response"]), HEADER_VALUES,
       st.lists(st.tuples(HEADER_KEYS, HEADER_VALUES), max_size=10))
@budget()
def test_parse_message_round_trips_well_formed_headers(kind: str, name: str, headers: list[tuple[str, str]]) -> None:
    ran("ami.parse_message(round trip)")
    pairs = [(kind, name), *headers]
    block = "\r\n".join(f"{key}: {value}" for key, value in pairs)
    expected: dict[str, str] = {}
    for key, value in pairs:
        expected[key] = f"{expected[key]}\n{value}" if key in expected else value  # repeated: joined
    message = parse_message(block)
    assert message is not None
    assert message.fields == expected


class _Owner:
    save_stream = None
    forgetable_actions: Any = ()
    awaiting_actions: Any = ()

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self.aborted: str | None = None
        self.version: str | None = None

    def dispatch(self, message: AmiMessage) -> None:
        self.events.append(message.fields)

    def connection_lost(self, exc: object) -> None:
        return None

    def banner_received(self, version: str) -> None:
        self.version = version

    def abort(self, reason: str) -> None:
        self.aborted = reason


class _Transport:
    def __init__(self, owner: _Owner) -> None:
        self._owner = owner

    def is_closing(self) -> bool:
        return self._owner.aborted is not None

    def write(self, data: bytes) -> None:
        return None


def _protocol() -> tuple[AmiProtocol, _Owner]:
    owner = _Owner()
    protocol = AmiProtocol(owner, "ec112-fuzz-")
    protocol.connection_made(_Transport(owner))  # type: ignore[arg-type]
    return protocol, owner


@given(st.lists(st.lists(st.tuples(HEADER_KEYS, HEADER_VALUES), max_size=6).map(
    lambda hs: [("Event", "Fuzz"), *[(k, v) for k, v in hs if k.lower() not in ("event", "actionid")]]),
    max_size=6), st.lists(st.integers(1, 64), max_size=40))
@budget()
def test_reader_delivers_the_same_events_however_the_bytes_are_chunked(
    events: list[list[tuple[str, str]]], cuts: list[int]
) -> None:
    """Chunk boundaries anywhere, also inside a multi-byte UTF-8 character, lose nothing."""
    ran("ami.AmiProtocol.data_received(chunked)")
    wire = "Asterisk Call Manager/9.0.0\r\n" + "".join(
        "\r\n".join(f"{k}: {v}" for k, v in event) + "\r\n\r\n" for event in events)
    data = wire.encode()
    protocol, owner = _protocol()
    position = 0
    for size in cuts:
        protocol.data_received(data[position:position + size])
        position += size
    protocol.data_received(data[position:])
    assert owner.aborted is None
    assert owner.version == "9.0.0"
    expected = [parse_message("\r\n".join(f"{k}: {v}" for k, v in event)) for event in events]
    assert owner.events == [m.fields for m in expected if m is not None]


@given(st.lists(st.binary(max_size=300), max_size=8))
@budget()
def test_reader_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    ran("ami.AmiProtocol.data_received(bytes)")
    protocol, owner = _protocol()
    for chunk in [b"Asterisk Call Manager/9.0.0\r\n", *chunks]:
        protocol.data_received(chunk)
    assert all(isinstance(event, dict) for event in owner.events)


ANY_FIELDS = st.dictionaries(st.sampled_from(["Event", "Queue", "Linkedid", "Uniqueid", "Interface", "Location",
                                              "Timestamp", "Status", "Position", "RingTime", "Paused", "Wait",
                                              "LastCall", "CallsTaken", "Duration", "Application", "Reason"]),
                             st.one_of(ODD, st.text(max_size=12)), max_size=10)
T_MAX = datetime(2100, 1, 1, tzinfo=UTC)


@given(st.one_of(EVENT, ANY_FIELDS.map(lambda f: {**f, "Event": f.get("Event", "") or "Hangup"})))
@example({"Event": "QueueCallerJoin", "Position": "99999999999", "Timestamp": "1e400"})
@example({"Event": "AgentRingNoAnswer", "RingTime": "-5", "Timestamp": "nan"})
@example({"Event": "QueueMemberStatus", "Status": "٣"})
@budget()
def test_translator_types_any_event_or_leaves_it_out(raw: dict[str, str]) -> None:
    """Never raises; an event ec112 uses comes out typed, with a sane time and bounded numbers."""
    ran("ami.events.translate")
    event = translate(raw, T0)
    if event is None:
        return
    assert isinstance(event, get_args(CallEvent))
    assert event.at.tzinfo is not None
    assert event.at == T0 or datetime.fromtimestamp(0, UTC) < event.at < T_MAX
    for field in fields(event):
        value = getattr(event, field.name)
        assert value is None or isinstance(value, str | int | float | bool | datetime), field.name
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert 0 <= value <= 1_000_000, field.name


@given(st.lists(st.one_of(SNAPSHOT_EVENT, ANY_FIELDS), max_size=8))
@budget()
def test_snapshot_translators_read_any_rows(rows: list[dict[str, str]]) -> None:
    ran("ami.events.queue_snapshot/channel_rows")
    snapshot = queue_snapshot(rows)
    assert len(snapshot.members) + len(snapshot.entries) <= len(rows)
    for member in snapshot.members:
        assert 0 <= member.calls_taken <= 1_000_000
        assert all(t is None or t < T_MAX for t in (member.last_call, member.last_pause, member.login_time))
    for entry in snapshot.entries:
        assert 0 <= entry.position <= 1_000_000
        assert timedelta(0) <= entry.waited <= timedelta(seconds=1_000_000)
    assert all(timedelta(0) <= c.age <= timedelta(days=365) for c in channel_rows(rows))


def _check_invariants(presence: Presence) -> None:
    snapshot = presence.snapshot()
    waiting = snapshot.queue.waiting
    assert [w.position for w in waiting] == list(range(1, len(waiting) + 1))
    calls = {c.linkedid for c in snapshot.calls}
    assert {w.linkedid for w in waiting} <= calls, "a waiting caller without a call"
    assert set(presence.live_calls()) == calls
    endpoints = [a.endpoint for a in snapshot.agents]
    assert endpoints == sorted(set(endpoints))
    assert all(a.calls_today >= 0 for a in snapshot.agents)


@given(st.lists(STEP, max_size=25))
@example([("apply", {"Event": "QueueCallerJoin", "Queue": QUEUE, "Linkedid": "a", "Position": "nan"}, 0),
          ("apply", {"Event": "Newchannel", "Linkedid": "b", "Uniqueid": "b", "Timestamp": "1e400"}, 0),
          ("reset", [{"Event": "QueueEntry", "Queue": QUEUE, "Channel": "c", "Wait": "99999999999"},
                     {"Event": "QueueMember", "Queue": QUEUE, "Location": "PJSIP/t1", "LastCall": "-1e12",
                      "CallsTaken": "x"}], 0)])
@budget()
def test_presence_applies_any_event_sequence_and_keeps_its_invariants(steps: list[tuple[str, Any, int]]) -> None:
    ran("ami.Presence(apply/tick/reset)")
    presence = Presence(QUEUE, wrapup_seconds=5, call_contexts=CALL_CONTEXTS)
    now = T0
    for kind, payload, seconds in steps:
        now += timedelta(seconds=seconds)
        if kind == "apply":
            event = translate(payload, now)
            if event is not None:
                presence.apply(event, now)
        elif kind == "tick":
            presence.tick(now)
        elif kind == "reset":
            channels = [e for e in payload if e.get("Event") not in ("QueueEntry", "QueueMember")]
            presence.reset(queue_snapshot(payload), channel_rows(channels), now)
        elif payload:
            presence.ticket_opened(payload, f"112-261128-{seconds:05d}")
        _check_invariants(presence)


@given(st.lists(EVENT, max_size=10), st.sets(st.sampled_from(["ec112-from-trunk", "ec112-emergency", "x"])))
@budget()
def test_channel_helpers_group_any_channels_consistently(raw: list[dict[str, str]], contexts: set[str]) -> None:
    ran("ami.channels(group_calls/emergency_calls)")
    channels = channel_rows(raw)
    calls = group_calls(channels)
    for linkedid, call in calls.items():
        assert linkedid
        assert call.origin.uniqueid == linkedid == call.linkedid
        assert all(leg.linkedid == linkedid and leg is not call.origin for leg in call.legs)
        assert call.bridged_leg() is None or call.bridged_leg() in call.legs
        is_emergency_call(call.origin, QUEUE, contexts)
        assert timedelta(0) <= call.origin.age <= timedelta(days=365)
    assert set(emergency_calls(channels, QUEUE, contexts)) <= set(calls)


@given(st.one_of(st.none(), st.text(max_size=30), st.tuples(st.integers(), st.integers(), st.integers()).map(
    lambda t: ":".join(map(str, t)))))
@example("99999999999:00:00")  # OverflowError from timedelta
@example("-1:00:00")
@budget()
def test_hms_duration_of_anything_is_a_non_negative_duration(value: str | None) -> None:
    ran("ami.channels.hms_duration")
    assert hms_duration(value) >= timedelta(0)
