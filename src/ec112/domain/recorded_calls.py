"""What Asterisk's own records say about a 112 call, and how that fills a ticket (the backfill's rules).

A call leaves lines in two files: its CDR (written when the call ends: arrival, end, caller) and app_queue's
queue_log (ENTERQUEUE, CONNECT with the call taker, ABANDON …). The adapter (``ec112.records``) turns each
line into a partial :class:`RecordedCall`; :func:`merge` joins the parts of one call, whatever order they
were read in; :func:`reconcile` fills a ticket with what the live path (AGI, AMI) missed, by the same
outcome rule as the live transitions (``domain.tickets``). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from ec112.domain.tickets import Ticket, outcome_of

# The live path's end time comes from the Hangup event, Asterisk's own clock: the CDR says the same to
# the millisecond. A larger gap means the ticket was closed by a resync at the time ec112 looked, so
# Asterisk's record is the truer one.
END_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class FilePosition:
    """How far a record file has been read: the file's identity (so a rotated or truncated file is
    noticed) and a byte offset. Opaque to everyone but the reader that made it."""

    identity: str
    offset: int


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One call as Asterisk recorded it; every field but ``linkedid`` may still be unknown.

    ``linkedid`` is the citizen's channel uniqueid, which is the call's Linkedid (the ticket identity)
    and app_queue's callid. ``emergency`` says a record placed it in the 112 context or queue.
    """

    linkedid: str
    emergency: bool = False
    channel: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    arrived_at: datetime | None = None  # CDR start (the channel was created)
    ended_at: datetime | None = None  # CDR end (the citizen hung up, or was hung up on)
    queued_at: datetime | None = None  # queue_log ENTERQUEUE
    answered_at: datetime | None = None  # queue_log CONNECT
    answered_by: str | None = None  # the call taker's endpoint (CONNECT's agent)
    exercise: bool = False  # the CDR's accountcode is the drill endpoint's (domain.drills)

    @property
    def complete(self) -> bool:
        """Its CDR has been read: the call is over and what the records will ever say is known."""
        return self.ended_at is not None and self.arrived_at is not None

    def latest(self) -> datetime | None:
        times = [t for t in (self.arrived_at, self.queued_at, self.answered_at, self.ended_at) if t is not None]
        return max(times, default=None)

    def normalized(self) -> RecordedCall:
        """Times in call order. queue_log has whole seconds (truncated), the CDR microseconds: an ENTERQUEUE
        stamped 12:00:05 for a call created at 12:00:05.4 happened at 12:00:05.4 at the earliest."""
        queued = _not_before(self.queued_at, self.arrived_at)
        answered = _not_before(self.answered_at, queued or self.arrived_at)
        if answered is not None and self.ended_at is not None:
            answered = min(answered, self.ended_at)
        return replace(self, queued_at=queued, answered_at=answered)


def merge(old: RecordedCall, new: RecordedCall) -> RecordedCall:
    """Both parts of one call together: first arrival, queue entry and answer; last end; known beats unknown."""
    if old.linkedid != new.linkedid:
        raise ValueError("merge: two different calls")
    answer_from = new if _earlier(new.answered_at, old.answered_at) else old
    return RecordedCall(
        linkedid=old.linkedid,
        emergency=old.emergency or new.emergency,
        channel=old.channel or new.channel,
        caller_number=old.caller_number or new.caller_number,
        caller_name=old.caller_name or new.caller_name,
        arrived_at=_first(old.arrived_at, new.arrived_at),
        ended_at=_last(old.ended_at, new.ended_at),
        queued_at=_first(old.queued_at, new.queued_at),
        answered_at=answer_from.answered_at,
        answered_by=answer_from.answered_by,
        exercise=old.exercise or new.exercise,
    )


def merge_all(parts: list[RecordedCall]) -> dict[str, RecordedCall]:
    """Parts of many calls → one merged record per linkedid (in first-seen order)."""
    merged: dict[str, RecordedCall] = {}
    for part in parts:
        known = merged.get(part.linkedid)
        merged[part.linkedid] = part if known is None else merge(known, part)
    return merged


def reconcile(ticket: Ticket, recorded: RecordedCall) -> Ticket:
    """The ticket with what the live path missed filled in from Asterisk's records.

    Never overwrites what the live path saw (a queue entry, an answer and who took it), except an end
    time later than Asterisk's by more than ``END_TOLERANCE`` (a resync closes a call at the time it
    looked, not when the call ended). The outcome follows from the filled ticket by the live rule.
    Returns the ticket unchanged when the records add nothing, so running it twice changes nothing.
    """
    call = recorded.normalized()
    filled = replace(ticket, exercise=True) if call.exercise and not ticket.exercise else ticket
    if filled.answered_at is None and call.answered_at is not None and call.answered_by:
        filled = replace(filled, answered_at=call.answered_at, answered_by=call.answered_by)
    queued = filled.queued_at or call.queued_at or filled.answered_at
    if queued is not None and filled.queued_at is None:
        filled = replace(filled, queued_at=queued)
    ended_at = filled.ended_at
    if call.ended_at is not None and (ended_at is None or ended_at - call.ended_at > END_TOLERANCE):
        ended_at = call.ended_at
    if ended_at is not None:
        filled = replace(filled, ended_at=ended_at, outcome=outcome_of(filled))
    return filled


def changed_fields(before: Ticket, after: Ticket) -> list[str]:
    """Names of the call-life fields ``reconcile`` changed (for the log)."""
    return [f.name for f in fields(Ticket) if getattr(before, f.name) != getattr(after, f.name)]


def _first(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _last(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a < b)


def _not_before(value: datetime | None, floor: datetime | None) -> datetime | None:
    if value is None or floor is None:
        return value
    return max(value, floor)
