"""A loopback fake Asterisk Manager Interface server for the AMI adapter tests.

Real sockets, real TCP chunking: it sends the banner (``Asterisk Call Manager/5.0.4`` as Asterisk 16
does, or ``11.0.0`` as Asterisk 22 does), answers Login (success, or ``Authentication failed`` and
hang up, as Asterisk does), Ping/Pong and Logoff, runs scripted answers per action, pushes events,
and can misbehave on purpose: go silent while keeping the socket open (a half-open link), drop every
connection, or hang up on every new connection before the banner. It records every action it
received, per connection, so tests can prove that nothing was re-sent after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

Fields = dict[str, str]
# A scripted answer: given the action's headers, the messages to send back (each gets the action's
# ActionID, as Asterisk does for responses and list events), or None to stay quiet (the test answers
# later with ``send``).
Handler = Callable[[Fields], list[Fields] | None]


def encode(message: Mapping[str, str]) -> bytes:
    return "".join(f"{key}: {value}\r\n" for key, value in message.items()).encode() + b"\r\n"


def list_reply(events: Sequence[Fields], complete_event: str) -> list[Fields]:
    """How Asterisk answers a list action: Response (EventList: start), the events, then ...Complete."""
    return [
        {"Response": "Success", "EventList": "start", "Message": "Entries will follow"},
        *events,
        {"Event": complete_event, "EventList": "Complete", "ListItems": str(len(events))},
    ]


@dataclass
class FakeAmiConnection:
    index: int
    writer: asyncio.StreamWriter
    silent: bool = False
    # Asterisk never interleaves two messages; a chunked send holds this so a Pong cannot cut in.
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send_bytes(self, data: bytes) -> None:
        async with self.write_lock:
            self.writer.write(data)
            await self.writer.drain()


@dataclass
class FakeAmiServer:
    version: str = "5.0.4"
    username: str = "ec112"
    secret: str = "s3cret"
    hang_up_on_accept: bool = False
    refuse_logins: list[str] = field(default_factory=list)  # messages for the next Login errors, in order
    handlers: dict[str, Handler] = field(default_factory=dict)  # keyed by lower-case action name
    received: list[tuple[int, Fields]] = field(default_factory=list)  # (connection index, action)
    accept_times: list[float] = field(default_factory=list)
    connections: list[FakeAmiConnection] = field(default_factory=list)  # currently open
    _server: asyncio.Server | None = None
    handler_tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _accepted: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for connection in list(self.connections):
            connection.writer.transport.abort()
        if self.handler_tasks:
            await asyncio.wait(self.handler_tasks, timeout=2)

    # --- what the tests look at ----------------------------------------------------------------

    def actions(self, name: str) -> list[tuple[int, Fields]]:
        return [(index, a) for index, a in self.received if a.get("Action", "").lower() == name.lower()]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_action(self, name: str, count: int = 1, timeout: float = 3.0) -> Fields:
        await self.wait_for(lambda: len(self.actions(name)) >= count, timeout)
        return self.actions(name)[count - 1][1]

    # --- what the tests make it do -------------------------------------------------------------

    @property
    def latest(self) -> FakeAmiConnection:
        return self.connections[-1]

    async def send(self, *messages: Mapping[str, str]) -> None:
        """Send messages (events, late replies) on the newest connection, in one write."""
        await self.latest.send_bytes(b"".join(encode(m) for m in messages))

    async def send_in_chunks(self, data: bytes, sizes: Sequence[int]) -> None:
        """Write ``data`` in pieces of the given sizes (cycled), yielding between them so that they
        leave as separate TCP segments (asyncio sets TCP_NODELAY)."""
        connection, offset, turn = self.latest, 0, 0
        async with connection.write_lock:
            while offset < len(data):
                size = sizes[turn % len(sizes)]
                connection.writer.write(data[offset : offset + size])
                await connection.writer.drain()
                await asyncio.sleep(0)  # the client's read happens in between
                offset, turn = offset + size, turn + 1

    def go_silent(self) -> None:
        """Current connections stop answering but stay open: the client sees a half-open link."""
        for connection in self.connections:
            connection.silent = True

    def drop_all(self) -> None:
        for connection in list(self.connections):
            connection.writer.transport.abort()

    # --- the server ----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handler_tasks.add(task)
        task.add_done_callback(self.handler_tasks.discard)
        self._accepted += 1
        connection = FakeAmiConnection(self._accepted, writer)
        self.accept_times.append(time.monotonic())
        await self._notify()
        if self.hang_up_on_accept:
            writer.transport.abort()
            return
        self.connections.append(connection)
        try:
            await connection.send_bytes(f"Asterisk Call Manager/{self.version}\r\n".encode())
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = self._parse(block)
                self.received.append((connection.index, action))
                await self._notify()
                if not connection.silent:
                    await self._answer(connection, action)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.connections.remove(connection)
            writer.transport.abort()
            await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    def _parse(block: bytes) -> Fields:
        fields: Fields = {}
        for line in block.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            if key:
                fields[key] = value
        return fields

    async def _answer(self, connection: FakeAmiConnection, action: Fields) -> None:
        name = action.get("Action", "").lower()
        action_id = action.get("ActionID", "")
        if name == "login":
            if self.refuse_logins:  # e.g. "Asterisk is shutting down" during a restart
                message = self.refuse_logins.pop(0)
                await connection.send_bytes(encode({"Response": "Error", "ActionID": action_id, "Message": message}))
                connection.writer.transport.close()
                return
            if action.get("Username") == self.username and action.get("Secret") == self.secret:
                # One write, as Asterisk does: the client must not lose or misorder FullyBooted.
                await connection.send_bytes(
                    encode({"Response": "Success", "ActionID": action_id, "Message": "Authentication accepted"})
                    + encode({"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"})
                )
            else:
                await connection.send_bytes(
                    encode({"Response": "Error", "ActionID": action_id, "Message": "Authentication failed"})
                )
                connection.writer.transport.close()
            return
        if name == "ping":
            pong = {"Response": "Success", "ActionID": action_id, "Ping": "Pong", "Timestamp": "1.0"}
            await connection.send_bytes(encode(pong))
            return
        if name == "logoff":
            goodbye = {"Response": "Goodbye", "ActionID": action_id, "Message": "Thanks for all the fish."}
            await connection.send_bytes(encode(goodbye))
            connection.writer.transport.close()
            return
        handler = self.handlers.get(name)
        replies = handler(action) if handler else [{"Response": "Error", "Message": "Invalid/unknown command"}]
        if replies:
            with contextlib.suppress(ConnectionError):
                await connection.send_bytes(b"".join(encode({**r, "ActionID": action_id}) for r in replies))
