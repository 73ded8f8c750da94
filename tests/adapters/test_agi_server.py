"""ec112's FastAGI server over real loopback sockets, driven by a fake Asterisk.

Each test reproduces something seen on the wire or in panoramisk's bug tracker (connect-and-close spin,
non-UTF-8 caller names, HANGUP/100/511/520 replies) and checks what a 112 caller would experience: the
session runs, or the connection closes promptly so the dialplan can fall back, and the server keeps
serving the next call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from agi_fakes import FakeAsterisk, agi_header, channel_responder, run_call

from ec112.agi.protocol import AgiHangup, AgiProtocolError, AgiTimeout
from ec112.agi.server import AgiHandler, AgiServer, AgiSession

ServerFactory = Callable[..., Awaitable[AgiServer]]


async def ticket_route(session: AgiSession) -> None:
    """A minimal intake: read the caller number, set a ticket id."""
    number = await session.get_full_variable("${CALLERID(num)}")
    await session.set_variable("EC112_TICKET", f"T-{number}")


@pytest.fixture
async def make_server() -> AsyncIterator[ServerFactory]:
    servers: list[AgiServer] = []

    async def factory(routes: dict[str, AgiHandler] | None = None, **options: float) -> AgiServer:
        server = AgiServer("127.0.0.1", 0, routes or {"incoming": ticket_route}, **options)  # type: ignore[arg-type]
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.close(grace=1.0)


async def test_happy_path_env_get_and_set_round_trip(make_server: ServerFactory) -> None:
    seen: dict[str, object] = {}
    tricky = 'Jl. "Merdeka" 5 \\ RT 02'

    async def route(session: AgiSession) -> None:
        seen["env"] = dict(session.env)
        seen["route"], seen["args"] = session.route, session.args
        seen["number"] = await session.get_full_variable("${CALLERID(num)}")
        seen["missing"] = await session.get_full_variable("${PJSIP_HEADER(read,Geolocation)}")
        await session.set_variable("EC112_NOTE", tricky)
        seen["note"] = await session.get_full_variable("${EC112_NOTE}")

    server = await make_server({"incoming": route})
    header = agi_header("incoming?x=1", agi_arg_1="first arg", agi_arg_2="2")
    commands, channel = await run_call(server.port, variables={"CALLERID(num)": "+628121234567"},
                                       header=header)

    env = seen["env"]
    assert isinstance(env, dict)
    assert env["agi_calleridname"] == "Max Mustermann"
    assert env["agi_accountcode"] == ""
    assert seen["route"] == "incoming"
    assert seen["args"] == ["first arg", "2"]
    assert seen["number"] == "+628121234567"
    assert seen["missing"] is None
    assert channel["EC112_NOTE"] == tricky  # split by res_agi's own rules, back to the exact value
    assert seen["note"] == tricky
    assert commands[2] == 'SET VARIABLE EC112_NOTE "Jl. \\"Merdeka\\" 5 \\\\ RT 02"'
    assert server.active_sessions == 0


async def test_connect_and_close_does_not_spin_or_block_next_call(make_server: ServerFactory) -> None:
    server = await make_server()
    for _ in range(20):
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.close()
        await writer.wait_closed()

    cpu_before = time.process_time()
    await asyncio.sleep(0.5)
    cpu_used = time.process_time() - cpu_before
    assert cpu_used < 0.2, f"event loop busy after connect-and-close: {cpu_used:.2f}s CPU in 0.5s"

    started = time.monotonic()
    _, channel = await run_call(server.port, variables={"CALLERID(num)": "112"})
    assert channel["EC112_TICKET"] == "T-112"
    assert time.monotonic() - started < 1.0
    assert server.listening


async def test_header_never_finished_is_closed_after_timeout(make_server: ServerFactory) -> None:
    called = asyncio.Event()

    async def route(session: AgiSession) -> None:
        called.set()

    server = await make_server({"incoming": route}, header_timeout=0.2)
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(agi_header()[:-1])  # the final empty line never comes
    started = time.monotonic()
    assert await fake.closed_by_server(timeout=2.0)
    assert 0.15 < time.monotonic() - started < 1.5
    assert not called.is_set()
    await fake.close()


async def test_non_utf8_caller_name_is_replaced_and_call_runs(make_server: ServerFactory) -> None:
    names: list[str] = []

    async def route(session: AgiSession) -> None:
        names.append(session.env["agi_calleridname"])
        await session.set_variable("EC112_TICKET", "T1")

    server = await make_server({"incoming": route})
    # gawel/panoramisk#106: Asterisk truncated a UTF-8 caller name in the middle of a character.
    header = agi_header().replace(b"Max Mustermann", b"\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80 K129\xd0")
    _, channel = await run_call(server.port, header=header)
    assert names == ["Петр K129\ufffd"]
    assert channel["EC112_TICKET"] == "T1"


async def test_extra_blank_lines_around_header_are_tolerated(make_server: ServerFactory) -> None:
    server = await make_server()
    header = b"\n\n" + agi_header() + b"\n\n"
    _, channel = await run_call(server.port, variables={"CALLERID(num)": "5"}, header=header)
    assert channel["EC112_TICKET"] == "T-5"


async def _session_with_replies(make_server: ServerFactory, replies: list[bytes],
                                **options: float) -> tuple[list[object], FakeAsterisk]:
    """Run a route that sends commands until one raises; the fake answers with ``replies`` in order."""
    outcomes: list[object] = []
    done = asyncio.Event()

    async def route(session: AgiSession) -> None:
        try:
            for _ in range(len(replies) + 1):
                outcomes.append(await session.get_full_variable("${X}"))
                outcomes.append(session.hung_up)
        except Exception as exc:
            outcomes.append(exc)
            raise
        finally:
            done.set()

    server = await make_server({"incoming": route}, **options)
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(agi_header())
    for reply in replies:
        assert await fake.next_command() == 'GET FULL VARIABLE "${X}"'
        await fake.send(reply)
    async with asyncio.timeout(3.0):
        await done.wait()
    return outcomes, fake


async def test_hangup_line_then_real_result(make_server: ServerFactory) -> None:
    outcomes, fake = await _session_with_replies(make_server, [b"HANGUP\n200 result=1 (value)\n"],
                                                 command_timeout=0.2)
    assert outcomes[:2] == ["value", True]
    await fake.close()


async def test_100_trying_is_skipped(make_server: ServerFactory) -> None:
    outcomes, fake = await _session_with_replies(make_server, [b"100 result=0 Trying...\n200 result=1 (v)\n"],
                                                 command_timeout=0.2)
    assert outcomes[:2] == ["v", False]
    await fake.close()


async def test_511_dead_channel_raises_hangup_and_closes(make_server: ServerFactory) -> None:
    outcomes, fake = await _session_with_replies(
        make_server, [b"511 Command Not Permitted on a dead channel or intercept routine\n"])
    assert isinstance(outcomes[0], AgiHangup)
    assert await fake.closed_by_server()
    await fake.close()


async def test_eof_during_command_raises_hangup(make_server: ServerFactory) -> None:
    outcomes: list[BaseException] = []
    done = asyncio.Event()

    async def route(session: AgiSession) -> None:
        try:
            await session.command("ANSWER")
        except AgiHangup as exc:
            outcomes.append(exc)
        done.set()

    server = await make_server({"incoming": route})
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(agi_header())
    assert await fake.next_command() == "ANSWER"
    await fake.close()
    async with asyncio.timeout(2.0):
        await done.wait()
    assert len(outcomes) == 1


async def test_520_multiline_usage_is_consumed_and_session_stays_usable(make_server: ServerFactory) -> None:
    usage = (b"520-Invalid command syntax.  Proper usage follows:\n"
             b" Usage: GET FULL VARIABLE <variablename> [<channel name>]\n"
             b"     Returns 0 if <variablename> is not set or channel does not exist.\n"
             b"520 End of proper usage.\n")
    outcomes, fake = await _session_with_replies(make_server, [usage])
    assert isinstance(outcomes[0], AgiProtocolError)
    await fake.close()

    async def route(session: AgiSession) -> None:
        with pytest.raises(AgiProtocolError):
            await session.get_full_variable("${X}")
        await session.set_variable("AFTER", "ok")  # the usage text did not leak into this reply

    server = await make_server({"incoming": route})
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(agi_header())
    assert await fake.next_command() == 'GET FULL VARIABLE "${X}"'
    await fake.send(usage)
    assert await fake.next_command() == 'SET VARIABLE AFTER "ok"'
    await fake.send(b"200 result=1\n")
    assert await fake.closed_by_server()
    await fake.close()


async def test_command_timeout_raises_and_closes(make_server: ServerFactory) -> None:
    outcomes, fake = await _session_with_replies(make_server, [], command_timeout=0.2)
    assert isinstance(outcomes[0], AgiTimeout)
    assert await fake.closed_by_server()
    await fake.close()


async def test_oversized_header_is_rejected_and_server_keeps_serving(make_server: ServerFactory) -> None:
    server = await make_server(max_header_bytes=1024)
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(b"".join(b"agi_x%d: %s\n" % (i, b"y" * 60) for i in range(100)))
    assert await fake.closed_by_server(timeout=1.0)
    await fake.close()
    _, channel = await run_call(server.port, variables={"CALLERID(num)": "1"})
    assert channel["EC112_TICKET"] == "T-1"


async def test_handler_exception_is_logged_without_personal_data(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def route(session: AgiSession) -> None:
        number = session.env["agi_callerid"]
        raise RuntimeError(f"bug while handling {number}")

    server = await make_server({"incoming": route, "ok": ticket_route})
    with caplog.at_level(logging.INFO, logger="ec112.agi"):
        commands, _ = await run_call(server.port, "incoming")
    assert commands == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "RuntimeError" in errors[0].getMessage()
    assert "test_agi_server.py" in errors[0].getMessage()  # the stack is there
    assert all("4915112345678" not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    _, channel = await run_call(server.port, "ok", variables={"CALLERID(num)": "2"})
    assert channel["EC112_TICKET"] == "T-2"


async def test_unknown_route_closes_without_commands(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = await make_server()
    with caplog.at_level(logging.WARNING, logger="ec112.agi"):
        commands, _ = await run_call(server.port, "nope")
    assert commands == []
    assert any("unknown route 'nope'" in r.getMessage() for r in caplog.records)


async def test_graceful_close_lets_session_in_flight_finish(make_server: ServerFactory) -> None:
    entered = asyncio.Event()

    async def slow_route(session: AgiSession) -> None:
        entered.set()
        await asyncio.sleep(0.3)
        await session.set_variable("EC112_TICKET", "late")

    server = await make_server({"incoming": slow_route})
    call = asyncio.create_task(run_call(server.port))
    await entered.wait()
    assert server.active_sessions == 1
    await server.close(grace=3.0)
    _, channel = await call
    assert channel["EC112_TICKET"] == "late"
    assert not server.listening
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_close_cancels_sessions_after_grace(make_server: ServerFactory) -> None:
    cancelled = asyncio.Event()

    async def stuck_route(session: AgiSession) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = await make_server({"incoming": stuck_route})
    fake = await FakeAsterisk.connect(server.port)
    await fake.send(agi_header())
    async with asyncio.timeout(2.0):
        while server.active_sessions == 0:
            await asyncio.sleep(0.01)
    started = time.monotonic()
    await server.close(grace=0.2)
    assert time.monotonic() - started < 1.5
    assert cancelled.is_set()
    assert await fake.closed_by_server()
    await fake.close()


async def test_serve_forever_stops_on_cancel(make_server: ServerFactory) -> None:
    server = AgiServer("127.0.0.1", 0, {"incoming": ticket_route})
    task = asyncio.create_task(server.serve_forever())
    async with asyncio.timeout(2.0):
        while not server.listening:
            await asyncio.sleep(0.01)
    _, channel = await run_call(server.port, variables={"CALLERID(num)": "3"})
    assert channel["EC112_TICKET"] == "T-3"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not server.listening


async def test_bind_failure_raises_oserror(make_server: ServerFactory) -> None:
    first = await make_server()
    second = AgiServer("127.0.0.1", first.port, {})
    with pytest.raises(OSError, match="address already in use"):
        await second.start()


async def test_many_concurrent_sessions(make_server: ServerFactory) -> None:
    server = await make_server()
    results = await asyncio.gather(*(
        run_call(server.port, variables={"CALLERID(num)": str(i)}) for i in range(200)
    ))
    assert [channel["EC112_TICKET"] for _, channel in results] == [f"T-{i}" for i in range(200)]
    assert server.active_sessions == 0


def test_channel_responder_matches_res_agi_splitting() -> None:
    respond = channel_responder({})
    assert respond('SET VARIABLE A ""') == b"200 result=1\n"
    assert respond('GET FULL VARIABLE "${A}"') == b"200 result=1 ()\n"
