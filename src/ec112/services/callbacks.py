"""Callbacks: every call that ended before a call taker could help becomes a task to call the citizen back.

Where tasks come from (``domain.callbacks.callback_reason``): the ordered AMI stream (this service is a sink of the
``AmiEventPipeline``, after the ticket tracker, so the ticket it reads has its end already), a ticket opened
after its caller had hung up (``on_ticket_opened``, after the tracker's own subscriber), and a silent call
(``on_silent_call``: the silent-call part's ``SilentCallMarked``). A new call from the same number closes that
number's waiting tasks and links them to it. Calling back is an AMI Originate of the taker's own phone into the
locked context ``ec112-callback`` (``CallbackDialer``); Asterisk's report of the citizen's leg comes back on the
same ordered stream. ``escalation_loop`` escalates what nobody called back in time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from ec112.domain.audit import AuditDraft
from ec112.domain.call_events import CallEvent, ChannelHungUp, MemberCompleted
from ec112.domain.call_reports import CallbackDialEnded, CallbackNotConnected
from ec112.domain.callbacks import (
    CallbackChanged,
    CallbackOutcome,
    CallbackStep,
    CallbackTask,
    call_failed,
    callback_reason,
    close_by_call,
    close_classified,
    dial_ended,
    escalate,
    escalation_due,
    new_task,
    set_outcome,
    start_call,
    take,
)
from ec112.domain.errors import Forbidden, NotFound, Unavailable
from ec112.domain.events import EC112, TicketChanged, TicketOpened
from ec112.domain.presence import endpoint_of
from ec112.domain.tickets import CallOutcome, Ticket, TicketStatus, ticket_number
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.background import BackgroundTasks
from ec112.services.event_bus import EventBus
from ec112.services.intake import utcnow
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)
_REMEMBERED = 4096  # calls whose taker hung up / silent tickets kept in memory (bounded)


class CallbackStore(Protocol):
    async def create(self, step: CallbackStep) -> tuple[CallbackTask, bool]: ...

    async def record(self, step: CallbackStep, audit: AuditDraft | None = None) -> CallbackTask: ...

    async def get(self, task_id: int) -> CallbackTask: ...

    async def for_ticket(self, ticket_id: int) -> CallbackTask | None: ...

    async def active(self) -> list[CallbackTask]: ...

    async def active_for_number(self, number: str) -> list[CallbackTask]: ...


class CallbackDialer(Protocol):
    """Asterisk rings ``endpoint`` (the taker's phone) and, once she answers, the citizen (``ami.callbacks``)."""

    async def originate(self, *, task_id: int, endpoint: str, number: str, shown_name: str) -> None:
        """Raises ``Unavailable`` when Asterisk cannot be asked."""


class CallbackService:
    def __init__(self, store: CallbackStore, tickets: TicketRepository, dialer: CallbackDialer, bus: EventBus, *,
                 ticket_prefix: str, deadline_seconds: int, clock: Callable[[], datetime] = utcnow,
                 end_grace_seconds: float = 1.5, pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._store = store
        self._tickets = tickets
        self._dialer = dialer
        self._bus = bus
        self._prefix = ticket_prefix
        self._deadline = deadline_seconds
        self._clock = clock
        self._end_grace = end_grace_seconds
        self._pause = pause  # asyncio.sleep; tests hold it to deliver events inside the grace
        self._taker_hung_up: OrderedDict[str, None] = OrderedDict()  # linkedids whose answering taker ended first
        self._silent: OrderedDict[int, None] = OrderedDict()  # ticket ids marked silent, until their call ends
        self._background = BackgroundTasks()

    # --- the ordered AMI stream (an EventSink) ---------------------------------------------------------------

    async def apply(self, event: CallEvent) -> None:
        if isinstance(event, ChannelHungUp):
            await self._on_hangup(event)
        elif isinstance(event, MemberCompleted) and event.reason == "agent" and event.linkedid:
            # app_queue's own word on who ended the call (its first hang-up request): stronger than the order of
            # the two Hangup events, which can arrive caller first when the taker hung up
            self._remember(self._taker_hung_up, event.linkedid + "|" + endpoint_of(event.interface))
        elif isinstance(event, CallbackDialEnded):
            await self._step_of(event.task_id, lambda t: dial_ended(t, dial_status=event.dial_status,
                                                                    cause=event.cause, at=event.at))
        elif isinstance(event, CallbackNotConnected):
            await self._step_of(event.task_id, lambda t: call_failed(t, reason=event.reason, at=event.at))

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        return None  # tasks live in the database; a callback whose report was missed is settled by hand

    async def _on_hangup(self, event: ChannelHungUp) -> None:
        if not event.is_origin:
            if event.linkedid:  # a taker's leg; whether it was the one who answered is known at the caller's end
                self._remember(self._taker_hung_up, event.linkedid + "|" + endpoint_of(event.channel))
            return
        # Who ended an answered call is told by events that may come AFTER the caller's Hangup (AgentComplete and the
        # taker's Hangup travel on other Stasis topics: seen on Asterisk 22 under load): that decision waits a moment.
        # All of it runs off the ordered stream (which it must never hold up).
        self._background.start(self._safely(self._consider_ended(event.linkedid), "a call's end"))

    async def _consider_ended(self, linkedid: str) -> None:
        ticket = await self._tickets.get_by_linkedid(linkedid)
        if ticket is None:
            return
        if ticket.outcome is CallOutcome.ANSWERED:  # only a talked-to call's fate depends on who hung up first
            await self._pause(self._end_grace)
            ticket = await self._tickets.get_by_linkedid(linkedid) or ticket  # classified meanwhile: no task
        await self.consider(ticket)

    # --- bus subscribers -----------------------------------------------------------------------------------------

    def on_ticket_opened(self, event: TicketOpened) -> None:
        """A new call: it closes the waiting tasks of its number; a call already gone may need a task itself.
        Done in a tracked task: the intake publishes this before it hands the call back to Asterisk, and a
        callback's database work must not delay the caller's way to the queue."""
        self._background.start(self._safely(self.new_call(event), "a new call"))

    async def new_call(self, event: TicketOpened) -> None:
        ticket = event.ticket
        if ticket.caller_number_e164 or ticket.caller_number_raw:
            for number in {ticket.caller_number_e164, ticket.caller_number_raw} - {None}:
                assert number is not None
                for task in await self._store.active_for_number(number):
                    await self._apply_step(task, close_by_call(task, ticket.id, at=event.at))
        current = await self._tickets.get(ticket.id)  # the tracker may have ended it meanwhile
        if current is not None and current.ended_at is not None:
            await self.consider(current)

    async def on_ticket_changed(self, event: TicketChanged) -> None:
        """A dropped call's ticket classified: the taker had what she needed."""
        if event.ticket.status is TicketStatus.NEW:
            return
        task = await self._store.for_ticket(event.ticket.id)
        if task is not None:
            await self._apply_step(task, close_classified(task, by=event.actor, at=event.at))

    async def on_silent_call(self, ticket: Ticket) -> None:
        """The subscription point for the silent-call part (``SilentCallMarked``): every silent call gets a task
        when it ends (now, if it has ended already)."""
        self._remember(self._silent, ticket.id)
        current = await self._tickets.get(ticket.id)
        if current is not None and current.ended_at is not None:
            await self.consider(current)

    async def consider(self, ticket: Ticket) -> CallbackTask | None:
        """The ticket's task, created when its ended call needs one (idempotent: one task per ticket)."""
        taker_first = f"{ticket.linkedid}|{ticket.answered_by}" in self._taker_hung_up
        reason = callback_reason(ticket, silent=ticket.id in self._silent, ended_by_taker=taker_first)
        if reason is None:
            return None
        self._silent.pop(ticket.id, None)
        task, created = await self._store.create(new_task(ticket, reason, at=self._clock(),
                                                          deadline_seconds=self._deadline))
        if created:
            log.info("callback %d for ticket %s (%s)", task.id, await self.number_of(task), reason.value)
            await self._announce(task, "callback.created", EC112, task.created_at)
        return task

    # --- what call takers do -------------------------------------------------------------------------------------

    async def active(self) -> list[CallbackTask]:
        return await self._store.active()

    async def get(self, task_id: int) -> CallbackTask:
        return await self._store.get(task_id)

    async def take(self, task_id: int, *, endpoint: str | None, user: str) -> CallbackTask:
        task = await self._store.get(task_id)
        step = take(task, by=_desk(endpoint), at=self._clock())
        return await self._apply_step(task, step, user=user) if step else task

    async def call(self, task_id: int, *, endpoint: str | None, user: str) -> CallbackTask:
        """Ring her phone, then the citizen: the task is ``calling`` until Asterisk reports the outcome."""
        task = await self._store.get(task_id)
        desk = _desk(endpoint)
        calling = await self._apply_step(task, start_call(task, by=desk, at=self._clock()), user=user)
        try:
            await self._dialer.originate(task_id=task.id, endpoint=desk, number=task.number,
                                         shown_name=await self.number_of(task))
        except Unavailable:
            await self._apply_step(calling, call_failed(calling, reason="asterisk_unavailable", at=self._clock()))
            raise
        return calling

    async def set_outcome(self, task_id: int, outcome: CallbackOutcome, *, endpoint: str | None,
                          user: str) -> CallbackTask:
        task = await self._store.get(task_id)
        step = set_outcome(task, outcome, by=endpoint or user, at=self._clock())
        return await self._apply_step(task, step, user=user)

    # --- escalation ---------------------------------------------------------------------------------------------

    async def escalate_due(self) -> int:
        now = self._clock()
        made = 0
        for task in await self._store.active():
            if escalation_due(task, now) and await self._apply_step(task, escalate(task, at=now)) is not task:
                made += 1
                log.warning("callback %d of ticket %s escalated: not called back in time", task.id,
                                await self.number_of(task))
        return made

    async def escalation_loop(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.escalate_due()
            except Exception:
                log.exception("callback escalation check failed; retrying")

    async def drain(self) -> None:
        """Wait for the work started by ``on_ticket_opened`` and by a call's end (tests)."""
        await self._background.drain()

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109 - a shutdown grace, not a network wait
        await self._background.close(timeout)

    # --- helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    async def _safely(work: Awaitable[None], what: str) -> None:
        try:
            await work
        except Exception:
            log.exception("callbacks: %s could not be handled", what)

    async def number_of(self, task: CallbackTask) -> str:
        """The ticket's number (``112-261202-00042``): what the taker's phone shows and the timeline links."""
        ticket = await self._tickets.get(task.ticket_id)
        return ticket_number(self._prefix, task.ticket_id, ticket.arrived_at if ticket else task.created_at)

    async def _step_of(self, task_id: int, make: Callable[[CallbackTask], CallbackStep | None]) -> None:
        try:
            task = await self._store.get(task_id)
        except NotFound:  # a report naming a task ec112 does not have (another ec112's lab, a typo'd Originate)
            log.warning("callback report for unknown task %d", task_id)
            return
        await self._apply_step(task, make(task))

    async def _apply_step(self, task: CallbackTask, step: CallbackStep | None, *, user: str | None = None,
                          ) -> CallbackTask:
        if step is None:
            return task
        audit = None
        if user:  # a person's step: her name on the timeline (her desk phone is in the data) and in the audit
            step = replace(step, actor=user)
            audit = AuditDraft(user, step.kind, f"callback:{task.id}", {"ticket_id": task.ticket_id, **step.data})
        saved = await self._store.record(step, audit)
        await self._announce(saved, step.kind, user or step.actor, step.at)
        return saved

    async def _announce(self, task: CallbackTask, kind: str, actor: str, at: datetime) -> None:
        await self._bus.publish(CallbackChanged(at=at, actor=actor, task=task, kind=kind,
                                                ticket_number=await self.number_of(task)))

    @staticmethod
    def _remember(store: OrderedDict, key: object) -> None:  # type: ignore[type-arg]
        store[key] = None
        while len(store) > _REMEMBERED:
            store.popitem(last=False)


def _desk(endpoint: str | None) -> str:
    if not endpoint:
        raise Forbidden("your account has no desk phone (SIP endpoint) / akun Anda tidak punya telepon meja")
    return endpoint
