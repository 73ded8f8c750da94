"""Reading Asterisk's live channels (CoreShowChannel rows) as calls: pure helpers shared by the ticket
tracker and the presence rebuild, so both agree on what a 112 call is."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

Channel = Mapping[str, str]
_MAX_AGE = timedelta(days=365)  # a channel "older" than this is a garbage Duration


@dataclass(frozen=True, slots=True)
class CallChannels:
    """One call: the citizen's channel (Uniqueid == Linkedid) and the other legs (call takers)."""

    linkedid: str
    origin: Channel
    legs: tuple[Channel, ...]

    def bridged_leg(self) -> Channel | None:
        """The leg in the same bridge as the caller (the taker talking to her), if any."""
        bridge = self.origin.get("BridgeId")
        if not bridge:
            return None
        return next((leg for leg in self.legs if leg.get("BridgeId") == bridge), None)


def group_calls(channels: Iterable[Channel]) -> dict[str, CallChannels]:
    """Channels grouped by Linkedid; groups without their originating channel are not calls we track."""
    by_linkedid: dict[str, list[Channel]] = {}
    for channel in channels:
        by_linkedid.setdefault(channel.get("Linkedid", ""), []).append(channel)
    calls = {}
    for linkedid, group in by_linkedid.items():
        origin = next((c for c in group if c.get("Uniqueid") == linkedid), None)
        if linkedid and origin is not None:
            calls[linkedid] = CallChannels(linkedid, origin, tuple(c for c in group if c is not origin))
    return calls


def is_emergency_call(origin: Channel, queue: str, contexts: Collection[str]) -> bool:
    """In one of the 112 contexts, or waiting in / talking from the 112 queue."""
    in_queue = origin.get("Application") == "Queue"
    queue_name = origin.get("ApplicationData", "").split(",", 1)[0]
    return origin.get("Context") in contexts or (in_queue and queue_name == queue)


def channel_age(channel: Channel) -> timedelta:
    """A live channel's age from CoreShowChannel ``Duration`` (``HH:MM:SS``); zero if unreadable."""
    return hms_duration(channel.get("Duration"))


def hms_duration(value: str | None) -> timedelta:
    try:
        hours, minutes, seconds = (int(part) for part in (value or "").split(":"))
        duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (ValueError, OverflowError):  # garbage, or more hours than a timedelta holds
        return timedelta(0)
    return duration if timedelta(0) <= duration <= _MAX_AGE else timedelta(0)


def emergency_calls(
    channels: Sequence[Channel], queue: str, contexts: Collection[str]
) -> dict[str, CallChannels]:
    return {k: c for k, c in group_calls(channels).items() if is_emergency_call(c.origin, queue, contexts)}
