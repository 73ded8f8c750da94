"""The replay's one time axis (services/replay.py ``assemble``): order, offsets from the arrival, labels in both
languages, what the map knows at a moment (latest caller fix, each responder's last position), the recording."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib.resources import files

from ec112.domain.categories import Category, CategoryCatalogue
from ec112.domain.location import Location, LocationReport, LocationSource
from ec112.domain.recordings import Recording, RecordingState
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import CallOutcome, IntakeChannel, Ticket, TicketStatus
from ec112.services.replay import assemble
from ec112.services.replay_labels import EVENTS as LABELS

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ticket(**changes: object) -> Ticket:
    values: dict[str, object] = dict(
        id=7, linkedid="1764230400.7", uniqueid="1764230400.7", channel="PJSIP/trunk-00000007",
        caller_number_raw="081311112222", caller_number_e164="+6281311112222", caller_name=None, location=None,
        intake=IntakeChannel.AGI, status=TicketStatus.DISPATCHED, arrived_at=T0, queued_at=at(1),
        answered_at=at(5), answered_by="taker01", ended_at=at(95), outcome=CallOutcome.ANSWERED)
    values.update(changes)
    return Ticket(**values)  # type: ignore[arg-type]


def fix(seconds: float, lat: float, lon: float, radius: float | None, row: int = 1,
        source: LocationSource = LocationSource.PIDF_LO) -> LocationReport:
    return LocationReport(row, Location(lat, lon, radius, source, at(seconds)), at(seconds))


def dispatch_event(seconds: float, kind: str, dispatch_id: int = 3, agency: str = "damkar",
                   **data: object) -> TicketEvent:
    return TicketEvent(7, at(seconds), f"dispatch.{kind}", "someone",
                       {"agency": agency, "dispatch_id": dispatch_id, **data})


EVENTS = [
    dispatch_event(300, "responding", position={"lat": -1.25, "lon": 116.80}),
    TicketEvent(7, at(60), "classified", "taker01", {"classification": "darurat", "category": "kebakaran"}),
    dispatch_event(70, "created"),
    dispatch_event(120, "acknowledged"),
    dispatch_event(600, "processing", position={"lat": -1.2601, "lon": 116.8302}),
    dispatch_event(80, "created", dispatch_id=4, agency="ambulans"),
    dispatch_event(400, "responding", dispatch_id=4, agency="ambulans", position={"lat": -1.27, "lon": 116.81}),
]
FIXES = [fix(40, -1.2605, 116.8305, 30.0, row=2, source=LocationSource.AML), fix(0.5, -1.26, 116.83, 1500.0)]


def test_steps_are_sorted_on_one_axis_from_the_arrival() -> None:
    replay = assemble(ticket(), EVENTS, FIXES, None, None)
    assert [(s.offset_seconds, s.kind) for s in replay.steps] == [
        (0.0, "arrived"), (0.5, "location"), (1.0, "queued"), (5.0, "answered"), (40.0, "location"),
        (60.0, "classified"), (70.0, "dispatch.created"), (80.0, "dispatch.created"), (95.0, "ended"),
        (120.0, "dispatch.acknowledged"), (300.0, "dispatch.responding"), (400.0, "dispatch.responding"),
        (600.0, "dispatch.processing")]
    assert (replay.start, replay.end, replay.duration_seconds) == (T0, at(600), 600.0)
    assert replay.recording is None


def test_labels_come_in_bahasa_indonesia_and_english_with_what_matters() -> None:
    steps = {s.kind + str(s.offset_seconds): s for s in assemble(ticket(), EVENTS, FIXES, None, None).steps}
    assert (steps["classified60.0"].label_id, steps["classified60.0"].label_en) == (
        "Diklasifikasikan · Darurat · kebakaran", "Classified · Emergency · kebakaran")
    catalogue = CategoryCatalogue([Category("kebakaran", "Kebakaran", "Fire")])
    named = assemble(ticket(), EVENTS, FIXES, None, None, catalogue).steps
    assert [(s.label_id, s.label_en) for s in named if s.kind == "classified"] == [
        ("Diklasifikasikan · Darurat · Kebakaran", "Classified · Emergency · Fire")]
    assert steps["dispatch.created80.0"].label_id == "Dikirim ke instansi · ambulans"
    assert steps["location40.0"].label_en == "Location received · handset (AML) · ±30 m"
    assert steps["location0.5"].label_id == "Lokasi diterima · jaringan (PIDF-LO) · ±1500 m"
    assert steps["answered5.0"].label_id == "Dijawab petugas · taker01"


def test_every_timeline_kind_of_the_ticket_page_has_the_same_words_in_the_replay() -> None:
    macros = (files("ec112") / "web" / "templates" / "tickets_macros.html").read_text(encoding="utf-8")
    block = macros[macros.index("macro event_label"):macros.index("macro location_source")]
    named = dict(re.findall(r'kind == "([^"]+)" -%\}\{\{ _\("([^"]+)"\)', block))
    assert len(named) > 20
    assert {kind: LABELS[kind][1] for kind in named} == named


def test_fixes_and_responder_positions_carry_where() -> None:
    steps = assemble(ticket(), EVENTS, FIXES, None, None).steps
    located = [(s.lat, s.lon, s.radius_m) for s in steps if s.lat is not None]
    assert located == [(-1.26, 116.83, 1500.0), (-1.2605, 116.8305, 30.0), (-1.25, 116.80, None),
                       (-1.27, 116.81, None), (-1.2601, 116.8302, None)]
    ack = next(s for s in steps if s.kind == "dispatch.acknowledged")
    assert (ack.lat, ack.dispatch_id, ack.agency) == (None, 3, "damkar")


def test_what_the_map_knows_at_a_moment() -> None:
    replay = assemble(ticket(), EVENTS, FIXES, None, None)
    assert replay.known_at(0) == (None, {})
    first, responders = replay.known_at(39.9)
    assert (first and first.radius_m, responders) == (1500.0, {})
    latest, responders = replay.known_at(450)
    assert latest is not None
    assert latest.radius_m == 30.0
    assert {k: (v.lat, v.lon) for k, v in responders.items()} == {3: (-1.25, 116.80), 4: (-1.27, 116.81)}
    _, responders = replay.known_at(600)
    assert (responders[3].lat, responders[3].kind) == (-1.2601, "dispatch.processing")


def test_a_ticket_with_no_fixes_and_no_events() -> None:
    replay = assemble(ticket(queued_at=None, answered_at=None, answered_by=None, ended_at=at(12)), [], [], None, None)
    assert [(s.offset_seconds, s.kind) for s in replay.steps] == [(0.0, "arrived"), (12.0, "ended")]
    assert replay.known_at(12) == (None, {})


def test_the_ticket_location_stands_in_when_no_report_was_stored() -> None:
    loc = Location(-1.3, 116.9, 50.0, LocationSource.PIDF_LO, at(-2))  # stamped by the network before arrival
    replay = assemble(ticket(location=loc), [], [], None, None)
    placed = [s for s in replay.steps if s.kind == "location"]
    assert [(s.offset_seconds, s.lat) for s in placed] == [(0.0, -1.3)]


def test_recording_sets_the_end_and_only_a_playable_one_has_a_url() -> None:
    sealed = Recording(7, "1764230400.7", "/var/rec/1764230400.7.wav", RecordingState.SEALED, at(2),
                       ended_at=at(95), duration_seconds=700.0)
    replay = assemble(ticket(), EVENTS, FIXES, sealed, "/api/tickets/112-261127-00007/recording")
    assert replay.recording is not None
    assert (replay.recording.url, replay.recording.offset_seconds, replay.duration_seconds) == (
        "/api/tickets/112-261127-00007/recording", 2.0, 702.0)
    assert [s.offset_seconds for s in replay.steps if s.kind == "recording.started"] == [2.0]
    missing = Recording(7, "1764230400.7", "/var/rec/x.wav", RecordingState.MISSING, at(2))
    gone = assemble(ticket(), EVENTS, FIXES, missing, "/api/tickets/112-261127-00007/recording").recording
    assert gone is not None
    assert (gone.url, gone.state) == (None, "missing")
