"""ec112's own asyncio FastAGI server (``AGI(agi://host:port/<route>)`` in the dialplan).

Why not panoramisk 1.4's: one TCP connect-and-close pins it at 100 % CPU (its header loop spins on EOF)
and every later call hangs; a caller name with a truncated UTF-8 character crashes it before routing.
Either would keep 112 callers out of the queue. This server reads the header with a bounded
``readuntil`` under a deadline, decodes with ``errors="replace"``, survives any handler failure, tracks
every connection task and drains them on ``close()``.

The dialplan must not depend on this server for a 112 call to reach ``Queue()``: an unknown route or a
failing handler just closes the connection, and the dialplan falls back (see asterisk-conf/).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping

from ec112.agi.protocol import (
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiTimeout,
    args_of,
    parse_env,
    route_of,
)
from ec112.agi.session import AgiSession

__all__ = [
    "AgiError",
    "AgiHandler",
    "AgiHangup",
    "AgiProtocolError",
    "AgiReply",
    "AgiServer",
    "AgiSession",
    "AgiTimeout",
]

logger = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]

_HEADER_END = b"\n\n"
_WRITER_CLOSE_TIMEOUT = 1.0
_BACKLOG = 512  # a false-call wave can bring hundreds of calls within seconds


class AgiServer:
    """Accepts FastAGI connections from Asterisk and runs the handler registered for each route."""

    def __init__(
        self,
        host: str,
        port: int,
        routes: Mapping[str, AgiHandler],
        *,
        header_timeout: float = 2.0,
        command_timeout: float = 2.0,
        max_header_bytes: int = 16384,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._routes = dict(routes)
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._max_header_bytes = max_header_bytes
        self._server: asyncio.Server | None = None
        self._bound_port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._active_sessions = 0
        self._closing = False
        self._closed = asyncio.Event()

    async def start(self) -> None:
        """Bind and start accepting. Raises OSError when the address cannot be bound."""
        if self._server is not None:
            raise RuntimeError("AgiServer already started")
        self._server = await asyncio.start_server(
            self._on_connect,
            self._host,
            self._requested_port,
            limit=self._max_header_bytes,
            backlog=_BACKLOG,
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]
        logger.info("FastAGI server listening on %s:%d", self._host, self.port)

    @property
    def port(self) -> int:
        """The port actually bound (useful when constructed with port 0); kept after close()."""
        if self._bound_port is None:
            raise RuntimeError("AgiServer is not started")
        return self._bound_port

    @property
    def listening(self) -> bool:
        """True while new connections are accepted (for /readyz)."""
        return self._server is not None and self._server.is_serving() and not self._closing

    @property
    def active_sessions(self) -> int:
        """Connections whose route handler is running now."""
        return self._active_sessions

    async def serve_forever(self) -> None:
        """Serve until cancelled or until ``close()`` is called; cancellation closes gracefully."""
        if self._server is None:
            await self.start()
        try:
            await self._closed.wait()
        finally:
            await self.close()

    async def close(self, grace: float = 5.0) -> None:
        """Stop accepting, let running sessions finish for up to ``grace`` seconds, then cancel them."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            if self._server is not None:
                self._server.close()
            pending = set(self._tasks)
            if pending:
                _, still_running = await asyncio.wait(pending, timeout=grace)
                if still_running:
                    logger.warning("cancelling %d FastAGI session(s) still running after %.1fs",
                                   len(still_running), grace)
                    for task in still_running:
                        task.cancel()
                    await asyncio.gather(*still_running, return_exceptions=True)
            if self._server is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_WRITER_CLOSE_TIMEOUT):
                        await self._server.wait_closed()
            logger.info("FastAGI server closed")
        finally:
            self._closed.set()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # asyncio runs this callback as its own task: track it for close()
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            if self._closing:
                return
            await self._serve_connection(reader, writer)
        except Exception:  # never let one connection take the server down
            logger.exception("unexpected error in FastAGI connection handling")
        finally:
            await _close_writer(writer)

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = await self._read_env(reader, writer)
        if env is None:
            return
        route = route_of(env)
        uniqueid = env.get("agi_uniqueid", "?")
        handler = self._routes.get(route)
        if handler is None:
            logger.warning("FastAGI: unknown route %r (channel %s); closing so the dialplan falls back",
                           route[:64], uniqueid)
            return
        session = AgiSession(reader, writer, env=env, route=route, args=args_of(env),
                             command_timeout=self._command_timeout)
        logger.debug("FastAGI %s: env %r", route, env)  # caller data: DEBUG only
        self._active_sessions += 1
        try:
            await handler(session)
        except AgiHangup as exc:
            logger.info("FastAGI %s (channel %s): caller hung up: %s", route, uniqueid, exc)
        except AgiError as exc:
            logger.warning("FastAGI %s (channel %s): %s: %s", route, uniqueid, type(exc).__name__, exc)
        except Exception as exc:
            # The message may carry caller data: log type and stack at ERROR, the message at DEBUG.
            logger.error("FastAGI %s (channel %s): handler raised %s\n%s", route, uniqueid,
                         type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)).rstrip())
            logger.debug("FastAGI %s handler exception detail", route, exc_info=exc)
        finally:
            self._active_sessions -= 1

    async def _read_env(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, str] | None:
        """Read the ``agi_*`` block; None (after one log line) when the peer is not a usable AGI call."""
        peer = writer.get_extra_info("peername")
        try:
            async with asyncio.timeout(self._header_timeout):
                while True:
                    head = await reader.readuntil(_HEADER_END)
                    env = parse_env(head)
                    if env:  # stray blank lines before the block: keep reading
                        return env
        except TimeoutError:
            logger.info("FastAGI: header from %s not finished within %.1fs; closing", peer,
                        self._header_timeout)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                logger.info("FastAGI: %s closed the connection in the middle of the header", peer)
            else:
                logger.info("FastAGI: %s connected and closed without a header", peer)
        except asyncio.LimitOverrunError:
            logger.warning("FastAGI: header from %s exceeds %d bytes; closing", peer,
                           self._max_header_bytes)
        except (ConnectionError, OSError) as exc:
            logger.info("FastAGI: connection from %s failed while reading the header: %s", peer,
                        type(exc).__name__)
        return None


async def _close_writer(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        async with asyncio.timeout(_WRITER_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()  # peer does not read: drop the connection instead of waiting
    except (ConnectionError, OSError):
        pass
