"""Async ticket repository (implements ``services.ports.TicketRepository``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Integer, Select, String, Table, bindparam, column, func, or_, select, table, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.models import TicketEventRow, TicketLocationRow, TicketRow
from ec112.db.ticket_cache import TicketCache
from ec112.db.ticket_rows import (
    call_values,
    location_row_values,
    location_values,
    ticket_from_row,
    ticket_values,
    to_utc,
    utc,
)
from ec112.domain.audit import AuditDraft
from ec112.domain.errors import Conflict
from ec112.domain.events import ASTERISK
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket

_MAX_ID = 2**31 - 1  # Integer primary keys (int4 on PostgreSQL)
_TICKETS: Table = TicketRow.__table__  # type: ignore[assignment]  # a declarative class's Table
_LOCATIONS: Table = TicketLocationRow.__table__  # type: ignore[assignment]
# Built once: the hot path's statements (their cache keys are memoized on the objects).
_BY_ID: Select[Any] = select(*_TICKETS.c).where(_TICKETS.c.id == bindparam("id"))
_BY_LINKEDID: Select[Any] = select(*_TICKETS.c).where(_TICKETS.c.linkedid == bindparam("linkedid"))
_UPDATE = update(_TICKETS)


class SqlTicketRepository:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None,
                 cache: TicketCache | None = None) -> None:
        self._engine = engine
        # Shared with the other writers of the tickets table (wiring); a private one is coherent on its own only
        # when nothing else writes tickets, so without one given, nothing is kept.
        self._cache = cache if cache is not None else TicketCache(size=0)
        self._audit = audit_chain or AuditChain(engine)
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        dialect = engine.dialect.name
        self._insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._fts = dialect == "sqlite"  # migration 0018: SQLite searches text through tickets_fts

    async def open(self, call: NewCall) -> tuple[Ticket, bool]:
        # INSERT … ON CONFLICT DO NOTHING makes opening idempotent per Linkedid, even when the AGI intake
        # and the AMI tracker race for the same call. Core statements: this is every call's hot path.
        stmt = (
            self._insert(_TICKETS)
            .values(**call_values(call))
            .on_conflict_do_nothing(index_elements=["linkedid"])
            .returning(*_TICKETS.c)
        )
        async with self._engine.begin() as conn:
            row: Any = (await conn.execute(stmt)).one_or_none()
            created = row is not None
            if created and call.location is not None:
                # The network's location is the ticket's first report too: its list of sources is complete.
                await conn.execute(_LOCATIONS.insert().values(
                    location_row_values(row.id, call.location, actor=ASTERISK, received_at=call.arrived_at)))
            if row is None:
                row = (await conn.execute(_BY_LINKEDID, {"linkedid": call.linkedid})).one()
        ticket = ticket_from_row(row)
        if created:
            self._cache.put(ticket)
        return ticket, created

    async def get(self, ticket_id: int) -> Ticket | None:
        if not 0 < ticket_id <= _MAX_ID:  # SQLite/asyncpg raise on an out-of-range integer: it is just unknown
            return None
        return self._cache.get(ticket_id) or await self._read(_BY_ID, {"id": ticket_id})

    async def get_by_linkedid(self, linkedid: str) -> Ticket | None:
        return self._cache.by_linkedid(linkedid) or await self._read(_BY_LINKEDID, {"linkedid": linkedid})

    async def _read(self, stmt: Select[Any], params: dict[str, Any]) -> Ticket | None:
        generation = self._cache.generation
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt, params)).one_or_none()
        if row is None:
            return None
        ticket = ticket_from_row(row)
        self._cache.fill(ticket, generation)
        return ticket

    async def list_recent(self, *, limit: int, offset: int = 0) -> Sequence[Ticket]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TicketRow).order_by(TicketRow.id.desc()).limit(limit).offset(offset)
                )
            ).scalars()
            return [ticket_from_row(r) for r in rows]

    async def list_unended(self) -> Sequence[Ticket]:
        """Calls not known to have ended (a text to 112 is no call: it never ends by a channel's hang-up)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TicketRow).where(TicketRow.ended_at.is_(None),
                                            TicketRow.intake != IntakeChannel.TEXT.value).order_by(TicketRow.id)
                )
            ).scalars()
            return [ticket_from_row(r) for r in rows]

    async def list_arrived_between(self, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets with ``start <= arrived_at < end``, oldest first (the calls of a KPI period)."""
        # Bounds go in as UTC: SQLite stores the wall clock as text, so another offset would misorder.
        # Plain rows, not ORM objects: a day is a thousand tickets or more, read for the wallboard every few seconds.
        stmt = (
            select(*TicketRow.__table__.columns)
            .where(TicketRow.arrived_at >= _bound(start), TicketRow.arrived_at < _bound(end))
            .order_by(TicketRow.arrived_at, TicketRow.id)
        )
        async with self._engine.connect() as conn:
            return [ticket_from_row(cast(TicketRow, r)) for r in await conn.execute(stmt)]

    async def search(self, query: TicketQuery) -> tuple[Sequence[Ticket], int]:
        """One page of matching tickets, newest first, and how many match, counted up to ``query.count_ceiling``:
        a total above it means "more than that" (counting all of a million rows would cost more than the page)."""
        stmt, newest = _filtered(select(TicketRow), query, self._fts)
        matching = _filtered(select(TicketRow.id), query, self._fts)[0].limit(query.count_ceiling + 1).subquery()
        count = select(func.count()).select_from(matching)
        by_page = query.count_ceiling == query.offset + query.limit  # the page (and one more row) tells the total
        page = stmt.order_by(*(key.desc() for key in newest)).offset(query.offset)
        async with self._sessions() as session:
            if not self._fts and _digits_search(query):
                # PostgreSQL cannot guess how many numbers contain "850726" (digits make few, common trigrams) and,
                # guessing many, walks 100 000 tickets for 50: the trigram indexes find them at once. This
                # transaction only.
                await session.execute(text("SET LOCAL enable_indexscan = off"))
            rows = list((await session.execute(page.limit(query.limit + by_page))).scalars())
            if by_page and len(rows) > query.limit:
                total = query.count_ceiling + 1  # more than this page
            elif by_page and (rows or not query.offset):
                total = query.offset + len(rows)  # the last page
            else:  # counted; or past the last page of a text search: how many there are
                total = (await session.execute(count)).scalar_one()
            return [ticket_from_row(r) for r in rows[:query.limit]], total

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
            "classified_at": to_utc(ticket.classified_at),
            "status": ticket.status.value,
            "revision": ticket.revision + 1,
        }
        stmt = update(TicketRow).where(TicketRow.id == ticket.id, TicketRow.revision == ticket.revision)

        async def transaction() -> Ticket:
            async with self._sessions.begin() as session:
                result: Any = await session.execute(stmt.values(**values))
                if result.rowcount != 1:
                    raise Conflict("the ticket was changed meanwhile by someone else: reload it / tiket sudah diubah")
                session.add(TicketEventRow(ticket_id=event.ticket_id, at=to_utc(event.at), kind=event.kind,
                                           actor=event.actor, data=json.dumps(event.data, ensure_ascii=False)))
                if audit is not None:
                    await self._audit.append_in(session, audit, event.at)
                row = await session.get(TicketRow, ticket.id, populate_existing=True)
                assert row is not None
                return ticket_from_row(row)

        saved = await (self._audit.retrying(transaction) if audit is not None else transaction())
        self._cache.put(saved)
        return saved

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        stmt = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.id)
        async with self._sessions() as session:
            return [
                TicketEvent(r.ticket_id, utc(r.at) or datetime.now(UTC), r.kind, r.actor, json.loads(r.data))
                for r in (await session.execute(stmt)).scalars()
            ]

    async def save(self, ticket: Ticket) -> None:
        """Store the call's life (queue, answer, end): never the call taker's work (``save_work``).

        Only the columns that differ from the ticket as last committed (when the cache knows it). The location
        only when the ticket had none (an intake's location on a ticket another door opened): later ones go
        through ``db.locations`` (all reports, fused), which a stale copy must not overwrite.
        """
        before = self._cache.get(ticket.id)
        values = {k: v for k, v in ticket_values(ticket).items() if not k.startswith("loc_")}
        if before is not None:
            committed = ticket_values(before)
            values = {k: v for k, v in values.items() if committed[k] != v}
        add_location = ticket.location is not None and (before is None or before.location is None)
        async with self._engine.begin() as conn:
            row: Any = None
            if values or before is None:
                row = (await conn.execute(_UPDATE.where(_TICKETS.c.id == ticket.id).values(**values)
                                          .returning(*_TICKETS.c))).one_or_none()
                if row is None:
                    raise LookupError(f"ticket {ticket.id} does not exist")
            if add_location and ticket.location is not None:
                located_row = (await conn.execute(
                    _UPDATE.where(_TICKETS.c.id == ticket.id, _TICKETS.c.loc_lat.is_(None))
                    .values(**location_values(ticket.location)).returning(*_TICKETS.c))).one_or_none()
                if located_row is not None:
                    row = located_row
                    await conn.execute(_LOCATIONS.insert().values(location_row_values(
                        ticket.id, ticket.location, actor=ASTERISK, received_at=datetime.now(UTC))))
        if row is not None:
            self._cache.put(ticket_from_row(row))

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def _bound(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("period bounds must be timezone-aware")
    return value.astimezone(UTC)


def _filtered(stmt: Select[Any], q: TicketQuery, fts: bool) -> tuple[Select[Any], tuple[Any, ...]]:
    """``stmt`` narrowed to the query's tickets, and the keys that order them newest first: the arrival, which
    the list's indexes (migration 0018: status / classification / both, then ``arrived_at``) read in order, so a
    filtered page or a date range is read from its newest rows instead of sorted from all of them."""
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
    text_ = (q.text or "").strip()
    wanted = (q.digits or text_).replace("\x00", "")  # FTS5 would read a NUL as the end of its query
    if q.ticket_id is None and fts and len(wanted) >= 3:
        # SQLite: the trigram index drives the query, in its own rowid order (newest first, streamed: a page of a
        # word found in 400 000 tickets is read from its first 50 matches, not from all of them).
        columns = _NUMBERS if q.digits is not None else _WORDS
        phrase = wanted.replace('"', '""')
        match = _FTS.c.tickets_fts.op("MATCH")(f'{{{" ".join(columns)}}} : "{phrase}"')
        return stmt.join(_FTS, _FTS.c.rowid == TicketRow.id).where(match), (_FTS.c.rowid,)
    if text_:
        stmt = stmt.where(_text_match(q))
    return stmt, (TicketRow.arrived_at, TicketRow.id)


def _digits_search(q: TicketQuery) -> bool:
    """Whether the query searches part of a caller number (3 digits or more, not a ticket number)."""
    return q.ticket_id is None and q.digits is not None


# SQLite's trigram index (migration 0018): its columns, as a table SQLAlchemy can name in a sub-select.
_FTS = table("tickets_fts", column("rowid", Integer), column("tickets_fts", String))
_WORDS = ("address", "description", "caller_name")
_NUMBERS = ("caller_number_e164", "caller_number_raw")


def _text_match(q: TicketQuery) -> Any:
    """A ticket number, part of a caller number, or a piece of the address / description / caller name.

    Both are contains-matches: on PostgreSQL the pg_trgm indexes of migration 0018 answer these LIKEs (on exactly
    these expressions); on SQLite ``_filtered`` asks its trigram index instead, unless the text is shorter than a
    trigram (then it is scanned, as here).
    """
    text_ = (q.text or "").strip().replace("\x00", "")  # no stored text holds a NUL (PostgreSQL refuses one)
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
