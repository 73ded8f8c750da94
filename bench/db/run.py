"""One engine's run: a fresh database, ec112's migrations, the seeded tickets, the measurements."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.stats import percentile
from ec112.db.engine import alembic_config, create_engine
from ec112.db.tickets import SqlTicketRepository
from ec112.lab.postgres import create_database, drop_database, provisioned

from .measure import GOALS, run
from .seed import Generator, load

log = logging.getLogger(__name__)
BEFORE_SEARCH_INDEXES = "0017"  # the revision before 0018_ticket_search_indexes
BENCH_DATABASE = "ec112_bench_db"


async def upgrade(engine: AsyncEngine, revision: str) -> None:
    def go(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(go)


@contextlib.asynccontextmanager
async def fresh_engine(kind: str, workdir: Path | None = None) -> AsyncIterator[AsyncEngine]:
    """An empty database of ``kind`` (a temp SQLite file; a PostgreSQL database created and dropped here)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ec112-bench-db-", dir=workdir) as tmp:
            engine = create_engine(f"sqlite+aiosqlite:///{tmp}/ec112.sqlite3")
            try:
                yield engine
            finally:
                await engine.dispose()
        return
    with provisioned() as server:
        await drop_database(server, BENCH_DATABASE)
        engine = create_engine(await create_database(server, BENCH_DATABASE))
        try:
            yield engine
        finally:
            await engine.dispose()
            await drop_database(server, BENCH_DATABASE)


async def engine_version(engine: AsyncEngine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    async with engine.connect() as conn:
        return f"PostgreSQL {(await conn.execute(text('SHOW server_version'))).scalar_one()}"


async def seed(engine: AsyncEngine, tickets: int, *, index_after_load: bool = True) -> tuple[Any, dict[str, float]]:
    """Migrate and fill ``engine``'s database. ``index_after_load``: load at 0017 and then apply 0018, as a centre
    upgrading a full database does (and much faster than keeping a million rows' trigrams current one by one);
    otherwise every row goes through the triggers / index updates a live ticket goes through."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    await upgrade(engine, BEFORE_SEARCH_INDEXES if index_after_load else "head")
    seeded = await load(engine, Generator(tickets, datetime.now(UTC)))
    timings["load_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    await upgrade(engine, "head")
    if engine.dialect.name == "postgresql":  # what autovacuum does after a load, now rather than in a minute
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE tickets"))
    timings["index_s"] = round(time.monotonic() - started, 1)
    return seeded, timings


async def bench_engine(kind: str, tickets: int, samples: int, workdir: Path | None = None) -> dict[str, Any]:
    async with fresh_engine(kind, workdir) as engine:
        version = await engine_version(engine)
        log.info("%s: seeding %d tickets", version, tickets)
        seeded, timings = await seed(engine, tickets)
        log.info("%s: seeded in %.1f s, indexed in %.1f s; measuring", version, timings["load_s"], timings["index_s"])
        ops = await run(SqlTicketRepository(engine), seeded, samples=samples)
    results = {}
    for op in ops:
        p99 = percentile(op.samples, 0.99)
        results[op.name] = {
            "n": len(op.samples), "found": op.found, "goal_p99_ms": GOALS[op.name],
            "p50_ms": _ms(percentile(op.samples, 0.5)), "p99_ms": _ms(p99), "max_ms": _ms(max(op.samples)),
            "ok": p99 is not None and p99 < GOALS[op.name] and op.found > 0}
    return {"engine": version, "tickets": tickets, **timings, "operations": results}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
