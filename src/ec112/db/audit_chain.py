"""Appending to the hash-chained audit log inside a caller's transaction.

A service that changes state hands its ``AuditDraft`` to the store, which writes the entry in the SAME
transaction as the change (a ticket classified, a dispatch acknowledged): both are stored, or neither.
Appending reads the last entry and inserts the next id with the chained hash. Two writers (the daemon and an
``ec112 user`` command, or two requests) can race: PostgreSQL serialises them with a transaction-scoped
advisory lock; on SQLite (and as a safety net) the loser hits the primary key or the write lock, and the
whole transaction is tried again on the new last entry (``retrying``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ec112.db.models import AuditRow
from ec112.domain.audit import GENESIS_HASH, AuditDraft, AuditEntry, canonical_detail, seal

T = TypeVar("T")
_PG_LOCK_KEY = 0x112A0D17  # pg_advisory_xact_lock key of the audit chain
_ATTEMPTS = 8


class AuditChain:
    def __init__(self, engine: AsyncEngine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = asyncio.Lock()  # one writer at a time in this process

    async def append_in(self, session: AsyncSession, draft: AuditDraft, at: datetime) -> AuditEntry:
        """Add the entry to ``session``'s transaction (call it last in the transaction: it takes the lock)."""
        if self._postgres:
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        last = (
            await session.execute(select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
        ).one_or_none()
        last_id, last_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
        # Microseconds survive both databases; anything finer would not, and the hash would not match.
        entry = seal(id=last_id + 1, at=at.astimezone(UTC), actor=draft.actor[:64], action=draft.action[:64],
                     target=draft.target[:128] if draft.target else None, detail=draft.detail, prev_hash=last_hash)
        session.add(AuditRow(id=entry.id, at=entry.at, actor=entry.actor, action=entry.action, target=entry.target,
                             detail=canonical_detail(entry.detail), prev_hash=entry.prev_hash, hash=entry.hash))
        return entry

    async def retrying(self, transaction: Callable[[], Awaitable[T]]) -> T:
        """Run a whole transaction that appends an entry, again when a concurrent writer won the race."""
        async with self._lock:
            for attempt in range(_ATTEMPTS):
                try:
                    return await transaction()
                except (IntegrityError, OperationalError):
                    if attempt == _ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")
