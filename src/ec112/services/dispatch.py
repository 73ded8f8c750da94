"""Dispatch: a classified ticket goes to the agencies with authority, and each follows it to resolution.

Who may do what: call takers, supervisors and admins dispatch and close; an agency officer acknowledges
and assigns responders for her own agency only; a responder moves only her own assignments. Every step is
stored with its timeline event and its audit entry in one transaction (``DispatchStore``) and published on the
bus as ``DispatchChanged`` — carrying the ticket when the agency's own system must be told (a dispatch, an
escalation to the alternate contact), which the webhook subscriber does. An escalation loop watches
acknowledgement deadlines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.accounts import Role, User
from ec112.domain.audit import AuditDraft
from ec112.domain.dispatch import (
    Dispatch,
    DispatchStatus,
    DispatchStep,
    Escalation,
    acknowledge,
    advance,
    assign,
    cancel,
    check_new_agencies,
    escalate,
    escalation_due,
    new_dispatch,
)
from ec112.domain.errors import Conflict, Forbidden, InvalidRequest
from ec112.domain.events import DispatchChanged
from ec112.domain.ticket_work import close
from ec112.domain.tickets import Ticket
from ec112.routing.agencies import AgencyDirectory, ack_timeout_of, agencies_to_dispatch, dispatchable
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.ports import AuditLog
from ec112.services.ticket_desk import TicketDesk

log = logging.getLogger(__name__)
ESCALATION_CHECK_SECONDS = 1.0
_DISPATCHERS = {Role.ADMIN, Role.SUPERVISOR, Role.CALL_TAKER}


class PhotoSaver(Protocol):
    async def save(self, dispatch_id: int, data: bytes) -> str: ...


class DispatchStore(Protocol):
    async def create(self, ticket_id: int, steps: Sequence[DispatchStep], *, ticket_revision: int,
                     audit: AuditDraft | None = None) -> list[Dispatch]:
        ...

    async def record(self, step: DispatchStep, audit: AuditDraft | None = None) -> Dispatch: ...

    async def get(self, dispatch_id: int) -> Dispatch: ...

    async def for_ticket(self, ticket_id: int) -> list[Dispatch]: ...

    async def open_for_agency(self, agency: str) -> list[Dispatch]: ...

    async def for_responder(self, username: str) -> list[Dispatch]: ...

    async def unacknowledged(self) -> list[Dispatch]: ...

    async def escalated_unacknowledged(self) -> list[Dispatch]: ...

    async def dispatched_between(self, start: datetime, end: datetime) -> list[Dispatch]: ...


class DispatchService:
    def __init__(
        self,
        store: DispatchStore,
        desk: TicketDesk,
        directory: AgencyDirectory | CurrentAgencies,
        *,
        ack_timeout: timedelta,
        bus: EventBus | None = None,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._audit = audit
        self._desk = desk
        self._agencies = CurrentAgencies.of(directory)  # read at each use: the admin page may replace it
        self._ack_timeout = ack_timeout
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock

    @property
    def directory(self) -> AgencyDirectory:
        """The agencies in force now (a dispatch takes its acknowledgement time from them when it is made)."""
        return self._agencies.directory

    # --- the call taker / supervisor ---------------------------------------------------------------------

    async def dispatch(self, ticket_ref: str, agencies: Sequence[str], user: User,
                       *, revision: int | None = None) -> list[Dispatch]:
        if user.role not in _DISPATCHERS:
            raise Forbidden("only call takers and supervisors dispatch tickets")
        ticket = await self._desk.find(ticket_ref)
        if not dispatchable(ticket):
            raise InvalidRequest(f"a {ticket.status.value} ticket cannot be dispatched: classify it as darurat first")
        if revision is not None and revision != ticket.revision:
            raise Conflict("the ticket was changed meanwhile by someone else: reload it / tiket sudah diubah")
        codes = agencies_to_dispatch(self.directory, agencies)  # each once; an unknown one is refused
        check_new_agencies(await self._store.for_ticket(ticket.id), list(codes))
        at = self._clock()
        steps = []
        for code in codes:
            timeout = ack_timeout_of(self.directory.get(code), self._ack_timeout)
            d = new_dispatch(ticket.id, code, by=user.username, at=at, ack_timeout=timeout)
            steps.append(DispatchStep(d, "dispatch.created", user.username, at,
                                      {"agency": code, "ack_deadline": d.ack_deadline.isoformat()}))
        audit = AuditDraft(user.username, "ticket.dispatch", self._desk.number(ticket), {"agencies": list(agencies)})
        created = await self._store.create(ticket.id, steps, ticket_revision=ticket.revision, audit=audit)
        for d in created:
            await self._announce(d, "dispatch.created", ticket, user.username)
        log.info("ticket %s dispatched to %s by %s", self._desk.number(ticket), ", ".join(agencies), user.username)
        return created

    async def close(self, ticket_ref: str, user: User, *, false_call: bool, note: str | None) -> Ticket:
        if user.role not in _DISPATCHERS:
            raise Forbidden("only call takers and supervisors close tickets")
        ticket = await self._desk.find(ticket_ref)
        dispatches = await self._store.for_ticket(ticket.id)
        open_ones = [d for d in dispatches if d.open]
        closed, event = close(ticket, open_dispatches=len(open_ones), false_call=false_call, by=user.username,
                              at=self._clock(), note=note)
        for d in open_ones:  # a false call: the agencies stand down
            await self._step(cancel(d, by=user.username, at=event.at, reason="false call / laporan palsu"))
        ticket = await self._desk.find(ticket_ref)  # the dispatches moved its revision
        audit = AuditDraft(user.username, "ticket.cancel" if false_call else "ticket.close", self._desk.number(ticket))
        return await self._desk.save_change(ticket, closed, event, audit=audit)

    # --- the agency officer --------------------------------------------------------------------------------

    async def acknowledge(self, dispatch_id: int, user: User) -> Dispatch:
        d = await self._own_agency(dispatch_id, user)
        audit = AuditDraft(user.username, "dispatch.acknowledge", str(d.id), {"agency": d.agency})
        return await self._step(acknowledge(d, by=user.username, at=self._clock()), audit=audit)

    async def assign(self, dispatch_id: int, responder: str, user: User) -> Dispatch:
        d = await self._own_agency(dispatch_id, user)
        known = self.directory.responder(responder)
        if known is None or known.agency != d.agency:
            raise InvalidRequest(f"{responder!r} is not a responder of {d.agency}")
        return await self._step(assign(d, responder, by=user.username, at=self._clock()),
                                audit=AuditDraft(user.username, "dispatch.assign", str(d.id), {"responder": responder}))

    async def cancel(self, dispatch_id: int, user: User, reason: str) -> Dispatch:
        if user.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise Forbidden("only a supervisor cancels a dispatch")
        d = await self._store.get(dispatch_id)
        return await self._step(cancel(d, by=user.username, at=self._clock(), reason=reason),
                                audit=AuditDraft(user.username, "dispatch.cancel", str(d.id), {"reason": reason}))

    # --- the responder ---------------------------------------------------------------------------------------

    async def advance(self, dispatch_id: int, to: DispatchStatus, user: User, *, note: str | None = None,
                      position: tuple[float, float] | None = None, photo: str | None = None) -> Dispatch:
        """``photo``: the name of a picture already stored for this dispatch (web/photos.py), kept with the step."""
        d = await self._store.get(dispatch_id)
        if d.responder != user.username:
            raise Forbidden("this assignment belongs to another responder")
        step = advance(d, to, by=user.username, at=self._clock(), note=note, position=position)
        if photo is not None:
            step = replace(step, data={**step.data, "photo": photo})
        return await self._step(step, audit=AuditDraft(user.username, f"dispatch.{to.value}", str(d.id)))

    async def check_photo_allowed(self, dispatch_id: int, user: User) -> Dispatch:
        """Only the dispatch's own responder adds pictures, and only while it is open."""
        d = await self._store.get(dispatch_id)
        if d.responder != user.username:
            raise Forbidden("this assignment belongs to another responder")
        if not d.open:
            raise InvalidRequest(f"dispatch to {d.agency} is already {d.status.value}")
        return d

    async def add_photo(self, dispatch_id: int, user: User, data: bytes, photos: PhotoSaver) -> str:
        """A picture (checked by the caller to be a JPEG or PNG within the size cap); its stored name, to send
        with the step it belongs to. Audited here."""
        d = await self.check_photo_allowed(dispatch_id, user)
        name = await photos.save(d.id, data)
        if self._audit is not None:
            await self._audit.record(user.username, "dispatch.photo", str(d.id), photo=name, size=len(data))
        return name

    # --- reading ---------------------------------------------------------------------------------------------

    async def of_ticket(self, ticket: Ticket) -> list[Dispatch]:
        return await self._store.for_ticket(ticket.id)

    async def get(self, dispatch_id: int) -> Dispatch:
        return await self._store.get(dispatch_id)

    async def alarms(self) -> list[Dispatch]:
        """Dispatches still not acknowledged after escalating (the wallboard's red alarms), most overdue first."""
        return sorted(await self._store.escalated_unacknowledged(), key=lambda d: d.ack_deadline)

    async def work_of(self, user: User) -> list[Dispatch]:
        """An officer: her agency's open dispatches; a responder: her open assignments."""
        if user.role is Role.RESPONDER:
            return await self._store.for_responder(user.username)
        if user.role is Role.AGENCY_OFFICER and user.agency:
            return await self._store.open_for_agency(user.agency)
        return []

    # --- escalation ------------------------------------------------------------------------------------------

    async def escalate_overdue(self) -> int:
        """Record and notify every escalation that is due now; returns how many were made."""
        made = 0
        now = self._clock()
        for d in await self._store.unacknowledged():
            level = escalation_due(d, now)
            step = escalate(d, level, at=now) if level is not Escalation.NONE else None
            if step is None:
                continue
            saved = await self._step(step, notify=level is Escalation.ALTERNATE)
            made += 1
            log.warning("dispatch %d to %s not acknowledged: %s", saved.id, saved.agency, step.kind)
        return made

    async def escalation_loop(self, interval: float = ESCALATION_CHECK_SECONDS) -> None:
        """Run as a tracked task by the daemon."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.escalate_overdue()
            except Exception:
                log.exception("escalation check failed; retrying")

    # --- internals -------------------------------------------------------------------------------------------

    async def _own_agency(self, dispatch_id: int, user: User) -> Dispatch:
        d = await self._store.get(dispatch_id)
        if user.role in (Role.ADMIN, Role.SUPERVISOR):
            return d
        if user.role is not Role.AGENCY_OFFICER or user.agency != d.agency:
            raise Forbidden(f"only an officer of {d.agency} may do this")
        return d

    async def _step(self, step: DispatchStep, *, notify: bool = False, audit: AuditDraft | None = None) -> Dispatch:
        saved = await self._store.record(step, audit)
        ticket = await self._desk.find(str(saved.ticket_id)) if notify else None
        await self._bus.publish(DispatchChanged(at=step.at, actor=step.actor, dispatch=saved, kind=step.kind,
                                                ticket=ticket))
        return saved

    async def _announce(self, d: Dispatch, kind: str, ticket: Ticket, actor: str) -> None:
        await self._bus.publish(DispatchChanged(at=d.dispatched_at, actor=actor, dispatch=d, kind=kind, ticket=ticket))
