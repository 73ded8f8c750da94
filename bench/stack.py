"""The benchmark's private Asterisk and its call takers, built with the project's own lab code.

The Asterisk is rendered from asterisk-conf/ exactly as the lab and the tests render it (render.py,
AsteriskProcess), plus bench-only appendices: the bare context of variant (a) (bench/asterisk-conf/), and
for the rate ramp as many extra taker endpoints (static members of the 112 queue) as the highest rate needs,
so that the call takers are never what limits the rate. All takers are answered by ONE SIPp UAS: each
endpoint registers that UAS's address as its Contact.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ec112.lab.asterisk import AsteriskFlavor, AsteriskProcess
from ec112.lab.render import LabConfig, LabPorts, new_lab_config, render

from .sipp import Sipp, free_udp_port, scenario

APPENDIX_DIR = Path(__file__).resolve().parent / "asterisk-conf"
BARE_EXTEN = "112bare"  # bench/asterisk-conf/extensions.conf: Answer -> Queue(112), no ec112
EMERGENCY_EXTEN = "112"  # the production path: Answer -> AGI intake -> Queue(112)
RTP_PORTS = 6000  # two RTP legs per call (caller, taker): room for ~1500 calls in flight


def bench_taker_names(count: int) -> list[str]:
    return [f"bt{n:03d}" for n in range(1, count + 1)]


def _bench_appendices(takers: Sequence[str], queue: str) -> dict[str, str]:
    """Extra endpoints (the production taker templates) as static members of the queue, and the bare context."""
    pjsip = ["; ec112 bench: extra call takers (bench/stack.py), one shared generated password"]
    for name in takers:
        pjsip += [f"[{name}](ec112-taker-endpoint)", f"auth = {name}", f"aors = {name}",
                  f"[{name}](ec112-taker-auth)", f"username = {name}", "password = ${bench_taker_password}",
                  f"[{name}](ec112-taker-aor)", ""]
    queues = ["; ec112 bench: the extra call takers, static members of the 112 queue", f"[{queue}](+)"]
    queues += [f"member => PJSIP/{name}" for name in takers]
    return {
        "extensions.conf": (APPENDIX_DIR / "extensions.conf").read_text(),
        "pjsip.conf": "\n".join(pjsip) + "\n",
        "queues.conf": "\n".join(queues) + "\n",
    }


class BenchAsterisk:
    """A private Asterisk for one benchmark phase; ``bench_takers`` > 0 adds the ramp's extra takers."""

    def __init__(self, flavor: AsteriskFlavor, workdir: Path, *, bench_takers: int = 0,
                 wrapup_seconds: int = 0) -> None:
        self.flavor = flavor
        self.workdir = workdir
        if flavor.chroot_root is not None:  # Asterisk 22 runs in a chroot and must see its directory
            flavor.lab_parent().mkdir(exist_ok=True)
            lab_dir = Path(tempfile.mkdtemp(prefix="ec112-bench-", dir=flavor.lab_parent()))
        else:
            lab_dir = workdir / "asterisk"
        self.bench_takers = bench_taker_names(bench_takers)
        self.taker_password = secrets.token_urlsafe(16)
        base = new_lab_config(lab_dir, LabPorts.allocate(rtp_ports=RTP_PORTS), flavor=flavor)
        self.config: LabConfig = dataclasses.replace(
            base, plan=dataclasses.replace(base.plan, wrapup_seconds=wrapup_seconds),
            extra={"bench_taker_password": self.taker_password})
        appendices = _bench_appendices(self.bench_takers, self.config.queue) if bench_takers else {
            "extensions.conf": (APPENDIX_DIR / "extensions.conf").read_text()}
        self.process = AsteriskProcess(flavor, render(self.config, appendices=appendices))

    @property
    def sip_port(self) -> int:
        return self.config.ports.sip

    @property
    def pid(self) -> int:
        if self.process.pid is None:
            raise RuntimeError("Asterisk is not running")
        return self.process.pid

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()
        if self.flavor.chroot_root is not None:
            shutil.rmtree(self.config.directory, ignore_errors=True)

    def rx(self, command: str) -> str:
        return self.process.rx(command)

    def active_calls(self) -> int:
        """Asterisk's own count of channels in progress (0 once a step has drained)."""
        for line in self.rx("core show channels count").splitlines():
            if "active channel" in line:
                return int(line.split()[0])
        return -1

    def credentials(self, names: Sequence[str]) -> list[tuple[str, str]]:
        return [(name, self.taker_password if name in self.bench_takers else self.config.endpoint_passwords[name])
                for name in names]


class TakerDesks:
    """N call takers answered by one SIPp UAS (ring ``ring_ms``, talk ``talk_ms``, hang up)."""

    def __init__(self, asterisk: BenchAsterisk, names: Sequence[str], workdir: Path, *,
                 ring_ms: int, talk_ms: int) -> None:
        self.asterisk = asterisk
        self.names = list(names)
        self.workdir = workdir
        self.uas_port = free_udp_port()
        uas = scenario("uas_taker", workdir, {"ring_ms": str(ring_ms)})
        self.uas = Sipp("takers", ["-sf", str(uas), "-p", str(self.uas_port), "-mp", str(free_udp_port(span=4)),
                                   "-d", str(talk_ms)], workdir)

    def register(self, timeout: float = 10.0, batch: int = 16) -> None:
        """One REGISTER (digest auth) per taker, all pointing at the UAS; one retry each (a REGISTER over UDP
        can be lost on a busy machine); raises when one is still refused."""
        script = scenario("register", self.workdir, {"uas_port": str(self.uas_port)})
        pending = list(self.asterisk.credentials(self.names))
        for attempt in (1, 2):
            failed: list[tuple[tuple[str, str], Sipp]] = []
            for first in range(0, len(pending), batch):
                running = [(cred, self._register_one(script, *cred, timeout=timeout, attempt=attempt))
                           for cred in pending[first:first + batch]]
                for cred, reg in running:
                    try:
                        code = reg.wait(timeout=timeout + 5)
                    except subprocess.TimeoutExpired:
                        code = -1
                    reg.stop()
                    if code != 0:
                        failed.append((cred, reg))
            if not failed:
                break
            pending = [cred for cred, _ in failed]
        else:
            raise RuntimeError(f"REGISTER of {len(failed)} call takers failed\n{failed[0][1].diagnostics()}")
        self._wait_reachable(timeout=10.0)

    def _register_one(self, script: Path, name: str, password: str, *, timeout: float, attempt: int) -> Sipp:
        return Sipp(f"register-{name}-{attempt}", [
            f"127.0.0.1:{self.asterisk.sip_port}", "-sf", str(script), "-s", name, "-au", name, "-ap", password,
            "-m", "1", "-p", str(free_udp_port()), "-timeout", f"{int(timeout)}s", "-timeout_error",
            "-recv_timeout", "5000"], self.workdir / "register")

    def _wait_reachable(self, timeout: float) -> None:
        """Until Asterisk lists a contact for every taker (device state NOT_INUSE)."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.asterisk.rx("pjsip show contacts")
            missing = [name for name in self.names if f"{name}/sip:{name}@" not in shown]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"no contact for {len(missing)} takers, e.g. {missing[:3]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.uas.stop()
