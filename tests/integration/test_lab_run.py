"""The README's first command, as a new user lives it: `ec112 lab run` (what `make run` starts), `ec112 doctor`
finding the lab's var/ec112.toml (and its hint for a wrong AMI secret), `ec112 lab info --json`, a softphone
registering as taker01, `ec112 lab call` waiting for a call taker until `ec112 agent login`, then
`ec112 tickets list` in an 80-column terminal — on the database EC112_TEST_DATABASE names
(`ec112 lab run --database postgresql`).

It uses the lab's fixed, documented ports (SIP 5060, AMI 5038, FastAGI 4573, web 8112).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import tomli_w
from harness import TakerPhone
from harness.pg_fixtures import selected_database

from ec112.lab.asterisk import AsteriskFlavor
from ec112.lab.postgres import PgServer, drop_database, run_sync

pytestmark = pytest.mark.integration


def _ec112(*args: str, cwd: Path, columns: int = 200, discover: bool = False) -> subprocess.CompletedProcess[str]:
    """``discover``: as a user's shell, without the suite's EC112_CONFIG="" (tests/conftest.py), so the command
    finds var/ec112.toml from ``cwd``."""
    env = {**os.environ, "COLUMNS": str(columns)}
    if discover:
        env.pop("EC112_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "ec112", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


def _doctor_finds_the_lab_settings(cwd: Path) -> None:
    doctor = _ec112("doctor", cwd=cwd, columns=300, discover=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "var/ec112.toml" in doctor.stdout  # which settings file it read
    # a wrong AMI secret in (a copy of) the settings file: exit 1 and a fix naming the file, the key, manager.conf
    settings = tomllib.loads((cwd / "var" / "ec112.toml").read_text())
    settings["ami"]["secret"] = "not-the-lab-secret"
    wrong = cwd / "wrong-secret.toml"
    wrong.write_text(tomli_w.dumps(settings))
    doctor = _ec112("doctor", "--config", str(wrong), cwd=cwd, columns=300, discover=True)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    text = " ".join(doctor.stdout.split())
    assert f"Samakan [ami] secret di / in {wrong}" in text, text
    assert "secret akun [ec112] di" in text, text
    assert "manager.conf" in text, text
    assert "make [ami] secret" in text, text


def _wait_for_output(process: subprocess.Popen[bytes], path: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while text not in (seen := path.read_text(errors="replace")):
        assert process.poll() is None or text in path.read_text(errors="replace"), seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)
    return seen


def _tickets_fit_80_columns(cwd: Path, ticket: dict[str, object]) -> None:
    table = _ec112("tickets", "list", cwd=cwd, columns=80)
    assert table.returncode == 0, table.stderr
    assert max(len(line) for line in table.stdout.splitlines()) <= 80, table.stdout
    for value in (ticket["number"], ticket["caller_number"], ticket["status"], ticket["outcome"]):
        assert any(str(value) in line for line in table.stdout.splitlines()), (value, table.stdout)


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
        _doctor_finds_the_lab_settings(tmp_path)

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
            out = tmp_path / "call.out"
            with out.open("wb") as sink:  # nobody logged in yet: the call waits, and says why
                call = subprocess.Popen([sys.executable, "-m", "ec112", "lab", "call", *flavor], cwd=tmp_path,
                                        stdout=sink, stderr=subprocess.STDOUT)
            try:
                seen = _wait_for_output(call, out, "no call taker logged in, run `ec112 agent login taker01`", 30)
                assert "answered by Asterisk" in seen
                assert re.search(r"ticket 112-\d{6}-\d{5} dibuka / opened", seen), seen
                assert _ec112("agent", "login", "taker01", cwd=tmp_path).returncode == 0
                assert call.wait(60) == 0, out.read_text()
            finally:
                if call.poll() is None:
                    call.kill()
            seen = out.read_text()
            assert "answered by taker01" in seen, seen
            assert "ended" in seen, seen
            assert "Statistics Screen" not in seen, seen  # SIPp's screen only with --verbose
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
        assert ticket["number"] in seen  # the progress named this call's ticket
        _tickets_fit_80_columns(tmp_path, ticket)
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
