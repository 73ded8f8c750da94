"""Silent calls: the call taker's "silent caller" button, the whispered prompt and the caller's keys.

``prompt`` checks who asks and that the call is connected (``domain.silent_calls.start``), has Asterisk whisper the
``silent-call`` prompt to the caller only (``SilentPrompter``; the call stays bridged to the same taker), stores
``silent.prompted`` and starts watching that call's keys. The call events (a sink of the ``AmiEventPipeline``)
settle it: the confirm digits on the caller's own channel → ``silent.confirmed`` at once; the answer window passed
(``expiry_loop``) or the caller's channel gone → ``silent.no_keypress``. Every change is stored with its timeline
event and published as ``SilentCallMarked`` (the live stream's ``silent``; the callbacks part subscribes).

The window counts from the button press (the prompt itself lasts a few seconds of it); keys pressed while the
prompt still plays count too. Watches live in memory; a restart reloads the unsettled ones (``restore``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.accounts import User
from ec112.domain.call_events import CallEvent, ChannelHungUp
from ec112.domain.call_reports import DigitPressed
from ec112.domain.events import ASTERISK, EC112
from ec112.domain.silent_calls import (
    DigitWatch,
    SilentCall,
    SilentCallMarked,
    SilentState,
    settle,
    start,
)
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import Ticket
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.ticket_desk import TicketDesk

log = logging.getLogger(__name__)


class SilentCallStore(Protocol):
    async def get(self, ticket_id: int) -> SilentCall | None: ...

    async def prompted(self) -> Sequence[SilentCall]: ...

    async def save(self, call: SilentCall, event: TicketEvent) -> SilentCall: ...


class SilentPrompter(Protocol):
    async def whisper(self, caller_channel: str, ticket_number: str, listen_seconds: int) -> None:
        """Play the silent-call prompt to the caller of ``caller_channel`` only, then keep listening for her keys
        for ``listen_seconds``; ``Unavailable`` when it cannot."""


@dataclass(slots=True)
class _Watch:
    ticket: Ticket
    call: SilentCall
    keys: DigitWatch
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SilentCallService:
    def __init__(self, store: SilentCallStore, desk: TicketDesk, prompter: SilentPrompter, *,
                 confirm_digits: str, answer_window: timedelta, bus: EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._desk = desk
        self._prompter = prompter
        self._confirm = confirm_digits
        self._window = answer_window
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._watches: dict[str, _Watch] = {}  # by the call's Linkedid

    async def state(self, ref: str) -> tuple[Ticket, SilentCall | None]:
        ticket = await self._desk.find(ref)
        return ticket, await self._store.get(ticket.id)

    async def prompt(self, ref: str, user: User) -> SilentCall:
        """The taker pressed "silent caller": whisper the prompt, then watch the caller's keys."""
        ticket = await self._desk.find(ref)
        at = self._clock()
        call = start(ticket, by=user, at=at, window=self._window, current=await self._store.get(ticket.id))
        number = self._desk.number(ticket)
        watch = _Watch(ticket, call, DigitWatch(self._confirm))
        async with watch.lock:  # keys arriving meanwhile wait for the prompted state to be stored
            self._watches[ticket.linkedid] = watch
            try:
                await self._prompter.whisper(ticket.channel, number, int(self._window.total_seconds()) + 1)
            except Exception:
                self._watches.pop(ticket.linkedid, None)
                raise
            event = TicketEvent(ticket.id, at, SilentState.PROMPTED.kind, user.username,
                                {"window_seconds": int(self._window.total_seconds()), "confirm": self._confirm})
            await self._store.save(call, event)
        log.info("ticket %s: silent-call prompt whispered at the request of %s", number, user.username)
        await self._bus.publish(SilentCallMarked(at=at, actor=user.username, ticket=ticket, silent=call))
        return call

    # --- the call events (a sink of the AMI pipeline) ----------------------------------------------------------

    async def apply(self, event: CallEvent) -> None:
        if not self._watches:
            return
        if isinstance(event, DigitPressed):
            watch = self._watches.get(event.linkedid)
            if watch is None or not event.received or not _callers(event, watch.ticket):
                return
            async with watch.lock:
                if watch.keys.press(event.digit):
                    await self._settle(watch, SilentState.CONFIRMED, event.at, ASTERISK)
        elif isinstance(event, ChannelHungUp) and event.is_origin:
            watch = self._watches.get(event.linkedid)
            if watch is not None:
                async with watch.lock:
                    await self._settle(watch, SilentState.NO_KEYPRESS, event.at, EC112, reason="call_ended")

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """After a reconnect: a watched call that is no longer live ended while the link was down."""
        if snapshot is None:
            return
        live = {row.linkedid for row in snapshot.channels}
        for linkedid, watch in list(self._watches.items()):
            if linkedid not in live:
                async with watch.lock:
                    await self._settle(watch, SilentState.NO_KEYPRESS, snapshot.taken_at, EC112, reason="call_ended")

    # --- the answer window ---------------------------------------------------------------------------------------

    async def expire_due(self) -> None:
        now = self._clock()
        for watch in list(self._watches.values()):
            if now >= watch.call.deadline:
                async with watch.lock:
                    await self._settle(watch, SilentState.NO_KEYPRESS, now, EC112, reason="no_keypress")

    async def expiry_loop(self, interval: float = 0.25) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire_due()
            except Exception:
                log.exception("could not settle a silent call whose answer window passed")

    async def restore(self) -> None:
        """At start: watch again what an earlier run left waiting (settled now when its time or call is over)."""
        try:
            for call in await self._store.prompted():
                ticket = await self._desk.find(str(call.ticket_id))
                watch = _Watch(ticket, call, DigitWatch(self._confirm))
                self._watches[ticket.linkedid] = watch
                if ticket.ended_at is not None:
                    await self._settle(watch, SilentState.NO_KEYPRESS, ticket.ended_at, EC112, reason="call_ended")
        except Exception:  # never a reason not to start: the expiry loop settles what was reloaded
            log.exception("could not reload the silent calls waiting for keys")

    async def _settle(self, watch: _Watch, state: SilentState, at: datetime, actor: str,
                      reason: str | None = None) -> None:
        """Store and announce the outcome once (a watch already settled is gone from ``_watches``)."""
        linkedid = watch.ticket.linkedid
        if self._watches.get(linkedid) is not watch:
            return
        self._watches.pop(linkedid)
        settled = settle(watch.call, state, at, watch.keys.digits)
        data: dict[str, object] = {"digits": watch.keys.digits}
        if reason:
            data["reason"] = reason
        await self._store.save(settled, TicketEvent(watch.ticket.id, at, state.kind, actor, data))
        log.info("ticket %s: silent call %s", self._desk.number(watch.ticket), state.value)
        await self._bus.publish(SilentCallMarked(at=at, actor=actor, ticket=watch.ticket, silent=settled))


def _callers(event: DigitPressed, ticket: Ticket) -> bool:
    """A key of the caller's own channel (the call taker's leg carries the same Linkedid)."""
    return event.channel == ticket.channel or event.is_origin
