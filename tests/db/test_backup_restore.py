"""`ec112 backup` and `ec112 restore` on SQLite and PostgreSQL (typer's CliRunner; pg_dump/pg_restore for real).

Back up, write more, restore into an empty database: the accounts and the audit log are as at the backup, the
restore is anchored, and `ec112 audit verify` accepts the rewind. A non-empty database is refused.
"""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112.cli import app
from ec112.config.settings import Settings
from ec112.db.backup import backup, restore
from ec112.wiring import open_stores

from .audit_site import (
    another_database,
    daemon_run,
    site_fixture,  # noqa: F401  (the `site` fixture)
    verify_cli,
)


def _ec112(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


async def _usernames(settings: Settings) -> list[str]:
    async with open_stores(settings) as stores:
        return [u.username for u in await stores.user_admin().list()]


async def _add_user(settings: Settings, name: str) -> None:
    from ec112.domain.accounts import NewUser, Role

    async with open_stores(settings) as stores:
        user = NewUser(name, name.title(), Role.SUPERVISOR, None, None)
        await stores.user_admin().add("cli", user, f"sandi-{name}-1")


def test_backup_then_restore_into_an_empty_database(site: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_add_user(site, "siti"))
    code, out, err = _ec112("backup")
    assert code == 0, out + err
    [made] = (site.var_dir / "backups").iterdir()
    assert f"backup: {made}" in out
    assert "recording files are NOT in it" in out
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert made.name.startswith("ec112-")
    assert made.suffix in (".sqlite3", ".pgdump")

    asyncio.run(_add_user(site, "budi"))  # after the backup: lost by the restore, as it should be
    asyncio.run(daemon_run(site, 2))  # anchored up to head 9

    code, _out, err = _ec112("restore", str(made))  # into the database in use: refused
    assert code == 5
    assert "the database is not empty" in err

    with another_database(site.database_url, tmp_path) as empty:
        monkeypatch.setenv("EC112_DATABASE__URL", empty)
        restored = Settings(lab_mode=True, var_dir=site.var_dir, database={"url": empty})
        code, out, err = _ec112("restore", str(made))
        assert code == 0, out + err
        assert "audit head 6, anchored as a restore" in out
        assert asyncio.run(_usernames(restored)) == ["siti"]
        code, out, err = verify_cli()
        assert code == 0, out + err
        assert "audit log intact: 6 entries" in out
        anchors = (site.var_dir / "audit-anchors.jsonl").read_text().splitlines()
        assert [json.loads(a)["kind"] for a in anchors][-1] == "restore"

        asyncio.run(daemon_run(restored, 1))  # life goes on from the restored head
        code, out, err = verify_cli()
        assert code == 0, out + err
        assert "audit log intact: 7 entries" in out


def test_a_file_that_is_no_backup_is_refused(site: Settings, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("bukan cadangan\n")
    code, _out, err = _ec112("restore", str(junk))
    assert code == 5
    assert "is not an ec112 backup" in err


def test_a_backup_taken_while_entries_are_written_is_consistent(site: Settings, tmp_path: Path) -> None:
    async def backup_under_writes() -> Path:
        async with open_stores(site) as stores:
            async def writer() -> None:
                for i in range(150):
                    await stores.audit.record("cli", "user.add", f"sibuk{i}")

            writing = asyncio.create_task(writer())
            await asyncio.sleep(0.05)  # well into the writes
            path = await backup(site.database_url, tmp_path / "backups", datetime.now(UTC))
            assert not writing.done()  # the backup did not wait for the writer to finish
            await writing
            return path

    path = asyncio.run(backup_under_writes())
    with another_database(site.database_url, tmp_path) as empty:
        asyncio.run(restore(empty, path))
        restored = Settings(lab_mode=True, var_dir=site.var_dir, database={"url": empty})

        async def check() -> None:
            async with open_stores(restored) as stores:
                report = await stores.audit.verify()
                assert report.ok, report
                assert 5 < report.head_id < 155  # a snapshot from the middle of the writes, whole

        asyncio.run(check())
