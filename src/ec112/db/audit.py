"""The append-only audit log (implements ``services.account_ports.AuditStore``).

An entry on its own (a login, a user added) is one transaction; an entry that records a change of a ticket or
a dispatch is written by that store in the change's own transaction (``db.audit_chain``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.models import AuditRow
from ec112.domain.audit import AuditDraft, AuditEntry


class SqlAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._chain = AuditChain(engine)

    async def append(
        self, *, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> AuditEntry:
        draft = AuditDraft(actor, action, target, detail)

        async def transaction() -> AuditEntry:
            async with self._sessions.begin() as db:
                return await self._chain.append_in(db, draft, at)

        return await self._chain.retrying(transaction)

    async def entries(self, *, after_id: int = 0, limit: int = 1000) -> Sequence[AuditEntry]:
        stmt = select(AuditRow).where(AuditRow.id > after_id).order_by(AuditRow.id).limit(limit)
        async with self._sessions() as db:
            return [_entry(r) for r in (await db.execute(stmt)).scalars()]

    async def recent(self, limit: int) -> Sequence[AuditEntry]:
        async with self._sessions() as db:
            rows = (await db.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))).scalars()
            return [_entry(r) for r in rows]


def _entry(row: AuditRow) -> AuditEntry:
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at.astimezone(UTC)
    detail: dict[str, Any] = json.loads(row.detail)
    return AuditEntry(row.id, at, row.actor, row.action, row.target, detail, row.prev_hash, row.hash, row.mac,
                      row.key_id)
