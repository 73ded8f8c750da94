"""Which call an AML message belongs to (domain.aml_match): the number and the time window, on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ec112.domain.aml_match import AmlDraft, UnmatchedAml, attachable, matching_ticket
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=600)
NUMBER = "+6281234567890"


def ticket(ticket_id: int, *, arrived: float, ended: float | None = None, number: str | None = NUMBER) -> Ticket:
    return Ticket(ticket_id, f"l{ticket_id}", "u", "PJSIP/trunk", number, number, None, None, IntakeChannel.AGI,
                  TicketStatus.NEW, T0 + timedelta(seconds=arrived),
                  ended_at=None if ended is None else T0 + timedelta(seconds=ended))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_an_aml_goes_to_the_live_call_of_its_number() -> None:
    assert matching_ticket([ticket(1, arrived=0)], at(15), window=WINDOW) == ticket(1, arrived=0)


def test_the_newest_call_in_the_window_takes_it() -> None:
    first, again = ticket(1, arrived=0, ended=40), ticket(2, arrived=60)
    assert matching_ticket([again, first], at(75), window=WINDOW) == again


def test_a_call_older_than_the_window_does_not() -> None:
    assert matching_ticket([ticket(1, arrived=0)], at(601), window=WINDOW) is None
    assert matching_ticket([ticket(1, arrived=0)], at(600), window=WINDOW) == ticket(1, arrived=0)


def test_a_call_that_ended_more_than_five_minutes_before_does_not() -> None:
    assert matching_ticket([ticket(1, arrived=0, ended=100)], at(100 + 299), window=WINDOW) is not None
    assert matching_ticket([ticket(1, arrived=0, ended=100)], at(100 + 301), window=WINDOW) is None


def test_a_call_that_arrives_after_the_aml_beyond_the_clock_slack_does_not() -> None:
    assert matching_ticket([ticket(1, arrived=20)], at(0), window=WINDOW) is not None  # 20 s: two clocks
    assert matching_ticket([ticket(1, arrived=40)], at(0), window=WINDOW) is None


def waiting(aml_id: int, received: float, number: str = NUMBER) -> UnmatchedAml:
    location = Location(-1.25, 116.8, 12.0, LocationSource.AML, at(received), "GPS")
    return UnmatchedAml(aml_id, "https", number, number, location, at(received))


def test_a_new_call_takes_the_waiting_aml_of_its_number_within_the_window_oldest_first() -> None:
    found = attachable([waiting(3, 500), waiting(1, -700), waiting(2, -100), waiting(4, -50, "+6289999")],
                       ticket(9, arrived=0), window=WINDOW)
    assert [a.id for a in found] == [2, 3]


def test_a_late_opened_ticket_takes_what_it_would_have_matched_and_nothing_later() -> None:
    backfilled = ticket(9, arrived=0, ended=60)
    found = attachable([waiting(1, 30), waiting(2, 60 + 299), waiting(3, 60 + 301), waiting(4, 601)], backfilled,
                       window=WINDOW)
    assert [a.id for a in found] == [1, 2]


def test_a_call_without_a_number_takes_nothing() -> None:
    assert attachable([waiting(1, -10)], ticket(9, arrived=0, number=None), window=WINDOW) == []


def test_a_draft_keeps_what_came() -> None:
    location = Location(-1.25, 116.8, 12.0, LocationSource.AML, T0, "GPS")
    draft = AmlDraft("sms", "0812", NUMBER, location, T0, 68, ("ml",))
    assert (draft.channel, draft.confidence, draft.notes) == ("sms", 68, ("ml",))
