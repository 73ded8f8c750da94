"""Appending to the hash-chained audit log inside a caller's transaction.

A service that changes state hands its ``AuditDraft`` to the store, which writes the entry in the SAME
transaction as the change (a ticket classified, a dispatch acknowledged): both are stored, or neither.
Appending reads the last entry and inserts the next id with the chained hash. Two writers (the daemon and an
``ec112 user`` command, or two requests) can race: PostgreSQL serialises them with a transaction-scoped
advisory lock; on SQLite (and as a safety net) the loser hits the primary key or the write lock, and the
whole transaction is tried again on the new last entry (``retrying``).

Each entry is MAC'd with the keyring the composition root gave the ENGINE (``sign_with``): every store on it
signs, whoever built it, and a store on an engine without one (the repository tests) writes ``mac`` NULL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ec112.db.models import AuditRow
from ec112.domain.audit import GENESIS_HASH, AuditDraft, AuditEntry, canonical_detail, seal
from ec112.domain.audit_seal import Keyring, entry_mac

T = TypeVar("T")
_PG_LOCK_KEY = 0x112A0D17  # pg_advisory_xact_lock key of the audit chain
_ATTEMPTS = 8
_KEYRING_OPTION = "ec112_audit_keyring"


def sign_with(engine: AsyncEngine, keyring: Keyring) -> None:
    """Make every audit entry written through ``engine`` carry a MAC (call before building its stores)."""
    engine.update_execution_options(**{_KEYRING_OPTION: keyring})


def engine_keyring(engine: AsyncEngine) -> Keyring | None:
    keyring = engine.get_execution_options().get(_KEYRING_OPTION)
    return keyring if isinstance(keyring, Keyring) else None


class AuditChain:
    def __init__(self, engine: AsyncEngine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = asyncio.Lock()  # one writer at a time in this process
        self._keyring = engine_keyring(engine)

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
        if self._keyring is not None:
            key_id, mac = entry_mac(self._keyring, entry.hash)
            entry = replace(entry, mac=mac, key_id=key_id)
        session.add(AuditRow(id=entry.id, at=entry.at, actor=entry.actor, action=entry.action, target=entry.target,
                             detail=canonical_detail(entry.detail), prev_hash=entry.prev_hash, hash=entry.hash,
                             mac=entry.mac, key_id=entry.key_id))
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
