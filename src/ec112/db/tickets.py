"""Async ticket repository (implements ``services.ports.TicketRepository``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.models import TicketEventRow, TicketLocationRow, TicketRow
from ec112.domain.audit import AuditDraft
from ec112.domain.errors import Conflict
from ec112.domain.events import ASTERISK
from ec112.domain.location import Location, LocationSource
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, Ticket, TicketStatus

_MAX_ID = 2**31 - 1  # Integer primary keys (int4 on PostgreSQL)


class SqlTicketRepository:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None) -> None:
        self._engine = engine
        self._audit = audit_chain or AuditChain(engine)
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
            if new_id is not None and call.location is not None:
                # The network's location is the ticket's first report too: its list of sources is complete.
                session.add(location_row(new_id, call.location, actor=ASTERISK, received_at=call.arrived_at))
            row = (
                await session.execute(select(TicketRow).where(TicketRow.linkedid == call.linkedid))
            ).scalar_one()
            return _to_domain(row), new_id is not None

    async def get(self, ticket_id: int) -> Ticket | None:
        if not 0 < ticket_id <= _MAX_ID:  # SQLite/asyncpg raise on an out-of-range integer: it is just unknown
            return None
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
        """Calls not known to have ended (a text to 112 is no call: it never ends by a channel's hang-up)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TicketRow).where(TicketRow.ended_at.is_(None),
                                            TicketRow.intake != IntakeChannel.TEXT.value).order_by(TicketRow.id)
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

    async def search(self, query: TicketQuery) -> tuple[Sequence[Ticket], int]:
        """One page of matching tickets, newest first, and how many match in all."""
        stmt = _filtered(select(TicketRow), query)
        count = _filtered(select(func.count(TicketRow.id)), query)
        async with self._sessions() as session:
            total = (await session.execute(count)).scalar_one()
            page = stmt.order_by(TicketRow.id.desc()).limit(query.limit).offset(query.offset)
            return [_to_domain(r) for r in (await session.execute(page)).scalars()], total

    async def save_work(self, ticket: Ticket, event: TicketEvent, audit: AuditDraft | None = None) -> Ticket:
        """Store a call taker's change, its event and (when given) its audit entry together, if nobody changed
        the ticket meanwhile.

        ``ticket.revision`` is the revision the change was based on; ``Conflict`` when it is stale.
        """
        values = {
            "classification": ticket.classification,
            "category": ticket.category,
            "address": ticket.address,
            "description": ticket.description,
            "classified_by": ticket.classified_by,
            "classified_at": _to_utc(ticket.classified_at),
            "status": ticket.status.value,
            "revision": ticket.revision + 1,
        }
        stmt = update(TicketRow).where(TicketRow.id == ticket.id, TicketRow.revision == ticket.revision)

        async def transaction() -> Ticket:
            async with self._sessions.begin() as session:
                result: Any = await session.execute(stmt.values(**values))
                if result.rowcount != 1:
                    raise Conflict("the ticket was changed meanwhile by someone else: reload it / tiket sudah diubah")
                session.add(TicketEventRow(ticket_id=event.ticket_id, at=_to_utc(event.at), kind=event.kind,
                                           actor=event.actor, data=json.dumps(event.data, ensure_ascii=False)))
                if audit is not None:
                    await self._audit.append_in(session, audit, event.at)
                row = await session.get(TicketRow, ticket.id, populate_existing=True)
                assert row is not None
                return _to_domain(row)

        return await (self._audit.retrying(transaction) if audit is not None else transaction())

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        stmt = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.id)
        async with self._sessions() as session:
            return [
                TicketEvent(r.ticket_id, _utc(r.at) or datetime.now(UTC), r.kind, r.actor, json.loads(r.data))
                for r in (await session.execute(stmt)).scalars()
            ]

    async def save(self, ticket: Ticket) -> None:
        """Store the call's life (queue, answer, end): never the call taker's work (``save_work``).

        The location only when the ticket had none (an intake's location on a ticket another door opened):
        later ones go through ``db.locations`` (all reports, fused), which a stale copy must not overwrite.
        """
        async with self._sessions.begin() as session:
            row = await session.get(TicketRow, ticket.id)
            if row is None:
                raise LookupError(f"ticket {ticket.id} does not exist")
            values = _ticket_values(ticket)
            if row.loc_lat is None and ticket.location is not None:
                session.add(location_row(ticket.id, ticket.location, actor=ASTERISK,
                                         received_at=datetime.now(UTC)))
            else:
                values = {k: v for k, v in values.items() if not k.startswith("loc_")}
            for key, value in values.items():
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


def location_row(ticket_id: int, location: Location, *, actor: str, received_at: datetime) -> TicketLocationRow:
    """A ``ticket_locations`` row (shared with ``db.locations``)."""
    return TicketLocationRow(
        ticket_id=ticket_id, source=location.source.value, lat=location.lat, lon=location.lon,
        radius_m=location.radius_m, method=(location.method or None) and location.method[:32],
        confidence=location.confidence, shape=(location.shape or None) and location.shape[:16],
        label=(location.label or None) and location.label[:200], observed_at=location.observed_at.astimezone(UTC),
        received_at=received_at.astimezone(UTC), actor=actor[:64])


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


def _filtered(stmt: Select[Any], q: TicketQuery) -> Select[Any]:
    if q.status is not None:
        stmt = stmt.where(TicketRow.status == q.status.value)
    if q.classification is not None:
        stmt = stmt.where(TicketRow.classification == q.classification.value)
    if q.caller_e164 is not None:
        stmt = stmt.where(TicketRow.caller_number_e164 == q.caller_e164)
    if q.arrived_from is not None:
        stmt = stmt.where(TicketRow.arrived_at >= _bound(q.arrived_from))
    if q.arrived_to is not None:
        stmt = stmt.where(TicketRow.arrived_at < _bound(q.arrived_to))
    if q.before_id is not None:
        stmt = stmt.where(TicketRow.id < q.before_id)
    if q.text and q.text.strip():
        stmt = stmt.where(_text_match(q))
    return stmt


def _text_match(q: TicketQuery) -> Any:
    text_ = (q.text or "").strip()
    if q.ticket_id is not None:
        return TicketRow.id == q.ticket_id
    if q.digits is not None:
        pattern = f"%{_escape(q.digits)}%"
        return or_(TicketRow.caller_number_e164.like(pattern, escape="\\"),
                   TicketRow.caller_number_raw.like(pattern, escape="\\"))
    pattern = f"%{_escape(text_.lower())}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in
                 (TicketRow.address, TicketRow.description, TicketRow.caller_name)))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
        classification=row.classification,
        category=row.category,
        address=row.address,
        description=row.description,
        classified_by=row.classified_by,
        classified_at=_utc(row.classified_at),
        revision=row.revision or 0,
    )


# Shared with db/locations.py (the ticket's best location is written there too).
to_domain = _to_domain
location_values = _location_values
