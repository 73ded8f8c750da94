"""Who gets an incident: the agency directory, its builder and the proposal rules (ec112.routing.agencies)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.agencies import Agency, Responder
from ec112.domain.categories import Category
from ec112.domain.dispatch import DispatchStatus, cancel, new_dispatch
from ec112.domain.errors import InvalidRequest
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.routing.agencies import (
    AgencyDirectory,
    DirectoryError,
    ack_timeout_of,
    agencies_to_dispatch,
    build_agencies,
    closable,
    dispatch_options,
    dispatchable,
)

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)
DAMKAR = Agency("damkar", "Dinas Pemadam Kebakaran dan Penyelamatan", "Damkar", ("kebakaran", "pohon_tumbang"))
BPBD = Agency("bpbd", "Badan Penanggulangan Bencana Daerah", "BPBD", ("kebakaran", "banjir", "pohon_tumbang"),
              ack_timeout_seconds=120)
DLH = Agency("dlh", "Dinas Lingkungan Hidup", "DLH", ("pohon_tumbang",))
PDAM = Agency("pdam", "Perumda Air Minum", "PDAM", ("air_bersih",))
DIRECTORY = AgencyDirectory((DAMKAR, BPBD, DLH, PDAM), proposal_order={"pohon_tumbang": ("dlh", "bpbd")})
CATEGORIES = [Category("kebakaran", "Kebakaran", "Fire"), Category("banjir", "Banjir", "Flood"),
              Category("pohon_tumbang", "Pohon tumbang", "Fallen tree"), Category("air_bersih", "Air", "Water")]


def _ticket(**kw: object) -> Ticket:
    base = {"id": 7, "linkedid": "l", "uniqueid": "l", "channel": "PJSIP/trunk-1", "caller_number_raw": "0811",
            "caller_number_e164": "+62811", "caller_name": None, "location": None, "intake": IntakeChannel.AGI,
            "status": TicketStatus.CLASSIFIED, "arrived_at": T0, "classification": "darurat",
            "category": "kebakaran"}
    return Ticket(**{**base, **kw})  # type: ignore[arg-type]


# --- the directory (moved here from tests/unit/test_dispatch_rules.py with the code) ---------------------------

def test_directory_proposes_agencies_with_authority_in_order() -> None:
    directory = AgencyDirectory(
        (Agency("damkar", "Dinas Pemadam Kebakaran dan Penyelamatan", "Damkar", ("kebakaran", "hewan_liar")),
         Agency("bpbd", "Badan Penanggulangan Bencana Daerah", "BPBD", ("kebakaran", "banjir"))),
        (Responder("resp.budi", "damkar", "Budi"),))
    assert [a.code for a in directory.with_authority("kebakaran")] == ["damkar", "bpbd"]
    assert directory.with_authority("lainnya") == ()
    assert directory.unknown_categories({"kebakaran", "banjir"}) == {"hewan_liar"}
    with pytest.raises(ValueError, match="unknown agency"):
        AgencyDirectory((), (Responder("x", "nowhere", "X"),))


def test_the_category_order_goes_first_then_the_file_order() -> None:
    assert [a.code for a in DIRECTORY.with_authority("pohon_tumbang")] == ["dlh", "bpbd", "damkar"]
    assert DIRECTORY.with_authority(None) == ()


# --- the proposal rules ----------------------------------------------------------------------------------------

def test_an_agency_acknowledges_in_its_own_time_else_the_centres() -> None:
    assert ack_timeout_of(BPBD, 60 * S) == 120 * S
    assert ack_timeout_of(DAMKAR, 60 * S) == 60 * S
    assert ack_timeout_of(None, 45 * S) == 45 * S
    assert (DIRECTORY.ack_timeout_seconds(BPBD), DIRECTORY.ack_timeout_seconds(DAMKAR)) == (120, 60)


def test_a_dispatch_goes_to_known_agencies_each_once_in_the_order_asked() -> None:
    assert agencies_to_dispatch(DIRECTORY, ["bpbd", "damkar", "bpbd"]) == ("bpbd", "damkar")
    with pytest.raises(InvalidRequest, match="unknown agency: polisi, sar"):
        agencies_to_dispatch(DIRECTORY, ["damkar", "polisi", "sar"])


@pytest.mark.parametrize(("classification", "status", "expected"), [
    ("darurat", TicketStatus.CLASSIFIED, True),
    ("darurat", TicketStatus.DISPATCHED, True),  # more agencies may join
    ("darurat", TicketStatus.RESOLVED, True),
    ("darurat", TicketStatus.CLOSED, False),
    ("darurat", TicketStatus.CANCELLED, False),
    (None, TicketStatus.NEW, False),  # classify first
    ("informasi", TicketStatus.CLOSED, False),
])
def test_only_a_real_emergency_is_dispatchable_until_it_is_closed(
    classification: str | None, status: TicketStatus, expected: bool,
) -> None:
    assert dispatchable(_ticket(classification=classification, status=status)) is expected


def test_close_is_offered_once_dispatched_and_every_agency_is_done() -> None:
    ticket = _ticket(status=TicketStatus.DISPATCHED)
    sent = new_dispatch(7, "damkar", by="taker01", at=T0, ack_timeout=60 * S)
    done = replace(sent, id=2, status=DispatchStatus.RESOLVED)
    gone = cancel(replace(sent, id=3), by="spv", at=T0, reason="salah kirim").dispatch
    assert not closable(_ticket(), [])  # nothing dispatched yet
    assert not closable(ticket, [sent, done])  # damkar still open
    assert not closable(ticket, [gone])  # only cancelled ones
    assert closable(_ticket(status=TicketStatus.RESOLVED), [done, gone])
    assert not closable(_ticket(status=TicketStatus.CLOSED), [done])  # already closed


def test_the_cards_options_proposed_first_the_others_on_request() -> None:
    open_one = new_dispatch(7, "bpbd", by="taker01", at=T0, ack_timeout=60 * S)
    options = dispatch_options(_ticket(category="pohon_tumbang"), [open_one], DIRECTORY)
    assert [a.code for a in options.proposed] == ["dlh", "bpbd", "damkar"]
    assert [a.code for a in options.others] == ["pdam"]
    assert options.open_codes == {"bpbd"}
    assert (options.dispatchable, options.finished, options.closable) == (True, False, False)

    closed = dispatch_options(_ticket(status=TicketStatus.CLOSED, category=None), [], DIRECTORY)
    assert closed.proposed == ()
    assert [a.code for a in closed.others] == ["damkar", "bpbd", "dlh", "pdam"]
    assert (closed.dispatchable, closed.finished, closed.closable) == (False, True, False)


# --- building from the agencies file's rows --------------------------------------------------------------------

def test_build_makes_the_catalogue_and_the_directory() -> None:
    built = build_agencies(CATEGORIES, [DAMKAR, BPBD, DLH, PDAM], [Responder("resp.budi", "damkar", "Budi")],
                           [("pohon_tumbang", ("dlh",)), ("kebakaran", ())], default_ack_timeout_seconds=75)
    assert [a.code for a in built.directory.with_authority("pohon_tumbang")] == ["dlh", "damkar", "bpbd"]
    assert built.directory.proposal_order == {"pohon_tumbang": ("dlh",)}
    assert built.directory.ack_timeout_seconds(DAMKAR) == 75
    assert [c.code for c in built.categories.all()] == ["kebakaran", "banjir", "pohon_tumbang", "air_bersih"]
    assert built.unassigned_categories() == []


def test_build_reports_every_mistake_between_the_tables_at_once() -> None:
    with pytest.raises(DirectoryError) as caught:
        build_agencies(
            [*CATEGORIES, Category("banjir", "Banjir", "Flood")],
            [DAMKAR, replace(BPBD, categories=("kebakaran", "banjr", "kebakaran")), DAMKAR],
            [Responder("resp.budi", "damkr", "Budi")],
            [("pohon_tumbang", ("dlh", "pdam", "damkar", "damkar"))],
        )
    assert caught.value.problems == (
        "category 'banjir' is listed twice",
        "agency 'damkar' is listed twice",
        "agency 'bpbd': unknown category 'banjr' (did you mean 'banjir'?)",
        "agency 'bpbd': category 'kebakaran' is listed twice",
        "category 'pohon_tumbang': agency_order names unknown agency 'dlh'",
        "category 'pohon_tumbang': agency_order names unknown agency 'pdam' (did you mean 'damkar'?)",
        "category 'pohon_tumbang': agency_order lists 'damkar' twice",
        "responder 'resp.budi': unknown agency 'damkr' (did you mean 'damkar'?)",
    )
