"""Junk-call measures: a supervisor sets them on a number or an IMEI, they always expire, and the intake asks
``advise()`` (a ``HandlingAdvisor``) before queueing each call — answered from memory, never from the database.

The measures in force are loaded at start and again after every change (set, lift, expiry); an IMEI measure
applies to every number that IMEI was seen with in AML over ``[junk] history_days`` (resolved at load time).
``advise`` compares ``until`` with the clock itself, so a measure stops at its end even if nothing reloads;
``expiry_loop`` only announces it (a ``measure`` event and an audit line). 112 is never blocked: the
strongest measure is the warning prompt plus the lowest queue priority (domain.junk_calls.handling_for).
Every set and lift is audited with who, why and until when.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.call_handling import CallHandling
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.domain.events import EC112
from ec112.domain.junk_calls import (
    MAX_REASON,
    CallerMeasure,
    MeasureChanged,
    MeasureDraft,
    PastCall,
    SubjectKind,
    checked_draft,
    handling_for,
)
from ec112.domain.location import Location
from ec112.domain.phone import to_e164
from ec112.services.audit import AuditService
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)
IDLE_CHECK_SECONDS = 60.0  # the expiry loop looks at least this often (a measure set meanwhile wakes it anyway)


class MeasureStore(Protocol):
    async def add(self, draft: MeasureDraft, *, ticket_id: int | None = None) -> CallerMeasure: ...
    async def get(self, measure_id: int) -> CallerMeasure | None: ...
    async def lift(self, measure_id: int, *, by: str, reason: str, at: datetime) -> CallerMeasure | None: ...
    async def in_force(self, now: datetime) -> list[CallerMeasure]: ...
    async def recent(self, *, limit: int, subjects: Collection[str] | None = None) -> list[CallerMeasure]: ...
    async def past_calls(self, numbers: Collection[str], *, since: datetime, limit: int) -> list[PastCall]: ...
    async def numbers_of_imei(self, imeis: Collection[str], *, since: datetime) -> dict[str, set[str]]: ...
    async def imeis_of_number(self, number: str, *, since: datetime) -> set[str]: ...
    async def classified_counts(self, *, since: datetime) -> dict[str, int]: ...


class JunkCallService:
    def __init__(self, store: MeasureStore, audit: AuditService, *, history_days: int, max_measure_hours: int,
                 default_region: str, bus: EventBus | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._audit = audit
        self.history = timedelta(days=history_days)
        self.max_hours = max_measure_hours
        self._region = default_region
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._in_force: list[CallerMeasure] = []
        self._by_number: dict[str, tuple[CallerMeasure, ...]] = {}
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    @property
    def store(self) -> MeasureStore:
        return self._store

    def normalize(self, number: str | None) -> str | None:
        """A caller number as Asterisk gave it → E.164 (what measures and tickets are keyed by)."""
        return to_e164(number, self._region)

    # --- the intake's question (synchronous, from memory) --------------------------------------------------

    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling:
        if not caller_e164:
            return CallHandling()
        now = self._clock()
        return handling_for(m for m in self._by_number.get(caller_e164, ()) if m.active(now))

    def in_force(self) -> list[CallerMeasure]:
        now = self._clock()
        return [m for m in self._in_force if m.active(now)]

    def on_number(self, number: str) -> list[CallerMeasure]:
        now = self._clock()
        return [m for m in self._by_number.get(number, ()) if m.active(now)]

    async def load(self) -> None:
        """(Re)read the measures in force and the numbers of their IMEIs into memory."""
        async with self._lock:
            now = self._clock()
            measures = await self._store.in_force(now)
            imeis = {m.subject for m in measures if m.subject_kind is SubjectKind.IMEI}
            numbers_of = await self._store.numbers_of_imei(imeis, since=now - self.history)
            by_number: dict[str, list[CallerMeasure]] = {}
            for m in measures:
                targets = numbers_of.get(m.subject, set()) if m.subject_kind is SubjectKind.IMEI else {m.subject}
                for number in targets:
                    by_number.setdefault(number, []).append(m)
            self._in_force = measures
            self._by_number = {n: tuple(ms) for n, ms in by_number.items()}
        self._changed.set()
        log.info("junk measures in force: %d", len(measures))

    # --- a supervisor's changes -----------------------------------------------------------------------------

    async def set_measure(self, *, subject_kind: str, subject: str, kind: str, reason: str, until: datetime,
                          by: str, ticket_id: int | None = None) -> CallerMeasure:
        """``ticket_id``: the call it was set from (its timeline says so)."""
        draft = checked_draft(subject_kind, subject, kind, reason, until, by=by, now=self._clock(),
                              max_hours=self.max_hours, region=self._region)
        measure = await self._store.add(draft, ticket_id=ticket_id)
        await self._audit.record(by, "junk.measure_set", _target(measure), measure_id=measure.id,
                                 kind=measure.kind.value, reason=measure.reason, until=measure.until.isoformat(),
                                 ticket_id=ticket_id)
        await self.load()
        log.info("junk measure %d set: %s on a %s, until %s", measure.id, measure.kind.value,
                 measure.subject_kind.value, measure.until.isoformat(timespec="minutes"))
        await self._bus.publish(MeasureChanged(at=self._clock(), actor=by, measure=measure, change="set"))
        return measure

    async def lift(self, measure_id: int, *, by: str, reason: str) -> CallerMeasure:
        reason = reason.strip()
        if not reason:
            raise InvalidRequest("say why it is lifted / alasan wajib diisi")
        if len(reason) > MAX_REASON:
            raise InvalidRequest(f"the reason is longer than {MAX_REASON} characters / alasan terlalu panjang")
        now = self._clock()
        lifted = await self._store.lift(measure_id, by=by, reason=reason, at=now)
        if lifted is None:
            found = await self._store.get(measure_id)
            if found is None:
                raise NotFound(f"no measure {measure_id}")
            raise InvalidRequest(f"measure {measure_id} has already ended ({found.status(now)}) / "
                                 "tindakan sudah berakhir")
        await self._audit.record(by, "junk.measure_lifted", _target(lifted), measure_id=lifted.id,
                                 kind=lifted.kind.value, reason=reason, until=lifted.until.isoformat())
        await self.load()
        await self._bus.publish(MeasureChanged(at=now, actor=by, measure=lifted, change="lifted"))
        return lifted

    async def recent(self, limit: int = 50) -> list[CallerMeasure]:
        return await self._store.recent(limit=limit)

    # --- expiry: announced, never needed for the measure to stop ---------------------------------------------

    async def expiry_loop(self) -> None:
        while True:
            self._changed.clear()
            now = self._clock()
            ended = [m for m in self._in_force if m.until <= now]
            for m in ended:
                await self._audit.record(EC112, "junk.measure_expired", _target(m), measure_id=m.id,
                                         kind=m.kind.value, set_by=m.set_by, until=m.until.isoformat())
                await self._bus.publish(MeasureChanged(at=now, actor=EC112, measure=m, change="expired"))
            if ended:
                self._in_force = [m for m in self._in_force if m.until > now]  # announced once, whatever follows
                try:
                    await self.load()
                except Exception:
                    log.exception("junk measures: reload after expiry failed (advise still checks until)")
                continue
            upcoming = [(m.until - now).total_seconds() for m in self._in_force]
            wait = min([IDLE_CHECK_SECONDS, *upcoming])
            try:
                async with asyncio.timeout(max(0.05, wait)):
                    await self._changed.wait()
            except TimeoutError:
                pass


def _target(m: CallerMeasure) -> str:
    return f"{m.subject_kind.value}:{m.subject}"
