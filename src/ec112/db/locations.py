"""Every location of a ticket, what could not be placed, and the AML messages received (implements
``services.ports.LocationRepository``).

A report and the ticket's best location (its ``loc_*`` columns, what list pages show) are written in ONE
transaction, so the two never disagree; the best one is ``domain.location.best_location`` over all the
ticket's reports, whatever order they arrive in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import AmlMessageRow, TicketLocationRow, TicketRow, TicketUnlocatedRow
from ec112.db.ticket_cache import TicketCache
from ec112.db.ticket_rows import location_row, location_values, ticket_from_row
from ec112.domain.aml_match import AmlDraft, UnmatchedAml
from ec112.domain.location import (
    Location,
    LocationReport,
    LocationSource,
    UnlocatedKind,
    UnlocatedReport,
    UnlocatedStatus,
    best_location,
)
from ec112.domain.tickets import Ticket

_MAX_ID = 2**31 - 1


class SqlLocationRepository:
    def __init__(self, engine: AsyncEngine, *, ticket_cache: TicketCache | None = None) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._tickets = ticket_cache or TicketCache(size=0)  # a report moves its ticket's best location

    async def add(self, ticket_id: int, location: Location, *, actor: str,
                  received_at: datetime) -> tuple[LocationReport, Ticket]:
        ticket: Ticket | None = None
        try:
            report, ticket = await self._add(ticket_id, location, actor=actor, received_at=received_at)
            return report, ticket
        finally:  # committed: the ticket as it is now; anything else: read it again next time
            self._tickets.put(ticket) if ticket is not None else self._tickets.forget(ticket_id)

    async def _add(self, ticket_id: int, location: Location, *, actor: str,
                   received_at: datetime) -> tuple[LocationReport, Ticket]:
        async with self._sessions.begin() as session:
            # The ticket row first, locked (PostgreSQL): two reports of one ticket fuse one after the other.
            ticket = (await session.execute(
                select(TicketRow).where(TicketRow.id == ticket_id).with_for_update())).scalar_one_or_none()
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            row = location_row(ticket_id, location, actor=actor, received_at=received_at)
            session.add(row)
            await session.flush()
            rows = (await session.execute(
                select(TicketLocationRow).where(TicketLocationRow.ticket_id == ticket_id))).scalars().all()
            best = best_location(_location(r) for r in rows)
            for key, value in location_values(best).items():
                setattr(ticket, key, value)
            await session.flush()
            return _report(row), ticket_from_row(ticket)

    async def reports(self, ticket_id: int) -> Sequence[LocationReport]:
        if not 0 < ticket_id <= _MAX_ID:
            return []
        stmt = (select(TicketLocationRow).where(TicketLocationRow.ticket_id == ticket_id)
                .order_by(TicketLocationRow.received_at.desc(), TicketLocationRow.id.desc()))
        async with self._sessions() as session:
            return [_report(r) for r in (await session.execute(stmt)).scalars()]

    async def add_unlocated(self, ticket_id: int, report: UnlocatedReport) -> int:
        row = TicketUnlocatedRow(ticket_id=ticket_id, kind=report.kind.value, text=report.text,
                                 status=report.status.value, reason=report.reason,
                                 received_at=_to_utc(report.received_at), updated_at=_to_utc(report.received_at))
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def update_unlocated(self, report_id: int, status: UnlocatedStatus, reason: str | None,
                               at: datetime) -> None:
        stmt = (update(TicketUnlocatedRow).where(TicketUnlocatedRow.id == report_id)
                .values(status=status.value, reason=reason, updated_at=_to_utc(at)))
        async with self._sessions.begin() as session:
            await session.execute(stmt)

    async def unlocated(self, ticket_id: int) -> Sequence[UnlocatedReport]:
        if not 0 < ticket_id <= _MAX_ID:
            return []
        stmt = (select(TicketUnlocatedRow).where(TicketUnlocatedRow.ticket_id == ticket_id)
                .order_by(TicketUnlocatedRow.received_at.desc(), TicketUnlocatedRow.id.desc()))
        async with self._sessions() as session:
            return [UnlocatedReport(UnlocatedKind(r.kind), r.text, _utc(r.received_at), UnlocatedStatus(r.status),
                                    r.reason) for r in (await session.execute(stmt)).scalars()]

    async def previous_located(self, caller_e164: str, *, before_ticket_id: int, since: datetime,
                               limit: int) -> Sequence[Ticket]:
        stmt = (select(TicketRow)
                .where(TicketRow.caller_number_e164 == caller_e164, TicketRow.id < before_ticket_id,
                       TicketRow.arrived_at >= _to_utc(since), TicketRow.loc_lat.is_not(None))
                .order_by(TicketRow.arrived_at.desc(), TicketRow.id.desc()).limit(limit))
        async with self._sessions() as session:
            return [ticket_from_row(r) for r in (await session.execute(stmt)).scalars()]

    async def calls_of(self, caller_e164: str, *, arrived_from: datetime, arrived_to: datetime) -> Sequence[Ticket]:
        stmt = (select(TicketRow)
                .where(TicketRow.caller_number_e164 == caller_e164, TicketRow.arrived_at >= _to_utc(arrived_from),
                       TicketRow.arrived_at <= _to_utc(arrived_to))
                .order_by(TicketRow.arrived_at, TicketRow.id))
        async with self._sessions() as session:
            return [ticket_from_row(r) for r in (await session.execute(stmt)).scalars()]

    async def add_aml(self, draft: AmlDraft) -> int:
        loc = draft.location
        row = AmlMessageRow(
            received_at=_to_utc(draft.received_at), channel=draft.channel,
            caller_number_e164=draft.caller_number_e164, caller_number_raw=(draft.caller_number_raw or "")[:64] or None,
            lat=loc.lat, lon=loc.lon, radius_m=loc.radius_m, method=loc.method, confidence=draft.confidence,
            observed_at=_to_utc(loc.observed_at), notes=",".join(draft.notes)[:400] or None,
            device_imei=draft.imei)
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def claim_aml(self, aml_id: int, ticket_id: int, at: datetime) -> bool:
        stmt = (update(AmlMessageRow).where(AmlMessageRow.id == aml_id, AmlMessageRow.ticket_id.is_(None))
                .values(ticket_id=ticket_id, matched_at=_to_utc(at)))
        async with self._sessions.begin() as session:
            result: Any = await session.execute(stmt)
            return bool(result.rowcount == 1)

    async def unmatched_aml(self, *, caller_e164: str | None = None, since: datetime | None = None,
                            limit: int = 200) -> Sequence[UnmatchedAml]:
        stmt = select(AmlMessageRow).where(AmlMessageRow.ticket_id.is_(None))
        if caller_e164 is not None:
            stmt = stmt.where(AmlMessageRow.caller_number_e164 == caller_e164)
        if since is not None:
            stmt = stmt.where(AmlMessageRow.received_at >= _to_utc(since))
        stmt = stmt.order_by(AmlMessageRow.received_at.desc(), AmlMessageRow.id.desc()).limit(limit)
        async with self._sessions() as session:
            return [_unmatched(r) for r in (await session.execute(stmt)).scalars()]


def _location(r: TicketLocationRow) -> Location:
    return Location(lat=r.lat, lon=r.lon, radius_m=r.radius_m, source=LocationSource(r.source),
                    observed_at=_utc(r.observed_at), method=r.method, confidence=r.confidence, shape=r.shape,
                    label=r.label)


def _report(r: TicketLocationRow) -> LocationReport:
    return LocationReport(r.id, _location(r), _utc(r.received_at))


def _unmatched(r: AmlMessageRow) -> UnmatchedAml:
    location = Location(lat=r.lat, lon=r.lon, radius_m=r.radius_m, source=LocationSource.AML,
                        observed_at=_utc(r.observed_at), method=r.method, confidence=r.confidence)
    return UnmatchedAml(r.id, r.channel, r.caller_number_e164, r.caller_number_raw, location, _utc(r.received_at),
                        tuple(n for n in (r.notes or "").split(",") if n))


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
