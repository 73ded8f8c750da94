"""The no-answer guard: a call taker who lets a 112 call ring out is paused ("tidak menjawab"), audited, and the
supervisor alerted — by ec112, not by Asterisk's ``autopause``, so that the last taker who could answer is
never paused (routing.no_answer has the rule) and so that, with ec112 down, the queue only rings slower.

One more sink of the AMI pipeline, after presence: when an event reaches it, ``presence`` already shows what
that event changed. The pause is sent inline (bounded by ``action_timeout``) so that the QueueMemberPause it
causes is seen after the decision, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.call_events import CallEvent, MemberPaused, MemberRangOut, MemberStatusChanged
from ec112.domain.events import EC112, NoAnswerAlert
from ec112.domain.presence_views import AgentView, endpoint_of
from ec112.routing.no_answer import NO_ANSWER_REASON, NoAnswerAction, lift_when_unreachable, on_ring_no_answer
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.event_bus import EventBus
from ec112.services.intake import utcnow
from ec112.services.ports import AuditLog

log = logging.getLogger(__name__)
RECENT_KEPT = 20  # "not paused: the last taker" alerts kept for the wallboard
KEEP_ALERTS_FOR = timedelta(minutes=15)


class QueuePauser(Protocol):
    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RangOut:
    """A taker's phone rang out and what ec112 did about it (kept for the wallboard)."""

    endpoint: str
    at: datetime
    action: NoAnswerAction
    ring_seconds: float


class NoAnswerGuard:
    def __init__(
        self,
        pauser: QueuePauser,
        agents: Callable[[], Sequence[AgentView]],
        audit: AuditLog,
        bus: EventBus,
        *,
        queue: str,
        action_timeout: float = 3.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._pauser = pauser
        self._agents = agents
        self._audit = audit
        self._bus = bus
        self._queue = queue
        self._timeout = action_timeout
        self._clock = clock
        self._kept: deque[RangOut] = deque(maxlen=RECENT_KEPT)

    def recent_kept(self) -> list[RangOut]:
        """Takers who rang out but were kept in the queue as the last ones serving (newest first)."""
        since = self._clock() - KEEP_ALERTS_FOR
        return [a for a in reversed(self._kept) if a.at >= since]

    async def apply(self, event: CallEvent) -> None:
        if isinstance(event, MemberRangOut) and event.queue == self._queue:
            await self._rang_out(event)
        elif isinstance(event, MemberStatusChanged | MemberPaused) and event.queue == self._queue \
                and _may_need_lifting(event):
            # Only then read presence: a snapshot flushes its coalescing window, too dear for every member event.
            await self._lift_if_unreachable(endpoint_of(event.interface))

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """After a (re)connect presence was rebuilt: lift the no-answer pauses of phones that are gone."""
        for view in self._agents():
            await self._lift_if_unreachable(view.endpoint)

    async def _rang_out(self, event: MemberRangOut) -> None:
        interface = event.interface
        endpoint = endpoint_of(interface)
        ring_seconds = event.ring_seconds
        action = on_ring_no_answer(endpoint, self._agents())
        if action is NoAnswerAction.IGNORE:
            return
        alert = RangOut(endpoint, self._clock(), action, ring_seconds)
        if action is NoAnswerAction.PAUSE:
            if not await self._pause(interface, paused=True, reason=NO_ANSWER_REASON):
                return
            log.warning("call taker %s did not answer a 112 call in %.1f s: paused (%s)", endpoint, ring_seconds,
                        NO_ANSWER_REASON)
            await self._audit.record("ec112", "agent.pause", endpoint, reason=NO_ANSWER_REASON, automatic=True,
                                     ring_seconds=ring_seconds, linkedid=event.linkedid)
        elif action is NoAnswerAction.KEEP_LAST:
            self._kept.append(alert)
            log.warning("call taker %s did not answer a 112 call in %.1f s: NOT paused, the last taker serving",
                        endpoint, ring_seconds)
            await self._audit.record("ec112", "agent.no_answer", endpoint, kept="last taker serving",
                                     ring_seconds=ring_seconds, linkedid=event.linkedid)
        else:
            log.info("call taker %s: no answer from an unreachable phone (Asterisk skips it)", endpoint)
            return
        await self._bus.publish(NoAnswerAlert(at=alert.at, actor=EC112, endpoint=endpoint, action=action.value,
                                              ring_seconds=ring_seconds))

    async def _lift_if_unreachable(self, endpoint: str) -> None:
        view = next((a for a in self._agents() if a.endpoint == endpoint), None)
        if view is None or not lift_when_unreachable(view):
            return
        if await self._pause(view.interface, paused=False, reason=""):
            log.info("call taker %s: phone unreachable, no-answer pause lifted (back by itself with the phone)",
                     endpoint)
            await self._audit.record("ec112", "agent.unpause", endpoint, automatic=True,
                                     because="phone unreachable")

    async def _pause(self, interface: str, *, paused: bool, reason: str) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await self._pauser.queue_pause(self._queue, interface, paused=paused, reason=reason)
        except Exception as exc:  # noqa: BLE001 - Asterisk gone or member removed: log, the queue still works
            log.warning("could not %s %s: %s", "pause" if paused else "unpause", interface, exc)
            return False
        return True


def _may_need_lifting(event: MemberStatusChanged | MemberPaused) -> bool:
    """A no-answer pause is in play: set now (the phone may be gone already) or reported with a gone phone."""
    if isinstance(event, MemberPaused):
        return event.paused and event.reason == NO_ANSWER_REASON
    return event.paused and event.paused_reason == NO_ANSWER_REASON and event.device is not None and event.device.gone
