"""Drills (issue 14, docs/room.md C): a run registered by ``ec112 drill run``, its placed calls, and its report.

The runner registers the scenario (the text as run: the report's expectations are what was run, even if the file
changes later), then tells each call it placed; the report finds the tickets from the store of tickets (exercise,
number, time window: ``domain.drill_report``). Audited: ``drill.started``, ``drill.ended``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.dispatch import Dispatch
from ec112.domain.drill_report import LATE, DrillReport, drill_report
from ec112.domain.drills import DrillChanged, Scenario, ScenarioError, parse_scenario
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.services.dispatch import DispatchStore
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.ports import AuditLog, TicketRepository

log = logging.getLogger(__name__)
MAX_SCENARIO_BYTES = 64_000


@dataclass(frozen=True, slots=True)
class DrillRun:
    id: int
    name: str
    scenario: str  # the TOML as run
    started_by: str
    started_at: datetime
    ended_at: datetime | None = None
    placed: dict[int, datetime] = field(default_factory=dict)  # call position → when it was placed

    def parsed(self) -> Scenario:
        return parse_scenario(self.scenario)


class DrillStore(Protocol):
    async def create(self, name: str, scenario: str, by: str, at: datetime) -> int: ...

    async def placed(self, run_id: int, position: int, at: datetime) -> bool: ...

    async def end(self, run_id: int, at: datetime) -> bool: ...

    async def get(self, run_id: int) -> DrillRun | None: ...

    async def recent(self, limit: int) -> list[DrillRun]: ...


class DrillService:
    def __init__(self, store: DrillStore, tickets: TicketRepository, dispatches: DispatchStore, audit: AuditLog,
                 *, bus: EventBus | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._tickets = tickets
        self._dispatches = dispatches
        self._audit = audit
        self._clock = clock
        self._bus: EventBus = bus or NullEventBus()

    async def start(self, scenario: str, by: str) -> DrillRun:
        if len(scenario.encode()) > MAX_SCENARIO_BYTES:
            raise InvalidRequest(f"scenario larger than {MAX_SCENARIO_BYTES} bytes")
        try:
            parsed = parse_scenario(scenario)
        except ScenarioError as exc:
            raise InvalidRequest(f"scenario: {exc}") from None
        at = self._clock()
        run_id = await self._store.create(parsed.name, scenario, by, at)
        await self._audit.record(by, "drill.started", str(run_id), name=parsed.name, calls=len(parsed.calls))
        log.info("drill %d started by %s: %s, %d calls", run_id, by, parsed.name, len(parsed.calls))
        await self._bus.publish(DrillChanged(at=at, actor=by, drill_id=run_id, name=parsed.name, change="started"))
        return await self.get(run_id)

    async def get(self, run_id: int) -> DrillRun:
        run = await self._store.get(run_id)
        if run is None:
            raise NotFound(f"no drill {run_id}")
        return run

    async def recent(self, limit: int = 20) -> list[DrillRun]:
        return await self._store.recent(limit)

    async def call_placed(self, run_id: int, position: int, at: datetime | None = None) -> None:
        run = await self.get(run_id)
        if not 0 <= position < len(run.parsed().calls):
            raise InvalidRequest(f"the scenario has no call {position}")
        if run.ended_at is not None:
            raise InvalidRequest(f"drill {run_id} has ended")
        if await self._store.placed(run_id, position, at or self._clock()):
            await self._bus.publish(DrillChanged(at=self._clock(), actor=run.started_by, drill_id=run_id,
                                                 name=run.name, change="placed", position=position))

    async def end(self, run_id: int, by: str) -> DrillRun:
        run = await self.get(run_id)
        if await self._store.end(run_id, self._clock()):
            await self._audit.record(by, "drill.ended", str(run_id), name=run.name, placed=len(run.placed))
            await self._bus.publish(DrillChanged(at=self._clock(), actor=by, drill_id=run_id, name=run.name,
                                                 change="ended"))
        return await self.get(run_id)

    async def report(self, run_id: int) -> tuple[DrillRun, DrillReport]:
        run = await self.get(run_id)
        scenario = run.parsed()
        start = run.started_at - timedelta(minutes=1)
        end = max([run.ended_at or self._clock(), *run.placed.values()]) + timedelta(
            seconds=max((c.hangup_after_seconds for c in scenario.calls), default=0)) + LATE
        tickets = [t for t in await self._tickets.list_arrived_between(start, end) if t.exercise]
        dispatches: dict[int, list[Dispatch]] = {t.id: await self._dispatches.for_ticket(t.id) for t in tickets}
        return run, drill_report(scenario, run.placed, tickets, dispatches)
