"""Junk-call measures on SQLite and PostgreSQL: set, advised from memory, lifted, expired by the clock (and
announced), audited; a caller's profile from its classified history, also through an IMEI seen in AML."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.audit import SqlAuditStore
from ec112.db.caller_measures import SqlMeasureStore
from ec112.db.locations import SqlLocationRepository
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.aml_match import AmlDraft
from ec112.domain.call_handling import RESTRICTED_PRIORITY, CallHandling
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.domain.events import DomainEvent
from ec112.domain.junk_calls import MeasureChanged
from ec112.domain.location import Location, LocationSource
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, NewCall
from ec112.services.audit import AuditService
from ec112.services.event_bus import LocalEventBus
from ec112.services.junk_calls import JunkCallService
from ec112.services.junk_watch import JunkWatch

NUMBER = "+6281234567890"
OTHER = "+6281399998888"
IMEI = "356938035643809"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def _service(engine: AsyncEngine, clock: Clock) -> tuple[JunkCallService, AuditService, list[DomainEvent]]:
    bus = LocalEventBus()
    seen: list[DomainEvent] = []
    bus.subscribe(DomainEvent, seen.append)
    audit = AuditService(SqlAuditStore(engine), clock)
    junk = JunkCallService(SqlMeasureStore(engine, ticket_prefix="112"), audit, history_days=30, max_measure_hours=48,
                           default_region="ID", bus=bus, clock=clock)
    return junk, audit, seen


async def _ticket(engine: AsyncEngine, number: str, at: datetime, classification: str | None, *,
                  answered: bool = True, silent_confirmed: bool = False) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(NewCall(f"l-{number}-{at.timestamp()}", "u", "PJSIP/trunk-1", number, number, None,
                                        at, IntakeChannel.AGI))
    await repo.save(replace(ticket, answered_at=at if answered else None, ended_at=at + timedelta(seconds=30)))
    saved = await repo.get(ticket.id)
    assert saved is not None
    if classification is not None:
        saved = await repo.save_work(replace(saved, classification=classification),
                                     TicketEvent(ticket.id, at, "classified", "taker01", {}))
    if silent_confirmed:
        await repo.save_work(saved, TicketEvent(ticket.id, at, "silent.confirmed", "taker01", {}))


async def test_a_restriction_is_advised_from_memory_audited_and_ends_by_itself(engine: AsyncEngine) -> None:
    clock = Clock()
    junk, audit, seen = _service(engine, clock)
    await junk.load()
    assert junk.advise(NUMBER, None) == CallHandling()
    m = await junk.set_measure(subject_kind="number", subject="081234567890", kind="restriction",
                               reason="prank 5x malam ini", until=clock.now + timedelta(hours=24), by="spv")
    handling = junk.advise(NUMBER, None)
    assert (handling.queue_priority, handling.reasons) == (RESTRICTED_PRIORITY, ("junk:restriction",))
    assert [p.name for p in handling.prompts] == ["junk-warning"]
    assert junk.advise(OTHER, None) == CallHandling()
    [entry] = [e for e in await audit.recent(10) if e.action == "junk.measure_set"]
    assert (entry.actor, entry.target) == ("spv", f"number:{NUMBER}")
    assert entry.detail["reason"] == "prank 5x malam ini"
    assert entry.detail["until"] == m.until.isoformat()
    assert [(e.change, e.measure.id) for e in seen if isinstance(e, MeasureChanged)] == [("set", m.id)]

    # A restart reads it back; at its end the clock alone stops it.
    again, _, _ = _service(engine, clock)
    await again.load()
    assert again.advise(NUMBER, None).reasons == ("junk:restriction",)
    clock.now += timedelta(hours=24)
    assert again.advise(NUMBER, None) == CallHandling()
    loop = asyncio.create_task(again.expiry_loop())
    try:
        async with asyncio.timeout(5):
            while not [e for e in await audit.recent(10) if e.action == "junk.measure_expired"]:
                await asyncio.sleep(0.02)
    finally:
        loop.cancel()
    assert again.in_force() == []
    with pytest.raises(InvalidRequest, match="already ended"):
        await junk.lift(m.id, by="spv", reason="done")


async def test_a_measure_is_lifted_early_with_a_reason(engine: AsyncEngine) -> None:
    clock = Clock()
    junk, audit, seen = _service(engine, clock)
    m = await junk.set_measure(subject_kind="number", subject=NUMBER, kind="warning", reason="ghost calls",
                               until=clock.now + timedelta(hours=2), by="spv")
    with pytest.raises(InvalidRequest, match="why"):
        await junk.lift(m.id, by="spv2", reason=" ")
    lifted = await junk.lift(m.id, by="spv2", reason="the owner called: a broken handset")
    assert (lifted.lifted_by, lifted.status(clock.now)) == ("spv2", "lifted")
    assert junk.advise(NUMBER, None) == CallHandling()
    [entry] = [e for e in await audit.recent(10) if e.action == "junk.measure_lifted"]
    assert (entry.actor, entry.detail["reason"]) == ("spv2", "the owner called: a broken handset")
    assert [e.change for e in seen if isinstance(e, MeasureChanged)] == ["set", "lifted"]
    with pytest.raises(NotFound):
        await junk.lift(99999, by="spv", reason="x")
    with pytest.raises(InvalidRequest, match="at most 48 h"):
        await junk.set_measure(subject_kind="number", subject=NUMBER, kind="warning", reason="x",
                               until=clock.now + timedelta(hours=49), by="spv")


async def test_an_imei_measure_follows_every_number_the_handset_was_seen_with(engine: AsyncEngine) -> None:
    clock = Clock()
    locations = SqlLocationRepository(engine)
    where = Location(-1.2, 116.8, 20.0, LocationSource.AML, clock.now)
    for number in (NUMBER, OTHER):
        await locations.add_aml(AmlDraft("https", number, number, where, clock.now - timedelta(days=1), imei=IMEI))
    junk, _, _ = _service(engine, clock)
    await junk.set_measure(subject_kind="imei", subject=IMEI, kind="low_priority", reason="SIM swapping prank",
                           until=clock.now + timedelta(hours=12), by="spv")
    assert junk.advise(NUMBER, None).reasons == ("junk:low_priority",)
    assert junk.advise(OTHER, None).reasons == ("junk:low_priority",)
    assert junk.advise("+6285200000000", None) == CallHandling()


async def test_the_profile_counts_pranks_and_emergencies_of_the_number_and_its_handset(engine: AsyncEngine) -> None:
    clock = Clock()
    clock.now = now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # noon: "today" holds the ghost call of 07:00
    for days in (1, 2, 3):
        await _ticket(engine, NUMBER, now - timedelta(days=days), "prank")
    await _ticket(engine, OTHER, now - timedelta(hours=5), "ghost")  # same handset, other SIM
    await _ticket(engine, NUMBER, now - timedelta(days=40), "prank")  # beyond history_days
    junk, _, _ = _service(engine, clock)
    watch = JunkWatch(junk, tz=UTC, wave_window_seconds=300, wave_min_numbers=3, clock=clock)
    alone = await watch.profile(NUMBER)
    assert (alone.score.calls, alone.score.junk, alone.score.level, alone.imeis) == (3, 3, "repeat", 0)
    await SqlLocationRepository(engine).add_aml(AmlDraft("sms", NUMBER, NUMBER, Location(
        -1.2, 116.8, 20.0, LocationSource.AML, now), now - timedelta(days=1), imei=IMEI))
    await SqlLocationRepository(engine).add_aml(AmlDraft("sms", OTHER, OTHER, Location(
        -1.2, 116.8, 20.0, LocationSource.AML, now), now - timedelta(hours=5), imei=IMEI))
    watch.forget(NUMBER)
    both = await watch.profile(NUMBER)
    assert (both.score.calls, both.score.junk, both.imeis) == (4, 4, 1)
    await _ticket(engine, NUMBER, now - timedelta(days=10), None, silent_confirmed=True)
    watch.forget(NUMBER)
    helped = await watch.profile(NUMBER)
    assert helped.score.emergencies == 1
    assert helped.score.level == "watch"
    assert any(c.silent_confirmed for c in helped.recent)
    share = await watch.share_today()
    assert (share.classified, share.junk, share.pct) == (1, 1, 100.0)  # today: the ghost call only
    await junk.set_measure(subject_kind="number", subject=NUMBER, kind="warning", reason="iseng",
                           until=now + timedelta(hours=1), by="spv")
    assert [m.kind.value for m in (await watch.profile(NUMBER)).measures] == ["warning"]  # not after the cache


async def test_today_starts_at_the_local_midnight_in_wita_not_at_utc_midnight(engine: AsyncEngine) -> None:
    """Between 00:00 and 08:00 WITA the local day began on the UTC day before: a call classified at 00:20 WITA is
    today's, one at 23:50 WITA the day before is not (the bound goes in with its +08:00 offset)."""
    wita = ZoneInfo("Asia/Makassar")
    clock = Clock()
    clock.now = datetime(2026, 12, 3, 0, 30, tzinfo=wita).astimezone(UTC)  # 2 Dec 16:30 UTC
    await _ticket(engine, NUMBER, datetime(2026, 12, 3, 0, 20, tzinfo=wita), "ghost")
    await _ticket(engine, OTHER, datetime(2026, 12, 2, 23, 50, tzinfo=wita), "prank")
    junk, _, _ = _service(engine, clock)
    share = await JunkWatch(junk, tz=wita, wave_window_seconds=300, wave_min_numbers=3, clock=clock).share_today()
    assert (share.classified, share.junk) == (1, 1)
