"""An insider who can write the database cannot rewrite the audit log silently (issue 15 part D).

Each attack on SQLite and PostgreSQL, seen through the real `ec112 audit verify` (typer's CliRunner): an edit with
the plain hashes recomputed, MACs stripped and every hash recomputed, a deleted tail, another database, an
edited anchor file; entries written before the key are reported; a rotated key still verifies the old entries.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ec112 import audit_wiring
from ec112.cli import app
from ec112.config.settings import Settings
from ec112.db.audit import SqlAuditStore
from ec112.db.engine import create_engine, migrate
from ec112.domain.audit import GENESIS_HASH, entry_hash
from ec112.wiring import open_stores

from .audit_site import (
    another_database,
    daemon_run,
    report_cli,
    site_fixture,  # noqa: F401  (the `site` fixture)
    verify_cli,
)


async def _sql(url: str, *statements: tuple[str, dict[str, object]]) -> None:
    """The attacker's own SQL, with the append-only triggers out of the way."""
    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    off = (["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"] if postgres else
           ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"])
    try:
        async with engine.begin() as conn:
            for statement in off:
                await conn.execute(text(statement))
            for statement, params in statements:
                await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


async def _rewrite(url: str, *, edit_id: int | None = None, strip_macs: bool = False) -> None:
    """Edit an entry's actor (or strip every MAC) and recompute every plain hash from the first change on."""
    engine = create_engine(url)
    try:
        entries = await SqlAuditStore(engine).entries()
    finally:
        await engine.dispose()
    prev, updates = GENESIS_HASH, []
    for e in entries:
        e = replace(e, actor="off.bpbd") if e.id == edit_id else e
        new = entry_hash(id=e.id, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail,
                         prev_hash=prev)
        mac = None if strip_macs else e.mac
        updates.append(("UPDATE audit_log SET actor = :actor, prev_hash = :prev, hash = :hash, mac = :mac "
                        "WHERE id = :id", {"actor": e.actor, "prev": prev, "hash": new, "mac": mac, "id": e.id}))
        prev = new
    await _sql(url, *updates)


def test_an_intact_log_verifies_and_its_key_file_is_private(site: Settings) -> None:
    code, out, err = verify_cli()
    assert code == 0, out + err
    assert "audit log intact: 5 entries, 2 anchors" in out
    key = site.var_dir / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    anchors = [json.loads(line) for line in (site.var_dir / "audit-anchors.jsonl").read_text().splitlines()]
    assert [(a["kind"], a["head_id"]) for a in anchors] == [("start", 0), ("stop", 5)]

    key.chmod(0o640)  # readable by the group: refused, whatever the command
    code, _out, err = verify_cli()
    assert code == 78
    assert "chmod 600" in err


def test_an_edited_row_with_recomputed_hashes_fails_its_mac(site: Settings) -> None:
    asyncio.run(_rewrite(site.database_url, edit_id=3))
    code, _out, err = verify_cli()
    assert code == 8
    assert "AUDIT LOG TAMPERED at entry 3: MAC does not match" in err


def test_macs_stripped_and_hashes_recomputed_differ_from_the_anchor(site: Settings) -> None:
    # Every row now looks "written before MACs", and the chain is whole: the anchor still knows better.
    asyncio.run(_rewrite(site.database_url, edit_id=2, strip_macs=True))
    code, _out, err = verify_cli()
    assert code == 8
    assert "AUDIT LOG TAMPERED at entry 5: entry 5 differs from the one anchored" in err


def test_a_deleted_tail_is_below_the_last_anchor(site: Settings) -> None:
    asyncio.run(_sql(site.database_url, ("DELETE FROM audit_log WHERE id > :id", {"id": 3})))
    code, _out, err = verify_cli()
    assert code == 8
    assert "entry 5 was anchored at" in err
    assert "the log ends before it" in err
    assert report_cli()["head_id"] == 3


def test_another_database_in_its_place_has_another_chain(site: Settings, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with another_database(site.database_url, tmp_path) as other_url:
        # Made with the same key (the insider has the host), longer than the real one, never anchored.
        other = Settings(lab_mode=True, var_dir=site.var_dir, database={"url": other_url})
        asyncio.run(daemon_run(other, 7, anchored=False))
        if other_url.startswith("sqlite"):  # the database file itself swapped
            shutil.copyfile(other.database_url.split("///", 1)[1], site.database_url.split("///", 1)[1])
        else:
            monkeypatch.setenv("EC112_DATABASE__URL", other_url)
        code, _out, err = verify_cli()
    assert code == 8
    assert "AUDIT LOG TAMPERED at entry 5: entry 5 differs from the one anchored" in err


def test_an_edited_anchor_file_breaks_its_own_chain(site: Settings) -> None:
    path = site.var_dir / "audit-anchors.jsonl"
    lines = path.read_text().splitlines()
    stop = json.loads(lines[1])
    stop["head_id"] = 3  # hide the last two entries before deleting them
    path.write_text("\n".join([lines[0], json.dumps(stop)]) + "\n")
    code, _out, err = verify_cli()
    assert code == 8
    assert "anchor 2 (seq 2): MAC does not match (anchor file edited)" in err

    path.write_text(lines[1] + "\n")  # the first anchor removed
    code, _out, err = verify_cli()
    assert code == 8
    assert "anchor 1 (seq 2): not chained to the anchor before it" in err


def test_entries_before_the_key_are_reported_and_none_may_follow_a_signed_one(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EC112_DATABASE__URL", database_url)
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    settings = Settings(lab_mode=True, var_dir=tmp_path / "var", database={"url": database_url})

    async def unsigned(count: int) -> None:  # what a version before 0016 wrote (no key on its engine)
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            for i in range(count):
                await SqlAuditStore(engine).append(at=datetime.now(UTC), actor="cli", action="user.add",
                                                   target=f"lama{i}", detail={})
        finally:
            await engine.dispose()

    asyncio.run(unsigned(2))
    asyncio.run(daemon_run(settings, 2))
    code, out, err = verify_cli()
    assert code == 0, out + err
    assert "2 entri pertama tanpa MAC" in out
    assert report_cli()["unsigned"] == 2

    asyncio.run(unsigned(1))
    code, _out, err = verify_cli()
    assert code == 8
    assert "AUDIT LOG TAMPERED at entry 5: entry has no MAC after entries that have one" in err


def test_a_rotated_key_signs_and_the_old_one_still_verifies(site: Settings) -> None:
    result = CliRunner().invoke(app, ["audit", "rotate-key"])
    assert result.exit_code == 0, result.output
    asyncio.run(daemon_run(site, 2))
    code, out, err = verify_cli()
    assert code == 0, out + err
    assert "audit log intact: 7 entries, 4 anchors" in out

    key = site.var_dir / "audit.key"
    lines = key.read_text().splitlines()
    key.write_text("\n".join(line for line in lines if line != lines[1]) + "\n")  # the first key lost
    code, _out, err = verify_cli()
    assert code == 8
    assert "not in the key file" in err


def test_anchors_go_to_syslog(site: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    address = str(tmp_path / "log.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(5)
        monkeypatch.setattr(audit_wiring, "SYSLOG_SOCKET", address)
        asyncio.run(daemon_run(site, 1))
        start, stop = server.recv(4096).decode(), server.recv(4096).decode()
    assert start.startswith("<86>ec112-audit: ")  # AUTHPRIV (10) * 8 + INFO (6)
    assert json.loads(start.split(": ", 1)[1].rstrip("\0"))["head_id"] == 5
    assert json.loads(stop.split(": ", 1)[1].rstrip("\0"))["head_id"] == 6
    code, out, err = verify_cli()
    assert code == 0, out + err




def test_the_head_is_anchored_every_interval(site: Settings) -> None:
    periodic = Settings(lab_mode=True, var_dir=site.var_dir, database={"url": site.database_url},
                        audit={"anchor_interval_seconds": 0.05})
    path = site.var_dir / "audit-anchors.jsonl"

    async def run_a_while() -> None:
        async with open_stores(periodic) as stores, stores.anchoring(periodic) as anchoring:
            tasks = [asyncio.create_task(coro, name=name) for coro, name in anchoring.loops()]
            await stores.audit.record("cli", "user.add", "baru")
            async with asyncio.timeout(5):
                while '"periodic"' not in path.read_text():
                    await asyncio.sleep(0.02)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run_a_while())
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds[:3] == ["start", "stop", "start"]
    assert "periodic" in kinds
    assert kinds[-1] == "stop"
    code, out, err = verify_cli()
    assert code == 0, out + err


def test_a_mangled_anchor_file_is_reported_and_never_stops_the_daemon(site: Settings,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    path = site.var_dir / "audit-anchors.jsonl"
    path.write_text(path.read_text() + "{not an anchor\n")
    asyncio.run(daemon_run(site, 1))  # the entries are written; the anchors are not, and say so
    assert "audit: start anchor not written" in caplog.text
    code, _out, err = verify_cli()
    assert code == 8
    assert "anchor file unreadable" in err
    assert "audit-anchors.jsonl:3: not an anchor" in err
