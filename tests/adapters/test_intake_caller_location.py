"""The `intake` route with every kind of caller location Asterisk hands over (fake Asterisk, real SQLite).

A geodetic shape goes onto the ticket with it; a civic address and a location by reference go to the location
service only after EC112_TICKET is set, and nothing the service does can hold the call past the deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path

import pytest
from agi_fakes import FakeAsterisk, agi_header, channel_responder

from ec112.agi.intake_route import IntakeRoute, LocationReader
from ec112.agi.server import AgiServer
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.network_location import NetworkLocation
from ec112.location.geoloc_profile import read_geoloc_profile, reference_from_header
from ec112.services.intake import IntakeService

CALL_READ = "CHANNEL(linkedid)}|${PJSIP_HEADER(read,Geolocation)"
GEOLOC_READ = ("GEOLOC_PROFILE(format)}|${GEOLOC_PROFILE(method)}|${GEOLOC_PROFILE(confidence)}"
               "|${GEOLOC_PROFILE(location_info)")
LINKEDID = "ec112lab-1795820610.9"
CIVIC = ('civicAddress|Manual||lang="id",country="ID",A1="Kalimantan Timur",A2="Penajam Paser Utara",'
         'A3="Penajam",A4="Sotek",RD="Jl. Provinsi",HNO="Km 5"')


class FakeLocations:
    """The location service's two intake calls; records them and whether EC112_TICKET was already set."""

    def __init__(self, channel: Mapping[str, str], *, hang: bool = False, fail: bool = False) -> None:
        self.channel = channel
        self.hang = hang
        self.fail = fail
        self.calls: list[tuple[str, int, str, dict[str, str] | None, str, bool]] = []

    async def _act(self) -> None:
        if self.fail:
            raise ConnectionError("location store down")
        if self.hang:
            await asyncio.sleep(3600)

    async def add_reference(self, ticket_id: int, uri: str, *, actor: str) -> None:
        self.calls.append(("reference", ticket_id, uri, None, actor, "EC112_TICKET" in self.channel))
        await self._act()

    async def add_civic(self, ticket_id: int, text: str, fields: Mapping[str, str], *, actor: str) -> None:
        self.calls.append(("civic", ticket_id, text, dict(fields), actor, "EC112_TICKET" in self.channel))
        await self._act()


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqlTicketRepository]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    yield SqlTicketRepository(engine)
    await engine.dispose()


async def _call(repo: SqlTicketRepository, variables: dict[str, str], *, deadline: float = 3.0,
                caller_left_at_set: bool = False, reader: LocationReader = read_geoloc_profile,
                **fake: bool) -> tuple[dict[str, str], FakeLocations, float]:
    """One call; returns the channel after, the fake service, and how long Asterisk was held (header → EOF)."""
    channel = dict(variables)
    locations = FakeLocations(channel, **fake)
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112")
    route = IntakeRoute(intake, read_location=reader, deadline=deadline, locations=locations,
                        header_reference=reference_from_header)
    server = AgiServer("127.0.0.1", 0, {"intake": route}, command_timeout=5.0)
    await server.start()
    started = time.perf_counter()
    try:
        asterisk = await FakeAsterisk.connect(server.port)
        try:
            await asterisk.send(agi_header("intake"))
            answer = channel_responder(channel)
            await asterisk.serve(lambda command: b"511 Command Not Permitted on a dead channel\n"
                                 if caller_left_at_set and command.startswith("SET") else answer(command))
            held = time.perf_counter() - started
        finally:
            await asterisk.close()
    finally:
        await server.close()
    return channel, locations, held


async def test_civic_address_goes_to_the_service_after_the_ticket_variable(repo: SqlTicketRepository) -> None:
    channel, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<cid:loc@carrier.example>",
                                               GEOLOC_READ: CIVIC})
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert channel["EC112_TICKET"] == ticket.number("112")
    assert ticket.location is None  # no coordinates yet: the gazetteer places it
    assert locations.calls == [(
        "civic", ticket.id, "Jl. Provinsi Km 5, Sotek, Penajam, Penajam Paser Utara, Kalimantan Timur, ID",
        {"country": "ID", "A1": "Kalimantan Timur", "A2": "Penajam Paser Utara", "A3": "Penajam", "A4": "Sotek",
         "RD": "Jl. Provinsi", "HNO": "Km 5"}, "asterisk", True)]


async def test_reference_goes_to_the_service_after_the_ticket_variable(repo: SqlTicketRepository) -> None:
    uri = "https://lis.carrier.example/loc/abc123"
    _, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<{uri}>", GEOLOC_READ: f'URI|||URI="{uri}"'})
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert locations.calls == [("reference", ticket.id, uri, None, "asterisk", True)]


async def test_reference_in_the_header_is_kept_when_asterisk_has_no_profile(repo: SqlTicketRepository) -> None:
    _, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<sip:loc@lis.example>;inserted-by=x",
                                         GEOLOC_READ: "|||"})
    assert [(c[0], c[2]) for c in locations.calls] == [("reference", "sip:loc@lis.example")]


async def test_polygon_is_kept_as_its_covering_circle_with_its_shape(repo: SqlTicketRepository) -> None:
    info = 'GML|Cell||shape="Polygon",crs="2d",posList="-1.011 116.607 -1.02 116.598 -1.029 116.607 -1.02 116.616"'
    _, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<cid:loc@carrier.example>", GEOLOC_READ: info})
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert ticket.location is not None
    assert (ticket.location.lat, ticket.location.lon) == (pytest.approx(-1.02), pytest.approx(116.607))
    assert ticket.location.radius_m == pytest.approx(1000.8, abs=1.0)  # 0.009° to the farthest vertex
    assert ticket.location.method == "Cell"
    assert locations.calls == []


async def test_a_hanging_location_service_never_holds_the_call(repo: SqlTicketRepository) -> None:
    uri = "http://127.0.0.1:9/never"
    channel, locations, held = await _call(repo, {CALL_READ: f"{LINKEDID}|<{uri}>", GEOLOC_READ: f'URI|||URI="{uri}"'},
                                           deadline=2.0, hang=True)
    assert "EC112_TICKET" in channel  # set before the hand-over: the dialplan queues the call with it
    assert len(locations.calls) == 1
    assert held < 0.5  # the session ended before the hand-over: Asterisk did not wait for it (nor the deadline)


async def test_a_failing_location_service_leaves_the_ticket(repo: SqlTicketRepository) -> None:
    channel, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<cid:loc@carrier.example>",
                                               GEOLOC_READ: CIVIC}, fail=True)
    assert "EC112_TICKET" in channel
    assert await repo.get_by_linkedid(LINKEDID) is not None
    assert len(locations.calls) == 1


async def test_a_caller_gone_before_the_ticket_variable_still_has_the_location_kept(
        repo: SqlTicketRepository) -> None:
    channel, locations, _ = await _call(repo, {CALL_READ: f"{LINKEDID}|<cid:loc@carrier.example>",
                                               GEOLOC_READ: CIVIC}, caller_left_at_set=True)
    assert "EC112_TICKET" not in channel
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert [(c[0], c[1], c[5]) for c in locations.calls] == [("civic", ticket.id, False)]


async def test_the_confidence_asterisk_exposes_reaches_the_reader(repo: SqlTicketRepository) -> None:
    seen: list[str | None] = []

    def reader(location_info: str, *, format: str, method: str | None, received_at: datetime,
               confidence: str | None = None) -> NetworkLocation | None:
        seen.append(confidence)
        return read_geoloc_profile(location_info, format=format, method=method, received_at=received_at,
                                   confidence=confidence)

    info = 'GML|Cell|pdf="normal",value="90"|shape="Circle",crs="2d",pos="-1.2559 116.4961",radius="500.0"'
    await _call(repo, {CALL_READ: f"{LINKEDID}|<cid:loc@carrier.example>", GEOLOC_READ: info}, reader=reader)
    assert seen == ['pdf="normal",value="90"']
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert ticket.location is not None
    assert ticket.location.radius_m == 500.0
