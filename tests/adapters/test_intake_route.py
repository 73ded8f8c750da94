"""The `intake` FastAGI route over loopback: a fake Asterisk channel, the real AGI server, real SQLite.

What matters to the citizen: the route always ends promptly (the dialplan then queues the call), and
sets EC112_TICKET only when a ticket really exists.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agi_fakes import FakeAsterisk, agi_header, run_call

from ec112.agi.intake_route import BusyIntake, IntakeRoute
from ec112.agi.server import AgiServer
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket
from ec112.location.geoloc_profile import parse_geoloc_profile
from ec112.services.intake import IntakeService

CALL_READ = "CHANNEL(linkedid)}|${PJSIP_HEADER(read,Geolocation)"
GEOLOC_READ = ("GEOLOC_PROFILE(format)}|${GEOLOC_PROFILE(method)}|${GEOLOC_PROFILE(confidence)}"
               "|${GEOLOC_PROFILE(location_info)")
LINKEDID = "ec112lab-1795820610.7"


class BrokenRepo(SqlTicketRepository):
    async def open(self, call: NewCall) -> tuple[Ticket, bool]:
        raise ConnectionError("database is down")


async def _server(repo: SqlTicketRepository, deadline: float = 3.0, busy: BusyIntake | None = None) -> AgiServer:
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112")
    route = IntakeRoute(intake, read_location=parse_geoloc_profile, deadline=deadline, busy=busy)
    server = AgiServer("127.0.0.1", 0, {"intake": route}, command_timeout=5.0)
    await server.start()
    return server


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqlTicketRepository]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    yield SqlTicketRepository(engine)
    await engine.dispose()


async def test_ticket_with_location_and_variable_set(repo: SqlTicketRepository) -> None:
    server = await _server(repo)
    try:
        commands, channel = await run_call(server.port, "intake", {
            CALL_READ: f"{LINKEDID}|<cid:loc1@carrier.example>",
            GEOLOC_READ: 'GML|GPS||shape="Circle",crs="2d",pos="-6.2088 106.8456",radius="850.0"',
        }, header=agi_header("intake", agi_callerid="081234567890", agi_calleridname="Budi"))
    finally:
        await server.close()
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert channel["EC112_TICKET"] == ticket.number("112")
    assert ticket.caller_number_e164 == "+6281234567890"
    assert ticket.caller_name == "Budi"
    assert ticket.intake is IntakeChannel.AGI
    assert ticket.location is not None
    assert (ticket.location.lat, ticket.location.lon, ticket.location.radius_m) == (-6.2088, 106.8456, 850.0)
    assert len(commands) == 3  # two reads and one SET: the lean path


async def test_no_geolocation_header_means_one_read_only(repo: SqlTicketRepository) -> None:
    server = await _server(repo)
    try:
        commands, channel = await run_call(server.port, "intake", {CALL_READ: f"{LINKEDID}|"},
                                           header=agi_header("intake"))
    finally:
        await server.close()
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert ticket.location is None
    assert "EC112_TICKET" in channel
    assert len(commands) == 2


async def test_unusable_location_still_opens_the_ticket(
    repo: SqlTicketRepository, caplog: pytest.LogCaptureFixture
) -> None:
    server = await _server(repo)
    try:
        _, channel = await run_call(server.port, "intake", {
            CALL_READ: f"{LINKEDID}|<cid:x>", GEOLOC_READ: 'GML|GPS||shape="Point",crs="2d",pos="999 999"',
        }, header=agi_header("intake"))
    finally:
        await server.close()
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None
    assert ticket.location is None
    assert channel["EC112_TICKET"] == ticket.number("112")
    assert "caller location unusable" in caplog.text
    assert "999" not in caplog.text  # no location data in the log


async def test_caller_hung_up_during_intake_still_gets_a_ticket(repo: SqlTicketRepository) -> None:
    server = await _server(repo)
    try:
        fake = await FakeAsterisk.connect(server.port)
        await fake.send(agi_header("intake", agi_uniqueid=LINKEDID, agi_callerid="anonymous"))
        assert (await fake.next_command() or "").startswith("GET FULL VARIABLE")
        await fake.send(b"HANGUP\n511 Command Not Permitted on a dead channel or intercepted channel\n")
        assert await fake.closed_by_server()
        await fake.close()
    finally:
        await server.close()
    ticket = await repo.get_by_linkedid(LINKEDID)
    assert ticket is not None  # a silent/dropped call is still a ticket to classify
    assert ticket.caller_number_raw == "anonymous"
    assert ticket.caller_number_e164 is None
    assert not any(c.startswith("SET VARIABLE") for c in fake.commands)


async def test_database_down_sets_no_ticket_variable_and_the_server_keeps_serving(
    repo: SqlTicketRepository,
) -> None:
    broken = await _server(BrokenRepo(repo._engine))
    try:
        _, channel = await run_call(broken.port, "intake", {CALL_READ: f"{LINKEDID}|"}, header=agi_header("intake"))
        assert "EC112_TICKET" not in channel  # the dialplan falls back and queues the call
        _, again = await run_call(broken.port, "intake", {CALL_READ: f"{LINKEDID}|"}, header=agi_header("intake"))
        assert "EC112_TICKET" not in again
    finally:
        await broken.close()


async def test_a_silent_channel_cannot_hold_the_intake_past_its_deadline(repo: SqlTicketRepository) -> None:
    server = await _server(repo, deadline=0.5)
    try:
        fake = await FakeAsterisk.connect(server.port)
        await fake.send(agi_header("intake"))
        started = time.monotonic()
        assert await fake.next_command() is not None  # …and Asterisk never answers it
        assert await fake.closed_by_server(timeout=3.0)
        assert time.monotonic() - started < 1.5
        await fake.close()
    finally:
        await server.close()
    # the route gave up before opening a ticket; AMI (QueueCallerJoin) will open it once queued
    assert await repo.get_by_linkedid(LINKEDID) is None


async def test_when_intakes_pile_up_the_next_caller_waits_only_the_short_deadline(repo: SqlTicketRepository) -> None:
    """A worker that falls behind sheds its own work first: past ``busy.intakes`` at once, a caller is handed back
    to the dialplan (which queues her; AMI opens her ticket) after the short deadline, not the whole one."""
    server = await _server(repo, deadline=3.0, busy=BusyIntake(intakes=2, deadline=0.3))
    stuck: list[FakeAsterisk] = []
    try:
        for _ in range(2):  # two intakes in flight, their channels silent
            fake = await FakeAsterisk.connect(server.port)
            await fake.send(agi_header("intake"))
            assert await fake.next_command() is not None
            stuck.append(fake)
        third = await FakeAsterisk.connect(server.port)
        await third.send(agi_header("intake"))
        started = time.monotonic()
        assert await third.next_command() is not None
        assert await third.closed_by_server(timeout=2.0)
        assert time.monotonic() - started < 1.0  # 0.3 s, not 3 s
        await third.close()
        for fake in stuck:  # the first two still have their whole deadline
            assert not await fake.closed_by_server(timeout=0.5)
    finally:
        for fake in stuck:
            await fake.close()
        await server.close()
