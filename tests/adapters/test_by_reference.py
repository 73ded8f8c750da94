"""PIDF-LO by reference over real loopback sockets: fetched when the server answers, and a clear, coded
failure — within the timeout — when it does not (silent, closed, huge, wrong status, wrong scheme)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ec112.domain.location import LocationSource
from ec112.location.by_reference import ReferenceFetcher

PIDF = (Path(__file__).resolve().parent.parent / "fixtures" / "pidf" / "person_ellipse.xml").read_bytes()
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _answer(status: str, body: bytes, headers: str = "") -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}Connection: close\r\n\r\n"
                     .encode() + body)
        await writer.drain()
        writer.close()
    return handle


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)  # accepts, never answers


async def _endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/pidf+xml\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(1000):  # no Content-Length: only the streamed cap stops it
        writer.write(b"400\r\n" + b"<" * 0x400 + b"\r\n")
        await writer.drain()
    writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()


async def _code(uri: str, timeout: float = 1.0, max_bytes: int = 65536) -> str:
    fetcher = ReferenceFetcher(timeout=timeout, max_bytes=max_bytes)
    try:
        await fetcher.fetch(uri)
    except ValueError as exc:
        return str(getattr(exc, "code", "?"))
    finally:
        await fetcher.aclose()
    return "fetched"


async def test_a_served_pidf_lo_is_fetched(serve: Callable[[Handler], Awaitable[str]]) -> None:
    base = await serve(_answer("200 OK", PIDF, "Content-Type: application/pidf+xml\r\n"))
    fetcher = ReferenceFetcher(timeout=2.0, max_bytes=65536)
    try:
        location = await fetcher.fetch(f"{base}/loc/abc")
    finally:
        await fetcher.aclose()
    assert location.source is LocationSource.PIDF_LO_REF
    assert (location.lat, location.lon, location.radius_m) == (-7.797068, 110.370529, 1275.0)
    assert location.shape == "Ellipse"
    assert location.method is not None


async def test_a_redirect_within_http_is_followed(serve: Callable[[Handler], Awaitable[str]]) -> None:
    target = await serve(_answer("200 OK", PIDF))
    base = await serve(_answer("302 Found", b"", f"Location: {target}/loc\r\n"))
    assert await _code(f"{base}/old") == "fetched"


@pytest.mark.parametrize(("status", "headers", "code"), [
    ("404 Not Found", "", "http_404"),
    ("503 Service Unavailable", "", "http_503"),
    ("302 Found", "Location: ftp://lis.example/loc\r\n", "unsupported_scheme"),
    ("302 Found", "Location: sip:loc@lis.example\r\n", "bad_redirect"),
])
async def test_an_unusable_answer_has_its_code(serve: Callable[[Handler], Awaitable[str]], status: str,
                                               headers: str, code: str) -> None:
    assert await _code(f"{await serve(_answer(status, b'no', headers))}/loc") == code


async def test_a_body_that_is_no_pidf_lo_has_the_parser_code(serve: Callable[[Handler], Awaitable[str]]) -> None:
    assert await _code(f"{await serve(_answer('200 OK', b'<html>hello</html>'))}/loc") == "wrong_namespace"


async def test_a_body_over_the_cap_is_cut_off(serve: Callable[[Handler], Awaitable[str]]) -> None:
    assert await _code(f"{await serve(_endless)}/loc", max_bytes=4096) == "too_large"
    declared = await serve(_answer("200 OK", b"x" * 5000))
    assert await _code(f"{declared}/loc", max_bytes=4096) == "too_large"


async def test_a_silent_server_times_out_on_time(serve: Callable[[Handler], Awaitable[str]]) -> None:
    base = await serve(_silent)
    started = time.perf_counter()
    assert await _code(f"{base}/loc", timeout=0.5) == "timeout"
    assert time.perf_counter() - started < 1.5


async def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        assert await _code(f"http://127.0.0.1:{port}/loc") == "unreachable"


@pytest.mark.parametrize("uri", ["sip:loc@lis.example", "pres:caller@carrier.example", "file:///etc/passwd",
                                 "ftp://lis.example/loc", "cid:loc@carrier.example"])
async def test_only_http_and_https_are_fetched(uri: str) -> None:
    assert await _code(uri) == "unsupported_scheme"


async def test_a_uri_without_host_is_refused() -> None:
    assert await _code("http:///loc") == "bad_uri"
