"""Dispatch to agencies: each agency's part of a ticket has its own life, and the ticket follows them.

    dispatched → acknowledged → responding → processing → resolved      (or cancelled from any open step)

Every step says who and when (``DispatchStep`` becomes a timeline event); a step that does not follow
is refused with a clear ``InvalidRequest``. An agency that does not acknowledge in time escalates: first
the supervisor's alarm on the wallboard, then the agency's alternate contact. The ticket's own status is
derived from its dispatches (the least advanced open one), so it can never disagree with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from ec112.domain.errors import InvalidRequest
from ec112.domain.tickets import TicketStatus


class DispatchStatus(StrEnum):
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    RESPONDING = "responding"  # berangkat
    PROCESSING = "processing"  # menangani
    RESOLVED = "resolved"  # selesai
    CANCELLED = "cancelled"


class Escalation(IntEnum):
    NONE = 0
    SUPERVISOR = 1  # alarm on the wallboard
    ALTERNATE = 2  # the agency's alternate contact is notified


_ORDER = [DispatchStatus.DISPATCHED, DispatchStatus.ACKNOWLEDGED, DispatchStatus.RESPONDING,
          DispatchStatus.PROCESSING, DispatchStatus.RESOLVED]
_OPEN = frozenset(_ORDER[:-1])
_TICKET_STATUS = {
    DispatchStatus.DISPATCHED: TicketStatus.DISPATCHED,
    DispatchStatus.ACKNOWLEDGED: TicketStatus.ACKNOWLEDGED,
    DispatchStatus.RESPONDING: TicketStatus.RESPONDING,
    DispatchStatus.PROCESSING: TicketStatus.PROCESSING,
    DispatchStatus.RESOLVED: TicketStatus.RESOLVED,
}


@dataclass(frozen=True, slots=True)
class Dispatch:
    id: int
    ticket_id: int
    agency: str
    status: DispatchStatus
    dispatched_at: datetime
    dispatched_by: str
    ack_deadline: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    responder: str | None = None  # username of the assigned responder
    responding_at: datetime | None = None
    processing_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_note: str | None = None
    cancelled_at: datetime | None = None
    escalation: Escalation = Escalation.NONE
    revision: int = 0

    @property
    def open(self) -> bool:
        return self.status in _OPEN


@dataclass(frozen=True, slots=True)
class DispatchStep:
    """One transition, as the timeline shows it: ``kind`` is e.g. ``dispatch.acknowledged``."""

    dispatch: Dispatch
    kind: str
    actor: str
    at: datetime
    data: dict[str, Any]


def new_dispatch(ticket_id: int, agency: str, *, by: str, at: datetime, ack_timeout: timedelta) -> Dispatch:
    return Dispatch(0, ticket_id, agency, DispatchStatus.DISPATCHED, at, by, at + ack_timeout)


def acknowledge(d: Dispatch, *, by: str, at: datetime) -> DispatchStep:
    _expect(d, DispatchStatus.DISPATCHED, DispatchStatus.ACKNOWLEDGED)
    return _step(replace(d, status=DispatchStatus.ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=by),
                 "acknowledged", by, at)


def assign(d: Dispatch, responder: str, *, by: str, at: datetime) -> DispatchStep:
    """The agency officer names the responder; allowed until the work is done (a handover is a re-assign)."""
    if d.status not in (DispatchStatus.ACKNOWLEDGED, DispatchStatus.RESPONDING, DispatchStatus.PROCESSING):
        raise InvalidRequest(f"a responder is assigned after acknowledging; this dispatch is {d.status.value}")
    return _step(replace(d, responder=responder), "assigned", by, at, responder=responder)


def advance(d: Dispatch, to: DispatchStatus, *, by: str, at: datetime, note: str | None = None,
            position: tuple[float, float] | None = None) -> DispatchStep:
    """The responder's big buttons: berangkat (responding) → menangani (processing) → selesai (resolved)."""
    if to not in (DispatchStatus.RESPONDING, DispatchStatus.PROCESSING, DispatchStatus.RESOLVED):
        raise InvalidRequest(f"a responder cannot set {to.value}")
    _expect(d, _ORDER[_ORDER.index(to) - 1], to)
    if to is DispatchStatus.RESOLVED and not (note or "").strip():
        raise InvalidRequest("a resolution needs a closing note / catatan penyelesaian wajib diisi")
    extra: dict[str, Any] = {}
    if position is not None:
        extra["position"] = {"lat": position[0], "lon": position[1]}
    if to is DispatchStatus.RESPONDING:
        moved = replace(d, status=to, responding_at=at)
    elif to is DispatchStatus.PROCESSING:
        moved = replace(d, status=to, processing_at=at)
    else:
        extra["note"] = (note or "").strip()
        moved = replace(d, status=to, resolved_at=at, resolution_note=extra["note"])
    return _step(moved, to.value, by, at, **extra)


def cancel(d: Dispatch, *, by: str, at: datetime, reason: str) -> DispatchStep:
    if not d.open:
        raise InvalidRequest(f"dispatch to {d.agency} is already {d.status.value}")
    if not reason.strip():
        raise InvalidRequest("say why the dispatch is cancelled")
    return _step(replace(d, status=DispatchStatus.CANCELLED, cancelled_at=at), "cancelled", by, at,
                 reason=reason.strip())


def escalation_due(d: Dispatch, now: datetime) -> Escalation:
    """How far an unacknowledged dispatch should have escalated by ``now`` (one more ack timeout each)."""
    if d.status is not DispatchStatus.DISPATCHED or now < d.ack_deadline:
        return Escalation.NONE
    window = d.ack_deadline - d.dispatched_at
    return Escalation.ALTERNATE if now >= d.ack_deadline + window else Escalation.SUPERVISOR


def escalate(d: Dispatch, level: Escalation, *, at: datetime) -> DispatchStep | None:
    """The step to record when ``level`` is new for this dispatch, else None (escalations never repeat)."""
    if level <= d.escalation:
        return None
    return _step(replace(d, escalation=level), f"escalated.{level.name.lower()}", "ec112", at,
                 overdue_seconds=round((at - d.ack_deadline).total_seconds()))


def ticket_status(classified: TicketStatus, dispatches: Iterable[Dispatch]) -> TicketStatus:
    """The ticket follows its least advanced open dispatch; all resolved → resolved; none → as classified."""
    live = [d for d in dispatches if d.status is not DispatchStatus.CANCELLED]
    if not live:
        return classified
    return _TICKET_STATUS[min((d.status for d in live), key=_ORDER.index)]


def can_dispatch(status: TicketStatus) -> bool:
    """Only a real emergency is dispatched, and more agencies may join until the ticket is closed."""
    return status in (TicketStatus.CLASSIFIED, TicketStatus.DISPATCHED, TicketStatus.ACKNOWLEDGED,
                      TicketStatus.RESPONDING, TicketStatus.PROCESSING, TicketStatus.RESOLVED)


def check_new_agencies(existing: Sequence[Dispatch], agencies: Sequence[str]) -> None:
    if not agencies:
        raise InvalidRequest("choose at least one agency")
    open_for = {d.agency for d in existing if d.open}
    twice = sorted(set(agencies) & open_for)
    if twice:
        raise InvalidRequest(f"already dispatched and still open: {', '.join(twice)}")


def _expect(d: Dispatch, current: DispatchStatus, to: DispatchStatus) -> None:
    if d.status is not current:
        raise InvalidRequest(
            f"dispatch to {d.agency} is {d.status.value}: it cannot go to {to.value} "
            f"(only from {current.value})")


def _step(d: Dispatch, name: str, actor: str, at: datetime, **data: Any) -> DispatchStep:
    return DispatchStep(d, f"dispatch.{name}", actor, at, {"agency": d.agency, "dispatch_id": d.id, **data})
