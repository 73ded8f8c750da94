"""A flood of 112 citizens: one SIPp UAC in rate mode, each call with its own caller number.

Why rate mode rather than one CitizenCall per citizen: a fault test needs calls arriving steadily while the
fault happens (a few per second), and one SIPp process keeps that rate whatever the machine does. Each
citizen's number is ``caller_prefix`` + SIPp's call number (1 … calls), so every call can be found again in
Asterisk's records and in ec112's tickets. A citizen that no call taker answers within ``patience_ms`` (from
Asterisk's answer, i.e. intake + queue) hangs up: the abandoned calls of a real surge.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .sipp import SIPP_DIR, SippProcess, fill, free_udp_port


class CitizenFlood:
    def __init__(self, asterisk_sip_port: int, workdir: Path, *, caller_prefix: str, calls: int, rate: float,
                 patience_ms: int, answer_timeout_ms: int = 8000, name: str = "flood") -> None:
        if not caller_prefix.lstrip("+").isdigit():
            raise ValueError(f"caller prefix {caller_prefix!r}: digits with an optional leading +")
        workdir.mkdir(parents=True, exist_ok=True)
        self.caller_prefix = caller_prefix
        self.calls = calls
        self.rate = rate
        scenario = workdir / f"{name}.xml"
        scenario.write_text(fill((SIPP_DIR / "uac_112_flood.xml").read_text(), {
            "caller_prefix": caller_prefix, "patience_ms": str(patience_ms),
            "answer_timeout_ms": str(answer_timeout_ms)}))
        # bounded: the last call starts at calls/rate s, then waits at most answer + patience + talk
        lifetime_s = int(calls / rate + (answer_timeout_ms + patience_ms) / 1000) + 30
        self.process = SippProcess(name, [
            f"127.0.0.1:{asterisk_sip_port}", "-sf", str(scenario), "-s", "112",
            "-r", f"{rate:g}", "-rp", "1000", "-m", str(calls), "-l", str(calls),
            "-p", str(free_udp_port()), "-mp", str(free_udp_port(span=4)),
            "-timeout", f"{lifetime_s}s", "-timeout_error", "-recv_timeout", str(patience_ms + 60_000),
        ], workdir)
        self.lifetime_s = lifetime_s

    def numbers(self) -> list[str]:
        """The caller numbers of the citizens, in the order they call."""
        return [f"{self.caller_prefix}{n}" for n in range(1, self.calls + 1)]

    def seconds_to_place(self) -> float:
        return self.calls / self.rate

    def wait(self, timeout: float | None = None) -> int:
        """SIPp's exit code once every call is over: 0 = each call went as the scenario expects."""
        try:
            return self.process.wait(timeout=self.lifetime_s if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the flood did not end in time\n{self.diagnostics()}") from None

    def stop(self) -> int:
        return self.process.stop()

    def diagnostics(self) -> str:
        return self.process.diagnostics()
