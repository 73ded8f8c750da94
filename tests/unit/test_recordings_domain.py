"""The recordings' pure rules (issue 14, part A): where the dialplan wrote a call's file, who may hear it, when
retention deletes it, sealed or unreadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ec112.domain.accounts import Role, User
from ec112.domain.recordings import (
    FileFacts,
    Recording,
    RecordingState,
    candidate_paths,
    expired,
    may_replay,
    relative_path,
    sealed,
)
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

WITA = timezone(timedelta(hours=8))


def _ticket(answered_by: str | None) -> Ticket:
    return Ticket(1, "lab-1.0", "lab-1.0", "PJSIP/trunk-00000001", None, None, None, None, IntakeChannel.AGI,
                  TicketStatus.NEW, datetime(2026, 12, 2, 0, 30, tzinfo=UTC), answered_by=answered_by)


def test_the_file_is_named_after_the_linkedid_under_its_utc_day() -> None:
    just_after_midnight_wita = datetime(2026, 12, 3, 0, 10, tzinfo=WITA)  # still 2 December in UTC
    assert relative_path("ec112lab-1796.7", just_after_midnight_wita) == "2026/12/02/ec112lab-1796.7.wav"
    at_midnight = datetime(2026, 12, 3, 0, 0, 0, 200_000, tzinfo=UTC)  # Asterisk may have answered on the 2nd
    assert candidate_paths("x", at_midnight) == ("2026/12/03/x.wav", "2026/12/02/x.wav", "2026/12/04/x.wav")


def test_who_may_hear_it() -> None:
    ticket = _ticket("taker01")
    assert may_replay(User(1, "siti", "Siti", Role.CALL_TAKER, sip_endpoint="taker01"), ticket)
    assert not may_replay(User(2, "budi", "Budi", Role.CALL_TAKER, sip_endpoint="taker02"), ticket)
    assert not may_replay(User(3, "nobody", "No desk", Role.CALL_TAKER), _ticket(None))
    assert may_replay(User(4, "spv", "Spv", Role.SUPERVISOR), ticket)
    assert may_replay(User(5, "admin", "Admin", Role.ADMIN), ticket)
    assert not may_replay(User(6, "officer", "Officer", Role.AGENCY_OFFICER, sip_endpoint="taker01"), ticket)


def test_sealed_unreadable_and_expired() -> None:
    ended = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    rec = Recording(1, "lab-1.0", "2026/12/02/lab-1.0.wav", RecordingState.RECORDING, ended - timedelta(minutes=2))
    ok = sealed(rec, FileFacts(960_044, "ab" * 32, 60.0), ended)
    assert (ok.state, ok.duration_seconds, ok.ended_at) == (RecordingState.SEALED, 60.0, ended)
    assert sealed(rec, FileFacts(12, "cd" * 32, None), ended).state is RecordingState.UNREADABLE
    assert not expired(ok, ended + timedelta(days=90), 90)
    assert expired(ok, ended + timedelta(days=90, seconds=1), 90)
    assert not expired(rec, ended + timedelta(days=900), 90)  # not ended: never
