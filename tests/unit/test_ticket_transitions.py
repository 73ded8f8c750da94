"""The call's life applied to a ticket: outcomes, wait time, idempotence, stale events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.location import Location, LocationSource
from ec112.domain.phone import normalize_caller_name, to_e164
from ec112.domain.tickets import (
    CallOutcome,
    IntakeChannel,
    Ticket,
    TicketStatus,
    answered,
    ended,
    joined_queue,
    located,
    parse_ticket_number,
    ticket_number,
)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _ticket() -> Ticket:
    return Ticket(
        id=42,
        linkedid="l1",
        uniqueid="l1",
        channel="PJSIP/trunk-1",
        caller_number_raw="081234567890",
        caller_number_e164="+6281234567890",
        caller_name=None,
        location=None,
        intake=IntakeChannel.AGI,
        status=TicketStatus.NEW,
        arrived_at=T0,
    )


def s(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def test_answered_call() -> None:
    t = ended(answered(joined_queue(_ticket(), s(1)), "taker01", s(7)), s(60))
    assert t.outcome is CallOutcome.ANSWERED
    assert t.answered_by == "taker01"
    assert t.wait_seconds == 7.0  # from arrival, as the citizen lived it
    assert t.queued_at == s(1)


def test_abandoned_in_queue_records_the_wait() -> None:
    t = ended(joined_queue(_ticket(), s(1)), s(12.5))
    assert t.outcome is CallOutcome.ABANDONED
    assert t.wait_seconds == 12.5
    assert t.answered_at is None


def test_hung_up_during_intake() -> None:
    t = ended(_ticket(), s(0.4))
    assert t.outcome is CallOutcome.HUNG_UP_IN_INTAKE


def test_repeated_and_late_events_change_nothing() -> None:
    done = ended(answered(joined_queue(_ticket(), s(1)), "taker01", s(5)), s(30))
    assert answered(done, "taker02", s(40)) == done
    assert ended(done, s(99)) == done
    assert joined_queue(done, s(50)) == done
    # a second AgentConnect (another queue pass) must not move the first answer
    once = answered(_ticket(), "taker01", s(5))
    assert answered(once, "taker09", s(9)) == once


def test_open_call_has_no_wait_yet() -> None:
    assert _ticket().wait_seconds is None


def test_newest_location_wins() -> None:
    old = Location(-6.2, 106.8, 50.0, LocationSource.PIDF_LO, s(0))
    new = Location(-6.21, 106.81, 10.0, LocationSource.AML, s(20))
    assert located(located(_ticket(), new), old).location == new


def test_ticket_number_round_trip() -> None:
    number = ticket_number("112", 42, T0)
    assert number == "112-261127-00042"
    assert parse_ticket_number(number) == 42
    assert parse_ticket_number("garbage") is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),  # carriers often drop the +
        ("anonymous", None),
        ("", None),
        (None, None),
        ("sip:+6221555123@carrier.example;user=phone", "+6221555123"),
    ],
)
def test_caller_number_to_e164(raw: str | None, e164: str | None) -> None:
    assert to_e164(raw, "ID") == e164


def test_caller_name_placeholders_are_no_name() -> None:
    assert normalize_caller_name('"Budi"') == "Budi"
    assert normalize_caller_name("unknown") is None
    assert normalize_caller_name("  ") is None
