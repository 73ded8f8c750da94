"""Seeded tickets with realistic shapes: two years of arrivals (busier by day), repeat callers and a few prank
repeaters, a junk share that falls from 80 % to 23 % over the period, statuses, Indonesian addresses and
descriptions, call times, and a handful of calls still going on at the end.

Rows are plain tuples in ``COLUMNS`` order, written in bulk: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
The schema is always the one ec112's Alembic migrations build (``migrate``), never ``create_all``.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from . import words as w

COLUMNS = ("id", "linkedid", "uniqueid", "channel", "caller_number_raw", "caller_number_e164", "caller_name",
           "loc_lat", "loc_lon", "loc_radius_m", "loc_source", "loc_method", "loc_observed_at", "intake", "status",
           "arrived_at", "queued_at", "answered_at", "answered_by", "ended_at", "outcome", "classification",
           "category", "address", "description", "classified_by", "classified_at", "revision", "exercise")
_BATCH = 20_000
# Calls per local hour (WIB), relative: quiet at night, busy late afternoon (a centre's usual curve).
_HOURLY = (3, 2, 2, 2, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 9, 10, 10, 9, 8, 7, 6, 5, 4)
_WIB = timedelta(hours=7)
_SKEW = 1.3  # ordinary callers' repeat skew (see _caller)


@dataclass(frozen=True)
class Seeded:
    """What the bench needs to know about the data it seeded (to ask varied, answerable questions)."""

    tickets: int
    start: datetime
    end: datetime
    repeaters: tuple[str, ...]  # e164 numbers of prank repeaters
    callers: tuple[str, ...]  # a sample of ordinary callers' e164 numbers


class Generator:
    def __init__(self, tickets: int, end: datetime, *, days: int = 730, seed: int = 112) -> None:
        self.count = tickets
        self.end = end.astimezone(UTC).replace(microsecond=0)
        self.start = self.end - timedelta(days=days)
        self._rng = random.Random(seed)
        self._numbers = max(50, tickets * 2 // 5)  # distinct ordinary callers: most call once or twice
        self.repeaters = tuple(f"+6285{7000000 + i * 7919:08d}" for i in range(max(5, tickets // 5000)))

    def arrivals(self) -> list[datetime]:
        """Sorted arrival instants; ids follow arrival order as they do in a live centre."""
        rng, span = self._rng, (self.end - self.start).total_seconds()
        top, found = max(_HOURLY), list[float]()
        while len(found) < self.count:
            offset = rng.random() * span
            hour = int((self.start + timedelta(seconds=offset) + _WIB).hour)
            if rng.random() * top < _HOURLY[hour]:
                found.append(offset)
        found.sort()
        return [self.start + timedelta(seconds=s) for s in found]

    def ordinary(self, index: int) -> str:
        return f"+62812{index * 104729 % 10**8:08d}"

    def rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self._rng
        span = (self.end - self.start).total_seconds()
        ongoing_from = self.count - min(20, max(1, self.count // 1000))
        for index, arrived in enumerate(self.arrivals()):
            tid = index + 1
            age = (arrived - self.start).total_seconds() / span  # 0 (two years ago) … 1 (now)
            yield self._row(rng, tid, arrived, junk_share=0.80 - 0.57 * age, ongoing=index >= ongoing_from)

    def _caller(self, rng: random.Random) -> tuple[str | None, str | None, str | None]:
        roll = rng.random()
        if roll < 0.02:
            return None, None, None  # withheld / no caller id
        # Else skewed: low indexes call again and again (up to ~50 times in two years), most others once.
        e164 = rng.choice(self.repeaters) if roll < 0.07 else self.ordinary(int(self._numbers * rng.random() ** _SKEW))
        name = f"{rng.choice(w.FIRST_NAMES)} {rng.choice(w.LAST_NAMES)}" if rng.random() < 0.1 else None
        return "0" + e164[3:], e164, name

    def _row(self, rng: random.Random, tid: int, arrived: datetime, *, junk_share: float,
             ongoing: bool) -> tuple[Any, ...]:
        raw, e164, name = self._caller(rng)
        intake = rng.choices(("agi", "ami", "backfill", "text"), (970, 15, 10, 5))[0]
        queued = arrived + timedelta(seconds=rng.uniform(2, 8))
        roll = rng.random()
        outcome: str | None = ("answered" if roll < 0.85 or intake == "text"
                               else "abandoned" if roll < 0.95 else "hung_up_in_intake")
        wait = rng.expovariate(1 / 8)
        answered = queued + timedelta(seconds=wait) if outcome == "answered" else None
        ended: datetime | None = (answered + timedelta(seconds=rng.expovariate(1 / 90)) if answered
                 else queued + timedelta(seconds=wait) if outcome == "abandoned" else queued)
        taker = f"taker{rng.randint(1, 30):02d}" if answered else None
        classification: str | None = None
        if e164 in self.repeaters and answered:
            classification = "prank"
        elif answered:
            junk = rng.random() < junk_share
            real = "darurat" if rng.random() < 0.7 else "informasi"
            classification = rng.choice(("prank", "ghost")) if junk else real
        category: str | None = None
        address: str | None = None
        description: str | None = None
        status = "new" if classification is None else "closed"
        if classification == "darurat":
            category, description = rng.choice(w.EMERGENCIES)
            status = rng.choices(("closed", "resolved", "cancelled", "dispatched", "responding"), (60, 30, 4, 3, 3))[0]
        elif classification == "informasi":
            description = rng.choice(w.INFORMATION)
        elif classification == "prank":
            description = rng.choice(w.PRANKS)
        if classification in ("darurat", "informasi") or (classification == "prank" and rng.random() < 0.3):
            address = (f"Jl. {rng.choice(w.STREETS)} No. {rng.randint(1, 250)}, RT {rng.randint(1, 15):02d}/RW "
                       f"{rng.randint(1, 12):02d}, Kel. {rng.choice(w.VILLAGES)}, Kec. {rng.choice(w.DISTRICTS)}, "
                       f"dekat {rng.choice(w.LANDMARKS)}")
        if ongoing:  # still waiting or talking as the bench runs: the wallboard's longest wait
            ended = outcome = classification = category = address = description = None
            status = "new"
        if intake == "text":
            ended = None  # a text never ends by a hang-up
        located = rng.random() < 0.5
        lat, lon = (-6.2 + rng.gauss(0, 0.08), 106.8 + rng.gauss(0, 0.08)) if located else (None, None)
        classified_at = answered + timedelta(seconds=rng.uniform(20, 240)) if classification and answered else None
        return (tid, f"{arrived.timestamp():.0f}.{tid}", f"{arrived.timestamp():.0f}.{tid}",
                f"PJSIP/trunk-{tid:08x}", raw, e164, name,
                lat, lon, round(rng.uniform(15, 900)) if located else None, "aml" if located else None,
                "GNSS" if located else None, arrived if located else None, intake, status,
                arrived, queued, answered, taker, ended, outcome if ended or answered else None, classification,
                category, address, description, taker if classification else None, classified_at,
                1 if classification else 0, rng.random() < 0.002)

    def sample_callers(self, n: int) -> tuple[str, ...]:
        return tuple(self.ordinary(int(self._numbers * (i / n) ** _SKEW)) for i in range(n))


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite DateTime storage: the UTC wall clock as text (db/utc_datetime.py).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


async def load(engine: AsyncEngine, gen: Generator) -> Seeded:
    """Write the generator's tickets into ``engine``'s (migrated, empty) database, then let the planner see them."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path, "a file database"
        _load_sqlite(path, gen)
    else:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            batch: list[tuple[Any, ...]] = []
            for row in gen.rows():
                batch.append(row)
                if len(batch) >= _BATCH:
                    await driver.copy_records_to_table("tickets", records=batch, columns=COLUMNS)
                    batch = []
            if batch:
                await driver.copy_records_to_table("tickets", records=batch, columns=COLUMNS)
            await driver.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                                 "(SELECT max(id) FROM tickets))")
            await driver.execute("ANALYZE tickets")
    return Seeded(gen.count, gen.start, gen.end, gen.repeaters, gen.sample_callers(200))


def _load_sqlite(path: str, gen: Generator) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a bench database: rebuilt, never precious
        sql = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
        batch: list[tuple[Any, ...]] = []
        for row in gen.rows():
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= _BATCH:
                conn.executemany(sql, batch)
                batch = []
        conn.executemany(sql, batch)
        conn.commit()
    finally:
        conn.close()


def days_between(seeded: Seeded, n: int, rng: random.Random) -> list[datetime]:
    """``n`` instants spread over the seeded period (never its first day: a full day before each)."""
    span = (seeded.end - seeded.start).total_seconds() - 86400
    return [seeded.start + timedelta(seconds=86400 + rng.random() * span) for _ in range(n)]
