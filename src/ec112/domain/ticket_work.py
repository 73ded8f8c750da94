"""What a call taker does with a ticket: classify the call, note the address and what happened.

Pure rules. Every human change becomes a ``TicketEvent`` (who, when, what) that the repository stores in
the same transaction as the change, so the ticket's timeline can always say who did it. The call's own
life (arrival, queue, answer, end) is already on the ticket and is not duplicated as events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ec112.domain.categories import CategoryCatalogue
from ec112.domain.errors import InvalidRequest
from ec112.domain.tickets import Ticket, TicketStatus

MAX_ADDRESS = 500
MAX_DESCRIPTION = 4000


class Classification(StrEnum):
    EMERGENCY = "darurat"  # a real emergency: goes on to the agency with authority
    INFORMATION = "informasi"  # a request for information, answered by the call taker
    PRANK = "prank"  # a joke or harassment call
    GHOST = "ghost"  # silent call, pocket dial, handset with no one on the line


# Only an emergency stays open for dispatch; the others are settled by the call taker.
_CLOSES = {Classification.INFORMATION, Classification.PRANK, Classification.GHOST}


@dataclass(frozen=True, slots=True)
class ClassificationInput:
    classification: Classification
    category: str | None = None
    address: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TicketEvent:
    ticket_id: int
    at: datetime
    kind: str  # classified | reclassified | …
    actor: str
    data: dict[str, Any]


def classify(
    ticket: Ticket, change: ClassificationInput, *, by: str, at: datetime, categories: CategoryCatalogue
) -> tuple[Ticket, TicketEvent]:
    """The ticket classified by ``by``; refused with a clear message when the input does not make sense."""
    if ticket.status not in (TicketStatus.NEW, TicketStatus.CLASSIFIED, TicketStatus.CLOSED):
        raise InvalidRequest(f"ticket is {ticket.status.value}: it can no longer be reclassified")
    category = (change.category or "").strip() or None
    if change.classification is Classification.EMERGENCY:
        if category is None:
            raise InvalidRequest("an emergency (darurat) needs a category / kategori wajib untuk darurat")
        if category not in categories:
            raise InvalidRequest(f"unknown category {category!r}")
    elif category is not None and category not in categories:
        raise InvalidRequest(f"unknown category {category!r}")
    address = _text(change.address, MAX_ADDRESS, "address")
    description = _text(change.description, MAX_DESCRIPTION, "description")
    status = TicketStatus.CLOSED if change.classification in _CLOSES else TicketStatus.CLASSIFIED
    updated = replace(ticket, classification=change.classification.value, category=category, address=address,
                      description=description, status=status, classified_by=by, classified_at=at)
    data: dict[str, Any] = {"classification": change.classification.value, "category": category,
                            "address": address, "description": description, "status": status.value}
    if ticket.classification is not None:
        data["previous"] = {"classification": ticket.classification, "category": ticket.category}
    kind = "reclassified" if ticket.classification is not None else "classified"
    return updated, TicketEvent(ticket.id, at, kind, by, data)


def _text(value: str | None, limit: int, name: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters")
    return text or None


def close(ticket: Ticket, *, open_dispatches: int, false_call: bool, by: str, at: datetime,
          note: str | None) -> tuple[Ticket, TicketEvent]:
    """Close a handled ticket (all its dispatches done), or close it as a false call (open ones cancelled
    by the caller of this function first)."""
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        raise InvalidRequest(f"ticket is already {ticket.status.value}")
    if ticket.status is TicketStatus.NEW:
        raise InvalidRequest("classify the call first / klasifikasikan panggilan dulu")
    if not false_call and open_dispatches:
        raise InvalidRequest(f"{open_dispatches} agency dispatch(es) still open: wait for their resolution")
    text = _text(note, MAX_DESCRIPTION, "note")
    if false_call and text is None:
        raise InvalidRequest("say why this is a false call / alasan wajib diisi")
    status = TicketStatus.CANCELLED if false_call else TicketStatus.CLOSED
    event = TicketEvent(ticket.id, at, "cancelled" if false_call else "closed", by,
                        {"status": status.value, "note": text})
    return replace(ticket, status=status), event
