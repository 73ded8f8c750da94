"""FastAGI wire format: the header block, reply lines and argument quoting.

Hand-written rather than taken from panoramisk 1.4, whose FastAGI crashes on non-UTF-8 headers (a caller
name truncated mid-character by Asterisk) and spins at 100 % CPU on EOF. Everything here is pure (no I/O)
so the edge cases seen on the wire can be unit-tested line by line.

Wire summary (res_agi.c): Asterisk sends ``agi_key: value`` lines ending with an empty line, then waits
for one command per line. Each command is answered by ``<code> result=<r> [(<data>)] [extra]``; ``100``
means "trying, the real answer follows"; ``511`` means the channel is dead; ``520-`` opens a multi-line
usage text closed by ``520 End of proper usage.``; a bare ``HANGUP`` line may arrive at any time when
``AGISIGHUP`` is on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

ENCODING = "utf-8"
# Replace undecodable bytes rather than fail: a 112 call must never be dropped over a caller name.
DECODE_ERRORS = "replace"

_RESULT_RE = re.compile(r"result=(\S*)(?:\s+\((.*)\))?")


class AgiError(Exception):
    """Base class of everything that can go wrong while talking to Asterisk over FastAGI."""


class AgiHangup(AgiError):
    """The channel is gone (EOF, or ``511`` on a dead channel): stop sending commands."""


class AgiTimeout(AgiError):
    """Asterisk did not answer a command (or send the header block) in time."""


class AgiProtocolError(AgiError):
    """Asterisk answered something we cannot interpret, or rejected the command (``520`` usage)."""


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One parsed reply line, e.g. ``200 result=1 (Max Mustermann)``."""

    code: int
    result: str
    data: str | None
    raw: str


def decode_line(raw: bytes) -> str:
    """Bytes from the socket → text without the line ending, never raising on bad UTF-8."""
    return raw.decode(ENCODING, DECODE_ERRORS).rstrip("\r\n")


def parse_env(head: bytes) -> dict[str, str]:
    """Parse the ``agi_*`` header block; blank lines and lines without ``: `` are ignored.

    Only ``\n`` ends a line (res_agi writes values verbatim): ``splitlines()`` would also split a caller
    name at U+2028, ``\x85`` or ``\r`` and let it inject ``agi_callerid``/``agi_network_script``.
    """
    env: dict[str, str] = {}
    for raw_line in head.decode(ENCODING, DECODE_ERRORS).split("\n"):
        line = raw_line.removesuffix("\r")
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            continue
        env[key.strip()] = value[1:] if value.startswith(" ") else value
    return env


def route_of(env: dict[str, str]) -> str:
    """The route from ``agi_network_script``: ``agi://host:port/incoming?x=1`` arrives as ``incoming?x=1``.

    Asterisk 16/22 send only the path part; a full URL is tolerated too. Returns ``""`` when absent.
    """
    script = env.get("agi_network_script", "").strip()
    if "://" in script:
        try:
            script = urlsplit(script).path
        except ValueError:  # e.g. "agi://[::1/x": an unknown route, not an unexpected error
            return ""
    return script.split("?", 1)[0].strip("/")


def args_of(env: Mapping[str, str]) -> list[str]:
    """``agi_arg_1`` … ``agi_arg_n`` in order, stopping at the first gap."""
    args: list[str] = []
    while (value := env.get(f"agi_arg_{len(args) + 1}")) is not None:
        args.append(value)
    return args


def reply_code(line: str) -> int | None:
    """The three-digit code at the start of a reply line, or None when there is none."""
    head = line[:3]
    if len(head) == 3 and head.isdigit() and (len(line) == 3 or line[3] in " -"):
        return int(head)
    return None


def parse_reply(line: str) -> AgiReply:
    """Parse a final (non-100, non-HANGUP) reply line.

    Raises:
        AgiProtocolError: the line has no code, or a 200 without ``result=``.
    """
    code = reply_code(line)
    if code is None:
        raise AgiProtocolError(f"unexpected AGI reply line: {line[:80]!r}")
    match = _RESULT_RE.search(line, 4)
    if match is None:
        if code == 200:
            raise AgiProtocolError(f"AGI 200 reply without result=: {line[:80]!r}")
        return AgiReply(code=code, result="", data=None, raw=line)
    return AgiReply(code=code, result=match.group(1), data=match.group(2), raw=line)


def quote_argument(value: str) -> str:
    """Quote one command argument the way res_agi's ``parse_args`` splits it.

    Inside double quotes, a backslash escapes the next character; a newline would end the command, so it
    is refused instead of being sent (it would let a value inject a second AGI command).
    """
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError("AGI arguments cannot contain line breaks or NUL")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_NAME_RE = re.compile(r"[A-Za-z0-9_()\-.,:]+")


def check_variable_name(name: str) -> str:
    """Reject channel variable names that would break the command line (spaces, quotes, newlines)."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"invalid channel variable name: {name!r}")
    return name
