"""What the FastAGI intake logs while it handles a call: every line carries the call (Linkedid, then ticket).

The real AGI server and intake route over loopback, a fake Asterisk channel, real SQLite; the log goes through
the handler ``ec112.logs.configure_logging`` builds (call filter + JSON formatter). At INFO, no caller number.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from agi_fakes import FakeAsterisk, agi_header, run_call
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.agi.intake_route import IntakeRoute
from ec112.agi.server import AgiServer
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import NewCall, Ticket
from ec112.location.geoloc_profile import parse_geoloc_profile
from ec112.logs import BoundCall, CallContextFilter, JsonFormatter, bound_call
from ec112.services.intake import IntakeService

CALL_READ = "CHANNEL(linkedid)}|${PJSIP_HEADER(read,Geolocation)"
GEOLOC_READ = ("GEOLOC_PROFILE(format)}|${GEOLOC_PROFILE(method)}|${GEOLOC_PROFILE(confidence)}"
               "|${GEOLOC_PROFILE(location_info)")
UNIQUEID = "ec112lab-1795820610.7"  # agi_header's agi_uniqueid
CALLER = "081234567890"


class BrokenRepo(SqlTicketRepository):
    async def open(self, call: NewCall) -> tuple[Ticket, bool]:
        raise ConnectionError("database is down")


class JsonLog:
    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def entry(self, start: str) -> dict[str, Any]:
        [found] = [e for e in self.entries() if e["message"].startswith(start)]
        return found


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """The ec112 loggers at INFO into a handler as configure_logging(..., "json") builds it."""
    log = JsonLog()
    handler = logging.StreamHandler(log.buffer)
    handler.addFilter(CallContextFilter())
    handler.setFormatter(JsonFormatter())
    ec112 = logging.getLogger("ec112")
    level = ec112.level
    ec112.setLevel(logging.INFO)
    ec112.addHandler(handler)
    yield log
    ec112.removeHandler(handler)
    ec112.setLevel(level)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


async def _call(repo: SqlTicketRepository, variables: dict[str, str]) -> tuple[dict[str, str], list[BoundCall]]:
    """One intake call; returns the channel variables after it and the call bound when the route ended."""
    bound_at_end: list[BoundCall] = []
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112")
    route = IntakeRoute(intake, read_location=parse_geoloc_profile, deadline=3.0,
                        observe=lambda _seconds: bound_at_end.append(bound_call()))
    server = AgiServer("127.0.0.1", 0, {"intake": route}, command_timeout=5.0)
    await server.start()
    try:
        _, channel = await run_call(server.port, "intake", variables,
                                    header=agi_header("intake", agi_callerid=CALLER, agi_calleridname="Budi"))
    finally:
        await server.close()
    return channel, bound_at_end


async def test_intake_log_lines_carry_the_linkedid_and_the_ticket(engine: AsyncEngine, json_log: JsonLog) -> None:
    repo = SqlTicketRepository(engine)
    linkedid = "ec112lab-1795820600.3"  # the call's Linkedid as the channel reports it (not this channel's id)
    channel, [bound] = await _call(repo, {
        CALL_READ: f"{linkedid}|<cid:loc1@carrier.example>",
        GEOLOC_READ: "GML|GPS||nonsense",  # an unusable location: a warning while the call is handled
    })
    ticket = await repo.get_by_linkedid(linkedid)
    assert ticket is not None
    number = channel["EC112_TICKET"]
    assert number == ticket.number("112")

    unusable = json_log.entry("caller location unusable")
    assert (unusable["level"], unusable["linkedid"]) == ("WARNING", linkedid)
    opened = json_log.entry(f"ticket {number} opened by agi intake")
    assert (opened["level"], opened["linkedid"]) == ("INFO", linkedid)
    assert bound == BoundCall(linkedid=linkedid, ticket=number)  # the ticket, once written, is bound too
    assert bound_call() == BoundCall()  # and nothing leaks out of the call
    assert CALLER not in json_log.buffer.getvalue()  # UU 27/2022: no caller number at INFO
    assert "Budi" not in json_log.buffer.getvalue()


async def test_a_failed_ticket_write_is_logged_with_the_linkedid(engine: AsyncEngine, json_log: JsonLog) -> None:
    channel, [bound] = await _call(BrokenRepo(engine), {CALL_READ: f"{UNIQUEID}|"})
    assert "EC112_TICKET" not in channel
    failed = json_log.entry("intake could not write the ticket")
    assert (failed["level"], failed["linkedid"]) == ("WARNING", UNIQUEID)
    assert "ticket" not in failed
    assert bound == BoundCall(linkedid=UNIQUEID)
    assert CALLER not in json_log.buffer.getvalue()


async def test_an_intake_past_its_deadline_is_logged_with_the_channel_uniqueid(
        engine: AsyncEngine, json_log: JsonLog) -> None:
    intake = IntakeService(SqlTicketRepository(engine), default_region="ID", ticket_prefix="112")
    route = IntakeRoute(intake, read_location=parse_geoloc_profile, deadline=0.3)
    server = AgiServer("127.0.0.1", 0, {"intake": route}, command_timeout=5.0)
    await server.start()
    fake = await FakeAsterisk.connect(server.port)
    try:
        await fake.send(agi_header("intake", agi_callerid=CALLER))
        assert await fake.next_command() is not None  # the linkedid read, never answered
        assert await fake.closed_by_server()
    finally:
        await fake.close()
        await server.close()
    exceeded = json_log.entry("intake exceeded")
    assert (exceeded["level"], exceeded["linkedid"]) == ("WARNING", UNIQUEID)  # before the read: the channel's id
    assert CALLER not in json_log.buffer.getvalue()
