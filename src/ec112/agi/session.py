"""One FastAGI conversation: send a command, read its reply, with a deadline on every wait.

Asterisk itself has no FastAGI read timeout, so a slow daemon keeps a 112 caller out of the queue; the
other way round, a wedged Asterisk must not hold a daemon task forever. Hence every command runs under
``asyncio.timeout`` and, once a command timed out, the session refuses further commands: a late reply
would otherwise be taken as the answer to the next command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ec112.agi.protocol import (
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiTimeout,
    check_variable_name,
    decode_line,
    parse_reply,
    quote_argument,
    reply_code,
)

logger = logging.getLogger(__name__)

_USAGE_END_PREFIX = "520 "
_MAX_USAGE_LINES = 200  # a 520 usage text is a few dozen lines; stop a peer that never ends it


class AgiSession:
    """What a route handler gets: the channel's ``agi_*`` environment and a way to send commands."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        env: Mapping[str, str],
        route: str,
        args: list[str],
        command_timeout: float,
    ) -> None:
        self.env: Mapping[str, str] = env
        self.route = route
        self.args = args
        self.hung_up = False
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._lock = asyncio.Lock()  # one command in flight: replies carry no id to match them by
        self._unusable: AgiError | None = None

    async def command(self, line: str) -> AgiReply:
        """Send one AGI command and return its final reply.

        Raises:
            AgiHangup: EOF, or ``511`` (command on a dead channel).
            AgiTimeout: no final reply within ``command_timeout``.
            AgiProtocolError: ``510``/``520`` (unknown command / bad usage) or an unparseable reply.
            ValueError: the command contains a line break.
        """
        if "\n" in line or "\r" in line:
            raise ValueError("an AGI command is one line")
        async with self._lock:
            if self._unusable is not None:
                raise type(self._unusable)(f"session unusable: {self._unusable}")
            try:
                async with asyncio.timeout(self._command_timeout):
                    return await self._exchange(line)
            except TimeoutError:
                self._unusable = AgiTimeout(f"no reply to {_verb(line)} within {self._command_timeout}s")
                raise self._unusable from None
            except AgiHangup as exc:
                self.hung_up = True
                self._unusable = exc
                raise
            except (ConnectionError, OSError) as exc:
                self.hung_up = True
                self._unusable = AgiHangup(f"connection lost: {type(exc).__name__}")
                raise self._unusable from exc
            except ValueError as exc:  # StreamReader.readline: line longer than the reader's limit
                self._unusable = AgiProtocolError(f"reply too long to {_verb(line)}")
                raise self._unusable from exc

    async def get_full_variable(self, expression: str) -> str | None:
        """Evaluate ``expression`` (e.g. ``${CALLERID(num)}``) on the channel; None when it is unset."""
        reply = await self.command(f"GET FULL VARIABLE {quote_argument(expression)}")
        if reply.result != "1":
            return None
        return reply.data if reply.data is not None else ""

    def end(self) -> None:
        """Give the channel back to the dialplan now: close the socket (Asterisk carries on with AGISTATUS=SUCCESS)
        while the route finishes work that needs no more commands. Any later command raises ``AgiProtocolError``."""
        if self._unusable is None:
            self._unusable = AgiProtocolError("session ended by the route")
        self._writer.close()  # the server's own close afterwards waits for it

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable; the value may contain spaces, quotes and backslashes."""
        await self.command(f"SET VARIABLE {check_variable_name(name)} {quote_argument(value)}")

    async def _exchange(self, line: str) -> AgiReply:
        self._writer.write(line.encode("utf-8") + b"\n")
        await self._writer.drain()
        while True:
            text = await self._read_line()
            if text == "HANGUP":
                # Asynchronous notice (AGISIGHUP): the caller left; the real reply still follows.
                self.hung_up = True
                continue
            if not text.strip():
                continue
            code = reply_code(text)
            if code == 100:  # "100 result=0 Trying...": the final reply follows
                continue
            if code == 511:
                raise AgiHangup(f"{_verb(line)}: command on a dead channel")
            if code == 520:
                if text.startswith("520-"):
                    await self._skip_usage_text()
                raise AgiProtocolError(f"{_verb(line)}: rejected with 520 (bad usage)")
            if code == 510:
                raise AgiProtocolError(f"{_verb(line)}: unknown AGI command (510)")
            return parse_reply(text)

    async def _skip_usage_text(self) -> None:
        for _ in range(_MAX_USAGE_LINES):
            if (await self._read_line()).startswith(_USAGE_END_PREFIX):
                return
        raise AgiProtocolError("520 usage text never ended")

    async def _read_line(self) -> str:
        raw = await self._reader.readline()
        if not raw:
            raise AgiHangup("connection closed by Asterisk")
        return decode_line(raw)


def _verb(line: str) -> str:
    """The command's leading keywords without arguments: safe to log (arguments may be personal data)."""
    verb: list[str] = []
    for word in line.split()[:3]:
        if not (word.isalpha() and word.isupper()):
            break
        verb.append(word)
    return " ".join(verb) or "<command>"
