"""Database fixtures: every repository test runs on SQLite (a temp file) and on the real PostgreSQL.

PostgreSQL is the machine's server (127.0.0.1:5432, trust auth); each test gets a database of its own,
created and dropped here, so runs never see each other's rows. Override with EC112_TEST_PG_DSN.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import ec112.db.silent_calls  # noqa: F401  (its table on the shared Base: test_migrations_match_the_models)
from ec112.db.engine import create_engine, migrate
from ec112.db.known_incidents import KnownIncidentRow  # noqa: F401  # its table is on Base.metadata

PG_ADMIN_DSN = os.environ.get("EC112_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_database() -> tuple[str, str]:
    name = f"ec112_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}")
        await migrate(eng)
        yield eng
        await eng.dispose()
        return
    name, url = await _pg_database()
    eng = create_engine(url)
    try:
        await migrate(eng)
        yield eng
    finally:
        await eng.dispose()
        await _drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a database nobody has opened yet (a SQLite file still to create, an empty PostgreSQL one)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'var' / 'ec112.sqlite3'}"
        return
    name, url = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)
