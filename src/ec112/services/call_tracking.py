"""Call tracking: the ordered stream of call events moves each ticket through its call's life.

One consumer applies events in arrival order (order is data: caller joined the queue → member connected →
caller's channel hung up).
After every (re)connect to Asterisk the tracker re-reads the live channels (``resync``, fed by the
``AmiEventPipeline``), so a call that arrived while ec112 was down or frozen gets its ticket, and a
ticket whose call ended meanwhile is closed.

While an event (or a snapshot) of a call is applied, its Linkedid — and its ticket number once known — is bound
to every log record (``ec112.logs``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.domain.call_events import CallerJoinedQueue, CallEvent, ChannelHungUp, MemberConnected
from ec112.domain.channels import CallChannels, emergency_calls
from ec112.domain.events import TicketOpened
from ec112.domain.presence import endpoint_of
from ec112.domain.tickets import IntakeChannel, Ticket, answered, ended, joined_queue
from ec112.logs import bind_call, call_context
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.intake import IntakeService
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)

_RECENT_HANGUPS = 4096
# A call that existed when CoreShowChannels was asked is in its answer; what arrived before that moment (minus
# this margin for the clocks of Asterisk's events vs ec112's) and is not in it has ended.
_CLOCK_MARGIN = timedelta(seconds=1)
_HELD_CALLS = 1024
_HELD_EVENTS = 64
_Tracked = CallerJoinedQueue | MemberConnected | ChannelHungUp  # what moves a ticket


@dataclass(frozen=True, slots=True)
class _Origin:
    """A live caller's channel found by a resync, as the ticket needs it."""

    at: datetime  # when the channel was created
    linkedid: str
    uniqueid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    exercise: bool = False


class CallTracker:
    def __init__(
        self,
        tickets: TicketRepository,
        intake: IntakeService,
        *,
        queue: str,
        emergency_context: str,
    ) -> None:
        self._tickets = tickets
        self._intake = intake
        self._queue = queue
        self._context = emergency_context
        # Caller channels that hung up before their ticket existed (hang-up during intake).
        self._recent_hangups: OrderedDict[str, datetime] = OrderedDict()
        # Events of calls whose ticket could not be written (database locked or down), per Linkedid in
        # order, retried by ``retry_loop``; later events of the same call wait behind them.
        self._unwritten: OrderedDict[str, list[_Tracked]] = OrderedDict()

    async def apply(self, event: CallEvent) -> None:
        if not isinstance(event, CallerJoinedQueue | MemberConnected | ChannelHungUp):
            return
        linkedid = event.linkedid
        if linkedid in self._unwritten:
            self._hold(linkedid, event)
            return
        with call_context(linkedid=linkedid):
            try:
                await self._handle(event)
            except Exception as exc:  # the database said no (locked, down): keep the event, retry it shortly
                if not linkedid:
                    raise
                # only the first line: a database error's later lines carry the statement's parameters
                log.warning("could not write the ticket of a call (%s: %s); retrying", type(exc).__name__,
                            str(exc).split("\n", 1)[0][:200])
                self._hold(linkedid, event)

    async def retry_loop(self, interval: float = 1.0) -> None:
        """Write what could not be written when the database was locked (degrade, then catch up)."""
        while True:
            await asyncio.sleep(interval)
            if self._unwritten:
                await self.retry_unwritten()

    async def retry_unwritten(self) -> None:
        for linkedid in list(self._unwritten):
            held = self._unwritten.get(linkedid, [])
            with call_context(linkedid=linkedid):
                while held:
                    try:
                        await self._handle(held[0])
                    except Exception as exc:  # noqa: BLE001 - still failing: try again at the next round
                        log.debug("ticket write still failing (%s)", type(exc).__name__)
                        return
                    held.pop(0)
                self._unwritten.pop(linkedid, None)
                log.info("ticket writes that had failed are done")

    def _hold(self, linkedid: str, event: _Tracked) -> None:
        held = self._unwritten.setdefault(linkedid, [])
        if len(held) < _HELD_EVENTS:
            held.append(event)
        while len(self._unwritten) > _HELD_CALLS:  # the backfill tickets these once the calls end
            self._unwritten.popitem(last=False)
            log.warning("too many unwritten calls: dropping the oldest; Asterisk's records will backfill it")

    # --- handlers ------------------------------------------------------------------------------------------

    async def _handle(self, event: _Tracked) -> None:
        if isinstance(event, CallerJoinedQueue):
            await self._on_queue_join(event)
        elif isinstance(event, MemberConnected):
            await self._on_agent_connect(event)
        else:
            await self._on_hangup(event)

    async def _on_queue_join(self, event: CallerJoinedQueue) -> None:
        if event.queue != self._queue:
            return
        ticket = await self._ensure_ticket(event)
        await self._save_if_changed(ticket, joined_queue(ticket, event.at))

    async def _on_agent_connect(self, event: MemberConnected) -> None:
        if event.queue != self._queue:
            return
        ticket = await self._ensure_ticket(event)
        await self._save_if_changed(ticket, answered(ticket, endpoint_of(event.taker_channel), event.at))

    async def _on_hangup(self, event: ChannelHungUp) -> None:
        linkedid = event.linkedid
        if not event.is_origin:
            return  # only the citizen's own channel ends the call; a call taker's leg does not
        at = event.at
        self._remember_hangup(linkedid, at)
        ticket = await self._tickets.get_by_linkedid(linkedid)
        if ticket is not None:
            bind_call(ticket=self._intake.number(ticket))
            await self._save_if_changed(ticket, ended(ticket, at))

    # --- helpers -------------------------------------------------------------------------------------------

    async def on_ticket_opened(self, event: TicketOpened) -> None:
        """A bus subscriber: end a ticket whose caller hung up before it existed (the insert commits after)."""
        await self.settle_if_already_gone(event.ticket)

    async def settle_if_already_gone(self, ticket: Ticket) -> None:
        gone_at = self._recent_hangups.get(ticket.linkedid)
        if gone_at is not None:
            await self._save_if_changed(ticket, ended(ticket, gone_at))

    def _remember_hangup(self, linkedid: str, at: datetime) -> None:
        self._recent_hangups[linkedid] = at
        while len(self._recent_hangups) > _RECENT_HANGUPS:
            self._recent_hangups.popitem(last=False)

    async def _ensure_ticket(self, event: CallerJoinedQueue | MemberConnected | _Origin) -> Ticket:
        """The call's ticket; opened here from AMI when the FastAGI intake did not (fail-open path)."""
        linkedid = event.linkedid
        existing = await self._tickets.get_by_linkedid(linkedid)
        if existing is not None:
            bind_call(ticket=self._intake.number(existing))
            return existing
        ticket, _ = await self._intake.open_ticket(
            linkedid=linkedid,
            uniqueid=event.uniqueid,
            channel=event.channel,
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            intake=IntakeChannel.AMI,
            arrived_at=event.at,
            exercise=event.exercise,
        )
        bind_call(ticket=self._intake.number(ticket))
        return ticket

    async def _save_if_changed(self, before: Ticket, after: Ticket) -> None:
        if after != before:
            await self._tickets.save(after)

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """Match tickets to what Asterisk has live right now (after a start or a reconnect)."""
        if snapshot is None:
            return
        at = snapshot.taken_at
        live = emergency_calls(snapshot.channels, self._queue, (self._context,))
        opened = 0
        for linkedid, call in live.items():
            with call_context(linkedid=linkedid):
                ticket = await self._tickets.get_by_linkedid(linkedid)
                if ticket is None:
                    opened += 1
                    # arrived when the channel was created, not when we happened to look
                    origin = call.origin
                    ticket = await self._ensure_ticket(_Origin(at - origin.age, linkedid, origin.uniqueid,
                                                               origin.channel, origin.caller_number,
                                                               origin.caller_name))
                await self._apply_snapshot(ticket, call, at)
        closed = 0
        for ticket in await self._tickets.list_unended():
            if ticket.linkedid not in live and ticket.arrived_at < (snapshot.asked_at or at) - _CLOCK_MARGIN:
                closed += 1
                with call_context(linkedid=ticket.linkedid, ticket=self._intake.number(ticket)):
                    await self._save_if_changed(ticket, ended(ticket, at))
        log.info("resync: %d live channels, %d tickets opened, %d closed", len(snapshot.channels), opened, closed)

    async def _apply_snapshot(self, ticket: Ticket, call: CallChannels, at: datetime) -> None:
        updated = ticket
        if call.origin.in_queue is not None:
            updated = joined_queue(updated, at)
        taker_leg = call.bridged_leg()
        if taker_leg is not None:
            # The taker's leg was created when it started ringing: the answer came no earlier than that,
            # so this bounds the wait from below instead of inflating it to the time of the resync.
            updated = answered(updated, endpoint_of(taker_leg.channel), at - taker_leg.age)
        await self._save_if_changed(ticket, updated)
