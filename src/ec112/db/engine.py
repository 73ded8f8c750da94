"""Engine creation and start-up migrations. Nothing here runs at import time."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str, *, busy_timeout: float = 1.5) -> AsyncEngine:
    """An async engine; SQLite gets WAL, durable commits and a busy timeout so the AGI intake never waits
    long on a lock (``busy_timeout`` seconds; keep it below ``agi.intake_deadline``)."""
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {"pool_pre_ping": not is_sqlite}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": busy_timeout}
        # ONE connection: SQLite has one writer at a time anyway, and connections of the same process that contend
        # for it wait in SQLite's busy handler (sleeps of up to 100 ms, "database is locked" after busy_timeout):
        # under a surge that stalled the ordered AMI stream for seconds (bench, issue 16). With one connection they
        # queue in the pool, first come first served, without sleeping. Other processes still meet busy_timeout.
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
        path = url.split("///", 1)[-1]
        if path and ":memory:" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        pragmas = functools.partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000))
        event.listen(engine.sync_engine, "connect", pragmas)
    event.listen(engine.sync_engine, "handle_error", _drop_read_only_connection)
    return engine


def _drop_read_only_connection(context: ExceptionContext) -> None:
    """SQLite opens a file it may not write (read-only for a moment: a remount, ``chattr +i``, permissions) as a
    read-only connection, and that connection stays read-only after the file is writable again: kept in the pool,
    it would fail every write given to it until a restart. So such an error counts as a lost connection: the pool
    drops that one (only that one) and opens a fresh one when it is needed. PostgreSQL likewise: a session opened
    while the database was read-only (``default_transaction_read_only``, a standby) keeps that default."""
    error = str(context.original_exception)
    if "attempt to write a readonly database" in error or "read-only transaction" in error:
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    """Durability: a ticket is acknowledged (EC112_TICKET set, API answered) only after its COMMIT returns.
    In WAL mode, ``synchronous=NORMAL`` already keeps every committed transaction through a kill -9 of ec112
    (the WAL is in the OS page cache), but not through a power cut or kernel crash, which can take the last
    commits with it. ``FULL`` fsyncs the WAL at each commit so a committed ticket survives those too; measured
    here at about 0.2 ms per commit (vs 0.015 ms), a few commits per call: nothing next to the 3 s intake
    deadline. (PostgreSQL: a committed transaction is durable with its default synchronous_commit=on.)"""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Apply Alembic migrations up to head on ``engine`` (called at daemon start-up)."""

    def upgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
    log.info("database schema is up to date")
