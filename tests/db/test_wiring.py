"""``ec112.wiring.open_stores``, the factory of the daemon and of `ec112 user|audit`, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.config.settings import Settings
from ec112.db.schema_status import AlembicSchemaProbe
from ec112.domain.accounts import NewUser, Role
from ec112.wiring import Stores, open_stores


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(lab_mode=True, var_dir=tmp_path / "var", database={"url": url, "busy_timeout": 0.8})


def _pooled(engine: AsyncEngine) -> int:
    """Connections the engine keeps open in its pool (0 once disposed)."""
    checkedin: int = engine.sync_engine.pool.checkedin()  # type: ignore[attr-defined]
    return checkedin


async def test_opens_migrates_builds_the_stores_and_disposes(database_url: str, tmp_path: Path) -> None:
    settings = _settings(database_url, tmp_path)
    assert (await AlembicSchemaProbe(database_url).schema()).state in ("missing", "empty")

    async with open_stores(settings) as stores:
        assert (await AlembicSchemaProbe(database_url).schema()).state == "at_head"  # migrated on the way in
        assert isinstance(stores, Stores)
        admin = stores.user_admin()
        await admin.add("cli", NewUser("siti", "Siti", Role.SUPERVISOR, None, None), "kata-sandi-siti")
        assert [u.username for u in await admin.list()] == ["siti"]
        assert [(e.actor, e.action, e.target) for e in await stores.audit.recent(10)] == [("cli", "user.add", "siti")]
        assert (await stores.audit.verify()).ok
        await stores.tickets.ping()
        assert _pooled(stores.engine) >= 1
        engine = stores.engine
    assert _pooled(engine) == 0  # disposed on the way out

    async with open_stores(settings) as again:  # an existing database: migrated already, the rows are there
        assert [u.username for u in await again.user_admin().list()] == ["siti"]


async def test_the_engine_is_disposed_when_the_work_fails(tmp_path: Path) -> None:
    settings = _settings(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}", tmp_path)
    engines: list[AsyncEngine] = []

    async def failing_work() -> None:
        async with open_stores(settings) as stores:
            await stores.tickets.ping()
            engines.append(stores.engine)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_work()
    assert _pooled(engines[0]) == 0


async def test_sqlite_waits_database_busy_timeout_as_the_daemon_does(tmp_path: Path) -> None:
    settings = _settings("sqlite+aiosqlite:///ec112.sqlite3", tmp_path)  # relative: under var_dir
    async with open_stores(settings) as stores, stores.engine.connect() as conn:
        busy_ms = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert busy_ms == 800
    assert (tmp_path / "var" / "ec112.sqlite3").is_file()
