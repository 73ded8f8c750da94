"""The real ``ec112 serve`` (supervisor + worker; SQLite, or a PostgreSQL database) attached to the benchmark's
Asterisk.

Like the integration harness' Ec112Daemon, but with production logging (INFO, not DEBUG: the benchmark
measures ec112 as it runs in a call centre) and the bench's wrap-up time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ec112.lab.render import LabConfig


class BenchDaemon:
    def __init__(self, lab: LabConfig, workdir: Path, *, records: bool = True, database_url: str | None = None) -> None:
        self.workdir = workdir
        self.var_dir = workdir / "var"
        self.log_path = workdir / "ec112.log"
        self.base_url = f"http://127.0.0.1:{lab.ports.web}"
        self.env = {
            **os.environ,
            "EC112_LAB_MODE": "1",
            "EC112_CONFIG": "",  # never a developer's var/ec112.toml (ec112.config.settings_file)
            "EC112_LOG_LEVEL": "INFO",
            "EC112_VAR_DIR": str(self.var_dir),
            "EC112_AMI__PORT": str(lab.ports.ami),
            "EC112_AMI__SECRET": lab.ami_secret,
            "EC112_AGI__PORT": str(lab.ports.agi),
            "EC112_WEB__PORT": str(lab.ports.web),
            "EC112_CALLCENTER__WRAPUP_SECONDS": str(lab.wrapup_seconds),
            "EC112_API_URL": self.base_url,
            # Asterisk's own records, read back by the backfill. The ramp turns them off (records=False): there
            # they would also hold the bare variant's calls, which ec112 would then ticket after its start.
            "EC112_RECORDS__CDR_CSV": str(lab.cdr_csv if records else workdir / "no-records" / "cdr.csv"),
            "EC112_RECORDS__QUEUE_LOG": str(lab.queue_log if records else workdir / "no-records" / "queue_log"),
        }
        if database_url:  # else SQLite under var/
            self.env["EC112_DATABASE__URL"] = database_url
        self.engine = "postgresql" if database_url else "sqlite"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "ec112", "serve"], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ec112 exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=2)
                if response.status_code == 200 and (self.var_dir / "ec112-worker.pid").exists():
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"ec112 not ready after {timeout} s: {last}\n{self.log_tail()}")

    @property
    def supervisor_pid(self) -> int:
        if self.process is None:
            raise RuntimeError("ec112 is not running")
        return self.process.pid

    def worker_pid(self) -> int:
        return int((self.var_dir / "ec112-worker.pid").read_text())

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        pid_file = self.var_dir / "ec112-worker.pid"
        if pid_file.exists():  # a worker left behind must not outlive the benchmark
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        self.process = None

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except FileNotFoundError:
            return "(no ec112 log)"

    def token(self) -> str:
        """The daemon's local CLI token (rewritten at every worker start)."""
        return (self.var_dir / "cli-token").read_text().strip()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token()}"},
                            timeout=10)

    def metrics(self) -> str:
        with self.client() as client:
            response = client.get("/metrics")
            response.raise_for_status()
            return response.text

    def catch_up(self, timeout: float = 60.0) -> float | None:
        """Seconds until ec112's live view shows no call in progress (the AMI backlog worked off), measured
        once Asterisk has none left; None when it did not within ``timeout``."""
        started = time.monotonic()
        with self.client() as client:
            while time.monotonic() - started < timeout:
                if client.get("/api/calls").json() == []:
                    return round(time.monotonic() - started, 2)
                time.sleep(0.1)
        return None

    def tickets_since(self, since: datetime) -> list[dict[str, Any]]:
        """Every ticket created at or after ``since`` (aware), read through the API in pages of 200."""
        found: list[dict[str, Any]] = []
        with self.client() as client:
            offset = 0
            while True:
                response = client.get("/api/tickets", params={"limit": 200, "offset": offset})
                response.raise_for_status()
                page: list[dict[str, Any]] = response.json()
                found += [t for t in page if datetime.fromisoformat(t["created_at"]) >= since]
                if len(page) < 200 or datetime.fromisoformat(page[-1]["created_at"]) < since:
                    return found
                offset += 200
