"""Run SIPp as background processes and read what they saw, for the integration tests.

Why: SIPp is the citizen's handset and the call taker's desk phone in tests. Each instance gets
explicit loopback ports, `-nostdin`, global and receive timeouts (a forgotten SIPp must never
outlive the test run), and is stopped by its own PID. What a phone received is read from SIPp's
`-trace_msg` file: it has µs timestamps and is written as messages arrive.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SIPP_DIR = Path(__file__).resolve().parents[2] / "sipp"
_TOKEN = re.compile(r"\{\{(\w+)\}\}")
# "----------------------------------------------- 2026-11-27\t23:40:01.123456\n"
# "UDP message received [812] bytes :\n\nINVITE sip:... SIP/2.0" / "UDP message sent (387 bytes):\n\nBYE ..."
_TRACE_ENTRY = re.compile(
    r"^-{10,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)\s*\n"
    r"(?:UDP|TCP) message (received|sent) (?:\[\d+\] bytes ?|\(\d+ bytes\)):\s*\n\s*\n?(\S+) ",
    re.MULTILINE)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {{name}} tokens; an unknown token is an error (SIPp's own [x] / [$x] stay)."""
    def one(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _TOKEN.sub(one, template)


def free_udp_port(span: int = 1) -> int:
    """A free UDP port p such that p .. p+span-1 are free too (SIPp media uses p and p+2)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            if port + span >= 65535:
                continue
            try:
                for extra in range(1, span):
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                        other.bind(("127.0.0.1", port + extra))
            except OSError:
                continue
            return port
    raise RuntimeError("no free UDP port range found")


@dataclass(frozen=True)
class TracedMessage:
    """One SIP message a SIPp instance received or sent (from its -trace_msg file)."""

    at: datetime
    direction: str  # "received" | "sent"
    first_word: str  # method for requests ("INVITE"), "SIP/2.0" for responses


def read_trace(message_file: Path) -> list[TracedMessage]:
    try:
        text = message_file.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return [TracedMessage(datetime.fromisoformat(f"{day}T{clock}"), direction, word)
            for day, clock, direction, word in _TRACE_ENTRY.findall(text)]


class SippProcess:
    """One SIPp instance; its files (scenario, messages, errors, screen) live in `workdir`."""

    def __init__(self, name: str, args: list[str], workdir: Path, *, local_ip: str = "127.0.0.1") -> None:
        self.name = name
        self.workdir = workdir
        self.argv_args = list(args)
        self.message_file = workdir / f"{name}.messages.log"
        self.error_file = workdir / f"{name}.errors.log"
        self.screen_file = workdir / f"{name}.screen.log"
        self.argv = ["sipp", *args, "-nostdin", "-i", local_ip,
                     "-trace_msg", "-message_file", str(self.message_file),
                     "-trace_err", "-error_file", str(self.error_file)]
        self._screen = self.screen_file.open("wb")
        self.process = subprocess.Popen(self.argv, cwd=workdir, stdin=subprocess.DEVNULL,
                                        stdout=self._screen, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float) -> int:
        """SIPp's exit code: 0 all calls succeeded, 1 some failed, 97/99 other endings, <0 fatal."""
        code = self.process.wait(timeout=timeout)
        self._screen.close()
        return code

    def stop(self, timeout: float = 3.0) -> int:
        """End it by PID (SIGTERM, then SIGKILL); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._screen.close()
        return self.process.returncode

    def trace(self) -> list[TracedMessage]:
        return read_trace(self.message_file)

    def diagnostics(self) -> str:
        """Errors and the last screen, for assertion messages."""
        parts = [f"{self.name}: {' '.join(self.argv)}"]
        for path in (self.error_file, self.screen_file):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)
