"""Callback tasks: a citizen whose call ended before a call taker could help is called back (pure).

Why a call needs a callback (``callback_reason``):

- ``abandoned``: hung up while waiting in the queue; ``hung_up_in_intake``: hung up before reaching it;
- ``silent``: a call the taker marked as a silent call (the caller may not be able to speak);
- ``dropped``: answered, then ended *by the citizen's side* while the ticket was still NEW (not yet classified).
  A call the taker ended herself, or one already classified, needs no callback; a dropped task whose ticket
  gets classified meanwhile (the taker knew enough after all) is closed.

States::

    open ──take──▶ taken ──call──▶ calling ──dial ended──▶ done (reached, no_answer, busy, wrong_number, failed)
     ▲  ◀─escalate──┘                 └──taker's own phone not answered / she cancelled──▶ taken
     └─ escalated: the deadline passed before anyone called back: the supervisor is alerted and the task is
        open to anyone again (``escalated_at`` set, status ``open``)
    open / taken ──the same number calls 112 again──▶ closed (linked to the new ticket)

A taker may set the outcome by hand (``set_outcome``), e.g. "wrong number" after talking to whoever answered.
Every step is a ``CallbackStep``: the task as it now is, its timeline kind (``callback.*``) and what the ticket's
timeline shows of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ec112.domain.errors import Conflict, InvalidRequest
from ec112.domain.events import DomainEvent
from ec112.domain.tickets import CallOutcome, Ticket, TicketStatus

DIALLABLE = re.compile(r"^\+?[0-9]{3,20}$")  # what the dialplan accepts too (extensions.conf, ec112-callback)


class CallbackReason(StrEnum):
    ABANDONED = "abandoned"
    HUNG_UP_IN_INTAKE = "hung_up_in_intake"
    SILENT = "silent"
    DROPPED = "dropped"


class CallbackStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    CALLING = "calling"
    DONE = "done"
    CLOSED = "closed"  # not needed any more: the number called again, or the dropped call's ticket was classified


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    FAILED = "failed"


ACTIVE = frozenset({CallbackStatus.OPEN, CallbackStatus.TAKEN, CallbackStatus.CALLING})
_WAITING = frozenset({CallbackStatus.OPEN, CallbackStatus.TAKEN})  # nobody is calling yet: may escalate / close
# Asterisk's DIALSTATUS → the citizen's side. CHANUNAVAIL/CONGESTION say the network could not reach the number:
# "wrong number" only when the cause says so (1 unallocated, 28 invalid format), else "failed" (the taker can
# still set "wrong number" by hand after trying).
_DIAL_OUTCOME = {"ANSWER": CallbackOutcome.REACHED, "NOANSWER": CallbackOutcome.NO_ANSWER,
                 "BUSY": CallbackOutcome.BUSY, "CHANUNAVAIL": CallbackOutcome.FAILED,
                 "CONGESTION": CallbackOutcome.FAILED}
_WRONG_NUMBER_CAUSES = frozenset({1, 28})


@dataclass(frozen=True, slots=True)
class CallbackTask:
    id: int  # 0 until stored
    ticket_id: int
    number: str  # the number to call back (E.164 when known)
    reason: CallbackReason
    status: CallbackStatus
    created_at: datetime
    deadline: datetime
    taken_by: str | None = None  # the call taker's endpoint
    taken_at: datetime | None = None
    calling_at: datetime | None = None
    attempts: int = 0
    outcome: CallbackOutcome | None = None
    outcome_by: str | None = None  # "asterisk" or the taker who set it by hand
    done_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    linked_ticket_id: int | None = None  # the new call that closed it
    revision: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def seconds_left(self, now: datetime) -> float:
        return (self.deadline - now).total_seconds()


@dataclass(frozen=True, slots=True)
class CallbackStep:
    """A change to a task: the task after it, who made it, and what the ticket's timeline shows."""

    task: CallbackTask
    kind: str  # callback.created | callback.taken | callback.calling | callback.call_failed | callback.outcome
    #            | callback.escalated | callback.closed
    actor: str
    at: datetime
    data: dict[str, Any]


# --- which calls need a callback -------------------------------------------------------------------------------

def callback_reason(ticket: Ticket, *, silent: bool = False, ended_by_taker: bool = False) -> CallbackReason | None:
    """Why this ended call needs a callback, or None. Needs the citizen's number, else nobody can call back."""
    if ticket.ended_at is None or not callback_number(ticket):
        return None
    if silent:
        return CallbackReason.SILENT
    if ticket.outcome is CallOutcome.ABANDONED:
        return CallbackReason.ABANDONED
    if ticket.outcome is CallOutcome.HUNG_UP_IN_INTAKE:
        return CallbackReason.HUNG_UP_IN_INTAKE
    if ticket.outcome is CallOutcome.ANSWERED and ticket.status is TicketStatus.NEW and not ended_by_taker:
        return CallbackReason.DROPPED
    return None


def callback_number(ticket: Ticket) -> str | None:
    """The number to dial: E.164 when known, else the raw number if it is diallable at all."""
    for number in (ticket.caller_number_e164, ticket.caller_number_raw):
        if number and DIALLABLE.fullmatch(number):
            return number
    return None


def new_task(ticket: Ticket, reason: CallbackReason, *, at: datetime, deadline_seconds: int) -> CallbackStep:
    number = callback_number(ticket)
    if number is None:
        raise InvalidRequest("the call has no number to call back")
    task = CallbackTask(0, ticket.id, number, reason, CallbackStatus.OPEN, at, at + timedelta(seconds=deadline_seconds))
    return CallbackStep(task, "callback.created", "ec112", at,
                        {"reason": reason.value, "deadline": task.deadline.isoformat()})


# --- transitions ---------------------------------------------------------------------------------------------

def take(task: CallbackTask, *, by: str, at: datetime) -> CallbackStep | None:
    """``by`` (a taker's endpoint) takes the task; None when she has it already."""
    if task.status is CallbackStatus.TAKEN and task.taken_by == by:
        return None
    if task.status is not CallbackStatus.OPEN:
        if task.status in (CallbackStatus.TAKEN, CallbackStatus.CALLING):
            raise Conflict(f"callback already taken by {task.taken_by} / sudah diambil {task.taken_by}")
        raise InvalidRequest(f"callback is {task.status.value}: nothing to take")
    changed = replace(task, status=CallbackStatus.TAKEN, taken_by=by, taken_at=at)
    return CallbackStep(changed, "callback.taken", by, at, {"by": by})


def start_call(task: CallbackTask, *, by: str, at: datetime) -> CallbackStep:
    """``by`` calls the citizen back (taking the task first when it is open)."""
    if task.status is CallbackStatus.OPEN:
        task = replace(task, status=CallbackStatus.TAKEN, taken_by=by, taken_at=at)
    if task.status is CallbackStatus.CALLING:
        raise Conflict("a callback call is already under way / panggilan balik sedang berjalan")
    if task.status is not CallbackStatus.TAKEN:
        raise InvalidRequest(f"callback is {task.status.value}: it cannot be called")
    if task.taken_by != by:
        raise Conflict(f"callback taken by {task.taken_by} / sudah diambil {task.taken_by}")
    changed = replace(task, status=CallbackStatus.CALLING, calling_at=at, attempts=task.attempts + 1)
    return CallbackStep(changed, "callback.calling", by, at, {"by": by, "attempt": changed.attempts})


def dial_ended(task: CallbackTask, *, dial_status: str, cause: int | None, at: datetime) -> CallbackStep | None:
    """Asterisk's report of the citizen's leg; None for a stale report (the task is not being called)."""
    if task.status is not CallbackStatus.CALLING:
        return None
    outcome = _DIAL_OUTCOME.get(dial_status.upper())
    if outcome is None:  # CANCEL (the taker hung up first), or anything unknown: nothing was learnt of the citizen
        return call_failed(task, reason=dial_status.lower() or "unknown", at=at)
    if outcome is CallbackOutcome.FAILED and cause in _WRONG_NUMBER_CAUSES:
        outcome = CallbackOutcome.WRONG_NUMBER
    changed = replace(task, status=CallbackStatus.DONE, outcome=outcome, outcome_by="asterisk", done_at=at)
    return CallbackStep(changed, "callback.outcome", "asterisk", at,
                        {"outcome": outcome.value, "dial_status": dial_status, "cause": cause, "by": task.taken_by})


def call_failed(task: CallbackTask, *, reason: str, at: datetime) -> CallbackStep | None:
    """The call never reached the citizen (the taker's phone did not answer, she cancelled): hers to retry."""
    if task.status is not CallbackStatus.CALLING:
        return None
    changed = replace(task, status=CallbackStatus.TAKEN)
    return CallbackStep(changed, "callback.call_failed", "asterisk", at, {"reason": reason, "by": task.taken_by})


def set_outcome(task: CallbackTask, outcome: CallbackOutcome, *, by: str, at: datetime) -> CallbackStep:
    """The taker says how it went (Asterisk cannot tell a wrong number that answered)."""
    if task.status is CallbackStatus.CLOSED:
        raise InvalidRequest("callback is closed: the citizen called again")
    if task.status is CallbackStatus.OPEN:
        raise InvalidRequest("take the callback first / ambil dulu")
    if task.taken_by != by and task.status is not CallbackStatus.DONE:
        raise Conflict(f"callback taken by {task.taken_by} / sudah diambil {task.taken_by}")
    changed = replace(task, status=CallbackStatus.DONE, outcome=outcome, outcome_by=by, done_at=at)
    data: dict[str, Any] = {"outcome": outcome.value, "by": by, "manual": True}
    if task.outcome is not None:
        data["previous"] = task.outcome.value
    return CallbackStep(changed, "callback.outcome", by, at, data)


def escalation_due(task: CallbackTask, now: datetime) -> bool:
    return task.status in _WAITING and task.escalated_at is None and now >= task.deadline


def escalate(task: CallbackTask, *, at: datetime) -> CallbackStep | None:
    """Nobody called back in time: alert the supervisor, and anyone may take it now."""
    if not escalation_due(task, at):
        return None
    changed = replace(task, status=CallbackStatus.OPEN, escalated_at=at, taken_by=None, taken_at=None)
    return CallbackStep(changed, "callback.escalated", "ec112", at,
                        {"deadline": task.deadline.isoformat(), "was_taken_by": task.taken_by})


def close_by_call(task: CallbackTask, new_ticket_id: int, *, at: datetime) -> CallbackStep | None:
    """The citizen called 112 again: that call is the contact; link it. A callback under way is left alone."""
    if task.status not in _WAITING or new_ticket_id == task.ticket_id:
        return None
    changed = replace(task, status=CallbackStatus.CLOSED, closed_at=at, linked_ticket_id=new_ticket_id)
    return CallbackStep(changed, "callback.closed", "ec112", at, {"reason": "new_call", "ticket_id": new_ticket_id})


def close_classified(task: CallbackTask, *, by: str, at: datetime) -> CallbackStep | None:
    """A dropped call's ticket was classified: the taker had what she needed; no callback."""
    if task.status is not CallbackStatus.OPEN or task.reason is not CallbackReason.DROPPED:
        return None
    changed = replace(task, status=CallbackStatus.CLOSED, closed_at=at)
    return CallbackStep(changed, "callback.closed", by, at, {"reason": "classified"})


# --- events on the bus -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackChanged(DomainEvent):
    """A callback task was created, taken, called, escalated, closed or got its outcome (``kind``: the step's)."""

    task: CallbackTask
    kind: str
    ticket_number: str


def offers(tasks: Sequence[CallbackTask], free_takers: Sequence[tuple[str, datetime]]) -> dict[int, str]:
    """Who each open task is offered to: the most urgent task (earliest deadline) to the call taker free the
    longest, the next one to the next, … (``free_takers``: endpoint and since when she is free). A task is offered
    to one taker at a time, so two free takers do not reach for the same citizen; anyone may still take any task
    (an escalated one is the supervisor's to hand out). A dropped call is not offered to others: the call taker
    who was talking with the citizen classifies it (which closes the task) or calls back herself."""
    offerable = (t for t in tasks if t.status is CallbackStatus.OPEN and t.reason is not CallbackReason.DROPPED)
    open_tasks = sorted(offerable, key=lambda t: (t.deadline, t.id))
    takers = [endpoint for endpoint, _since in sorted(free_takers, key=lambda free: (free[1], free[0]))]
    return {task.id: endpoint for task, endpoint in zip(open_tasks, takers, strict=False)}
