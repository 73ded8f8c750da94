"""PostgreSQL for the tests: one server per session (ec112.lab.postgres: the one that is there, or a private
cluster started for the run and removed after it), and a fresh database per test, dropped at its end.

A plugin module, registered by tests/db/conftest.py and by harness/lab_fixtures.py's users. The real-stack
tests run the daemon on PostgreSQL when EC112_TEST_DATABASE=postgresql (default sqlite).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from ec112.lab.postgres import PgServer, PostgresUnavailableError, create_database, drop_database, provisioned, run_sync

DATABASES = ("sqlite", "postgresql")


def selected_database() -> str:
    """EC112_TEST_DATABASE: the database the real-stack tests run the daemon on."""
    name = os.environ.get("EC112_TEST_DATABASE", "sqlite")
    if name not in DATABASES:
        pytest.fail(f"EC112_TEST_DATABASE={name}: expected one of {', '.join(DATABASES)}", pytrace=False)
    return name


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(provisioned())
        except PostgresUnavailableError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield server


def _name() -> str:
    return f"ec112_test_{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def fresh_database(server: PgServer) -> AsyncIterator[str]:
    """A new, empty database on ``server`` (its SQLAlchemy URL), dropped afterwards."""
    name = _name()
    url = await create_database(server, name)
    try:
        yield url
    finally:
        await drop_database(server, name)


@contextlib.contextmanager
def fresh_database_sync(server: PgServer) -> Iterator[str]:
    name = _name()
    url = run_sync(create_database(server, name))
    try:
        yield url
    finally:
        run_sync(drop_database(server, name))


@pytest.fixture
def ec112_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The daemon's database: None (its SQLite file under var/) or a fresh PostgreSQL database of this test."""
    if selected_database() == "sqlite":
        yield None
        return
    with fresh_database_sync(request.getfixturevalue("pg_server")) as url:
        yield url
