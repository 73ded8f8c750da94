"""Junk-call measures (table ``caller_measures``, migration 0009) and the reads the repeat score and the junk
share need: a caller's past calls with their classification, the numbers an IMEI was seen with in AML.
Implements ``services.junk_calls.MeasureStore``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Index, Integer, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import AmlMessageRow, Base, TicketEventRow, TicketRow
from ec112.db.utc_datetime import UtcDateTime
from ec112.domain.junk_calls import CallerMeasure, MeasureDraft, MeasureKind, PastCall, SubjectKind
from ec112.domain.tickets import ticket_number

SILENT_CONFIRMED = "silent.confirmed"  # the silent-call part's timeline kind (docs/caller-handling.md)
TIMELINE_KIND = "junk.measure_set"  # on the ticket a measure was set from
_MAX_ID = 2**31 - 1


class CallerMeasureRow(Base):
    __tablename__ = "caller_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    set_by: Mapped[str] = mapped_column(String(40))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(40))
    lift_reason: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        Index("ix_caller_measures_subject", "subject"),
        Index("ix_caller_measures_until", "until"),
    )


class SqlMeasureStore:
    def __init__(self, engine: AsyncEngine, *, ticket_prefix: str) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._prefix = ticket_prefix

    async def add(self, draft: MeasureDraft, *, ticket_id: int | None = None) -> CallerMeasure:
        """Store a measure; set from a ticket, the ticket's timeline gets ``junk.measure_set`` in the same
        transaction (an event row only: the ticket itself and its revision stay as the call taker left them)."""
        row = CallerMeasureRow(subject_kind=draft.subject_kind.value, subject=draft.subject, kind=draft.kind.value,
                               reason=draft.reason, set_by=draft.set_by, set_at=draft.set_at, until=draft.until)
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            if ticket_id is not None:
                data = {"measure_id": row.id, "kind": draft.kind.value, "reason": draft.reason,
                        "until": draft.until.isoformat()}
                session.add(TicketEventRow(ticket_id=ticket_id, at=draft.set_at, kind=TIMELINE_KIND,
                                           actor=draft.set_by, data=json.dumps(data, ensure_ascii=False)))
            return _measure(row)

    async def get(self, measure_id: int) -> CallerMeasure | None:
        if not 0 < measure_id <= _MAX_ID:
            return None
        async with self._sessions() as session:
            row = await session.get(CallerMeasureRow, measure_id)
            return _measure(row) if row is not None else None

    async def lift(self, measure_id: int, *, by: str, reason: str, at: datetime) -> CallerMeasure | None:
        """Lifted now, if it was still in force; None when it was not (already lifted or expired)."""
        if not 0 < measure_id <= _MAX_ID:
            return None
        stmt = (update(CallerMeasureRow)
                .where(CallerMeasureRow.id == measure_id, CallerMeasureRow.lifted_at.is_(None),
                       CallerMeasureRow.until > at)
                .values(lifted_at=at, lifted_by=by, lift_reason=reason))
        async with self._sessions.begin() as session:
            if (await session.execute(stmt)).rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = await session.get(CallerMeasureRow, measure_id)
            return _measure(row) if row is not None else None

    async def in_force(self, now: datetime) -> list[CallerMeasure]:
        stmt = (select(CallerMeasureRow).where(CallerMeasureRow.lifted_at.is_(None), CallerMeasureRow.until > now)
                .order_by(CallerMeasureRow.id))
        async with self._sessions() as session:
            return [_measure(r) for r in (await session.execute(stmt)).scalars()]

    async def recent(self, *, limit: int, subjects: Collection[str] | None = None) -> list[CallerMeasure]:
        stmt = select(CallerMeasureRow).order_by(CallerMeasureRow.id.desc()).limit(limit)
        if subjects is not None:
            stmt = stmt.where(CallerMeasureRow.subject.in_(list(subjects)))
        async with self._sessions() as session:
            return [_measure(r) for r in (await session.execute(stmt)).scalars()]

    async def past_calls(self, numbers: Collection[str], *, since: datetime, limit: int) -> list[PastCall]:
        """The calls of these numbers since then, newest first, with whether the caller confirmed a silent call."""
        if not numbers:
            return []
        confirmed = (select(TicketEventRow.id).where(TicketEventRow.ticket_id == TicketRow.id,
                                                     TicketEventRow.kind == SILENT_CONFIRMED).exists())
        stmt = (select(TicketRow.id, TicketRow.arrived_at, TicketRow.classification, TicketRow.answered_at,
                       confirmed.label("confirmed"))
                .where(TicketRow.caller_number_e164.in_(list(numbers)), TicketRow.arrived_at >= since)
                .order_by(TicketRow.arrived_at.desc()).limit(limit))
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [PastCall(ticket_number(self._prefix, r.id, _utc(r.arrived_at)), _utc(r.arrived_at), r.classification,
                         r.answered_at is not None, bool(r.confirmed)) for r in rows]

    async def numbers_of_imei(self, imeis: Collection[str], *, since: datetime) -> dict[str, set[str]]:
        """IMEI → the caller numbers its AML messages came with (a handset whose SIM changes keeps its IMEI)."""
        if not imeis:
            return {}
        stmt = (select(AmlMessageRow.device_imei, AmlMessageRow.caller_number_e164).distinct()
                .where(AmlMessageRow.device_imei.in_(list(imeis)), AmlMessageRow.caller_number_e164.is_not(None),
                       AmlMessageRow.received_at >= since))
        found: dict[str, set[str]] = {imei: set() for imei in imeis}
        async with self._sessions() as session:
            for imei, number in (await session.execute(stmt)).all():
                if imei and number:
                    found.setdefault(imei, set()).add(number)
        return found

    async def imeis_of_number(self, number: str, *, since: datetime) -> set[str]:
        stmt = (select(AmlMessageRow.device_imei).distinct()
                .where(AmlMessageRow.caller_number_e164 == number, AmlMessageRow.device_imei.is_not(None),
                       AmlMessageRow.received_at >= since))
        async with self._sessions() as session:
            return {r for r in (await session.execute(stmt)).scalars() if r}

    async def classified_counts(self, *, since: datetime) -> dict[str, int]:
        """Classification → number of the calls that arrived since then and were classified."""
        stmt = (select(TicketRow.classification, func.count())
                .where(TicketRow.arrived_at >= since, TicketRow.classification.is_not(None))
                .group_by(TicketRow.classification))
        async with self._sessions() as session:
            return {str(c): int(n) for c, n in (await session.execute(stmt)).all()}


def _measure(r: CallerMeasureRow) -> CallerMeasure:
    return CallerMeasure(r.id, SubjectKind(r.subject_kind), r.subject, MeasureKind(r.kind), r.reason, r.set_by,
                         _utc(r.set_at), _utc(r.until), _utc(r.lifted_at) if r.lifted_at else None, r.lifted_by,
                         r.lift_reason)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
