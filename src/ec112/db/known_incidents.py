"""Known incidents (implements ``services.known_incidents.IncidentStore``).

Posting and ending write the audit entry in the same transaction as the row. The counts of calls are plain
increments (``calls = calls + 1``): many intakes at once during a mass incident never lose one to a race.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.audit_chain import AuditChain
from ec112.db.models import Base
from ec112.db.utc_datetime import UtcDateTime
from ec112.domain.audit import AuditDraft
from ec112.domain.errors import Conflict, NotFound
from ec112.domain.known_incidents import AreaKind, IncidentArea, KnownIncident

_MAX_ID = 2**31 - 1


class KnownIncidentRow(Base):
    """A known incident a supervisor posted (domain.known_incidents.KnownIncident)."""

    __tablename__ = "known_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    area_kind: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(String(32))
    area_name: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    posted_by: Mapped[str] = mapped_column(String(40))
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(40))
    calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    heard: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SqlIncidentStore:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._audit = audit_chain or AuditChain(engine)

    async def create(self, incident: KnownIncident, audit: AuditDraft) -> KnownIncident:
        """Store a new incident (its ``id`` is ignored) with the audit entry of who posted it."""
        a = incident.area

        async def transaction() -> KnownIncident:
            async with self._sessions.begin() as session:
                row = KnownIncidentRow(
                    text_id=incident.text_id, text_en=incident.text_en, area_kind=a.kind.value, area_code=a.code,
                    area_name=a.name, lat=a.lat, lon=a.lon, radius_m=a.radius_m,
                    posted_at=incident.posted_at.astimezone(UTC), posted_by=incident.posted_by,
                    ends_at=incident.ends_at.astimezone(UTC), ticket_id=incident.ticket_id, calls=0, heard=0)
                session.add(row)
                await session.flush()
                await self._audit.append_in(session, _with_target(audit, row.id), incident.posted_at)
                return _to_domain(row)

        return await self._audit.retrying(transaction)

    async def end(self, incident_id: int, *, by: str, at: datetime, audit: AuditDraft) -> KnownIncident:
        """Mark it ended now (once: ``Conflict`` when someone ended it meanwhile)."""
        async def transaction() -> KnownIncident:
            async with self._sessions.begin() as session:
                stmt = (update(KnownIncidentRow)
                        .where(KnownIncidentRow.id == incident_id, KnownIncidentRow.ended_at.is_(None))
                        .values(ended_at=at.astimezone(UTC), ended_by=by))
                result: Any = await session.execute(stmt)
                if result.rowcount != 1:
                    raise Conflict(f"known incident {incident_id} was ended meanwhile / sudah diakhiri")
                await self._audit.append_in(session, audit, at)
                row = await session.get(KnownIncidentRow, incident_id, populate_existing=True)
                assert row is not None
                return _to_domain(row)

        return await self._audit.retrying(transaction)

    async def count_call(self, incident_id: int, *, heard: bool) -> None:
        values: dict[str, Any] = {"calls": KnownIncidentRow.calls + 1}
        if heard:
            values["heard"] = KnownIncidentRow.heard + 1
        async with self._sessions.begin() as session:
            await session.execute(update(KnownIncidentRow).where(KnownIncidentRow.id == incident_id).values(**values))

    async def get(self, incident_id: int) -> KnownIncident:
        if not 0 < incident_id <= _MAX_ID:
            raise NotFound(f"no known incident {incident_id}")
        async with self._sessions() as session:
            row = await session.get(KnownIncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no known incident {incident_id}")
            return _to_domain(row)

    async def ending_after(self, since: datetime, limit: int = 200) -> list[KnownIncident]:
        """Incidents planned to end after ``since`` (the active ones among them), newest first."""
        stmt = (select(KnownIncidentRow).where(KnownIncidentRow.ends_at > since.astimezone(UTC))
                .order_by(KnownIncidentRow.id.desc()).limit(limit))
        return await self._list(stmt)

    async def recent(self, limit: int = 50) -> list[KnownIncident]:
        return await self._list(select(KnownIncidentRow).order_by(KnownIncidentRow.id.desc()).limit(limit))

    async def _list(self, stmt: Any) -> list[KnownIncident]:
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]


def _with_target(audit: AuditDraft, incident_id: int) -> AuditDraft:
    return AuditDraft(audit.actor, audit.action, audit.target or f"incident:{incident_id}", audit.detail)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_domain(row: KnownIncidentRow) -> KnownIncident:
    area = IncidentArea(AreaKind(row.area_kind), row.area_code, row.area_name, row.lat, row.lon, row.radius_m)
    return KnownIncident(
        id=row.id, text_id=row.text_id, text_en=row.text_en, area=area,
        posted_at=_utc(row.posted_at) or datetime.now(UTC), posted_by=row.posted_by,
        ends_at=_utc(row.ends_at) or datetime.now(UTC), ticket_id=row.ticket_id, ended_at=_utc(row.ended_at),
        ended_by=row.ended_by, calls=row.calls or 0, heard=row.heard or 0)
