"""Listen, whisper, barge: the supervisor's buttons on a busy call taker (wallboard, API, ``ec112 spy``).

``start`` checks who asks (``domain.spy.may_spy``), finds the taker's live call in presence and her channel in
Asterisk's live channels (409 when she has none), then rings the supervisor's own phone into the locked
``ec112-spy`` context (``SpyDialer``). ``switch`` redirects his channel to another mode's extension; ``stop``
hangs it up. The call events (a sink of the ``AmiEventPipeline``) confirm and close: ChanSpyStart → active,
ChanSpyStop (not from a switch) or the hang-up of his channel → ended. Every change is audited (spy.started,
spy.mode, spy.stopped; actor the supervisor, target the taker) and published as ``SpyChanged`` (SSE ``spy``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.accounts import User
from ec112.domain.call_events import CallEvent, ChannelHungUp, ChannelRow
from ec112.domain.errors import Conflict, NotFound
from ec112.domain.events import ASTERISK
from ec112.domain.presence_views import PresenceSnapshot, endpoint_of
from ec112.domain.spy import (
    SpyChanged,
    SpyMode,
    SpySession,
    SpyState,
    check_target,
    may_manage,
    may_spy,
    switch,
)
from ec112.domain.spy_calls import ChanSpyStarted, ChanSpyStopped
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.audit import AuditService
from ec112.services.event_bus import EventBus
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)

_GRACE = timedelta(seconds=10)  # a ringing session whose channel Asterisk never reported is dropped after this


class SpyDialer(Protocol):
    async def ring(self, session: SpySession, ring_seconds: int) -> None:
        """Ring the supervisor's phone into ``<mode>@ec112-spy`` aimed at the taker's channel; ``Unavailable``."""

    async def redirect(self, session_id: str, mode: SpyMode) -> None:
        """Move his channel to another mode's extension (the target variable stays on it)."""

    async def hang_up(self, session_id: str) -> None: ...


class ChannelSource(Protocol):
    async def active_channels(self) -> Sequence[ChannelRow]: ...


class SpyService:
    def __init__(self, dialer: SpyDialer, channels: ChannelSource, presence: Callable[[], PresenceSnapshot],
                 audit: AuditService, bus: EventBus, *, ring_seconds: int,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._dialer = dialer
        self._channels = channels
        self._presence = presence
        self._audit = audit
        self._bus = bus
        self._ring_seconds = ring_seconds
        self._clock = clock
        self._sessions: dict[str, SpySession] = {}

    def sessions(self) -> list[SpySession]:
        limit = self._clock() - timedelta(seconds=self._ring_seconds) - _GRACE
        for stale in [s for s in self._sessions.values() if s.state is SpyState.RINGING and s.started_at < limit]:
            del self._sessions[stale.id]  # the Originate failed before any channel existed (phone not registered)
        return sorted(self._sessions.values(), key=lambda s: s.started_at)

    def get(self, session_id: str) -> SpySession:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFound(f"no listening session {session_id!r}")
        return session

    async def start(self, user: User, taker: str, mode: SpyMode) -> SpySession:
        own = may_spy(user)
        if own == taker:
            raise Conflict("one cannot listen to one's own calls")
        agent = next((a for a in self._presence().agents if a.endpoint == taker), None)
        if agent is None or agent.call_linkedid is None:
            raise Conflict(f"call taker {taker} has no live call")
        rows = await self._channels.active_channels()
        channel = next((r.channel for r in rows if r.linkedid == agent.call_linkedid
                        and r.channel.startswith("PJSIP/") and endpoint_of(r.channel) == taker), None)
        if channel is None:
            raise Conflict(f"call taker {taker} has no live call")
        if any(s.taker == taker for s in self._sessions.values()):
            raise Conflict(f"call taker {taker} is already being listened to")
        session = SpySession(f"ec112spy-{secrets.token_hex(8)}", user.username, own, taker, check_target(channel),
                             mode, SpyState.RINGING, self._clock(), agent.ticket)
        self._sessions[session.id] = session
        try:
            await self._dialer.ring(session, self._ring_seconds)
        except Exception:
            self._sessions.pop(session.id, None)
            raise
        log.info("spy: %s joins call taker %s (%s) from %s", user.username, taker, mode.value, own)
        await self._audit.record(user.username, "spy.started", taker, mode=mode.value, ticket=session.ticket)
        await self._publish(session, "started", user.username)
        return session

    async def switch(self, session_id: str, mode: SpyMode, user: User) -> SpySession:
        may_manage(user)
        before = self.get(session_id)
        session = switch(before, mode)
        self._sessions[session.id] = session  # before the Redirect: its ChanSpyStop may come before the answer
        try:
            await self._dialer.redirect(session.id, mode)
        except Exception:
            if self._sessions.get(session.id) is session:
                self._sessions[session.id] = before
            raise
        await self._audit.record(user.username, "spy.mode", session.taker, mode=mode.value, ticket=session.ticket)
        await self._publish(session, "mode", user.username)
        return session

    async def stop(self, session_id: str, user: User) -> SpySession:
        may_manage(user)
        session = self.get(session_id)
        await self._dialer.hang_up(session.id)
        await self._end(session, user.username)
        return session

    # --- the call events (a sink of the AMI pipeline) --------------------------------------------------------

    async def apply(self, event: CallEvent) -> None:
        if not self._sessions:
            return
        if isinstance(event, ChanSpyStarted):
            session = self._sessions.get(event.spyer_uniqueid)
            if session is not None:
                self._sessions[session.id] = replace(session, state=SpyState.ACTIVE, switching=False)
                await self._publish(self._sessions[session.id], "active", ASTERISK)
        elif isinstance(event, ChanSpyStopped):
            session = self._sessions.get(event.spyer_uniqueid)
            if session is not None and not session.switching:
                await self._end(session, ASTERISK)
        elif isinstance(event, ChannelHungUp):
            session = self._sessions.get(event.uniqueid)
            if session is not None:
                await self._end(session, ASTERISK)

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """After a reconnect: sessions whose phone channel is gone ended while ec112 was not looking."""
        if snapshot is None:
            return
        alive = {row.uniqueid for row in snapshot.channels}
        for session in [s for s in self._sessions.values() if s.id not in alive]:
            await self._end(session, ASTERISK)

    async def _end(self, session: SpySession, actor: str) -> None:
        if self._sessions.pop(session.id, None) is None:
            return
        log.info("spy: %s left call taker %s", session.supervisor, session.taker)
        await self._audit.record(session.supervisor, "spy.stopped", session.taker, mode=session.mode.value,
                                 ticket=session.ticket, by=actor)
        await self._publish(session, "stopped", actor)

    async def _publish(self, session: SpySession, change: str, actor: str) -> None:
        await self._bus.publish(SpyChanged(at=self._clock(), actor=actor, session=session, change=change))
