"""The README's first command, as a new user lives it: `ec112 lab run` (what `make run` starts),
`ec112 lab info --json`, a softphone registering as taker01, `ec112 agent login`, `ec112 lab call` — on the
database EC112_TEST_DATABASE names (`ec112 lab run --database postgresql`).

It uses the lab's fixed, documented ports (SIP 5060, AMI 5038, FastAGI 4573, web 8112).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from harness import TakerPhone
from harness.pg_fixtures import selected_database

from ec112.lab.asterisk import AsteriskFlavor
from ec112.lab.postgres import PgServer, drop_database, run_sync

pytestmark = pytest.mark.integration


def _ec112(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ec112", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def lab_database(request: pytest.FixtureRequest) -> Iterator[tuple[list[str], dict[str, str], str | None]]:
    """`--database` for `ec112 lab run` (EC112_TEST_DATABASE), its environment, and its PostgreSQL database (a
    name of this test's own on the session's server, dropped after it: never a user's ec112_lab)."""
    if selected_database() == "sqlite":
        yield [], {}, None
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"ec112_lab_test_{uuid.uuid4().hex[:8]}"
    try:
        yield (["--database", "postgresql"], {"EC112_TEST_PG_DSN": server.admin_dsn, "EC112_LAB_PG_DATABASE": name},
               server.dsn(name))
    finally:
        run_sync(drop_database(server, name))


async def _pg_tickets(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch("SELECT caller_number_e164 FROM tickets", timeout=10)
        return [row["caller_number_e164"] for row in rows]
    finally:
        await conn.close(timeout=10)


def test_lab_run_answers_a_demo_112_call(
    asterisk_flavor: AsteriskFlavor, tmp_path: Path, lab_database: tuple[list[str], dict[str, str], str | None],
) -> None:
    flavor = ["--asterisk", asterisk_flavor.name]
    database, database_env, pg_dsn = lab_database
    log = (tmp_path / "lab.out").open("wb")
    lab = subprocess.Popen([sys.executable, "-m", "ec112", "lab", "run", *flavor, *database], cwd=tmp_path,
                           stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **database_env})
    try:
        deadline = time.monotonic() + 60
        while "ready" not in (tmp_path / "lab.out").read_text(errors="replace"):
            assert lab.poll() is None, (tmp_path / "lab.out").read_text()
            assert time.monotonic() < deadline, (tmp_path / "lab.out").read_text()
            time.sleep(0.2)
        assert httpx.get("http://127.0.0.1:8112/readyz", timeout=5).json()["ready"] is True

        info = json.loads(_ec112("lab", "info", "--json", *flavor, cwd=tmp_path).stdout)
        assert info["sip"]["port"] == 5060
        assert info["ami"]["port"] == 5038
        assert info["fastagi"]["port"] == 4573
        assert info["web"]["url"] == "http://127.0.0.1:8112"
        assert info["trunk"]["source_address"] == "127.0.0.1"
        accounts = {e["username"]: e["password"] for e in info["endpoints"]}
        # 17 call takers, the supervisor's phone, and the drill callers' endpoint (`ec112 drill run --password`)
        assert {f"taker{n:02d}" for n in range(1, 18)} | {"spv01", "drill"} == set(accounts)

        phone = TakerPhone("taker01", accounts["taker01"], 5060, tmp_path / "sipp", talk_ms=1000, max_calls=1)
        try:
            phone.register()
            assert _ec112("agent", "login", "taker01", cwd=tmp_path).returncode == 0
            call = _ec112("lab", "call", *flavor, cwd=tmp_path)
            assert call.returncode == 0, call.stdout + call.stderr
        finally:
            phone.stop()
        deadline = time.monotonic() + 15
        while True:
            [ticket] = json.loads(_ec112("tickets", "list", "--json", cwd=tmp_path).stdout)
            if ticket["ended_at"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert ticket["answered_by"] == "taker01"
        assert ticket["caller_number"] == "+6281234567890"
        assert ticket["location"]["lat"] == pytest.approx(-1.1178021)  # desa Riko, kecamatan Penajam (PPU)
        if pg_dsn is None:
            assert (tmp_path / "var" / "ec112.sqlite3").is_file()  # SQLite under var/, as documented
        else:  # the ticket is in the lab's PostgreSQL database, and no SQLite file was made
            assert run_sync(_pg_tickets(pg_dsn)) == ["+6281234567890"]
            assert not (tmp_path / "var" / "ec112.sqlite3").exists()
    finally:
        lab.send_signal(signal.SIGTERM)
        try:
            assert lab.wait(30) == 0
        finally:
            if lab.poll() is None:
                lab.kill()
            log.close()
