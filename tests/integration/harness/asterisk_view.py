"""Asterisk's own view of the 112 queue and its calls, read from its CLI, to compare with ec112's presence.

``queue show`` and ``core show channels concise`` are what a telephony admin trusts; the tests check that
the panel's API says the same after restarts and faults (``assert_presence_matches_asterisk``, and
``wait_presence_matches_asterisk`` while calls still move). Parsing is deliberately strict: an unexpected
line fails.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .sse import agent_of

if TYPE_CHECKING:
    from .daemon import Ec112Daemon

_MEMBER = re.compile(r"^\s+(?P<name>\S+) \((?P<interface>[A-Za-z]+/[^ )]+)")
_CALLER = re.compile(r"^\s+(?P<pos>\d+)\. (?P<channel>\S+) \(wait: ?(?P<m>\d+):(?P<s>\d+)")
_STATUS = ("Not in use", "In use", "Ringing", "Busy", "Unavailable", "Invalid", "On Hold", "Unknown", "In use&Ringing")
_STATE_OF_DEVICE = {"Not in use": {"available", "wrap_up"}, "In use": {"on_call"}, "Ringing": {"ringing"},
                    "Unavailable": {"unreachable"}, "Invalid": {"unreachable"}}


class AsteriskCli(Protocol):
    """A running Asterisk's CLI (the test's ``Lab``)."""

    def rx(self, command: str) -> str: ...


@dataclass(frozen=True)
class QueueMemberView:
    endpoint: str
    device: str  # "Not in use", "In use", "Ringing", …
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True)
class QueueView:
    members: dict[str, QueueMemberView]
    callers: list[str]  # caller channels in queue order


@dataclass(frozen=True)
class ChannelView:
    channel: str
    context: str
    state: str
    application: str
    data: str
    caller_number: str
    bridge_id: str


def parse_queue_show(text: str) -> QueueView:
    members: dict[str, QueueMemberView] = {}
    callers: list[str] = []
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("Members:", "No Members")):
            section = "members"
        elif stripped.startswith(("Callers:", "No Callers")):
            section = "callers"
        elif section == "members" and (m := _MEMBER.match(line)):
            groups = re.findall(r"\(([^()]*)\)", line)
            device = next((g for g in groups if g in _STATUS), "?")
            pause = next((g for g in groups if g.startswith("paused")), None)
            reason = None
            if pause and pause.startswith("paused:"):
                reason = pause.removeprefix("paused:").split(" was ", 1)[0].strip() or None
            endpoint = m["interface"].split("/", 1)[1]
            members[endpoint] = QueueMemberView(endpoint, device, pause is not None, reason)
        elif section == "callers" and (c := _CALLER.match(line)):
            assert int(c["pos"]) == len(callers) + 1, f"caller positions out of order:\n{text}"
            callers.append(c["channel"])
    return QueueView(members, callers)


def parse_channels_concise(text: str) -> list[ChannelView]:
    views = []
    for line in text.splitlines():
        if "!" not in line:
            continue
        f = line.split("!")
        views.append(ChannelView(channel=f[0], context=f[1], state=f[4], application=f[5], data=f[6],
                                 caller_number=f[7], bridge_id=f[12]))
    return views


def caller_channels(channels: list[ChannelView], queue: str) -> dict[str, ChannelView]:
    """The citizens' channels in the 112 queue (not the call takers' legs), by channel name."""
    return {c.channel: c for c in channels if c.application == "Queue" and c.data.split(",", 1)[0] == queue}


def assert_presence_matches_asterisk(daemon: Ec112Daemon, asterisk: AsteriskCli, queue: str = "112") -> None:
    """ec112's queues/agents/calls equal Asterisk's `queue show` + `core show channels` (read in between)."""
    queue_before = daemon.get("/api/queues")[0]
    agents = daemon.get("/api/agents")
    calls = daemon.get("/api/calls")
    seen = parse_queue_show(asterisk.rx(f"queue show {queue}"))
    channels = caller_channels(parse_channels_concise(asterisk.rx("core show channels concise")), queue)
    queue_after = daemon.get("/api/queues")[0]
    context = (f"\nqueue show:\n{asterisk.rx(f'queue show {queue}')}\nAPI queue: {json.dumps(queue_before)}"
               f"\nAPI agents: {json.dumps(agents)}\nAPI calls: {json.dumps(calls)}\nchannels: {channels}")
    assert queue_before == queue_after, "the queue changed while comparing: the test is not settled" + context

    assert [w["channel"] for w in queue_before["waiting"]] == seen.callers, context
    assert [w["position"] for w in queue_before["waiting"]] == list(range(1, len(seen.callers) + 1)), context
    assert sorted(queue_before["members"]) == sorted(seen.members), context
    for endpoint, member in seen.members.items():
        agent = agent_of(agents, endpoint)
        if member.device in ("Unavailable", "Invalid"):  # a phone that cannot ring outranks a pause
            assert agent["state"] == "unreachable", context
            assert agent["paused_reason"] == (member.paused_reason if member.paused else None), context
        elif member.paused:
            assert agent["state"] == "paused", context
            assert agent["paused_reason"] == member.paused_reason, context
        else:
            assert agent["state"] in _STATE_OF_DEVICE.get(member.device, set()), context

    assert sorted(c["channel"] for c in calls) == sorted(channels), context
    for call in calls:
        bridged = bool(channels[call["channel"]].bridge_id)
        assert (call["state"] == "talking") == bridged, context
        if bridged:
            assert agent_of(agents, call["taker"])["call_linkedid"] == call["linkedid"], context


def wait_presence_matches_asterisk(daemon: Ec112Daemon, asterisk: AsteriskCli, queue: str = "112",
                                   timeout: float = 10.0) -> int:
    """``assert_presence_matches_asterisk`` while calls still move: until one comparison holds (how many tries
    it took), or the last mismatch. Each try reads both sides within a few hundred ms, so a moment when
    nothing moves is enough; a stale or wrong view never matches."""
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        tries += 1
        try:
            assert_presence_matches_asterisk(daemon, asterisk, queue)
            return tries
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
