"""The watchdog that keeps a frozen ec112 out of a 112 caller's way.

Asterisk has no FastAGI read timeout: if the daemon accepts the AGI connection and then never answers
(stopped, deadlocked, a blocked event loop), the caller would wait in AGI forever. The dialplan falls back
to ``Queue()`` as soon as the AGI socket closes, so the supervisor's job is to make sure it closes: the
worker writes a heartbeat byte to a pipe from its event loop every ``heartbeat_interval``; when none
arrives for ``timeout`` seconds, the supervisor SIGKILLs the worker (the kernel then resets its sockets,
Asterisk's AGI returns, the call is queued) and starts a new one, which re-synchronises from AMI and opens
the tickets of the calls it missed.

Plain blocking code on purpose: it must keep working when everything asyncio-related is what froze.

Under systemd (``packaging/ec112.service``: ``Type=notify``, ``WatchdogSec=``) the supervisor is the main
process and speaks for the service: ``READY=1`` once the worker says it serves, and ``WATCHDOG=1`` only
while it makes progress — the worker's heartbeats arrive, or a worker is starting or being restarted
within its bounded grace. So a frozen worker is caught here first (``watchdog.timeout``), and a frozen or
stuck supervisor by systemd, which then restarts the whole service.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from ec112.config.exit_codes import EX_CONFIG
from ec112.config.ops_settings import WatchdogSettings
from ec112.watchdog.heartbeat import READY, WATCHDOG_FD_ENV
from ec112.watchdog.sd_notify import SystemdNotifier, without_systemd

log = logging.getLogger("ec112.supervisor")

__all__ = ["WATCHDOG_FD_ENV", "Supervisor", "run_supervised", "worker_command"]
STARTUP_GRACE = 20.0  # the first heartbeat may take this long (imports, migrations)


class Supervisor:
    def __init__(self, settings: WatchdogSettings, worker_argv: list[str], pid_file: Path) -> None:
        self._settings = settings
        self._argv = worker_argv
        self._pid_file = pid_file
        self._stopping = False
        self._worker: subprocess.Popen[bytes] | None = None
        self._systemd = SystemdNotifier()
        self._progress_until = 0.0  # monotonic: systemd's watchdog is fed until then

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        if self._worker is not None and self._worker.poll() is None:
            self._worker.send_signal(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            return self._supervise()
        finally:
            self._systemd.stopping()

    def _supervise(self) -> int:
        quick_failures = 0
        while not self._stopping:
            started = time.monotonic()
            code = self._run_once()
            if self._stopping:
                return 0
            if code == EX_CONFIG:
                log.critical("worker exited with a configuration error; not restarting")
                return code
            quick_failures = quick_failures + 1 if time.monotonic() - started < 10 else 0
            delay = min(self._settings.restart_delay * (2 ** min(quick_failures, 6)), 10.0)
            log.warning("restarting the worker in %.1f s", delay)
            self._systemd.status(f"worker exited with {code}; restarting in {delay:.1f} s")
            self._progress(delay + 1.0)
            self._sleep(delay)
        return 0

    def _progress(self, grace: float) -> None:
        self._progress_until = max(self._progress_until, time.monotonic() + grace)

    def _pet(self) -> None:
        now = time.monotonic()
        if now < self._progress_until:
            self._systemd.pet(now)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stopping and (left := end - time.monotonic()) > 0:
            self._pet()
            time.sleep(min(left, 0.2))

    def _run_once(self) -> int:
        read_fd, write_fd = os.pipe()
        env = {**without_systemd(os.environ), WATCHDOG_FD_ENV: str(write_fd)}
        worker = subprocess.Popen(self._argv, pass_fds=(write_fd,), env=env)
        os.close(write_fd)
        self._worker = worker
        self._pid_file.parent.mkdir(parents=True, exist_ok=True)
        self._pid_file.write_text(f"{worker.pid}\n")
        log.info("worker started (pid %d)", worker.pid)
        self._progress(STARTUP_GRACE)
        try:
            return self._watch(worker, read_fd)
        finally:
            os.close(read_fd)
            self._worker = None

    def _watch(self, worker: subprocess.Popen[bytes], read_fd: int) -> int:
        deadline = time.monotonic() + STARTUP_GRACE
        while True:
            code = worker.poll()
            if code is not None:
                log.log(logging.INFO if self._stopping else logging.ERROR, "worker exited with %d", code)
                return code
            if self._stopping:
                try:
                    return worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    return worker.wait()
            self._pet()
            readable, _, _ = select.select([read_fd], [], [], 0.1)
            if readable:
                data = os.read(read_fd, 4096)
                if not data:  # the worker closed its end: it is exiting
                    return worker.wait()
                deadline = time.monotonic() + self._settings.timeout
                self._progress_until = deadline  # a beating worker has no start-up grace left
                if READY in data:
                    log.info("worker %d is ready", worker.pid)
                    self._systemd.ready(f"worker {worker.pid} serving")
            elif time.monotonic() > deadline:
                log.error(
                    "worker %d sent no heartbeat for %.1f s: killing it so 112 calls fall back to the queue",
                    worker.pid,
                    self._settings.timeout,
                )
                worker.kill()
                return worker.wait()


def run_supervised(settings: WatchdogSettings, worker_argv: list[str], pid_file: Path) -> int:
    return Supervisor(settings, worker_argv, pid_file).run()


def worker_command(extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "ec112", "worker", *extra]
