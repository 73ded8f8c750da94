"""Async ticket repository (implements ``services.ports.TicketRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import TicketRow
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, Ticket, TicketStatus


class SqlTicketRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        dialect = engine.dialect.name
        self._insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def open(self, call: NewCall) -> tuple[Ticket, bool]:
        # INSERT … ON CONFLICT DO NOTHING makes opening idempotent per Linkedid, even when the AGI intake
        # and the AMI tracker race for the same call.
        values = _call_values(call)
        stmt = (
            self._insert(TicketRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["linkedid"])
            .returning(TicketRow.id)
        )
        async with self._sessions.begin() as session:
            new_id = (await session.execute(stmt)).scalar_one_or_none()
            row = (
                await session.execute(select(TicketRow).where(TicketRow.linkedid == call.linkedid))
            ).scalar_one()
            return _to_domain(row), new_id is not None

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self._sessions() as session:
            row = await session.get(TicketRow, ticket_id)
            return _to_domain(row) if row else None

    async def get_by_linkedid(self, linkedid: str) -> Ticket | None:
        async with self._sessions() as session:
            row = (
                await session.execute(select(TicketRow).where(TicketRow.linkedid == linkedid))
            ).scalar_one_or_none()
            return _to_domain(row) if row else None

    async def list_recent(self, *, limit: int, offset: int = 0) -> Sequence[Ticket]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TicketRow).order_by(TicketRow.id.desc()).limit(limit).offset(offset)
                )
            ).scalars()
            return [_to_domain(r) for r in rows]

    async def list_unended(self) -> Sequence[Ticket]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TicketRow).where(TicketRow.ended_at.is_(None)).order_by(TicketRow.id)
                )
            ).scalars()
            return [_to_domain(r) for r in rows]

    async def list_arrived_between(self, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets with ``start <= arrived_at < end``, oldest first (the calls of a KPI period)."""
        # Bounds go in as UTC: SQLite stores the wall clock as text, so another offset would misorder.
        stmt = (
            select(TicketRow)
            .where(TicketRow.arrived_at >= _bound(start), TicketRow.arrived_at < _bound(end))
            .order_by(TicketRow.arrived_at, TicketRow.id)
        )
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]

    async def save(self, ticket: Ticket) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(TicketRow, ticket.id)
            if row is None:
                raise LookupError(f"ticket {ticket.id} does not exist")
            for key, value in _ticket_values(ticket).items():
                setattr(row, key, value)

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def _location_values(location: Location | None) -> dict[str, Any]:
    if location is None:
        return dict.fromkeys(
            ("loc_lat", "loc_lon", "loc_radius_m", "loc_source", "loc_method", "loc_observed_at")
        )
    return {
        "loc_lat": location.lat,
        "loc_lon": location.lon,
        "loc_radius_m": location.radius_m,
        "loc_source": location.source.value,
        "loc_method": location.method,
        "loc_observed_at": _to_utc(location.observed_at),
    }


def _call_values(call: NewCall) -> dict[str, Any]:
    return {
        "linkedid": call.linkedid,
        "uniqueid": call.uniqueid,
        "channel": call.channel,
        "caller_number_raw": call.caller_number_raw,
        "caller_number_e164": call.caller_number_e164,
        "caller_name": call.caller_name,
        "intake": call.intake.value,
        "status": TicketStatus.NEW.value,
        "arrived_at": _to_utc(call.arrived_at),
        **_location_values(call.location),
    }


def _ticket_values(t: Ticket) -> dict[str, Any]:
    return {
        "caller_number_raw": t.caller_number_raw,
        "caller_number_e164": t.caller_number_e164,
        "caller_name": t.caller_name,
        "status": t.status.value,
        "queued_at": _to_utc(t.queued_at),
        "answered_at": _to_utc(t.answered_at),
        "answered_by": t.answered_by,
        "ended_at": _to_utc(t.ended_at),
        "outcome": t.outcome.value if t.outcome else None,
        **_location_values(t.location),
    }


def _to_utc(value: datetime | None) -> datetime | None:
    """Store UTC: SQLite keeps the wall-clock digits and drops the offset."""
    return value.astimezone(UTC) if value is not None else None


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bound(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("period bounds must be timezone-aware")
    return value.astimezone(UTC)


def _to_domain(row: TicketRow) -> Ticket:
    location = None
    if row.loc_lat is not None and row.loc_lon is not None:
        location = Location(
            lat=row.loc_lat,
            lon=row.loc_lon,
            radius_m=row.loc_radius_m,
            source=LocationSource(row.loc_source or LocationSource.PIDF_LO.value),
            observed_at=_utc(row.loc_observed_at) or _utc(row.arrived_at) or datetime.now(UTC),
            method=row.loc_method,
        )
    return Ticket(
        id=row.id,
        linkedid=row.linkedid,
        uniqueid=row.uniqueid,
        channel=row.channel,
        caller_number_raw=row.caller_number_raw,
        caller_number_e164=row.caller_number_e164,
        caller_name=row.caller_name,
        location=location,
        intake=IntakeChannel(row.intake),
        status=TicketStatus(row.status),
        arrived_at=_utc(row.arrived_at) or datetime.now(UTC),
        queued_at=_utc(row.queued_at),
        answered_at=_utc(row.answered_at),
        answered_by=row.answered_by,
        ended_at=_utc(row.ended_at),
        outcome=CallOutcome(row.outcome) if row.outcome else None,
    )
