"""The backfill's store: how far each record file was read, and the 112 calls read from them.

``record()`` keeps what a read brought and how far it got in ONE transaction, so a crash between the two
can neither lose lines nor count them twice (counting twice would be harmless anyway: merging is
idempotent). Implements ``services.backfill.RecordStore``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import RecordedCallRow, RecordOffsetRow
from ec112.domain.recorded_calls import FilePosition, RecordedCall, merge, merge_all

_CALL_FIELDS = ("channel", "caller_number", "caller_name", "arrived_at", "ended_at", "queued_at", "answered_at",
                "answered_by", "exercise")


class SqlRecordStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    async def positions(self) -> dict[str, FilePosition]:
        async with self._sessions() as session:
            rows = (await session.execute(select(RecordOffsetRow))).scalars()
            return {r.name: FilePosition(r.identity, r.byte_offset) for r in rows}

    async def record(self, parts: Sequence[RecordedCall], positions: Mapping[str, FilePosition],
                     now: datetime) -> int:
        """Merge the parts into the stored calls and move the positions on; returns how many calls changed.

        A part that is not (yet) known as a 112 call and merges into no stored one is dropped: a CDR of
        another context, say. A stored call that gains something is unsettled again (settled anew).
        """
        changed = 0
        async with self._sessions.begin() as session:
            incoming = merge_all(list(parts))
            stored = {}
            if incoming:
                query = select(RecordedCallRow).where(RecordedCallRow.linkedid.in_(list(incoming)))
                stored = {r.linkedid: r for r in (await session.execute(query)).scalars()}
            for linkedid, part in incoming.items():
                row = stored.get(linkedid)
                if row is None:
                    if part.emergency:
                        session.add(RecordedCallRow(linkedid=linkedid, updated_at=now, **_values(part)))
                        changed += 1
                    continue
                before = _to_domain(row)
                after = merge(before, part)
                if after != before:
                    for key, value in _values(after).items():
                        setattr(row, key, value)
                    row.updated_at, row.settled_at = now, None
                    changed += 1
            for name, position in positions.items():
                offset_row = await session.get(RecordOffsetRow, name)
                if offset_row is None:
                    session.add(RecordOffsetRow(name=name, identity=position.identity,
                                                byte_offset=position.offset, updated_at=now))
                elif (offset_row.identity, offset_row.byte_offset) != (position.identity, position.offset):
                    offset_row.identity, offset_row.byte_offset = position.identity, position.offset
                    offset_row.updated_at = now
        return changed

    async def unsettled(self, limit: int) -> list[RecordedCall]:
        """Ended calls (their CDR was read) whose ticket has not been opened or filled from them yet."""
        query = (select(RecordedCallRow)
                 .where(RecordedCallRow.settled_at.is_(None), RecordedCallRow.ended_at.is_not(None),
                        RecordedCallRow.arrived_at.is_not(None))
                 .order_by(RecordedCallRow.arrived_at).limit(limit))
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(query)).scalars()]

    async def settled(self, linkedid: str, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(RecordedCallRow).where(RecordedCallRow.linkedid == linkedid)
                                  .values(settled_at=_utc_in(at)))

    async def prune(self, before: datetime) -> int:
        """Forget calls nothing was heard of since ``before`` (settled or never complete)."""
        async with self._sessions.begin() as session:
            result: Any = await session.execute(
                delete(RecordedCallRow).where(RecordedCallRow.updated_at < _utc_in(before)))
            return int(result.rowcount or 0)


def _values(call: RecordedCall) -> dict[str, Any]:
    return {key: _utc_in(getattr(call, key)) if key.endswith("_at") else getattr(call, key)
            for key in _CALL_FIELDS}


def _to_domain(row: RecordedCallRow) -> RecordedCall:
    # Only 112 calls are stored, so every row is one (``emergency``).
    return RecordedCall(
        linkedid=row.linkedid, emergency=True, channel=row.channel, caller_number=row.caller_number,
        caller_name=row.caller_name, arrived_at=_utc_out(row.arrived_at), ended_at=_utc_out(row.ended_at),
        queued_at=_utc_out(row.queued_at), answered_at=_utc_out(row.answered_at), answered_by=row.answered_by,
        exercise=bool(row.exercise),
    )


def _utc_in(value: Any) -> Any:
    """Store UTC: SQLite keeps the wall-clock digits and drops the offset."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _utc_out(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
