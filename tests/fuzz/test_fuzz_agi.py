"""FastAGI: the header block, reply lines and a session's reading path, fed arbitrary bytes.

Every outcome must be a parsed result or one of the documented errors (``AgiError`` subclasses, or None from
the server's header reader after one log line); and what Asterisk really sends must round-trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ec112.agi.protocol import (
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiTimeout,
    args_of,
    decode_line,
    parse_env,
    parse_reply,
    reply_code,
    route_of,
)
from ec112.agi.server import AgiServer, AgiSession

from .budget import budget, ran

KEYS = st.sampled_from(["agi_network_script", "agi_callerid", "agi_calleridname", "agi_uniqueid", "agi_channel",
                        "agi_arg_1", "agi_arg_2", "agi_arg_3", "agi_request", "agi_language", "agi_context"])
# A header value as Asterisk writes it: anything but the line break (caller names are any UTF-8, and
# Asterisk may cut one in the middle of a character, so invalid UTF-8 too).
VALUE_BYTES = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b""))
NAMES = st.text(st.characters(blacklist_characters="\n", codec="utf-8"), max_size=40)


@given(st.binary(max_size=2048))
@budget()
def test_header_block_of_arbitrary_bytes_parses_to_a_plain_dict(head: bytes) -> None:
    ran("agi.parse_env(bytes)")
    env = parse_env(head)
    for key, value in env.items():
        assert key == key.strip()
        assert key
        assert ":" not in key
        assert "\n" not in key
        assert "\n" not in value
    route_of(env)  # never raises, whatever agi_network_script says
    args_of(env)


@given(st.lists(st.tuples(KEYS, NAMES), max_size=12), NAMES)
@example([("agi_callerid", "+62811000111")], "Budi\u2028agi_callerid: +62899999\x85agi_network_script: ping")
@budget()
def test_header_values_round_trip_and_cannot_inject_other_keys(pairs: list[tuple[str, str]], name: str) -> None:
    """A caller name is copied verbatim by Asterisk: only ``\\n`` ends a header line (not U+2028, \\x85...)."""
    ran("agi.parse_env(round trip)")
    pairs = [("agi_network_script", "incoming"), *pairs, ("agi_calleridname", name)]
    head = "".join(f"{key}: {value}\n" for key, value in pairs).encode() + b"\n"
    # A trailing "\r" is taken as part of a "\r\n" line ending; nothing else of the value is lost.
    assert parse_env(head) == {key: value.removesuffix("\r") for key, value in dict(pairs).items()}


@given(st.lists(st.tuples(KEYS, VALUE_BYTES), max_size=12))
@budget()
def test_non_utf8_header_values_are_replaced_not_fatal(pairs: list[tuple[str, bytes]]) -> None:
    ran("agi.parse_env(non-UTF-8)")
    head = b"".join(key.encode() + b": " + value + b"\n" for key, value in pairs) + b"\n"
    env = parse_env(head)
    assert set(env) == {key for key, _ in pairs}


@given(st.one_of(st.text(max_size=200), st.sampled_from(["agi://", "agi://[", "agi://[::1/x", "agi://h:99999/x",
                                                          "agi://h:port/r?x", "//", "a://b://c"]).flatmap(
    lambda prefix: st.text(max_size=30).map(lambda rest: prefix + rest))))
@example("agi://[::1/incoming")  # urlsplit raised ValueError: "Invalid IPv6 URL"
@budget()
def test_route_of_any_script_is_a_string(script: str) -> None:
    ran("agi.route_of")
    route = route_of({"agi_network_script": script})
    assert isinstance(route, str)
    assert "?" not in route


@given(st.text(max_size=300))
@budget()
def test_reply_lines_parse_or_raise_agi_protocol_error(line: str) -> None:
    ran("agi.parse_reply(text)")
    code = reply_code(line)
    assert code is None or 0 <= code <= 999
    try:
        reply = parse_reply(line)
    except AgiProtocolError:
        return
    assert isinstance(reply, AgiReply)
    assert reply.code == code


@given(st.sampled_from(["200", "510", "520", "511", "100", "999"]),
       st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),  # res_agi: ASCII result
       st.text(st.characters(blacklist_characters="\n\r()", codec="utf-8"), max_size=40))
@budget()
def test_well_formed_200_replies_round_trip(code: str, result: str, data: str) -> None:
    ran("agi.parse_reply(round trip)")
    result = result or "0"
    line = f"{code} result={result} ({data})"
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data) == (int(code), result, data)


@given(st.binary(max_size=512))
@budget()
def test_decode_line_never_raises(raw: bytes) -> None:
    ran("agi.decode_line")
    text = decode_line(raw)
    assert not text.endswith(("\n", "\r\n"))


class _Writer:
    """What AgiSession needs of a StreamWriter: write and drain."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@given(st.lists(st.one_of(st.binary(max_size=200), st.sampled_from([
    b"200 result=1 (Budi)\n", b"100 result=0 Trying...\n", b"HANGUP\n", b"511 Command Not Permitted\n",
    b"520-Invalid command syntax.  Proper usage follows:\n", b"520 End of proper usage.\n", b"\n",
    b"510 Invalid or unknown command\n", b"200 result=\n", b"\xff\xfe\n"])), max_size=8),
    st.booleans())
@budget()
def test_session_reading_path_returns_a_reply_or_an_agi_error(
    loop: asyncio.AbstractEventLoop, chunks: list[bytes], eof: bool
) -> None:
    ran("agi.AgiSession.command(reply bytes)")

    async def outcome_of(session: AgiSession, command: str) -> AgiReply | AgiError:
        try:
            return await session.command(command)
        except AgiError as exc:  # AgiHangup / AgiTimeout / AgiProtocolError: all documented
            return exc

    async def exchange() -> tuple[AgiReply | AgiError, AgiReply | AgiError]:
        reader = asyncio.StreamReader(limit=256)
        for chunk in chunks:
            reader.feed_data(chunk)
        if eof:
            reader.feed_eof()
        session = AgiSession(reader, _Writer(), env={}, route="fuzz", args=[],  # type: ignore[arg-type]
                             command_timeout=0.01)
        first = await outcome_of(session, "GET FULL VARIABLE ${CALLERID(name)}")
        return first, await outcome_of(session, "ANSWER")

    first, second = loop.run_until_complete(exchange())
    assert isinstance(first, AgiReply | AgiError)
    assert isinstance(second, AgiReply | AgiError)
    if isinstance(first, AgiHangup | AgiTimeout):  # unusable after it: no late reply taken as the next answer
        assert type(second) is type(first)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def agi_server(loop: asyncio.AbstractEventLoop) -> Iterator[tuple[AgiServer, list[dict[str, str]], _Errors]]:
    seen: list[dict[str, str]] = []
    errors = _Errors()
    logger = logging.getLogger("ec112.agi")
    logger.addHandler(errors)

    async def handler(session: AgiSession) -> None:
        seen.append(dict(session.env))

    server = AgiServer("127.0.0.1", 0, {"incoming": handler}, header_timeout=0.3, command_timeout=0.3,
                       max_header_bytes=4096)
    loop.run_until_complete(server.start())
    try:
        yield server, seen, errors
    finally:
        loop.run_until_complete(server.close(grace=1.0))
        logger.removeHandler(errors)


@given(st.one_of(st.binary(max_size=6000), st.lists(st.tuples(KEYS, VALUE_BYTES), max_size=10).map(
    lambda pairs: b"".join(k.encode() + b": " + v + b"\n" for k, v in pairs))),
    st.sampled_from([b"", b"\n", b"\n\n", b"agi_network_script: incoming\n\n"]))
@budget(0.3)
def test_server_survives_any_header_bytes_over_loopback(
    loop: asyncio.AbstractEventLoop, agi_server: tuple[AgiServer, list[dict[str, str]], _Errors],
    head: bytes, tail: bytes
) -> None:
    """Arbitrary bytes then EOF on a real socket: the server logs and closes, never an unexpected error;
    a complete header for a known route reaches its handler."""
    ran("agi.AgiServer(loopback header bytes)")
    server, seen, errors = agi_server
    seen.clear()
    errors.records.clear()

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(head + tail)
        try:
            async with asyncio.timeout(2.0):
                await writer.drain()
                writer.write_eof()
                while await reader.read(4096):
                    pass
        except (ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()

    loop.run_until_complete(one_connection())
    loop.run_until_complete(asyncio.sleep(0.01))
    assert not errors.records, [r.getMessage() for r in errors.records]
    assert server.listening
    if b"\n\n" in head + tail and parse_env((head + tail)[: (head + tail).index(b"\n\n") + 2]):
        first = parse_env((head + tail)[: (head + tail).index(b"\n\n") + 2])
        assert bool(seen) == (route_of(first) == "incoming")
