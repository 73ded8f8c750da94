"""Interfaces the services need from the edge. Adapters (db/, ami/) implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ec112.domain.audit import AuditDraft
from ec112.domain.call_events import ChannelRow, QueueSnapshot
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
