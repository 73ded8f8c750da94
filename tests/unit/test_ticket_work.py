"""Classifying a call: what a call taker may record, and what the ticket becomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ec112.domain.categories import Category, CategoryCatalogue
from ec112.domain.errors import InvalidRequest
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import MAX_ADDRESS, Classification, ClassificationInput, classify
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
CATS = CategoryCatalogue()


def _ticket(**kw: object) -> Ticket:
    base = {"id": 7, "linkedid": "l", "uniqueid": "l", "channel": "PJSIP/trunk-1", "caller_number_raw": "0811",
            "caller_number_e164": "+62811", "caller_name": None, "location": None, "intake": IntakeChannel.AGI,
            "status": TicketStatus.NEW, "arrived_at": T0}
    return Ticket(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "status"), [
    (Classification.EMERGENCY, TicketStatus.CLASSIFIED),
    (Classification.INFORMATION, TicketStatus.CLOSED),
    (Classification.PRANK, TicketStatus.CLOSED),
    (Classification.GHOST, TicketStatus.CLOSED),
])
def test_only_a_real_emergency_stays_open_for_dispatch(kind: Classification, status: TicketStatus) -> None:
    category = "kebakaran" if kind is Classification.EMERGENCY else None
    updated, event = classify(_ticket(), ClassificationInput(kind, category, "  Jl. Mawar 3 ", ""), by="taker02",
                              at=T0, categories=CATS)
    assert updated.status is status
    assert updated.address == "Jl. Mawar 3"  # trimmed
    assert updated.description is None  # empty means nothing written
    assert (event.kind, event.actor, event.data["classification"]) == ("classified", "taker02", kind.value)


def test_an_emergency_needs_a_known_category() -> None:
    with pytest.raises(InvalidRequest, match="category"):
        classify(_ticket(), ClassificationInput(Classification.EMERGENCY), by="t", at=T0, categories=CATS)
    with pytest.raises(InvalidRequest, match="unknown category"):
        classify(_ticket(), ClassificationInput(Classification.EMERGENCY, "alien"), by="t", at=T0, categories=CATS)


def test_too_long_text_is_refused_not_cut() -> None:
    change = ClassificationInput(Classification.INFORMATION, address="x" * (MAX_ADDRESS + 1))
    with pytest.raises(InvalidRequest, match="address"):
        classify(_ticket(), change, by="t", at=T0, categories=CATS)


def test_reclassifying_keeps_what_it_was_in_the_event() -> None:
    first, _ = classify(_ticket(), ClassificationInput(Classification.GHOST), by="taker01", at=T0, categories=CATS)
    second, event = classify(first, ClassificationInput(Classification.EMERGENCY, "kegawatdaruratan_medis"),
                             by="supervisor", at=T0, categories=CATS)
    assert second.status is TicketStatus.CLASSIFIED
    assert event.kind == "reclassified"
    assert event.data["previous"] == {"classification": "ghost", "category": None}


def test_catalogue_from_config_refuses_bad_or_duplicate_codes() -> None:
    assert "banjir" in CATS
    assert CATS.get("banjir") == Category("banjir", "Bencana alam: banjir", "Natural disaster: flood")
    with pytest.raises(ValueError, match="twice"):
        CategoryCatalogue.from_config([{"code": "a1", "label_id": "A"}, {"code": "a1", "label_id": "B"}])
    with pytest.raises(ValueError, match="a-z"):
        CategoryCatalogue.from_config([{"code": "Kebakaran!", "label_id": "K"}])


def test_query_reads_ticket_numbers_and_phone_digits() -> None:
    assert TicketQuery(text="112-261128-00042").ticket_id == 42
    assert TicketQuery(text="+62 812-3456").digits == "628123456"
    assert TicketQuery(text="banjir").digits is None
    with pytest.raises(InvalidRequest):
        TicketQuery(limit=0)
    with pytest.raises(InvalidRequest):
        TicketQuery(arrived_from=datetime(2026, 1, 1))  # naive
