"""The webhook delivery log on SQLite and PostgreSQL: the body is stored with its own id, attempts are kept,
pending rows come back soonest first, and the log is searchable for the supervisor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.webhooks import SqlWebhookLog
from ec112.services.notifications import (
    AttemptResult,
    DeliveryQuery,
    DeliveryStatus,
    NewDelivery,
    envelope,
)

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=WIB)


def _body(event: str, agency: str, data: Mapping[str, object]) -> Callable[[int], bytes]:
    return lambda delivery_id: envelope(delivery_id, event, agency, T0, data)


async def test_a_delivery_is_stored_pending_with_the_exact_body_carrying_its_id(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    data = {"alamat": "Jl. Gajah Mada No. 5 — lantai 2", "ticket": "112-000001"}
    stored = await log.create(NewDelivery("damkar", "dispatch.created", "https://gw.example/h", T0),
                              _body("dispatch.created", "damkar", data))
    again = await log.get(stored.id)
    assert again == stored
    assert again.body.encode("utf-8") == envelope(stored.id, "dispatch.created", "damkar", T0, data)
    assert (again.status, again.attempts, again.last_status_code, again.last_error) == (
        DeliveryStatus.PENDING, 0, None, None)
    assert again.created_at == T0
    assert again.created_at.tzinfo is not None
    assert again.next_attempt_at == T0  # due at once
    assert again.delivered_at is None


async def test_a_body_that_cannot_be_made_leaves_no_row(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)

    def broken(_delivery_id: int) -> bytes:
        raise TypeError("cannot put a object in a notification")

    with pytest.raises(TypeError):
        await log.create(NewDelivery("damkar", "dispatch.created", "https://gw.example/h", T0), broken)
    assert await log.search(DeliveryQuery()) == []


async def test_attempts_are_recorded_until_delivered(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    d = await log.create(NewDelivery("pmi", "dispatch.created", "https://gw.example/h", T0),
                         _body("dispatch.created", "pmi", {}))
    retry_at = T0 + timedelta(seconds=2)
    assert await log.record_attempt(d.id, AttemptResult(1, DeliveryStatus.PENDING, 500, "HTTP 500", retry_at, None))
    after_one = await log.get(d.id)
    assert after_one is not None
    assert (after_one.attempts, after_one.last_status_code, after_one.last_error, after_one.next_attempt_at) == (
        1, 500, "HTTP 500", retry_at)
    done_at = T0 + timedelta(seconds=3)
    assert await log.record_attempt(d.id, AttemptResult(2, DeliveryStatus.DELIVERED, 200, None, None, done_at))
    delivered = await log.get(d.id)
    assert delivered is not None
    assert (delivered.status, delivered.attempts, delivered.last_status_code, delivered.delivered_at) == (
        DeliveryStatus.DELIVERED, 2, 200, done_at)
    assert delivered.body == d.body  # the body never changes between attempts
    assert await log.pending(limit=10) == []


async def test_pending_comes_soonest_first_and_leaves_out_finished_ones(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    ids = []
    for n in range(4):
        d = await log.create(NewDelivery("damkar", f"e{n}", "https://gw.example/h", T0 + timedelta(seconds=n)),
                             _body(f"e{n}", "damkar", {}))
        ids.append(d.id)
    # e0 waits 10 minutes, e1 is delivered, e2 failed; e3 stays due at T0+3 s.
    await log.record_attempt(ids[0], AttemptResult(1, DeliveryStatus.PENDING, None, "ConnectError",
                                                   T0 + timedelta(minutes=10), None))
    await log.record_attempt(ids[1], AttemptResult(1, DeliveryStatus.DELIVERED, 204, None, None, T0))
    await log.record_attempt(ids[2], AttemptResult(1, DeliveryStatus.FAILED, 503, "HTTP 503", None, None))
    assert [d.id for d in await log.pending(limit=10)] == [ids[3], ids[0]]
    assert [d.id for d in await log.pending(limit=1)] == [ids[3]]


async def test_a_refused_delivery_is_stored_failed_and_never_due(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    d = await log.create(NewDelivery("bpbd", "dispatch.created", "https://gw.example/h", T0, DeliveryStatus.FAILED,
                                     "no webhook secret for agency 'bpbd': not sent unsigned"),
                         _body("dispatch.created", "bpbd", {}))
    assert (d.status, d.next_attempt_at, d.attempts) == (DeliveryStatus.FAILED, None, 0)
    assert await log.pending(limit=10) == []


async def test_search_by_agency_and_status_newest_first(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    made = {}
    for agency, event in [("damkar", "a"), ("pmi", "b"), ("damkar", "c"), ("damkar", "d")]:
        made[event] = (await log.create(NewDelivery(agency, event, "https://gw.example/h", T0),
                                        _body(event, agency, {}))).id
    await log.record_attempt(made["c"], AttemptResult(1, DeliveryStatus.FAILED, None, "x", None, None))
    assert [d.event for d in await log.search(DeliveryQuery())] == ["d", "c", "b", "a"]
    assert [d.event for d in await log.search(DeliveryQuery(agency="damkar"))] == ["d", "c", "a"]
    assert [d.event for d in await log.search(DeliveryQuery(agency="damkar", status=DeliveryStatus.PENDING))] == [
        "d", "a"]
    assert [d.event for d in await log.search(DeliveryQuery(status=DeliveryStatus.FAILED))] == ["c"]
    assert [d.event for d in await log.search(DeliveryQuery(limit=2))] == ["d", "c"]
    assert await log.search(DeliveryQuery(agency="basarnas")) == []


async def test_naive_times_are_refused(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    with pytest.raises(ValueError, match="timezone-aware"):
        await log.create(NewDelivery("damkar", "e", "https://gw.example/h", datetime(2026, 1, 1)),
                         _body("e", "damkar", {}))


async def test_times_come_back_in_utc(engine: AsyncEngine) -> None:
    log = SqlWebhookLog(engine)
    d = await log.create(NewDelivery("damkar", "e", "https://gw.example/h", T0), _body("e", "damkar", {}))
    again = await log.get(d.id)
    assert again is not None
    assert again.created_at.utcoffset() == timedelta(0)
    assert again.created_at == T0.astimezone(UTC)


async def test_a_stale_attempt_is_not_recorded(engine: AsyncEngine) -> None:
    """Two sends of one delivery (e.g. a stale read) cannot both count: the second finds the row moved on."""
    log = SqlWebhookLog(engine)
    d = await log.create(NewDelivery("damkar", "e", "https://gw.example/h", T0), _body("e", "damkar", {}))
    first = AttemptResult(1, DeliveryStatus.FAILED, 502, "HTTP 502", None, None)
    assert await log.record_attempt(d.id, first)
    assert not await log.record_attempt(d.id, AttemptResult(1, DeliveryStatus.DELIVERED, 200, None, None, T0))
    after = await log.get(d.id)
    assert after is not None
    assert (after.status, after.attempts, after.last_status_code) == (DeliveryStatus.FAILED, 1, 502)
    assert not await log.record_attempt(d.id + 100, first)  # no such delivery
