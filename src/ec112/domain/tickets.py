"""Tickets: one per emergency call, keyed by the call's Asterisk Linkedid.

The call's life (arrival → queue → answer → end) is applied here as pure transitions, so that the AGI
intake, the AMI event stream and a backfill after an outage all produce the same ticket whatever order
they happen to see it in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ec112.domain.location import Location


class TicketStatus(StrEnum):
    NEW = "new"  # opened at call arrival, not yet classified by a call taker
    CLASSIFIED = "classified"  # a real emergency, waiting to be dispatched to the agency with authority
    # then it follows its least advanced dispatch (domain.dispatch): …
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    RESPONDING = "responding"
    PROCESSING = "processing"
    RESOLVED = "resolved"
    CLOSED = "closed"  # settled: information given, prank or ghost call, or closed after resolution
    CANCELLED = "cancelled"  # closed as a false call after dispatch


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"  # the caller hung up while waiting in the queue
    HUNG_UP_IN_INTAKE = "hung_up_in_intake"  # the caller hung up before reaching the queue


class IntakeChannel(StrEnum):
    """Which door saw the call first: the FastAGI intake, AMI when the intake was unavailable, or Asterisk's
    own records (CDR + queue_log) read back after an outage (the call came and went while ec112 was away).
    ``TEXT``: not a call but a SIP MESSAGE to 112 (domain.text_messages); it has no channel, so the call tracker
    never ends it, and a call taker's first answer is its ``answered_at``."""

    AGI = "agi"
    AMI = "ami"
    BACKFILL = "backfill"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class NewCall:
    """What is known of a call when it arrives; enough to open its ticket."""

    linkedid: str
    uniqueid: str
    channel: str
    caller_number_raw: str | None
    caller_number_e164: str | None
    caller_name: str | None
    arrived_at: datetime
    intake: IntakeChannel
    location: Location | None = None
    # a drill call (issue 14: the drill endpoint's accountcode): flagged end to end, never counted as real
    exercise: bool = False


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    linkedid: str
    uniqueid: str
    channel: str
    caller_number_raw: str | None
    caller_number_e164: str | None
    caller_name: str | None
    location: Location | None
    intake: IntakeChannel
    status: TicketStatus
    arrived_at: datetime
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    ended_at: datetime | None = None
    outcome: CallOutcome | None = None
    # set by the call taker (``ticket_work.classify``); ``revision`` guards against concurrent edits
    classification: str | None = None
    category: str | None = None
    address: str | None = None
    description: str | None = None
    classified_by: str | None = None
    classified_at: datetime | None = None
    revision: int = 0
    exercise: bool = False  # a drill's ticket (docs/room.md): LATIHAN everywhere, out of real KPIs and reports

    @property
    def wait_seconds(self) -> float | None:
        """How long the citizen waited for a human: arrival to answer, or to hang-up if never answered."""
        end = self.answered_at or self.ended_at
        if end is None:
            return None
        return max(0.0, (end - self.arrived_at).total_seconds())

    def number(self, prefix: str) -> str:
        return ticket_number(prefix, self.id, self.arrived_at)


def ticket_number(prefix: str, ticket_id: int, arrived_at: datetime) -> str:
    """Human-readable number read out over the radio: ``112-261127-00042``."""
    return f"{prefix}-{arrived_at:%y%m%d}-{ticket_id:05d}"


def parse_ticket_number(text: str) -> int | None:
    """The ticket id inside a number produced by :func:`ticket_number`, or None."""
    tail = text.rsplit("-", 1)[-1]
    # isascii: "²".isdigit() is True but int("²") fails; a 10th digit is beyond any row id (int4).
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) <= 9 and "-" in text else None


# --- transitions -------------------------------------------------------------------------------------------
# Each returns the ticket unchanged when the event is stale or repeated (AMI after a reconnect, a backfill).


def joined_queue(ticket: Ticket, at: datetime) -> Ticket:
    if ticket.ended_at is not None or ticket.answered_at is not None:
        return ticket
    return replace(ticket, queued_at=ticket.queued_at or at)


def answered(ticket: Ticket, by: str, at: datetime) -> Ticket:
    if ticket.answered_at is not None or ticket.ended_at is not None:
        return ticket
    return replace(ticket, answered_at=at, answered_by=by, queued_at=ticket.queued_at or at)


def ended(ticket: Ticket, at: datetime) -> Ticket:
    """The caller's channel is gone: settle the outcome from what happened before."""
    if ticket.ended_at is not None:
        return ticket
    return replace(ticket, ended_at=at, outcome=outcome_of(ticket))


def outcome_of(ticket: Ticket) -> CallOutcome:
    """How an ended call went, from how far it got: answered, else abandoned in the queue, else in intake."""
    if ticket.answered_at is not None:
        return CallOutcome.ANSWERED
    if ticket.queued_at is not None:
        return CallOutcome.ABANDONED
    return CallOutcome.HUNG_UP_IN_INTAKE


def located(ticket: Ticket, location: Location) -> Ticket:
    """Keep the newest location (a later AML fix beats the INVITE's PIDF-LO)."""
    current = ticket.location
    if current is not None and current.observed_at > location.observed_at:
        return ticket
    return replace(ticket, location=location)
