"""What happened, as ec112's own typed, immutable events (pure).

Services publish these on the one event bus (``services.event_bus``); the live stream, the webhooks, the call
tracker and the panel's presence are subscribers wired in the composition root. Every event says when it
happened and who did it: a user name, a call taker's endpoint, ``asterisk`` or ``ec112``. How an event looks
on the wire (SSE, webhooks) is decided once, at the edge that sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ec112.domain.dispatch import Dispatch
from ec112.domain.location import LocationReport, UnlocatedReport
from ec112.domain.presence_views import ActiveCall, AgentView, QueueView
from ec112.domain.tickets import Ticket

ASTERISK = "asterisk"  # the actor of what Asterisk did (a call arrived, a taker's phone rang out)
EC112 = "ec112"  # the actor of what ec112 decided by itself (an automatic pause, an escalation)


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    at: datetime
    actor: str


# --- tickets and dispatches ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketOpened(DomainEvent):
    """A call's ticket exists (opened by the FastAGI intake, the AMI tracker or the backfill)."""

    ticket: Ticket


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketChanged(DomainEvent):
    """A person changed a ticket (classified, closed, …); ``kind`` is its timeline event's kind."""

    ticket: Ticket
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchChanged(DomainEvent):
    """A dispatch to an agency moved on; ``kind`` is its timeline kind (``dispatch.created``, …).

    ``ticket`` is set when the agency's own system must be told (its webhook); None for steps it made itself.
    """

    dispatch: Dispatch
    kind: str
    ticket: Ticket | None = None


# --- the live room: queue, call takers, calls ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged(DomainEvent):
    agent: AgentView  # state LOGGED_OUT when the taker left the queue


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueChanged(DomainEvent):
    queue: QueueView


@dataclass(frozen=True, slots=True, kw_only=True)
class CallChanged(DomainEvent):
    """A 112 call arrived or moved on: intake → queued → ringing → talking."""

    call: ActiveCall


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(DomainEvent):
    linkedid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AsteriskConnection(DomainEvent):
    """ec112's AMI link to Asterisk went down or came back."""

    connected: bool
    down_since: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceRebuilt(DomainEvent):
    """Presence was rebuilt from Asterisk (after a reconnect): read the whole state again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoAnswerAlert(DomainEvent):
    """A call taker's phone rang out; ``action``: ``paused`` or ``kept_last`` (routing.no_answer)."""

    endpoint: str
    action: str
    ring_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketLocated(DomainEvent):
    """A ticket got a location (or a location it could not use yet): the network's, the handset's AML, a
    fetched reference, or the call taker's pin/place. ``ticket`` carries the best current one; ``report`` is
    the one that just arrived (None for an ``UnlocatedReport`` such as a reference that could not be fetched)."""

    ticket: Ticket
    report: LocationReport | None = None
    unlocated: UnlocatedReport | None = None
    count: int = 0  # how many located reports the ticket has now (the console's "n sources")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgenciesChanged(DomainEvent):
    """A new version of the agencies document is in force (the admin page, ``ec112 agencies import``, a start
    that imported the configured file); the next dispatch uses it."""

    version: int
    action: str  # agencies.edit, agencies.import, agencies.file
