"""The drill store (``services.drills.DrillStore``) on SQLAlchemy: runs and the calls placed in them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.drill_rows import DrillCallRow, DrillRunRow
from ec112.services.drills import DrillRun


class SqlDrillStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    async def create(self, name: str, scenario: str, by: str, at: datetime) -> int:
        async with self._sessions.begin() as session:
            row = DrillRunRow(name=name[:200], scenario=scenario, started_by=by[:64], started_at=_in(at))
            session.add(row)
            await session.flush()
            return int(row.id)

    async def placed(self, run_id: int, position: int, at: datetime) -> bool:
        async with self._sessions.begin() as session:
            known = (await session.execute(select(DrillCallRow).where(
                DrillCallRow.run_id == run_id, DrillCallRow.position == position))).scalars().first()
            if known is not None:  # the runner retried: the first placement stands
                return False
            session.add(DrillCallRow(run_id=run_id, position=position, placed_at=_in(at)))
            return True

    async def end(self, run_id: int, at: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(update(DrillRunRow).where(
                DrillRunRow.id == run_id, DrillRunRow.ended_at.is_(None)).values(ended_at=_in(at)))
            return bool(getattr(result, "rowcount", 0))

    async def get(self, run_id: int) -> DrillRun | None:
        async with self._sessions() as session:
            row = await session.get(DrillRunRow, run_id)
            if row is None:
                return None
            calls = (await session.execute(select(DrillCallRow).where(DrillCallRow.run_id == run_id))).scalars()
            return _run(row, {c.position: _out(c.placed_at) for c in calls})

    async def recent(self, limit: int) -> list[DrillRun]:
        async with self._sessions() as session:
            rows = (await session.execute(select(DrillRunRow).order_by(DrillRunRow.id.desc()).limit(limit))).scalars()
            return [_run(r, {}) for r in rows]


def _run(row: DrillRunRow, placed: dict[int, datetime]) -> DrillRun:
    return DrillRun(id=row.id, name=row.name, scenario=row.scenario, started_by=row.started_by,
                    started_at=_out(row.started_at), ended_at=_out(row.ended_at) if row.ended_at else None,
                    placed=placed)


def _in(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _out(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
