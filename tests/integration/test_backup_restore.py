"""Backup and restore with a real Asterisk, SIPp callers and the real `ec112 serve` on SQLite (issue 15 part D).

Back up while the daemon runs, take more calls, stop; restore into an empty database: the tickets are those of the
backup (and a call made after it comes back only from Asterisk's own records), the accounts too, and
`ec112 audit verify` accepts the rewind the restore anchored. PostgreSQL's backup/restore: tests/db.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import CitizenCall
from harness.daemon import Ec112Daemon
from harness.pg_fixtures import fresh_database_sync, selected_database

pytestmark = pytest.mark.integration


def _add_user(ec112: Ec112Daemon, username: str) -> None:
    added = subprocess.run([sys.executable, "-m", "ec112", "user", "add", username, "--role", "supervisor",
                            "--password-stdin"], env=ec112.env, input="kata-sandi-panjang\n", capture_output=True,
                           text=True, timeout=60)
    assert added.returncode == 0, added.stdout + added.stderr


def _abandoned_call(ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], number: str,
                    count: int) -> list[dict[str, Any]]:
    call = citizen_call(caller_number=number, hang_up_after_ms=1200, name=number[-4:])
    assert call.wait(timeout=30) == 0, call.diagnostics()
    return ec112.wait_for_tickets(lambda ts: len(ts) >= count and all(t["ended_at"] for t in ts))


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the backup is restored: an empty database of the kind the daemon runs on (EC112_TEST_DATABASE)."""
    if selected_database() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    with fresh_database_sync(request.getfixturevalue("pg_server")) as url:
        yield url


def test_backup_calls_restore_into_an_empty_database_then_verify(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], empty_database_url: str
) -> None:
    _add_user(ec112, "siti")
    [first] = _abandoned_call(ec112, citizen_call, "+6281200005551", 1)
    backup_out = ec112.cli("backup").stdout  # while the daemon runs
    [backup] = (ec112.var_dir / "backups").iterdir()
    assert f"backup: {backup}" in backup_out
    assert "recording files are NOT in it" in backup_out

    after = _abandoned_call(ec112, citizen_call, "+6281200005552", 2)  # made after the backup
    _add_user(ec112, "budi")
    assert ec112.stop() == 0
    assert "audit log intact" in ec112.cli("audit", "verify").stdout

    refused = ec112.cli("restore", str(backup), check=False)  # over the database in use
    assert refused.returncode == 5
    assert "the database is not empty" in refused.stderr

    ec112.env["EC112_DATABASE__URL"] = empty_database_url
    restored = ec112.cli("restore", str(backup))
    assert "anchored as a restore" in restored.stdout
    verified = ec112.cli("audit", "verify")  # the entries after the backup were anchored: history now
    assert "audit log intact" in verified.stdout

    ec112.start()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) >= 1)
    assert tickets[0] == first  # as at the backup
    # The later call was not in the backup: if it is back, it came from Asterisk's own records (the backfill),
    # as that call; nothing else appears.
    assert {t["linkedid"] for t in tickets} <= {first["linkedid"], after[1]["linkedid"]}
    users = [u["username"] for u in ec112.cli_json("user", "list")]
    assert "siti" in users
    assert "budi" not in users
    assert ec112.stop() == 0
    assert "audit log intact" in ec112.cli("audit", "verify").stdout
