"""The real ``ec112 serve`` (supervisor + worker) as a subprocess, pointed at a test's private Asterisk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ec112.lab.postgres import run_sync
from ec112.lab.render import LabConfig

_LOCK_ALL_TABLES = """SET lock_timeout = '5s';
BEGIN;
DO $$ DECLARE t text; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', t);
  END LOOP;
END $$;
SELECT 'locked';
"""


class Ec112Daemon:
    def __init__(self, lab: LabConfig, workdir: Path, *, watchdog_timeout: float = 3.0,
                 database_url: str | None = None, extra_env: Mapping[str, str] | None = None) -> None:
        self.lab = lab
        self.workdir = workdir
        self.var_dir = workdir / "var"
        self.log_path = workdir / "ec112.log"
        self.base_url = f"http://127.0.0.1:{lab.ports.web}"
        self.env = {
            **os.environ,
            "EC112_LAB_MODE": "1",
            "EC112_LOG_LEVEL": "DEBUG",
            "EC112_VAR_DIR": str(self.var_dir),
            "EC112_AMI__PORT": str(lab.ports.ami),
            "EC112_AMI__SECRET": lab.ami_secret,
            "EC112_AMI__PING_INTERVAL": "2",
            "EC112_AGI__PORT": str(lab.ports.agi),
            "EC112_WEB__PORT": str(lab.ports.web),
            "EC112_WATCHDOG__TIMEOUT": str(watchdog_timeout),
            "EC112_API_URL": self.base_url,
            # Asterisk's own records of this lab (the backfill reads them)
            "EC112_RECORDS__CDR_CSV": str(lab.cdr_csv),
            "EC112_RECORDS__QUEUE_LOG": str(lab.queue_log),
            "EC112_CALLCENTER__QUEUES_CONF": str(lab.queues_conf),  # the doctor reads its wrapuptime
            **lab.prompts_env(),  # prompts ec112 renders itself (known incidents), where this Asterisk reads them
            **lab.recordings_env(),  # where MixMonitor writes the recordings (issue 14)
            "EC112_TEXT__SPOOL_DIR": str(lab.directory / "spool"),  # text to 112 spooled while ec112 was down
            "EC112_TEXT__SPOOL_POLL_SECONDS": "1",
            "COLUMNS": "200",  # a supervisor's terminal, not rich's 80-column default for pipes
        }
        self.database_url = database_url  # None: SQLite under var/
        if database_url:
            self.env["EC112_DATABASE__URL"] = database_url
        self.env.update(extra_env or {})
        self.process: subprocess.Popen[bytes] | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self, *, wait_ready: bool = True, timeout: float = 30.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ec112", "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if wait_ready:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        """Until /readyz says ami, agi and db are all up."""
        last: Any = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"ec112 exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=2)
                last = response.json()
                if response.status_code == 200:
                    return dict(last)
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise AssertionError(f"ec112 not ready after {timeout} s: {last}\n{self.log_tail()}")

    def worker_pid(self) -> int:
        return int(httpx.get(f"{self.base_url}/healthz", timeout=2).json()["pid"])

    def signal_worker(self, signum: signal.Signals) -> int:
        pid = int((self.var_dir / "ec112-worker.pid").read_text())
        os.kill(pid, signum)
        return pid

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # a worker left behind (e.g. stopped with SIGSTOP) must not outlive the test
        pid_file = self.var_dir / "ec112-worker.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        return self.process.returncode

    def log_tail(self, size: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except FileNotFoundError:
            return "(no ec112 log)"

    # --- the database itself (what an attacker or a fault does to it, behind ec112's back) -------------------
    @property
    def database(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def sql(self, statement: str, *args: Any) -> tuple[Any, ...] | None:
        """Run one statement on the daemon's database in a connection of its own (``?`` placeholders, made
        ``$1``, ``$2``… on PostgreSQL); its first row, if any."""
        if self.database_url is None:
            with contextlib.closing(sqlite3.connect(self.var_dir / "ec112.sqlite3")) as db:
                row = db.execute(statement, args).fetchone()
                db.commit()
            return tuple(row) if row is not None else None
        numbered = iter(range(1, len(args) + 1))
        return run_sync(self._pg_execute(re.sub(r"\?", lambda _: f"${next(numbered)}", statement), *args))

    @contextlib.contextmanager
    def write_locked(self) -> Iterator[None]:
        """Another process holds the database's write lock (reads go on): SQLite's ``BEGIN EXCLUSIVE``; on
        PostgreSQL every table locked ``IN EXCLUSIVE MODE`` by a psql session, in one transaction."""
        if self.database_url is None:
            lock = sqlite3.connect(self.var_dir / "ec112.sqlite3", isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            return
        psql = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.pg_dsn()],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert psql.stdin is not None
        assert psql.stdout is not None
        try:
            psql.stdin.write(_LOCK_ALL_TABLES)
            psql.stdin.flush()
            assert psql.stdout.readline().strip() == "locked", "psql could not lock the tables"
            yield
        finally:
            psql.communicate("ROLLBACK;\n", timeout=10)

    def pg_dsn(self) -> str:
        assert self.database_url, "ec112 runs on SQLite"
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def _pg_execute(self, statement: str, *args: Any) -> tuple[Any, ...] | None:
        # an admin's session: writable even while the database's default is read-only (test_faults)
        conn = await asyncpg.connect(self.pg_dsn(), timeout=10,
                                     server_settings={"default_transaction_read_only": "off"})
        try:
            row = await conn.fetchrow(statement, *args, timeout=10)
            return tuple(row) if row is not None else None
        finally:
            await conn.close(timeout=10)

    # --- API and CLI ------------------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        """The daemon's local CLI token (rewritten at every worker start, so read each time)."""
        return {"Authorization": f"Bearer {(self.var_dir / 'cli-token').read_text().strip()}"}

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.base_url}{path}", headers=self.auth_headers(), timeout=5)
        response.raise_for_status()
        return response.json()

    def wait_for(self, path: str, predicate: Callable[[Any], bool], timeout: float = 15.0) -> Any:
        """Poll ``GET path`` until ``predicate(body)`` holds; the body, or an AssertionError with the log."""
        deadline = time.monotonic() + timeout
        body: Any = None
        while time.monotonic() < deadline:
            body = self.get(path)
            if predicate(body):
                return body
            time.sleep(0.05)
        raise AssertionError(f"{path} never matched: {json.dumps(body, indent=1)}\n{self.log_tail()}")

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "ec112", *args], env=self.env, capture_output=True, text=True, timeout=30,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ec112 {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def wait_for_tickets(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 15.0,
                         ) -> list[dict[str, Any]]:
        """Poll /api/tickets (oldest first) until ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        tickets: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            tickets = list(reversed(self.get("/api/tickets")))
            if predicate(tickets):
                return tickets
            time.sleep(0.1)
        raise AssertionError(f"tickets never matched after {timeout} s: {json.dumps(tickets, indent=1)}\n"
                             f"{self.log_tail()}")
