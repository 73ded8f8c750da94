"""Every location of a ticket on SQLite and PostgreSQL, through the LocationService as the daemon wires it:
the intake's location is the first report, the best one becomes the ticket's location, references are
fetched in the background, civic addresses placed or kept, AML matched by number and window or kept."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.locations import SqlLocationRepository
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.events import ASTERISK, DomainEvent, TicketLocated, TicketOpened
from ec112.domain.geography import Area, AreaLevel, Jurisdiction, Place
from ec112.domain.location import Location, LocationSource, UnlocatedKind, UnlocatedStatus
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered, ended
from ec112.services.locations import LocationService

NUMBER = "+6281234567890"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Bus:
    events: list[DomainEvent] = field(default_factory=list)

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def publish_nowait(self, event: DomainEvent) -> None:
        self.events.append(event)

    def located(self) -> list[TicketLocated]:
        return [e for e in self.events if isinstance(e, TicketLocated)]


@dataclass(frozen=True)
class Reading:
    location: Location
    confidence_pct: float | None = 68.0
    notes: tuple[str, ...] = ()


def network(at: datetime = NOW) -> Location:
    return Location(-1.30, 116.70, 2000.0, LocationSource.PIDF_LO, at, "Cell")


def aml(at: datetime = NOW, lat: float = -1.25) -> Location:
    return Location(lat, 116.83, 12.0, LocationSource.AML, at, "GPS")


def service(engine: AsyncEngine, bus: Bus, **ports: object) -> LocationService:
    return LocationService(SqlLocationRepository(engine), SqlTicketRepository(engine), default_region="ID",
                           match_window=timedelta(seconds=600), reference_timeout=0.2, bus=bus,
                           **ports)  # type: ignore[arg-type]


async def open_call(engine: AsyncEngine, linkedid: str, *, ago: float = 20, number: str | None = NUMBER,
                    location: Location | None = None) -> Ticket:
    ticket, _ = await SqlTicketRepository(engine).open(NewCall(
        linkedid, linkedid, "PJSIP/trunk-1", number and "0" + number[3:], number, None,
        NOW - timedelta(seconds=ago), IntakeChannel.AGI, location))
    return ticket


async def test_the_intake_location_is_the_first_report_and_a_better_one_becomes_the_ticket_s(
        engine: AsyncEngine) -> None:
    bus = Bus()
    locations = service(engine, bus)
    ticket = await open_call(engine, "c1", location=network(NOW - timedelta(seconds=20)))
    first = await locations.ticket_locations(ticket.id)
    assert [r.location.source for r in first.reports] == [LocationSource.PIDF_LO]
    assert first.best == network(NOW - timedelta(seconds=20))

    report = await locations.add(ticket.id, aml(), actor="aml-https")
    seen = await locations.ticket_locations(ticket.id)
    assert [r.id for r in seen.reports] == [report.id, first.reports[0].id]  # newest first
    assert seen.best == aml()
    stored = await SqlTicketRepository(engine).get(ticket.id)
    assert stored is not None
    assert stored.location is not None
    assert (stored.location.source, stored.location.lat, stored.location.radius_m) == (LocationSource.AML, -1.25, 12.0)
    [event] = bus.located()
    assert event.report == report
    assert event.count == 2
    assert event.ticket.location == aml()


async def test_the_call_s_life_saved_from_a_stale_copy_does_not_undo_a_later_location(engine: AsyncEngine) -> None:
    locations = service(engine, Bus())
    ticket = await open_call(engine, "c2", location=network())
    await locations.add(ticket.id, aml(), actor="aml-https")
    repo = SqlTicketRepository(engine)
    await repo.save(ended(answered(ticket, "taker01", NOW), NOW))  # ``ticket`` still holds the network's location
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert stored.location is not None
    assert stored.location.source is LocationSource.AML
    assert stored.ended_at is not None


async def test_a_location_saved_on_a_ticket_another_door_opened_is_a_report_too(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket = await open_call(engine, "c3")
    await repo.save(replace(ticket, location=network()))
    reports = await SqlLocationRepository(engine).reports(ticket.id)
    assert [r.location.source for r in reports] == [LocationSource.PIDF_LO]


async def test_aml_matches_the_live_call_of_its_number(engine: AsyncEngine) -> None:
    locations = service(engine, Bus())
    other = await open_call(engine, "other", number="+6281111111111")
    ticket = await open_call(engine, "c4")
    assert await locations.receive_aml(Reading(aml()), channel="https", received_at=NOW,
                                       caller_number="081234567890") == ticket.id
    assert (await locations.ticket_locations(ticket.id)).best == aml()
    assert (await locations.ticket_locations(other.id)).best is None
    assert await locations.unmatched_aml() == []


async def test_an_aml_for_no_call_is_kept_then_the_call_of_that_number_takes_it(engine: AsyncEngine) -> None:
    locations = service(engine, Bus())
    await open_call(engine, "long-ago", ago=3600)
    assert await locations.receive_aml(Reading(aml()), channel="sms", received_at=NOW - timedelta(seconds=30),
                                       caller_number=NUMBER) is None
    assert await locations.receive_aml(Reading(aml()), channel="sms", received_at=NOW,
                                       caller_number="anonymous") is None
    waiting = await locations.unmatched_aml()
    assert [(a.channel, a.caller_number_e164) for a in waiting] == [("sms", None), ("sms", NUMBER)]
    ticket = await open_call(engine, "c5", ago=0)
    event = TicketOpened(at=NOW, actor=ASTERISK, ticket=ticket)
    await locations.on_ticket_opened(event)
    await locations.on_ticket_opened(event)  # twice (a second door): attached once
    await locations.drain()
    seen = await locations.ticket_locations(ticket.id)
    assert [r.location.source for r in seen.reports] == [LocationSource.AML]
    assert [a.caller_number_e164 for a in await locations.unmatched_aml()] == [None]


async def test_earlier_locations_of_the_number_are_hints_with_their_age_never_the_best(engine: AsyncEngine) -> None:
    locations = service(engine, Bus())
    before = await open_call(engine, "yesterday", ago=86_400, location=network(NOW - timedelta(days=1)))
    await open_call(engine, "stranger", ago=3600, number="+6281111111111", location=network())
    ticket = await open_call(engine, "c6")
    seen = await locations.ticket_locations(ticket.id)
    assert seen.best is None
    assert [(h.ticket_id, round(h.age_seconds / 3600)) for h in seen.hints] == [(before.id, 24)]


async def test_a_reference_is_kept_pending_then_resolved_or_failed_with_its_reason(engine: AsyncEngine) -> None:
    bus = Bus()
    fetched = Location(-1.26, 116.81, 30.0, LocationSource.PIDF_LO, NOW, "Cell")

    async def fetch(uri: str) -> Location:
        if "dead" in uri:
            raise _Refused("http_404")
        if "slow" in uri:
            await asyncio.sleep(5)
        return fetched

    locations = service(engine, bus, fetch_reference=fetch)
    ticket = await open_call(engine, "c7")
    for uri in ("https://lis.example/ok", "https://lis.example/dead", "https://lis.example/slow"):
        await locations.add_reference(ticket.id, uri, actor=ASTERISK)
    # add_reference returned at once: the slow one is still being fetched
    pending = [u for u in (await locations.ticket_locations(ticket.id)).unlocated if u.text.endswith("slow")]
    assert [u.status for u in pending] == [UnlocatedStatus.PENDING]
    async with asyncio.timeout(3):
        await locations.drain()
    seen = await locations.ticket_locations(ticket.id)
    assert {(u.text.rsplit("/", 1)[1], u.status, u.reason) for u in seen.unlocated} == {
        ("ok", UnlocatedStatus.RESOLVED, None), ("dead", UnlocatedStatus.FAILED, "http_404"),
        ("slow", UnlocatedStatus.FAILED, "timeout")}
    assert seen.best == replace(fetched, source=LocationSource.PIDF_LO_REF)
    assert {e.unlocated.reason for e in bus.located() if e.unlocated is not None} >= {"http_404", "timeout"}


class _Refused(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def test_a_civic_address_is_placed_by_the_gazetteer_or_kept_as_text(engine: AsyncEngine) -> None:
    place = Place("Kelurahan Gunung Seteleng", "kelurahan", -1.26, 116.72, 1500.0)
    locations = service(engine, Bus(), place_civic=lambda fields: place if fields.get("A4") == "Penajam" else None)
    ticket = await open_call(engine, "c8")
    await locations.add_civic(ticket.id, "Jl. Provinsi, Penajam", {"A4": "Penajam"}, actor=ASTERISK)
    await locations.add_civic(ticket.id, "Jl. Entah", {"A4": "Nowhere"}, actor=ASTERISK)
    seen = await locations.ticket_locations(ticket.id)
    assert seen.best is not None
    assert (seen.best.source, seen.best.label, seen.best.radius_m) == (LocationSource.CIVIC, "Jl. Provinsi, Penajam",
                                                                        1500.0)
    assert [(u.kind, u.status, u.reason) for u in seen.unlocated] == [
        (UnlocatedKind.CIVIC, UnlocatedStatus.FAILED, "not_in_gazetteer")]


async def test_jurisdiction_of_the_best_location_when_the_geography_is_wired(engine: AsyncEngine) -> None:
    where = Jurisdiction(True, Area("64.09", "Penajam Paser Utara", AreaLevel.KABUPATEN), None, None)
    wired = service(engine, Bus(), locate=lambda lat, lon: where)
    ticket = await open_call(engine, "c9", location=network())
    assert (await wired.ticket_locations(ticket.id)).jurisdiction == where
    assert (await service(engine, Bus()).ticket_locations(ticket.id)).jurisdiction is None
