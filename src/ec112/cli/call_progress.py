"""`ec112 lab call`'s progress, one line per step (pure: what is seen in, the new lines out).

Two witnesses report on the same call: SIPp (the citizen: placed, answered by Asterisk, ended — the ``<log>`` lines
of lab/sipp/demo_112_call.xml) and ec112's JSON API (the ticket, who answered, why the call still waits). SIPp is
always there; the API may not answer, and then the progress says so once and goes on with what SIPp reports (the
call is placed whatever ec112 does: fail open). Each step is printed once, Bahasa Indonesia first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CALLER = "+6281234567890"  # the demo citizen of lab/sipp/demo_112_call.xml (P-Asserted-Identity)
FIRST_TAKER = "taker01"
UNAVAILABLE = {"paused": "dijeda / paused", "unreachable": "telepon tak terjangkau / phone unreachable",
               "on_call": "sedang bicara / on a call", "wrap_up": "wrap-up", "ringing": "berdering / ringing"}


def waiting_reason(agents: Sequence[dict[str, Any]]) -> str:
    """Why a queued call is not answered yet, from ``GET /api/agents`` (the call takers logged in)."""
    if not agents:
        return (f"belum ada petugas masuk, jalankan `ec112 agent login {FIRST_TAKER}` / no call taker logged in, "
                f"run `ec112 agent login {FIRST_TAKER}`")
    available = [a["endpoint"] for a in agents if a.get("state") == "available"]
    if available:
        return f"berdering di / ringing {', '.join(available)}"
    busy = ", ".join(f"{a['endpoint']}: {UNAVAILABLE.get(a.get('state', ''), a.get('state', '?'))}" for a in agents)
    return f"tidak ada petugas siap / no call taker available ({busy})"


@dataclass
class CallProgress:
    """The steps shown so far; every ``on_…`` returns the lines to print now (none when nothing changed)."""

    api_url: str
    shown: list[str] = field(default_factory=list)
    asterisk_answered: bool = False
    ticket: str | None = None
    answered_by: str | None = None
    ended: bool = False
    _waiting: str | None = None
    _api_down: bool = False

    def _say(self, line: str) -> list[str]:
        self.shown.append(line)
        return [line]

    def on_sipp(self, line: str) -> list[str]:
        """A ``<log>`` line of the scenario."""
        word = line.split(maxsplit=1)[0] if line.strip() else ""
        if word == "placed":
            return self._say(f"→ dikirim / placed: 112 dari / from {CALLER} (SIPp, trunk)")
        if word == "answered" and not self.asterisk_answered:
            self.asterisk_answered = True
            return self._say("→ dijawab Asterisk / answered by Asterisk")
        if word == "ended" and not self.ended:
            self.ended = True
            return self._say(f"→ selesai / ended: {self.answered_by or 'Asterisk'} menutup / hung up")
        return []

    def on_ticket(self, ticket: dict[str, Any]) -> list[str]:
        """This call's ticket as ``GET /api/tickets`` returns it."""
        lines: list[str] = []
        if self.ticket is None:
            self.ticket = str(ticket["number"])
            lines += self._say(f"→ tiket / ticket {self.ticket} dibuka / opened")
        taker = ticket.get("answered_by")
        if taker and self.answered_by is None:
            self.answered_by = str(taker)
            lines += self._say(f"→ dijawab oleh / answered by {taker}")
        return lines

    def on_agents(self, agents: Sequence[dict[str, Any]]) -> list[str]:
        """The call takers while the call waits: a new reason is shown, the same one is not repeated."""
        if self.answered_by is not None or self.ended:
            return []
        reason = waiting_reason(agents)
        if reason == self._waiting:
            return []
        self._waiting = reason
        return self._say(f"→ menunggu / waiting: {reason}")

    def on_api_error(self, error: str) -> list[str]:
        """The API did not answer (said once until it answers again)."""
        if self._api_down:
            return []
        self._api_down = True
        return self._say(f"! API ec112 {self.api_url} tidak menjawab / does not answer ({error}): hanya yang "
                         "dilihat SIPp / showing what SIPp sees (panggilan tetap berjalan / the call goes on)")

    def on_api_ok(self) -> None:
        self._api_down = False

    def on_exit(self, returncode: int, wait_seconds: int) -> list[str]:
        """SIPp is done: its verdict when the call did not end normally."""
        if returncode == 0:
            return [] if self.ended else self._say("→ selesai / ended")
        if not self.asterisk_answered:
            return self._say(f"✗ gagal / failed: Asterisk tidak menjawab / did not answer (SIPp exit {returncode})")
        if not self.ended:
            return self._say(f"✗ tidak dijawab petugas dalam / no call taker answered within {wait_seconds} s: "
                             f"SIPp menutup / hung up (exit {returncode})")
        return self._say(f"✗ SIPp exit {returncode}")
