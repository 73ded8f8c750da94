"""The versions of the agencies document (implements ``services.agency_admin.AgencyVersionStore``).

Each change of the agencies (the admin page, ``ec112 agencies import``, a start that imported the configured
file) is a new row holding the whole validated TOML text, its author and time, written in ONE transaction with
its audit entry. Rows are never updated: the newest one is in force, the older ones say what was in force when.
The table lives in this module (on the shared ``Base``, imported by ``db.models``) because ``models.py`` is full.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.audit_chain import AuditChain
from ec112.db.models import Base
from ec112.db.utc_datetime import UtcDateTime
from ec112.domain.audit import AuditDraft
from ec112.services.agency_admin import AgencyVersion


class AgencyVersionRow(Base):
    __tablename__ = "agency_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)  # the TOML document as validated
    author: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SqlAgencyVersions:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._audit = audit_chain or AuditChain(engine)

    async def latest(self) -> AgencyVersion | None:
        async with self._sessions() as session:
            row = (await session.execute(
                select(AgencyVersionRow).order_by(AgencyVersionRow.id.desc()).limit(1))).scalars().first()
            return _version(row) if row is not None else None

    async def add(self, text: str, *, author: str, action: str, at: datetime,
                  audit: AuditDraft | None) -> AgencyVersion:
        """A new version and (when given) its audit entry: both stored, or neither."""
        async def transaction() -> AgencyVersion:
            async with self._sessions.begin() as session:
                row = AgencyVersionRow(text=text, author=author[:64], action=action[:32], at=at.astimezone(UTC))
                session.add(row)
                await session.flush()
                if audit is not None:
                    draft = AuditDraft(audit.actor, audit.action, audit.target, {**audit.detail, "version": row.id})
                    await self._audit.append_in(session, draft, at)
                return _version(row)

        return await (self._audit.retrying(transaction) if audit is not None else transaction())

    async def recent(self, limit: int) -> list[AgencyVersion]:
        async with self._sessions() as session:
            rows = (await session.execute(
                select(AgencyVersionRow).order_by(AgencyVersionRow.id.desc()).limit(limit))).scalars()
            return [_version(r) for r in rows]


def _version(row: AgencyVersionRow) -> AgencyVersion:
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at.astimezone(UTC)
    return AgencyVersion(id=row.id, text=row.text, author=row.author, action=row.action, at=at)
