"""A loopback fake of Asterisk's FastAGI client side, for tests of ec112's FastAGI server.

It speaks what res_agi sends on the wire: an ``agi_*`` header block ending with an empty line, then one
reply per command. ``unquote_args`` ports res_agi.c ``parse_args`` so SET VARIABLE round trips are checked
against Asterisk's own splitting rules, not against our quoting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

IO_TIMEOUT = 2.0


def agi_header(route: str = "incoming", **overrides: str) -> bytes:
    """A header block as Asterisk 16 sends it for ``AGI(agi://127.0.0.1:PORT/<route>)``."""
    env = {
        "agi_network": "yes",
        "agi_network_script": route,
        "agi_request": f"agi://127.0.0.1/{route}",
        "agi_channel": "PJSIP/trunk-00000007",
        "agi_language": "en",
        "agi_type": "PJSIP",
        "agi_uniqueid": "ec112lab-1795820610.7",
        "agi_version": "16.28.0~dfsg-0+deb11u3",
        "agi_callerid": "+4915112345678",
        "agi_calleridname": "Max Mustermann",
        "agi_callingpres": "0",
        "agi_dnid": "112",
        "agi_rdnis": "unknown",
        "agi_context": "ec112-from-trunk",
        "agi_extension": "112",
        "agi_priority": "3",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140245062768384",
    }
    env.update(overrides)
    return "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n"


def unquote_args(line: str) -> list[str]:
    """res_agi.c ``parse_args``: split on blanks, ``"`` toggles quoting, ``\\`` escapes the next char."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if current is None:
                current = []
            continue
        if char in " \t" and not quoted and not escaped:
            if current is not None:
                args.append("".join(current))
            current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
        current.append(char)
        escaped = False
    if current is not None:
        args.append("".join(current))
    return args


Responder = Callable[[str], bytes]


def channel_responder(variables: dict[str, str]) -> Responder:
    """Answers GET FULL VARIABLE / SET VARIABLE from ``variables`` like a channel would."""

    def respond(command: str) -> bytes:
        args = unquote_args(command)
        if args[:3] == ["GET", "FULL", "VARIABLE"] and len(args) == 4:
            name = args[3].removeprefix("${").removesuffix("}")
            if name in variables:
                return f"200 result=1 ({variables[name]})\n".encode()
            return b"200 result=0\n"
        if args[:2] == ["SET", "VARIABLE"] and len(args) == 4:
            variables[args[2]] = args[3]
            return b"200 result=1\n"
        if args[:1] == ["ANSWER"]:
            return b"200 result=0\n"
        return b"510 Invalid or unknown command\n"

    return respond


class FakeAsterisk:
    """One FastAGI connection as Asterisk would open it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.commands: list[str] = []

    @classmethod
    async def connect(cls, port: int) -> FakeAsterisk:
        async with asyncio.timeout(IO_TIMEOUT):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        async with asyncio.timeout(IO_TIMEOUT):
            await self.writer.drain()

    async def next_command(self, timeout: float = IO_TIMEOUT) -> str | None:
        """The next command line the server sent, or None at EOF."""
        async with asyncio.timeout(timeout):
            raw = await self.reader.readline()
        if not raw:
            return None
        command = raw.decode().rstrip("\n")
        self.commands.append(command)
        return command

    async def serve(self, respond: Responder, timeout: float = IO_TIMEOUT) -> list[str]:
        """Answer every command with ``respond`` until the server closes; returns the commands seen."""
        while (command := await self.next_command(timeout)) is not None:
            await self.send(respond(command))
        return self.commands

    async def closed_by_server(self, timeout: float = IO_TIMEOUT) -> bool:
        """True when the server closes the connection within ``timeout`` (data before EOF is ignored)."""
        try:
            async with asyncio.timeout(timeout):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    async def close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                await self.writer.wait_closed()
        except (ConnectionError, TimeoutError):
            pass


async def run_call(
    port: int,
    route: str = "incoming",
    variables: Mapping[str, str] | None = None,
    header: bytes | None = None,
) -> tuple[list[str], dict[str, str]]:
    """A complete call: header, answer every command, return (commands, channel variables after)."""
    channel = dict(variables or {})
    fake = await FakeAsterisk.connect(port)
    try:
        await fake.send(header if header is not None else agi_header(route))
        commands = await fake.serve(channel_responder(channel))
    finally:
        await fake.close()
    return commands, channel
