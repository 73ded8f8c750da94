"""Rebuild presence from a snapshot of Asterisk: the queue's members and waiting callers + the live channels.

Run at every AMI (re)connect, so what the panel shows after a restart of ec112 or of Asterisk is what
Asterisk has now, not what the event stream left behind. Times come from Asterisk's own counters
(a channel's age, a caller's wait, a member's last call / last pause) so "since" survives a restart.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ec112.domain.call_events import ChannelRow, QueueEntryRow, QueueMemberRow, QueueSnapshot
from ec112.domain.channels import CallChannels, emergency_calls
from ec112.domain.presence_views import (
    ActiveCall,
    CallState,
    MemberFacts,
    WaitingCaller,
    endpoint_of,
    known_number,
)


@dataclass(slots=True)
class Rebuilt:
    members: dict[str, MemberFacts] = field(default_factory=dict)  # by endpoint
    waiting: list[WaitingCaller] = field(default_factory=list)  # in queue order
    calls: dict[str, ActiveCall] = field(default_factory=dict)  # by linkedid
    calls_today: dict[str, int] = field(default_factory=dict)  # lower bounds from CallsTaken


def rebuild(
    queue: str,
    queue_status: QueueSnapshot,
    channels: Sequence[ChannelRow],
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
    for entry in (e for e in queue_status.entries if e.queue == queue):
        _add_waiting(out, entry, channels, now)
    for row in (m for m in queue_status.members if m.queue == queue):
        member = _member_from_status(row, out.calls, live, wrapup, now)
        old = previous.get(member.endpoint)
        if old is not None and old.state == member.state:
            member.since = old.since  # same state as before the reconnect: keep its real start
        out.members[member.endpoint] = member
        out.calls_today[member.endpoint] = _estimated_calls_today(row, local_midnight)
    out.waiting.sort(key=lambda w: w.position)
    return out


def _call_from_channels(call: CallChannels, now: datetime) -> ActiveCall:
    origin = call.origin
    taker_leg = call.bridged_leg()
    state: CallState = "intake"
    taker = None
    if taker_leg is not None:
        state, taker = "talking", endpoint_of(taker_leg.channel)
    elif origin.in_queue is not None:
        ringing = call.legs[0] if call.legs else None  # a leg not bridged yet: that taker's phone rings
        state = "ringing" if ringing is not None else "queued"
        taker = endpoint_of(ringing.channel) if ringing is not None else None
    return ActiveCall(call.linkedid, origin.channel, known_number(origin.caller_number), state,
                      taker, now - origin.age)


def _add_waiting(out: Rebuilt, entry: QueueEntryRow, channels: Sequence[ChannelRow], now: datetime) -> None:
    channel = entry.channel
    live = next((c for c in channels if c.channel == channel), None)
    linkedid = entry.linkedid or (live.linkedid if live is not None else "") or entry.uniqueid
    joined = now - entry.waited
    caller = WaitingCaller(linkedid, channel, known_number(entry.caller_number),
                           known_number(entry.caller_name), entry.position, joined)
    out.waiting.append(caller)
    if linkedid not in out.calls:
        out.calls[linkedid] = ActiveCall(linkedid, channel, caller.caller_number, "queued", None, joined)


def _member_from_status(
    row: QueueMemberRow,
    calls: Mapping[str, ActiveCall],
    live: Mapping[str, CallChannels],
    wrapup: timedelta,
    now: datetime,
) -> MemberFacts:
    member = MemberFacts(row.interface, endpoint_of(row.interface), now, device=row.device, in_call=row.in_call,
                         paused=row.paused, paused_reason=row.paused_reason)
    since = now
    for linkedid, call in calls.items():
        legs = live[linkedid].legs if linkedid in live else ()
        leg = next((c for c in legs if endpoint_of(c.channel) == member.endpoint), None)
        if leg is not None and call.taker == member.endpoint:
            since = now - leg.age
            if call.state == "talking":
                member.call_linkedid, member.caller_number = linkedid, call.caller_number
            else:
                member.ringing_linkedid = linkedid
    last_call = row.last_call
    if last_call is not None and member.call_linkedid is None and last_call + wrapup > now:
        member.wrap_up_until, since = last_call + wrapup, last_call
    if member.paused:
        since = row.last_pause or now
    member.state = member.derive(now)
    member.since = since
    return member


def _estimated_calls_today(row: QueueMemberRow, local_midnight: datetime) -> int:
    """Calls taken count since the member was added: exact only when that was today."""
    last_call, login = row.last_call, row.login_time
    if last_call is None or last_call < local_midnight:
        return 0
    return row.calls_taken if login is not None and login >= local_midnight else 1
