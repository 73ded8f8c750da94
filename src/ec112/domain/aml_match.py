"""Which call an Advanced Mobile Location message belongs to (pure): the caller's number and a time window.

A handset sends AML by itself, 5–20 s after the 112 call starts, sometimes after it is answered, sometimes a
second fix later; the SMS gateway or the ELS HTTPS POST tells its number. The rule:

* an AML goes to the **newest** ticket of the same E.164 number whose call **arrived at most
  ``window`` before** the AML was received (``[location] aml_match_window_seconds``, 600 s) and not more than
  ``CLOCK_SLACK`` after it (two clocks: Asterisk's and ours);
* a call that **ended more than ``ENDED_GRACE`` before** the AML no longer takes it: a fix that late belongs
  to a new call of the same phone (it is kept, and the next call picks it up), while a fix a few minutes after
  hang-up still helps the call taker who calls back or dispatches;
* an AML that matches no call is kept as *unmatched*; a call of that number that arrives at most ``window``
  after the AML was received picks up every unmatched AML of its number (``attachable``) — and, for a ticket
  opened late (the AMI tracker, the backfill), those received up to ``window`` after its arrival and not
  more than ``ENDED_GRACE`` after its end, the same rule as ``matching_ticket`` seen from the other side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.domain.location import Location
from ec112.domain.tickets import Ticket

ENDED_GRACE = timedelta(minutes=5)
CLOCK_SLACK = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class AmlDraft:
    """An AML message to store: where it came from, whose it is, and the position it carries."""

    channel: str  # "https" | "sms"
    caller_number_raw: str | None
    caller_number_e164: str | None
    location: Location
    received_at: datetime
    confidence: int | None = None
    notes: tuple[str, ...] = ()
    imei: str | None = None  # the handset's, when the message gave one (junk-call triage per IMEI)


@dataclass(frozen=True, slots=True)
class UnmatchedAml:
    """A stored AML message that is on no ticket (yet): what a supervisor sees."""

    id: int
    channel: str
    caller_number_e164: str | None
    caller_number_raw: str | None
    location: Location
    received_at: datetime
    notes: tuple[str, ...] = ()


def matching_ticket(candidates: Iterable[Ticket], received_at: datetime, *, window: timedelta) -> Ticket | None:
    """The ticket an AML received at ``received_at`` belongs to, among the tickets of its number; or None."""
    fitting = [t for t in candidates if received_at - window <= t.arrived_at <= received_at + CLOCK_SLACK
               and (t.ended_at is None or t.ended_at >= received_at - ENDED_GRACE)]
    return max(fitting, key=lambda t: (t.arrived_at, t.id), default=None)


def attachable(waiting: Iterable[UnmatchedAml], ticket: Ticket, *, window: timedelta) -> list[UnmatchedAml]:
    """The unmatched AML messages a newly opened ticket takes: same number, received at most ``window`` before
    its call arrived, or after it while the call could still have matched them. Oldest first."""
    if ticket.caller_number_e164 is None:
        return []
    found = [a for a in waiting if a.caller_number_e164 == ticket.caller_number_e164
             and ticket.arrived_at - window <= a.received_at <= ticket.arrived_at + window
             and (ticket.ended_at is None or a.received_at <= ticket.ended_at + ENDED_GRACE)]
    return sorted(found, key=lambda a: (a.received_at, a.id))
