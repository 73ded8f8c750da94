"""A call taker's desk phone in tests: REGISTER with digest auth, then answer INVITEs.

Why two SIPp instances: SIPp cannot both register and act as a UAS in one scenario, so the UAS
starts first (no INVITE can be lost) and a one-shot REGISTER points the contact at its port
(`-key cport`). The UAS rings, answers, talks for `talk_ms` and hangs up with BYE; an `unattended`
phone rings and never answers. Both answer Asterisk's qualify OPTIONS, as a live softphone does;
`kill()` makes the phone die as a crashed softphone would, its registration still valid.

No `sipp -m`: each qualify OPTIONS counts as a SIPp "call", so a call limit would stop the phone
answering them (and Asterisk would rightly take it for dead). `max_calls` is what `wait()` waits for.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from .sipp import SIPP_DIR, SippProcess, fill, free_udp_port


class TakerPhone:
    def __init__(self, name: str, password: str, asterisk_sip_port: int, workdir: Path, *,
                 ring_ms: int = 300, talk_ms: int = 1000, max_calls: int | None = None,
                 lifetime_s: int = 120, unattended: bool = False) -> None:
        self.name = name
        self.password = password
        self.asterisk_sip_port = asterisk_sip_port
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.uas_port = free_udp_port()
        self.max_calls = max_calls
        self._starts = 1
        scenario = workdir / f"{name}.uas.xml"
        template = "uas_taker_unattended.xml" if unattended else "uas_taker.xml"
        scenario.write_text(fill((SIPP_DIR / template).read_text(), {"ring_ms": str(ring_ms)}))
        args = ["-sf", str(scenario), "-p", str(self.uas_port), "-mp", str(free_udp_port(span=4)),
                "-d", str(talk_ms), "-timeout", f"{lifetime_s}s", "-recv_timeout", "60000"]
        self.uas = SippProcess(f"{name}.uas", args, workdir)

    def register(self, timeout: float = 10.0) -> None:
        """One REGISTER with digest auth; raises with SIPp's diagnostics if it is not accepted."""
        reg = SippProcess(f"{self.name}.register", [
            f"127.0.0.1:{self.asterisk_sip_port}", "-sf", str(SIPP_DIR / "register.xml"),
            "-s", self.name, "-au", self.name, "-ap", self.password,
            "-key", "cport", str(self.uas_port), "-m", "1", "-p", str(free_udp_port()),
            "-timeout", f"{int(timeout)}s", "-timeout_error", "-recv_timeout", "5000",
        ], self.workdir)
        try:
            code = reg.wait(timeout=timeout + 5)
        finally:
            reg.stop()
        if code != 0:
            raise AssertionError(f"REGISTER of {self.name} failed (sipp exit {code})\n{reg.diagnostics()}")

    def invites(self) -> list[datetime]:
        """When this phone received each INVITE (retransmissions included)."""
        return [m.at for m in self.uas.trace() if m.direction == "received" and m.first_word == "INVITE"]

    def wait_for_invites(self, count: int, timeout: float) -> list[datetime]:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.invites()
            if len(seen) >= count or time.monotonic() >= deadline:
                return seen
            time.sleep(0.05)

    def answered(self) -> int:
        """Calls this phone answered and ended (its BYE was answered: 200 OK received after a BYE sent)."""
        done, bye_sent = 0, False
        for m in self.uas.trace():
            if m.direction == "sent" and m.first_word == "BYE":
                bye_sent = True
            elif bye_sent and m.direction == "received" and m.first_word == "SIP/2.0":
                done, bye_sent = done + 1, False
        return done

    def wait(self, timeout: float) -> int:
        """0 once `max_calls` calls were answered and ended cleanly, 1 if not within `timeout`."""
        deadline = time.monotonic() + timeout
        want = self.max_calls or 1
        while self.answered() < want:
            if time.monotonic() >= deadline or self.uas.process.poll() is not None:
                return 1
            time.sleep(0.05)
        return 0

    def kill(self) -> None:
        """The softphone dies (SIGKILL): its contact stays registered in Asterisk, nothing answers there."""
        self.uas.process.kill()
        self.uas.process.wait(timeout=5)

    def restart(self) -> None:
        """The softphone is started again on the same port and registers again (as after a crash); the new
        process has its own trace, so `invites()` counts from here."""
        self.uas.stop()
        self._starts += 1
        self.uas = SippProcess(f"{self.name}.uas{self._starts}", self.uas.argv_args, self.workdir)
        self.register()

    def stop(self) -> int:
        return self.uas.stop()
