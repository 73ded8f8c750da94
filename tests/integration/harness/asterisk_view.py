"""Asterisk's own view of the 112 queue and its calls, read from its CLI, to compare with ec112's presence.

``queue show`` and ``core show channels concise`` are what a telephony admin trusts; the tests check that
the panel's API says the same after restarts. Parsing is deliberately strict: an unexpected line fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MEMBER = re.compile(r"^\s+(?P<name>\S+) \((?P<interface>[A-Za-z]+/[^ )]+)")
_CALLER = re.compile(r"^\s+(?P<pos>\d+)\. (?P<channel>\S+) \(wait: ?(?P<m>\d+):(?P<s>\d+)")
_STATUS = ("Not in use", "In use", "Ringing", "Busy", "Unavailable", "Invalid", "On Hold", "Unknown", "In use&Ringing")


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
