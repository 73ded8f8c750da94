"""Silent calls (EENA guidance): a caller who cannot speak is asked to press keys (pure).

The call taker presses "silent caller" (Penelepon diam) on the ticket of the call she is talking to; Asterisk
whispers the ``silent-call`` prompt to the caller only ("if you cannot speak, press 5 twice") while the call stays
bridged to her. The caller's digits then settle the ticket's silent state: the confirm digits → ``confirmed`` at
once; nothing within the answer window (or the call ended) → ``no_keypress``. The caller is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import Conflict, Forbidden
from ec112.domain.events import DomainEvent
from ec112.domain.tickets import Ticket

# Ticket timeline kinds (docs/caller-handling.md)
PROMPTED_KIND = "silent.prompted"
CONFIRMED_KIND = "silent.confirmed"
NO_KEYPRESS_KIND = "silent.no_keypress"
MAX_DIGITS_KEPT = 16  # what the ticket keeps of the caller's keys (shown to the taker; bounded)


class SilentState(StrEnum):
    PROMPTED = "prompted"  # the prompt was whispered; waiting for the caller's keys
    CONFIRMED = "confirmed"  # the caller pressed the confirm digits: someone is there
    NO_KEYPRESS = "no_keypress"  # no confirm digits within the window, or the call ended first

    @property
    def kind(self) -> str:
        """Its ticket timeline kind."""
        return f"silent.{self.value}"


@dataclass(frozen=True, slots=True)
class SilentCall:
    """A ticket's silent-call state (one per ticket: a new prompt starts it again)."""

    ticket_id: int
    state: SilentState
    prompted_at: datetime
    prompted_by: str  # the user who pressed the button
    deadline: datetime  # the answer window's end
    settled_at: datetime | None = None
    digits: str = ""  # the caller's keys since the prompt (confirm digits included)


def start(ticket: Ticket, *, by: User, at: datetime, window: timedelta,
          current: SilentCall | None) -> SilentCall:
    """A new prompt on ``ticket``; ``Forbidden``/``Conflict`` when this user or this call cannot have one."""
    if not may_prompt(by, ticket):
        raise Forbidden("only the call taker on this call or a supervisor may do this / "
                        "hanya penerima panggilan ini atau supervisor")
    if ticket.answered_at is None or ticket.ended_at is not None:
        raise Conflict("the call is not connected to a call taker / panggilan tidak sedang tersambung")
    if current is not None and current.state is SilentState.PROMPTED and at < current.deadline:
        raise Conflict("the caller is already being asked: wait for the keys / penelepon sedang diminta menekan tombol")
    return SilentCall(ticket.id, SilentState.PROMPTED, at, by.username, at + window)


def may_prompt(user: User, ticket: Ticket) -> bool:
    """The call taker whose phone answered this call, or a supervisor (anyone who may act for any taker)."""
    if has_permission(user, Permission.AGENT_ANY):
        return True
    return bool(user.sip_endpoint) and user.sip_endpoint == ticket.answered_by


def settle(call: SilentCall, state: SilentState, at: datetime, digits: str) -> SilentCall:
    return replace(call, state=state, settled_at=at, digits=digits[-MAX_DIGITS_KEPT:])


@dataclass(slots=True)
class DigitWatch:
    """Watches one call's keys for the confirm digits, in a row (``5 3 5 5`` confirms ``55``)."""

    confirm: str
    seen: list[str] = field(default_factory=list)

    def press(self, digit: str) -> bool:
        """One key; True once the last keys are the confirm digits."""
        self.seen.append(digit)
        del self.seen[:-MAX_DIGITS_KEPT]
        return "".join(self.seen).endswith(self.confirm)

    @property
    def digits(self) -> str:
        return "".join(self.seen)


@dataclass(frozen=True, slots=True, kw_only=True)
class SilentCallMarked(DomainEvent):
    """A ticket's silent-call state changed (prompted, confirmed, no keypress). Every silent call becomes a
    callback task: the callback part subscribes to this."""

    ticket: Ticket
    silent: SilentCall

    @property
    def state(self) -> SilentState:
        return self.silent.state
