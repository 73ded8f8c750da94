"""The bounded check of `python -m bench.db` (part of `make bench-smoke`, so of `make test`): 30 000 seeded tickets
on SQLite and on PostgreSQL, each written through the triggers / index updates a live ticket goes through.

It asks the database how it runs the statements ec112 really sends (captured while the repository answers) and
fails when one of them no longer reads the index migration 0018 (or 0001) built for it: on PostgreSQL with
sequential scans disabled, so a small table cannot hide a missing index behind a cheap full scan. Then every
operation of the full benchmark is measured 50 times against generous limits (5x the million-ticket goals)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.db.measure import GOALS, run
from bench.db.run import fresh_engine, seed
from bench.stats import percentile
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.kpis import Shifts
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import TicketStatus

TICKETS = 30_000
FTS = "VIRTUAL TABLE"  # how SQLite's plan names a read of tickets_fts


@pytest.fixture(params=["sqlite", "postgresql"])
async def seeded(request: pytest.FixtureRequest) -> AsyncIterator[tuple[AsyncEngine, Any]]:
    async with fresh_engine(request.param) as engine:
        data, _ = await seed(engine, TICKETS, index_after_load=False)
        yield engine, data


async def _plans(engine: AsyncEngine, action: Callable[[], Awaitable[Any]], *, bitmaps: bool) -> list[str]:
    """The plan of every SELECT on tickets that ``action`` sends, as text. PostgreSQL: never a sequential scan;
    ``bitmaps``: nor an ordered walk of another index, so only an index that matches the condition can answer."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "tickets" in statement:
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await action()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    plans = []
    async with engine.connect() as conn:
        for statement, parameters in sent:
            if engine.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans.append("\n".join(str(r[-1]) for r in rows))
            else:
                await conn.exec_driver_sql("SET enable_seqscan = off")
                await conn.exec_driver_sql(f"SET enable_indexscan = {'off' if bitmaps else 'on'}")
                rows = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                plans.append(json.dumps(rows.scalar_one()))
    assert plans, "the action sent no query on tickets"
    return plans


async def test_every_question_reads_its_index(seeded: tuple[AsyncEngine, Any]) -> None:
    engine, data = seeded
    repo = SqlTicketRepository(engine)
    sqlite = engine.dialect.name == "sqlite"
    day_start = data.end - timedelta(days=3)
    checks: list[tuple[str, Callable[[], Awaitable[Any]], str]] = [  # (what, the repository's call, its index)
        # (At 30 000 rows PostgreSQL may rightly walk the newest tickets for these: hence bitmaps only, below.)
        ("words", lambda: repo.search(TicketQuery(text="kuda zebra")), FTS if sqlite else "ix_tickets_address_trgm"),
        ("part of a caller number", lambda: repo.search(TicketQuery(text=data.repeaters[1][4:])),
         FTS if sqlite else "ix_tickets_caller_number_e164_trgm"),
        ("status and classification", lambda: repo.search(TicketQuery(
            status=TicketStatus.NEW, classification=Classification.PRANK, offset=50)),
         "ix_tickets_status_classification_arrived_at"),
        ("classification", lambda: repo.search(TicketQuery(classification=Classification.GHOST)),
         "ix_tickets_classification_arrived_at"),
        ("a rare status in a month", lambda: repo.search(TicketQuery(
            status=TicketStatus.CANCELLED, arrived_from=day_start - timedelta(days=30), arrived_to=day_start)),
         "ix_tickets_status_arrived_at"),
        ("a caller's previous calls", lambda: repo.search(TicketQuery(caller_e164=data.repeaters[0],
                                                                       before_id=TICKETS)),
         "ix_tickets_caller_number_e164"),
        ("a day's tickets (KPIs)", lambda: repo.list_arrived_between(*Shifts().today(day_start)),
         "ix_tickets_arrived_at"),
        ("calls still going on (KPIs)", repo.list_unended, "ix_tickets_ended_at"),
    ]
    for name, action, index in checks:
        plans = await _plans(engine, action, bitmaps=index.endswith("_trgm"))
        # The page and its count: PostgreSQL may walk the newest tickets for a page of a common value (50 found at
        # once), but then counts through the index; no statement ever reads the whole table.
        assert any(index in plan for plan in plans), f"{name}: no plan reads {index}:\n" + "\n".join(plans)
        for plan in plans:
            assert "Seq Scan" not in plan, f"{name}: a full scan:\n{plan}"
            assert "SCAN tickets\n" not in plan + "\n", f"{name}: a full scan:\n{plan}"


async def test_every_operation_answers_well_within_its_goal(seeded: tuple[AsyncEngine, Any]) -> None:
    engine, data = seeded
    for op in await run(SqlTicketRepository(engine), data, samples=50):
        p99 = percentile(op.samples, 0.99)
        assert p99 is not None
        assert p99 < 5 * GOALS[op.name], f"{op.name}: p99 {p99:.1f} ms"
        assert op.found > 0, f"{op.name}: never found anything"
