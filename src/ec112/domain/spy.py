"""Listen, whisper, barge: a supervisor joins a call taker's live call from his own phone (pure).

A session is one Originate of the supervisor's phone into the locked dialplan context ``ec112-spy`` (docs/room.md
B); Asterisk's ChanSpy does the audio. The session is *ringing* until Asterisk reports ChanSpyStart for the
channel ec112 named (``ChannelId``), *active* after; ChanSpyStop (not caused by a mode switch) or the hang-up of
his channel ends it. Sessions live in memory only: they last as long as a phone call, the audit trail keeps the
history (spy.started / spy.mode / spy.stopped), and after a restart Asterisk still has the calls (resync).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import Conflict, Forbidden, InvalidRequest
from ec112.domain.events import DomainEvent

# The call taker's channel as ChanSpy gets it; the dialplan checks the same pattern (extensions.conf ec112-spy).
TARGET_PATTERN = re.compile(r"^PJSIP/[A-Za-z0-9_.-]{1,40}-[0-9a-f]{8}$")


class SpyMode(StrEnum):
    LISTEN = "listen"  # he hears both; nobody hears him (ChanSpy qE)
    WHISPER = "whisper"  # the call taker hears him too; the caller does not (qEw)
    BARGE = "barge"  # both hear him (qEB)


class SpyState(StrEnum):
    RINGING = "ringing"  # his phone rings (Originate sent)
    ACTIVE = "active"  # ChanSpyStart: he is on the call


@dataclass(frozen=True, slots=True)
class SpySession:
    id: str  # also the Uniqueid of his channel (Originate's ChannelId)
    supervisor: str  # username
    supervisor_endpoint: str
    taker: str  # the call taker's endpoint
    taker_channel: str
    mode: SpyMode
    state: SpyState
    started_at: datetime
    ticket: str | None = None  # the call's ticket number, when it has one
    switching: bool = False  # a Redirect to another mode is under way: its ChanSpyStop does not end the session


@dataclass(frozen=True, slots=True, kw_only=True)
class SpyChanged(DomainEvent):
    """A session started (ringing), became active, changed mode or ended (``change``: started, active, mode,
    stopped). The live stream's ``spy``."""

    session: SpySession
    change: str


# --- rules ---------------------------------------------------------------------------------------------------

def parse_mode(value: str) -> SpyMode:
    try:
        return SpyMode(value)
    except ValueError:
        raise InvalidRequest(f"mode must be listen, whisper or barge, not {value!r}") from None


def may_manage(user: User) -> None:
    """Supervisors and admins (the ``agent_any`` level) may switch or end any session; call takers may not."""
    if not has_permission(user, Permission.AGENT_ANY):
        raise Forbidden(f"{user.username} may not listen to call takers")


def may_spy(user: User) -> str:
    """The supervisor's own phone, when he may join calls."""
    may_manage(user)
    if not user.sip_endpoint:
        raise Conflict(f"{user.username} has no phone (sip_endpoint) to listen from")
    return user.sip_endpoint


def check_target(channel: str) -> str:
    if not TARGET_PATTERN.fullmatch(channel):
        raise Conflict(f"not a call taker's channel: {channel!r}")
    return channel


def switch(session: SpySession, mode: SpyMode) -> SpySession:
    if session.state is not SpyState.ACTIVE:
        raise Conflict("the supervisor's phone has not answered yet")
    return replace(session, mode=mode, switching=True)
