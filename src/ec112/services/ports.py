"""Interfaces the services need from the edge. Adapters (db/, ami/) implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ec112.domain.aml_match import AmlDraft, UnmatchedAml
from ec112.domain.audit import AuditDraft
from ec112.domain.call_events import ChannelRow, QueueSnapshot
from ec112.domain.location import Location, LocationReport, UnlocatedReport, UnlocatedStatus
from ec112.domain.recordings import Recording
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import NewCall, Ticket


class TicketRepository(Protocol):
    async def open(self, call: NewCall) -> tuple[Ticket, bool]:
        """The ticket of ``call.linkedid``, creating it if needed; the bool says whether it was created."""

    async def get(self, ticket_id: int) -> Ticket | None: ...

    async def get_by_linkedid(self, linkedid: str) -> Ticket | None: ...

    async def list_recent(self, *, limit: int, offset: int = 0) -> Sequence[Ticket]: ...

    async def list_unended(self) -> Sequence[Ticket]: ...

    async def list_arrived_between(self, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets with start <= arrived_at < end (aware datetimes), oldest first."""

    async def search(self, query: TicketQuery) -> tuple[Sequence[Ticket], int]:
        """One page of matching tickets (newest first) and the number of matches."""

    async def save(self, ticket: Ticket) -> None:
        """The call's life (queue, answer, end, location) only."""

    async def save_work(self, ticket: Ticket, event: TicketEvent, audit: AuditDraft | None = None) -> Ticket:
        """A human change + its event (+ its audit entry), atomically; ``Conflict`` if ``ticket.revision`` is
        stale."""

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]: ...

    async def ping(self) -> None:
        """Raise when the database cannot be reached."""


class Telephony(Protocol):
    """What the services ask of Asterisk (implemented over AMI)."""

    async def queue_add(self, queue: str, interface: str, member_name: str) -> bool:
        """Add a queue member; False when it was already a member."""

    async def queue_remove(self, queue: str, interface: str) -> bool:
        """Remove a queue member; False when it was not a member."""

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        """Pause (not offered calls) or unpause a queue member; the reason is shown to supervisors."""

    async def queue_status(self, queue: str) -> QueueSnapshot:
        """The members and the waiting callers of ``queue``."""

    async def active_channels(self) -> Sequence[ChannelRow]:
        """Every live channel."""


class AuditLog(Protocol):
    """Appends one audit entry on its own (``services.audit.AuditService``); never raises."""

    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None: ...


class LocationRepository(Protocol):
    """Every location of a ticket, what could not be placed, and the AML messages received (db/locations.py)."""

    async def add(self, ticket_id: int, location: Location, *, actor: str,
                  received_at: datetime) -> tuple[LocationReport, Ticket]:
        """Store a report and, in the same transaction, write ``best_location()`` of all the ticket's reports as
        the ticket's location; the report and the ticket as it now is. ``LookupError``: no such ticket."""

    async def reports(self, ticket_id: int) -> Sequence[LocationReport]:
        """Newest first."""

    async def add_unlocated(self, ticket_id: int, report: UnlocatedReport) -> int: ...

    async def update_unlocated(self, report_id: int, status: UnlocatedStatus, reason: str | None,
                               at: datetime) -> None: ...

    async def unlocated(self, ticket_id: int) -> Sequence[UnlocatedReport]:
        """Newest first."""

    async def previous_located(self, caller_e164: str, *, before_ticket_id: int, since: datetime,
                               limit: int) -> Sequence[Ticket]:
        """Earlier tickets of this number (arrived at or after ``since``) that have a location, newest first."""

    async def calls_of(self, caller_e164: str, *, arrived_from: datetime, arrived_to: datetime) -> Sequence[Ticket]:
        """Tickets of this number with arrived_from <= arrived_at <= arrived_to."""

    async def add_aml(self, draft: AmlDraft) -> int:
        """Store a received AML message (unmatched); its id."""

    async def claim_aml(self, aml_id: int, ticket_id: int, at: datetime) -> bool:
        """Put an unmatched AML message on a ticket; False when it is on one already (someone else took it)."""

    async def unmatched_aml(self, *, caller_e164: str | None = None, since: datetime | None = None,
                            limit: int = 200) -> Sequence[UnmatchedAml]:
        """AML messages on no ticket, newest first (of one number / received at or after ``since``)."""


class RecordingLookup(Protocol):
    """A ticket's recording (issue 14, docs/room.md): the recordings part implements it; the replayable timeline
    and the ticket page read it."""

    async def for_ticket(self, ticket_id: int) -> Recording | None: ...
