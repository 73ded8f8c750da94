"""The `text` FastAGI route over loopback: a fake message channel, the real AGI server, real SQLite.

What matters to the citizen: EC112_TEXT_TICKET is set only once the message is stored; otherwise the route ends
promptly without it and the dialplan spools the message (and answers the citizen) by itself.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from agi_fakes import agi_header, run_call

from ec112.agi.server import AgiServer
from ec112.agi.text_route import TextRoute
from ec112.db.engine import create_engine, migrate
from ec112.db.text_messages import SqlTextStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.text_messages import IncomingText
from ec112.domain.tickets import IntakeChannel, Ticket
from ec112.services.intake import IntakeService
from ec112.services.text_to_112 import TextService

READ = "EC112_TEXT_KEY}|${EC112_TEXT_ADDR}|${EC112_TEXT_FROM}|${EC112_TEXT_BODY"  # channel_responder strips ${ }
HEADER = agi_header("text", agi_channel="Message/ast_msg_queue", agi_type="Message", agi_callerid="unknown",
                    agi_context="ec112-text")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[TextService]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    tickets = SqlTicketRepository(engine)
    intake = IntakeService(tickets, default_region="ID", ticket_prefix="112")
    yield TextService(tickets, SqlTextStore(engine), intake, default_region="ID", trunk="trunk",
                      reply_from="sip:112@ec112", idle=timedelta(minutes=30))
    await engine.dispose()


async def _call(receive: object, variables: dict[str, str], deadline: float = 3.0) -> tuple[list[str], dict[str, str]]:
    route = TextRoute(receive, lambda t: t.number("112"), deadline=deadline)  # type: ignore[arg-type]
    server = AgiServer("127.0.0.1", 0, {"text": route}, command_timeout=5.0)
    await server.start()
    try:
        return await run_call(server.port, "text", variables, header=HEADER)
    finally:
        await server.close()


async def test_a_message_opens_a_text_ticket_and_is_confirmed(service: TextService,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    body = "Tolong | kebakaran, Jl. Merdeka (rumah) ä ${X}"
    with caplog.at_level(logging.DEBUG, logger="ec112"):
        commands, channel = await _call(service.receive, {
            READ: f"1796190117-248984805|127.0.0.1:46041|{b64('<sip:081234567890@127.0.0.1>')}|{b64(body)}"})
    [conversation] = await service.conversations()
    ticket = conversation.ticket
    assert channel["EC112_TEXT_TICKET"] == ticket.number("112")
    assert (ticket.intake, ticket.caller_number_e164) == (IntakeChannel.TEXT, "+6281234567890")
    assert [m.body for m in await service.messages(ticket)] == [body]
    assert len(commands) == 2  # one read, one set
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("ec112")]
    assert ours
    assert not [m for m in ours if "kebakaran" in m]  # ec112 never logs the body, not even at DEBUG here


@pytest.mark.parametrize("read", [
    "", "only|three|fields", f"k|127.0.0.1:5070|{b64('x')}|not-base64!", f"k|127.0.0.1:5070|{b64('x')}|",
])
async def test_an_unusable_message_is_confirmed_as_refused_not_spooled(service: TextService, read: str) -> None:
    _commands, channel = await _call(service.receive, {READ: read} if read else {})
    if read.count("|") == 3:
        assert channel["EC112_TEXT_TICKET"] == "refused"  # nothing to keep: no spool line that fails again
    else:
        assert "EC112_TEXT_TICKET" not in channel
    assert await service.conversations() == []


async def test_a_failing_store_leaves_the_message_to_the_dialplans_spool() -> None:
    async def broken(_message: IncomingText) -> Ticket:
        raise ConnectionError("database is down")

    _commands, channel = await _call(broken, {READ: f"k1|127.0.0.1:5070|{b64('<sip:0812@h>')}|{b64('Tolong')}"})
    assert "EC112_TEXT_TICKET" not in channel


async def test_a_slow_store_is_cut_at_the_deadline() -> None:
    async def slow(_message: IncomingText) -> Ticket:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    loop = asyncio.get_running_loop()
    started = loop.time()
    _commands, channel = await _call(slow, {READ: f"k1|127.0.0.1:5070|{b64('<sip:0812@h>')}|{b64('Tolong')}"},
                                     deadline=0.3)
    assert "EC112_TEXT_TICKET" not in channel
    assert loop.time() - started < 3
