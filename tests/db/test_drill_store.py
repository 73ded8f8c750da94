"""Drill runs on SQLite and PostgreSQL, through the service: start (audited, announced), placed calls, report, end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.dispatches import SqlDispatchStore
from ec112.db.drills import SqlDrillStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.drills import DrillChanged
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.domain.events import DomainEvent
from ec112.domain.tickets import IntakeChannel
from ec112.services.drills import DrillService
from ec112.services.intake import IntakeService

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
SCENARIO = """
name = "Uji toko"
[[call]]
at_seconds = 0
caller = "081200000001"
audio = { text = "api" }
hangup_after_seconds = 20
[call.expect]
classification = "prank"
"""


@dataclass
class Recorder:
    events: list[DomainEvent] = field(default_factory=list)
    audit: list[tuple[str, str, str | None]] = field(default_factory=list)

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def publish_nowait(self, event: DomainEvent) -> None:
        self.events.append(event)

    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        self.audit.append((actor, action, target))


async def test_a_run_from_start_to_report(engine: AsyncEngine) -> None:
    now = [T0]
    seen = Recorder()
    tickets = SqlTicketRepository(engine)
    drills = DrillService(SqlDrillStore(engine), tickets, SqlDispatchStore(engine), seen, bus=seen,
                          clock=lambda: now[0])
    with pytest.raises(InvalidRequest, match="name: required"):
        await drills.start("[[call]]", "rina")
    run = await drills.start(SCENARIO, "rina")
    assert (run.name, run.started_by, run.placed, run.ended_at) == ("Uji toko", "rina", {}, None)
    await drills.call_placed(run.id, 0, T0 + timedelta(seconds=1))
    await drills.call_placed(run.id, 0, T0 + timedelta(seconds=9))  # a retry: the first placement stands
    with pytest.raises(InvalidRequest):
        await drills.call_placed(run.id, 1)

    intake = IntakeService(tickets, default_region="ID", ticket_prefix="112", clock=lambda: now[0])
    for linkedid, exercise in (("real-1", False), ("drill-1", True)):  # the same number, a real call first
        await intake.open_ticket(linkedid=linkedid, uniqueid=linkedid, channel="PJSIP/x-1",
                                 caller_number="081200000001", caller_name=None, intake=IntakeChannel.AGI,
                                 arrived_at=T0 + timedelta(seconds=2), exercise=exercise)
    now[0] = T0 + timedelta(seconds=30)
    ended = await drills.end(run.id, "rina")
    await drills.end(run.id, "rina")  # once
    assert ended.ended_at == now[0]
    assert ended.placed == {0: T0 + timedelta(seconds=1)}
    _, report = await drills.report(run.id)
    [call] = report.calls
    assert call.ticket is not None
    assert call.ticket.linkedid == "drill-1"
    assert [a[1] for a in seen.audit] == ["drill.started", "drill.ended"]
    assert [(e.change, e.position) for e in seen.events if isinstance(e, DrillChanged)] == [
        ("started", None), ("placed", 0), ("ended", None)]
    assert [r.id for r in await drills.recent()] == [run.id]
    with pytest.raises(NotFound):
        await drills.report(run.id + 1)
