"""Rebuild presence from a snapshot of Asterisk: QueueStatus (QueueMember/QueueEntry) + CoreShowChannels.

Run at every AMI (re)connect, so what the panel shows after a restart of ec112 or of Asterisk is what
Asterisk has now, not what the event stream left behind. Times come from Asterisk's own counters
(channel ``Duration``, entry ``Wait``, member ``LastCall``/``LastPause``) so "since" survives a restart.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ec112.domain.channels import CallChannels, channel_age, emergency_calls
from ec112.domain.presence_views import (
    ActiveCall,
    CallState,
    Event,
    MemberFacts,
    WaitingCaller,
    ami_count,
    endpoint_of,
    epoch,
    known_number,
    member_interface,
)


@dataclass(slots=True)
class Rebuilt:
    members: dict[str, MemberFacts] = field(default_factory=dict)  # by endpoint
    waiting: list[WaitingCaller] = field(default_factory=list)  # in queue order
    calls: dict[str, ActiveCall] = field(default_factory=dict)  # by linkedid
    calls_today: dict[str, int] = field(default_factory=dict)  # lower bounds from CallsTaken


def rebuild(
    queue: str,
    queue_status: Iterable[Event],
    channels: Sequence[Event],
    *,
    previous: Mapping[str, MemberFacts],
    call_contexts: Collection[str],
    wrapup: timedelta,
    local_midnight: datetime,
    now: datetime,
) -> Rebuilt:
    out = Rebuilt()
    live = emergency_calls(channels, queue, call_contexts)
    for linkedid, call in live.items():
        out.calls[linkedid] = _call_from_channels(call, now)
    for entry in (e for e in queue_status if e.get("Queue") == queue):
        if entry.get("Event") == "QueueEntry":
            _add_waiting(out, entry, channels, now)
        elif entry.get("Event") == "QueueMember":
            member = _member_from_status(entry, out.calls, live, wrapup, now)
            old = previous.get(member.endpoint)
            if old is not None and old.state == member.state:
                member.since = old.since  # same state as before the reconnect: keep its real start
            out.members[member.endpoint] = member
            out.calls_today[member.endpoint] = _estimated_calls_today(entry, local_midnight)
    out.waiting.sort(key=lambda w: w.position)
    return out


def _call_from_channels(call: CallChannels, now: datetime) -> ActiveCall:
    origin = call.origin
    taker_leg = call.bridged_leg()
    state: CallState = "intake"
    taker = None
    if taker_leg is not None:
        state, taker = "talking", endpoint_of(taker_leg.get("Channel", ""))
    elif origin.get("Application") == "Queue":
        ringing = call.legs[0] if call.legs else None  # a leg not bridged yet: that taker's phone rings
        state = "ringing" if ringing is not None else "queued"
        taker = endpoint_of(ringing.get("Channel", "")) if ringing is not None else None
    return ActiveCall(call.linkedid, origin.get("Channel", ""), known_number(origin.get("CallerIDNum")), state,
                      taker, now - channel_age(origin))


def _add_waiting(out: Rebuilt, entry: Event, channels: Sequence[Event], now: datetime) -> None:
    channel = entry.get("Channel", "")
    live = next((c for c in channels if c.get("Channel") == channel), None)
    linkedid = entry.get("Linkedid") or (live or {}).get("Linkedid") or entry.get("Uniqueid", "")
    joined = now - timedelta(seconds=ami_count(entry.get("Wait")))
    caller = WaitingCaller(linkedid, channel, known_number(entry.get("CallerIDNum")),
                           known_number(entry.get("CallerIDName")), ami_count(entry.get("Position")), joined)
    out.waiting.append(caller)
    if linkedid not in out.calls:
        out.calls[linkedid] = ActiveCall(linkedid, channel, caller.caller_number, "queued", None, joined)


def _member_from_status(
    entry: Event,
    calls: Mapping[str, ActiveCall],
    live: Mapping[str, CallChannels],
    wrapup: timedelta,
    now: datetime,
) -> MemberFacts:
    interface = member_interface(entry)
    member = MemberFacts(interface, endpoint_of(interface), now)
    member.device = entry.get("Status", "1")
    member.in_call = entry.get("InCall") == "1"
    member.paused = entry.get("Paused") == "1"
    member.paused_reason = entry.get("PausedReason") or None
    since = now
    for linkedid, call in calls.items():
        legs = live[linkedid].legs if linkedid in live else ()
        leg = next((c for c in legs if endpoint_of(c.get("Channel", "")) == member.endpoint), None)
        if leg is not None and call.taker == member.endpoint:
            since = now - channel_age(leg)
            if call.state == "talking":
                member.call_linkedid, member.caller_number = linkedid, call.caller_number
            else:
                member.ringing_linkedid = linkedid
    last_call = epoch(entry.get("LastCall"))
    if last_call is not None and member.call_linkedid is None and last_call + wrapup > now:
        member.wrap_up_until, since = last_call + wrapup, last_call
    if member.paused:
        since = epoch(entry.get("LastPause")) or now
    member.state = member.derive(now)
    member.since = since
    return member


def _estimated_calls_today(entry: Event, local_midnight: datetime) -> int:
    """CallsTaken counts since the member was added: exact only when that was today."""
    last_call, login = epoch(entry.get("LastCall")), epoch(entry.get("LoginTime"))
    if last_call is None or last_call < local_midnight:
        return 0
    return ami_count(entry.get("CallsTaken")) if login is not None and login >= local_midnight else 1
