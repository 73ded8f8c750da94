"""`ec112 doctor`'s database check on real SQLite files: it reads the schema and never creates or migrates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ec112.db.engine import create_engine, migrate
from ec112.db.schema_status import AlembicSchemaProbe


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "ec112.sqlite3"
    state = await AlembicSchemaProbe(url(path)).schema()
    assert state.state == "missing"
    assert not path.exists()
    assert not path.parent.exists()


async def test_migrated_database_is_at_head(tmp_path: Path) -> None:
    path = tmp_path / "ec112.sqlite3"
    engine = create_engine(url(path))
    await migrate(engine)
    await engine.dispose()
    state = await AlembicSchemaProbe(url(path)).schema()
    assert state.state == "at_head"
    assert state.current == state.head
    assert state.head


async def test_unmigrated_and_foreign_revisions(tmp_path: Path) -> None:
    path = tmp_path / "ec112.sqlite3"
    sqlite3.connect(path).close()
    assert (await AlembicSchemaProbe(url(path)).schema()).state == "empty"

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0001')")
    behind = await AlembicSchemaProbe(url(path)).schema()
    assert (behind.state, behind.current) == ("behind", "0001")

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dbeef'")
    unknown = await AlembicSchemaProbe(url(path)).schema()
    assert (unknown.state, unknown.current) == ("unknown_revision", "f00dbeef")
    with sqlite3.connect(path) as conn:  # read, not migrated
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("f00dbeef",)]


async def test_unreachable_database_is_a_state_not_an_exception() -> None:
    state = await AlembicSchemaProbe("postgresql+asyncpg://ec112:pw@127.0.0.1:1/ec112", timeout=2).schema()
    assert state.state == "unreachable"
    assert "pw" not in state.detail  # the password never reaches the terminal
