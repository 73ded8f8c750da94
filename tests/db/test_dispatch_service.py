"""DispatchService over a real database: who may do which step, what is notified, escalation on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.dispatches import SqlDispatchStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.accounts import Role, User
from ec112.domain.agencies import Agency, AlternateContact, Responder
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.dispatch import DispatchStatus, Escalation
from ec112.domain.errors import Forbidden, InvalidRequest
from ec112.domain.events import DispatchChanged
from ec112.domain.ticket_work import Classification, ClassificationInput
from ec112.domain.tickets import IntakeChannel, NewCall, TicketStatus
from ec112.routing.agencies import AgencyDirectory
from ec112.services.agency_notifications import AgencyNotifications
from ec112.services.dispatch import DispatchService
from ec112.services.event_bus import LocalEventBus
from ec112.services.notifications import Channel
from ec112.services.ticket_desk import TicketDesk

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
TAKER = User(1, "taker01", "Taker", Role.CALL_TAKER, sip_endpoint="taker01")
SPV = User(2, "spv", "Supervisor", Role.SUPERVISOR)
DAMKAR_OFFICER = User(3, "officer.damkar", "Officer", Role.AGENCY_OFFICER, agency="damkar")
DINKES_OFFICER = User(4, "officer.dinkes", "Officer", Role.AGENCY_OFFICER, agency="dinkes")
BUDI = User(5, "resp.budi", "Budi", Role.RESPONDER, agency="damkar")
SARI = User(6, "resp.sari", "Sari", Role.RESPONDER, agency="damkar")
DIRECTORY = AgencyDirectory(
    (Agency("damkar", "Dinas Pemadam Kebakaran dan Penyelamatan", "Damkar", ("kebakaran",),
            webhook_url="http://127.0.0.1:9/hook",
            alternate_contact=AlternateContact("Kabid Operasi Damkar", "0812 5555 6666", "http://127.0.0.1:9/alt",
                                               "http://127.0.0.1:9/sms")),
     Agency("dinkes", "Dinas Kesehatan", "Dinkes", ("kegawatdaruratan_medis",), ack_timeout_seconds=30)),
    (Responder("resp.budi", "damkar", "Budi"), Responder("resp.sari", "damkar", "Sari")))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.channels: list[Channel] = []

    async def notify(self, agency: Agency, event: str, payload: dict[str, Any],
                     channel: Channel = Channel.AGENCY) -> None:
        self.sent.append((agency.code, event, payload))
        self.channels.append(channel)


@pytest.fixture
async def parts(engine: AsyncEngine) -> tuple[DispatchService, TicketDesk, RecordingNotifier, Clock]:
    clock, notifier = Clock(), RecordingNotifier()
    bus = LocalEventBus()  # the webhook subscriber wired as in the daemon
    desk = TicketDesk(SqlTicketRepository(engine), categories=CategoryCatalogue(), ticket_prefix="112", clock=clock,
                      bus=bus)
    service = DispatchService(SqlDispatchStore(engine), desk, DIRECTORY, ack_timeout=timedelta(seconds=60),
                              bus=bus, clock=clock)
    bus.subscribe(DispatchChanged, AgencyNotifications(DIRECTORY, notifier, ticket_prefix="112",
                                                       category_label=desk.category_label).on_dispatch_changed)
    repo = SqlTicketRepository(engine)
    await repo.open(NewCall("l1", "l1", "PJSIP/trunk-1", "0811", "+62811", None, T0, IntakeChannel.AGI))
    await desk.classify("1", ClassificationInput(Classification.EMERGENCY, "kebakaran", "Jl. Kenanga 1"),
                        revision=None, actor="taker01")
    return service, desk, notifier, clock


async def test_the_whole_loop_with_the_right_people(parts: Any) -> None:
    service, desk, notifier, _clock = parts
    damkar, dinkes = await service.dispatch("1", ["damkar", "dinkes"], TAKER)
    assert dinkes.ack_deadline - dinkes.dispatched_at == timedelta(seconds=30)  # the agency's own limit
    assert [(a, e) for a, e, _ in notifier.sent] == [("damkar", "dispatch.created"), ("dinkes", "dispatch.created")]
    assert notifier.sent[0][2]["ticket"].startswith("112-")
    assert notifier.sent[0][2]["address"] == "Jl. Kenanga 1"

    with pytest.raises(Forbidden):
        await service.acknowledge(damkar.id, DINKES_OFFICER)  # another agency
    with pytest.raises(Forbidden):
        await service.dispatch("1", ["damkar"], DAMKAR_OFFICER)  # officers do not dispatch
    damkar = await service.acknowledge(damkar.id, DAMKAR_OFFICER)
    with pytest.raises(InvalidRequest, match="not a responder of damkar"):
        await service.assign(damkar.id, "resp.nobody", DAMKAR_OFFICER)
    damkar = await service.assign(damkar.id, "resp.budi", DAMKAR_OFFICER)
    assert [d.id for d in await service.work_of(BUDI)] == [damkar.id]
    with pytest.raises(Forbidden):
        await service.advance(damkar.id, DispatchStatus.RESPONDING, SARI)  # not her assignment
    for to in (DispatchStatus.RESPONDING, DispatchStatus.PROCESSING):
        damkar = await service.advance(damkar.id, to, BUDI, position=(-6.9, 107.6))
    damkar = await service.advance(damkar.id, DispatchStatus.RESOLVED, BUDI, note="Api padam, 0 korban")
    with pytest.raises(InvalidRequest, match="still open"):
        await service.close("1", TAKER, false_call=False, note=None)  # dinkes still open
    await service.cancel(dinkes.id, SPV, "tidak ada korban")
    assert (await desk.find("1")).status is TicketStatus.RESOLVED
    closed = await service.close("1", TAKER, false_call=False, note="Selesai")
    assert closed.status is TicketStatus.CLOSED
    kinds = [e.kind for e in await desk.timeline(closed)]
    assert kinds[-3:] == ["dispatch.resolved", "dispatch.cancelled", "closed"]


async def test_unacknowledged_dispatch_escalates_on_time_and_only_then_tells_the_alternate(parts: Any) -> None:
    service, _desk, notifier, clock = parts
    (d,) = await service.dispatch("1", ["damkar"], TAKER)
    clock.now = T0 + timedelta(seconds=59)
    assert await service.escalate_overdue() == 0
    clock.now = T0 + timedelta(seconds=60)
    assert await service.escalate_overdue() == 1
    assert (await service.get(d.id)).escalation is Escalation.SUPERVISOR
    assert [a.id for a in await service.alarms()] == [d.id]  # the wallboard's red alarm
    assert [e for _, e, _ in notifier.sent] == ["dispatch.created"]  # the supervisor sees it on the wallboard
    assert await service.escalate_overdue() == 0  # never twice
    clock.now = T0 + timedelta(seconds=120)
    assert await service.escalate_overdue() == 1
    # Level 2 goes to the alternate contact's own channels, named, and never again to Damkar's webhook.
    assert [e for _, e, _ in notifier.sent] == ["dispatch.created", *["dispatch.escalated.alternate"] * 2]
    assert notifier.channels == [Channel.AGENCY, Channel.ALTERNATE, Channel.SMS]
    (_, _, second), (_, _, sms) = notifier.sent[1:]
    assert second["escalation"] == 2
    assert second["ticket"] == "112-261128-00001"
    assert second["alternate"] == sms["alternate"] == {"name": "Kabid Operasi Damkar", "phone": "0812 5555 6666"}
    assert sms["to"] == "0812 5555 6666"
    assert sms["text"] == ("112: tiket 112-261128-00001 (Kebakaran) belum diterima Damkar. Mohon segera tindak "
                           "lanjuti. Lokasi: Jl. Kenanga 1")
    assert "caller_number" not in sms  # the gateway gets what the SMS needs, not the caller's data
    assert [a.id for a in await service.alarms()] == [d.id]  # still an alarm at the last level
    await service.acknowledge(d.id, DAMKAR_OFFICER)
    assert await service.alarms() == []


async def test_false_call_cancels_open_dispatches(parts: Any) -> None:
    service, _desk, _notifier, _clock = parts
    await service.dispatch("1", ["damkar"], TAKER)
    with pytest.raises(InvalidRequest, match="why"):
        await service.close("1", SPV, false_call=True, note=None)
    cancelled = await service.close("1", SPV, false_call=True, note="Penelepon mengaku iseng")
    assert cancelled.status is TicketStatus.CANCELLED
    assert [d.status for d in await service.of_ticket(cancelled)] == [DispatchStatus.CANCELLED]
    with pytest.raises(InvalidRequest, match="cannot be dispatched"):
        await service.dispatch("1", ["damkar"], TAKER)
