"""The append-only audit log (implements ``services.account_ports.AuditStore``).

Appending reads the last entry and inserts the next id with the chained hash. Two writers (the daemon and
an ``ec112 user`` command) can race: PostgreSQL serialises them with a transaction-scoped advisory lock;
on SQLite (and as a safety net) the loser hits the primary key and tries again on the new last entry.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import AuditRow
from ec112.domain.audit import GENESIS_HASH, AuditEntry, canonical_detail, seal

_PG_LOCK_KEY = 0x112A0D17  # pg_advisory_xact_lock key of the audit chain
_ATTEMPTS = 8


class SqlAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = asyncio.Lock()  # one writer at a time in this process

    async def append(
        self, *, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> AuditEntry:
        async with self._lock:
            for attempt in range(_ATTEMPTS):
                try:
                    return await self._append_once(at, actor, action, target, detail)
                except (IntegrityError, OperationalError):
                    if attempt == _ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _append_once(
        self, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any]
    ) -> AuditEntry:
        async with self._sessions.begin() as db:
            if self._postgres:
                await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            last = (
                await db.execute(select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
            ).one_or_none()
            last_id, last_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
            # Microseconds survive both databases; anything finer would not, and the hash would not match.
            entry = seal(id=last_id + 1, at=at.astimezone(UTC), actor=actor[:64], action=action[:64],
                         target=target[:128] if target else None, detail=detail, prev_hash=last_hash)
            db.add(AuditRow(id=entry.id, at=entry.at, actor=entry.actor, action=entry.action, target=entry.target,
                            detail=canonical_detail(entry.detail), prev_hash=entry.prev_hash, hash=entry.hash))
        return entry

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
    return AuditEntry(row.id, at, row.actor, row.action, row.target, detail, row.prev_hash, row.hash)
