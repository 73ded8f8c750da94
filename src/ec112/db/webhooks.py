"""The webhook delivery log (implements ``services.notifications.DeliveryLog``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.models import WebhookDeliveryRow
from ec112.services.notifications import (
    AttemptResult,
    Channel,
    DeliveryQuery,
    DeliveryStatus,
    NewDelivery,
    WebhookDelivery,
)


class SqlWebhookLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    async def create(self, new: NewDelivery, body_for: Callable[[int], bytes]) -> WebhookDelivery:
        created = _to_utc(new.created_at)
        pending = new.status is DeliveryStatus.PENDING
        row = WebhookDeliveryRow(agency=new.agency, event=new.event, url=new.url, body="", status=new.status.value,
                                 channel=new.channel.value, attempts=0, last_error=new.last_error, created_at=created,
                                 next_attempt_at=created if pending else None)
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()  # the id, which the body carries
            row.body = body_for(row.id).decode("utf-8")
        return _to_domain(row)

    async def pending(self, *, limit: int) -> Sequence[WebhookDelivery]:
        stmt = (select(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.status == DeliveryStatus.PENDING.value)
                .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
                .limit(limit))
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]

    async def record_attempt(self, delivery_id: int, result: AttemptResult) -> bool:
        stmt = update(WebhookDeliveryRow).where(
            WebhookDeliveryRow.id == delivery_id,
            WebhookDeliveryRow.status == DeliveryStatus.PENDING.value,
            WebhookDeliveryRow.attempts == result.attempts - 1,
        ).values(
            attempts=result.attempts, status=result.status.value, last_status_code=result.last_status_code,
            last_error=result.last_error, next_attempt_at=_to_utc(result.next_attempt_at),
            delivered_at=_to_utc(result.delivered_at))
        async with self._sessions.begin() as session:
            outcome: Any = await session.execute(stmt)
            return bool(outcome.rowcount == 1)

    async def get(self, delivery_id: int) -> WebhookDelivery | None:
        async with self._sessions() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
            return _to_domain(row) if row else None

    async def search(self, query: DeliveryQuery) -> Sequence[WebhookDelivery]:
        stmt = select(WebhookDeliveryRow)
        if query.agency is not None:
            stmt = stmt.where(WebhookDeliveryRow.agency == query.agency)
        if query.status is not None:
            stmt = stmt.where(WebhookDeliveryRow.status == query.status.value)
        stmt = stmt.order_by(WebhookDeliveryRow.id.desc()).limit(query.limit)
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]


def _to_domain(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id, agency=row.agency, event=row.event, url=row.url, body=row.body,
        status=DeliveryStatus(row.status), attempts=row.attempts or 0, last_status_code=row.last_status_code,
        last_error=row.last_error, created_at=_utc(row.created_at) or datetime.now(UTC),
        next_attempt_at=_utc(row.next_attempt_at), delivered_at=_utc(row.delivered_at),
        channel=Channel(row.channel or Channel.AGENCY.value))


def _to_utc(value: datetime | None) -> datetime | None:
    """Store UTC: SQLite keeps the wall-clock digits and drops the offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("delivery times must be timezone-aware")
    return value.astimezone(UTC)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
