"""Reading Asterisk's live channels (``ChannelRow``) as calls: pure helpers shared by the ticket tracker and
the presence rebuild, so both agree on what a 112 call is."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from ec112.domain.call_events import ChannelRow


@dataclass(frozen=True, slots=True)
class CallChannels:
    """One call: the citizen's channel (uniqueid == linkedid) and the other legs (call takers)."""

    linkedid: str
    origin: ChannelRow
    legs: tuple[ChannelRow, ...]

    def bridged_leg(self) -> ChannelRow | None:
        """The leg in the same bridge as the caller (the taker talking to her), if any."""
        bridge = self.origin.bridge
        if not bridge:
            return None
        return next((leg for leg in self.legs if leg.bridge == bridge), None)


def group_calls(channels: Iterable[ChannelRow]) -> dict[str, CallChannels]:
    """Channels grouped by linkedid; groups without their originating channel are not calls we track."""
    by_linkedid: dict[str, list[ChannelRow]] = {}
    for channel in channels:
        by_linkedid.setdefault(channel.linkedid, []).append(channel)
    calls = {}
    for linkedid, group in by_linkedid.items():
        origin = next((c for c in group if c.uniqueid == linkedid), None)
        if linkedid and origin is not None:
            calls[linkedid] = CallChannels(linkedid, origin, tuple(c for c in group if c is not origin))
    return calls


def is_emergency_call(origin: ChannelRow, queue: str, contexts: Collection[str]) -> bool:
    """In one of the 112 contexts, or waiting in / talking from the 112 queue."""
    return origin.context in contexts or origin.in_queue == queue


def emergency_calls(
    channels: Sequence[ChannelRow], queue: str, contexts: Collection[str]
) -> dict[str, CallChannels]:
    return {k: c for k, c in group_calls(channels).items() if is_emergency_call(c.origin, queue, contexts)}
