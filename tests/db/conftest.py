"""Database fixtures: every repository test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL is the session's server (harness/pg_fixtures.py: EC112_TEST_PG_DSN, else 127.0.0.1:5432 when it
answers, else a private cluster started for the run); each test gets a database of its own, created and
dropped here, so runs never see each other's rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import pg_fixtures
from harness.pg_fixtures import fresh_database
from sqlalchemy.ext.asyncio import AsyncEngine

import ec112.db.silent_calls  # noqa: F401  (its table on the shared Base: test_migrations_match_the_models)
from ec112.db.engine import create_engine, migrate
from ec112.db.known_incidents import KnownIncidentRow  # noqa: F401  # its table is on Base.metadata
from ec112.lab.postgres import PgServer


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(pg_fixtures):
        config.pluginmanager.register(pg_fixtures, "ec112-pg")


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}")
        await migrate(eng)
        yield eng
        await eng.dispose()
        return
    server: PgServer = request.getfixturevalue("pg_server")
    async with fresh_database(server) as url:
        eng = create_engine(url)
        try:
            await migrate(eng)
            yield eng
        finally:
            await eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a database nobody has opened yet (a SQLite file still to create, an empty PostgreSQL one)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'var' / 'ec112.sqlite3'}"
        return
    async with fresh_database(request.getfixturevalue("pg_server")) as url:
        yield url
