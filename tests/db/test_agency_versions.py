"""The versions of the agencies document on SQLite and PostgreSQL (issue 17): the first start imports the file,
a change from the admin service is a new version with its audit entry in the same transaction, the next start uses
the newest version (the panel's wins over an unchanged file; a changed file wins over a version that came from the
file), a document with mistakes stores nothing, and the audit chain still verifies."""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.agencies_wiring import start_agencies
from ec112.config.agencies_file import AgenciesFileError
from ec112.db.agency_versions import SqlAgencyVersions
from ec112.db.audit import SqlAuditStore
from ec112.domain.accounts import Role, User
from ec112.domain.errors import Conflict, Forbidden
from ec112.domain.events import AgenciesChanged, DomainEvent
from ec112.services.agency_admin import AgenciesRejected
from ec112.services.audit import AuditService
from ec112.services.event_bus import LocalEventBus

SHIPPED = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
SPV = User(7, "spv", "Supervisor", Role.SUPERVISOR)
TAKER = User(8, "taker01", "Taker", Role.CALL_TAKER)


def _with_ack(text: str, agency_short: str, seconds: int) -> str:
    changed = text.replace(f'short_name = "{agency_short}"', f'short_name = "{agency_short}"\n'
                           f'ack_timeout_seconds = {seconds}', 1)
    assert changed != text
    return changed


async def test_versions_audit_and_what_a_start_uses(engine: AsyncEngine, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(SHIPPED, encoding="utf-8")
    bus, seen = LocalEventBus(), list[DomainEvent]()
    bus.subscribe(DomainEvent, seen.append)
    first = await start_agencies(path, 60, engine, {}, bus)
    assert (first.admin.version.id, first.admin.version.action, first.admin.version.author) == (1, "agencies.file",
                                                                                                 "ec112")
    assert first.admin.version.text == SHIPPED
    bpbd = first.current.directory.get("bpbd")
    assert bpbd is not None
    assert first.current.directory.ack_timeout_seconds(bpbd) == 60

    # A change: validated, stored with its audit entry, swapped in, announced.
    saved = await first.admin.save(_with_ack(SHIPPED, "BPBD", 25), SPV, target="bpbd")
    assert saved.version.id == 2
    assert first.current.directory.ack_timeout_seconds(first.current.directory.get("bpbd")) == 25  # type: ignore[arg-type]
    assert [(e.version, e.action, e.actor) for e in seen if isinstance(e, AgenciesChanged)] == [
        (2, "agencies.edit", "spv")]
    audit = AuditService(SqlAuditStore(engine))
    entries = [e for e in await audit.recent(10) if e.action.startswith("agencies.")]
    assert [(e.action, e.actor, e.detail.get("version")) for e in reversed(entries)] == [
        ("agencies.file", "ec112", 1), ("agencies.edit", "spv", 2)]
    assert entries[0].detail["ack_timeout_seconds"] == {"bpbd": [None, 25]}

    # Mistakes or the wrong role: nothing stored, nothing swapped.
    with pytest.raises(AgenciesRejected) as rejected:
        await first.admin.save(SHIPPED.replace('code = "bpbd"', 'code = "BPBD!"', 1), SPV)
    assert any("agency code is 2-32" in p for p in rejected.value.problems)
    with pytest.raises(Forbidden):
        await first.admin.save(SHIPPED, TAKER)
    with pytest.raises(Conflict):  # made from version 1 while version 2 is in force: not a silent loss of 2
        await first.admin.save(_with_ack(SHIPPED, "Dinkes / PSC 119", 30), SPV, base=1)
    assert (await SqlAgencyVersions(engine).latest()).id == 2  # type: ignore[union-attr]

    # The next start: the panel's version wins over the unchanged file, with a warning.
    with caplog.at_level(logging.WARNING, logger="ec112.agencies_wiring"):
        second = await start_agencies(path, 60, engine, {}, LocalEventBus())
    assert second.admin.version.id == 2
    assert second.current.directory.ack_timeout_seconds(second.current.directory.get("bpbd")) == 25  # type: ignore[arg-type]
    assert "differs from version 2 made by spv" in caplog.text

    # An import (as `ec112 agencies import`) is a panel version too: a later edit of the file does not replace it.
    await second.admin.save(SHIPPED, SPV, action="agencies.import", target="agencies.toml")
    path.write_text(_with_ack(SHIPPED, "Damkar", 40), encoding="utf-8")
    third = await start_agencies(path, 60, engine, {}, LocalEventBus())
    assert (third.admin.version.id, third.admin.version.action) == (3, "agencies.import")
    assert (await audit.verify()).ok


async def test_a_changed_file_replaces_a_version_that_came_from_the_file(engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(SHIPPED, encoding="utf-8")
    await start_agencies(path, 60, engine, {}, LocalEventBus())
    unchanged = await start_agencies(path, 60, engine, {}, LocalEventBus())
    assert unchanged.admin.version.id == 1  # the same text: no new version
    bad = tmp_path / "bad.toml"
    bad.write_text("[[agency]]\n", encoding="utf-8")
    with pytest.raises(AgenciesFileError):  # an unusable file that would replace it: the start stops (exit 78)
        await start_agencies(bad, 60, engine, {}, LocalEventBus())
    path.write_text(_with_ack(SHIPPED, "Damkar", 40), encoding="utf-8")
    again = await start_agencies(path, 60, engine, {}, LocalEventBus())
    assert (again.admin.version.id, again.admin.version.action) == (2, "agencies.file")
    damkar = again.current.directory.get("damkar")
    assert damkar is not None
    assert damkar.ack_timeout_seconds == 40
    audit = AuditService(SqlAuditStore(engine))
    newest = (await audit.recent(1))[0]
    assert (newest.action, newest.detail["ack_timeout_seconds"]) == ("agencies.file", {"damkar": [None, 40]})
    assert (await audit.verify()).ok
