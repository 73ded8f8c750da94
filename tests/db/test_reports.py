"""Reports on SQLite and PostgreSQL: a scripted day of calls written through the real ticket and dispatch stores
gives exactly the expected figures, drills left out, and the same figures as the live KPIs for the same day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.dispatches import SqlDispatchStore
from ec112.db.report_queries import SqlReportQueries
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.dispatch import DispatchStatus, DispatchStep, acknowledge, advance, new_dispatch
from ec112.domain.kpis import Shifts
from ec112.domain.reports import Report
from ec112.domain.ticket_work import Classification, ClassificationInput, classify
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, answered, ended, joined_queue
from ec112.services.kpis import KpiService
from ec112.services.reports import ReportHeader, ReportService

WITA = ZoneInfo("Asia/Makassar")
DAY = date(2026, 11, 27)
S = timedelta(seconds=1)
SHIFTS = Shifts((7, 15, 23), WITA)
HEADER = ReportHeader("Kabupaten Penajam Paser Utara", "Call Center 112", "Diskominfo")
END_OF_DAY = datetime(2026, 11, 28, 6, 0, tzinfo=WITA)  # the report is read the next morning


def _at(hour: int, minute: int = 0, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WITA)


class Day:
    """Writes calls the way ec112 does: open at arrival, queue, answer, end, classify, dispatch."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.tickets = SqlTicketRepository(engine)
        self.dispatches = SqlDispatchStore(engine)
        self._n = 0

    async def call(self, arrived: datetime, *, answer_after: int | None = None, taker: str = "",
                   queued: bool = True, end_after: int = 60, exercise: bool = False) -> Ticket:
        self._n += 1
        lid = f"17648{self._n:05d}.1"
        ticket, _ = await self.tickets.open(NewCall(lid, lid, "PJSIP/trunk-0001", "0811", "+62811", None, arrived,
                                                    IntakeChannel.AGI, exercise=exercise))
        if queued:
            ticket = joined_queue(ticket, arrived + 2 * S)
        if answer_after is not None:
            ticket = answered(ticket, taker, arrived + answer_after * S)
        ticket = ended(ticket, arrived + end_after * S)
        await self.tickets.save(ticket)
        return ticket

    async def classify(self, ticket: Ticket, kind: Classification, category: str | None = None) -> Ticket:
        stored = await self.tickets.get(ticket.id)
        assert stored is not None
        assert stored.answered_by is not None
        assert stored.answered_at is not None
        updated, event = classify(stored, ClassificationInput(kind, category), by=stored.answered_by,
                                  at=stored.answered_at + 20 * S, categories=CategoryCatalogue())
        return await self.tickets.save_work(updated, event)

    async def dispatch(self, ticket: Ticket, agency: str, *, after_answer: int, ack: int | None = None,
                       arrive: int | None = None) -> None:
        assert ticket.answered_at is not None
        at = ticket.answered_at + after_answer * S
        d = new_dispatch(ticket.id, agency, by="taker", at=at, ack_timeout=120 * S)
        (d,) = await self.dispatches.create(ticket.id, [DispatchStep(d, "dispatch.created", "taker", at, {})],
                                            ticket_revision=ticket.revision)
        if ack is not None:
            d = await self.dispatches.record(acknowledge(d, by=f"officer.{agency}", at=at + ack * S))
        if arrive is not None:
            d = await self.dispatches.record(advance(d, DispatchStatus.RESPONDING, by="resp", at=at + (ack or 0) * S))
            await self.dispatches.record(advance(d, DispatchStatus.PROCESSING, by="resp", at=at + arrive * S))


async def _script(engine: AsyncEngine, *, with_drill: bool = True) -> Day:
    day = Day(engine)
    fire = await day.call(_at(8), answer_after=5, taker="taker01")
    fire = await day.classify(fire, Classification.EMERGENCY, "kebakaran")
    await day.dispatch(fire, "damkar", after_answer=40, ack=30, arrive=600)
    prank = await day.call(_at(9), answer_after=15, taker="taker02")
    await day.classify(prank, Classification.PRANK)
    await day.call(_at(10), end_after=30)  # abandoned in the queue
    medic = await day.call(_at(16), answer_after=25, taker="taker01")
    medic = await day.classify(medic, Classification.EMERGENCY, "kegawatdaruratan_medis")
    await day.dispatch(medic, "dinkes", after_answer=90, ack=60)
    await day.call(_at(17), queued=False, end_after=5)  # hung up during the intake message
    ghost = await day.call(_at(23, 30), answer_after=8, taker="taker02")
    await day.classify(ghost, Classification.GHOST)
    await day.call(_at(23, 59, day=26), answer_after=3, taker="taker01")  # the day before: out of the period
    if with_drill:
        drill = await day.call(_at(12), answer_after=3, taker="taker01", exercise=True)
        drill = await day.classify(drill, Classification.EMERGENCY, "banjir")
        await day.dispatch(drill, "bpbd", after_answer=10, ack=5, arrive=50)
    return day


async def _report(engine: AsyncEngine) -> Report:
    service = ReportService(SqlReportQueries(engine, page=2), SHIFTS, HEADER, clock=lambda: END_OF_DAY)
    return await service.report(DAY, DAY)


async def test_a_scripted_day_gives_exactly_the_expected_figures(engine: AsyncEngine) -> None:
    await _script(engine)
    report = await _report(engine)
    assert (report.start, report.end) == (_at(0).astimezone(UTC), _at(0, day=28).astimezone(UTC))
    k = report.total.kpis
    assert (k.offered, k.answered, k.abandoned, k.hung_up_in_intake, k.in_progress) == (6, 4, 1, 1, 0)
    assert round(k.pct_answered_within_10s or 0, 2) == 33.33  # 5 s and 8 s of 6 settled calls
    assert k.pct_answered_within_20s == 50.0  # and 15 s
    assert k.abandon_rate_pct == 20.0  # 1 abandoned / (4 answered + 1 abandoned)
    assert k.avg_answer_seconds == (5 + 15 + 25 + 8) / 4
    assert (report.total.junk.classified, report.total.junk.junk, report.total.junk.pct) == (4, 2, 50.0)
    assert report.total.junk.by_class == {"darurat": 2, "ghost": 1, "prank": 1}
    assert (report.total.answer_to_dispatch.count, report.total.answer_to_dispatch.median_seconds) == (2, 65.0)
    assert (report.total.call_processing.tickets, report.total.call_processing.within_target) == (2, 1)

    rows = {name: {g.key: g for g in groups} for name, groups in report.groups.items()}
    assert list(rows["day"]) == ["2026-11-27"]
    assert {key: g.kpis.offered for key, g in rows["shift"].items()} == {
        "07:00-15:00": 3, "15:00-23:00": 2, "23:00-07:00": 1}
    assert rows["shift"]["07:00-15:00"].kpis.abandon_rate_pct == 100 / 3
    assert rows["shift"]["15:00-23:00"].kpis.pct_answered_within_20s == 0.0
    assert {key: (g.kpis.answered, g.kpis.avg_answer_seconds) for key, g in rows["taker"].items()} == {
        "taker01": (2, 15.0), "taker02": (2, 11.5)}
    assert rows["taker"]["taker02"].junk.pct == 100.0
    assert {key: g.kpis.offered for key, g in rows["category"].items()} == {
        "-": 4, "kebakaran": 1, "kegawatdaruratan_medis": 1}
    assert rows["category"]["kebakaran"].answer_to_dispatch.median_seconds == 40.0

    agencies = {a.chain.key: a for a in report.agencies}
    assert list(agencies) == ["damkar", "dinkes"]  # the drill's bpbd dispatch is left out
    damkar, dinkes = agencies["damkar"], agencies["dinkes"]
    assert damkar.chain.intervals["answer_to_dispatch"].median_seconds == 40.0
    assert damkar.chain.intervals["dispatch_to_ack"].median_seconds == 30.0
    assert damkar.dispatch_to_arrival.median_seconds == 600.0
    assert dinkes.chain.intervals["dispatch_to_ack"].median_seconds == 60.0
    assert dinkes.dispatch_to_arrival.count == 0


async def test_the_report_matches_the_live_kpis_of_the_same_day(engine: AsyncEngine) -> None:
    day = await _script(engine, with_drill=False)  # the live KPIs of this branch still count drills
    from ec112.services.dispatch_reports import DispatchReports

    live_now = _at(23, 59)
    live = {p.name: p for p in await KpiService(day.tickets, SHIFTS, clock=lambda: live_now).current()}
    report = await ReportService(SqlReportQueries(engine), SHIFTS, HEADER, clock=lambda: live_now).report(DAY, DAY)
    assert (live["today"].start, live["today"].end) == (report.start, report.end)
    assert live["today"].kpis == replace(report.total.kpis, longest_current_wait_seconds=None)
    chain = DispatchReports(day.dispatches, day.tickets, None, None, SHIFTS, version="t",  # type: ignore[arg-type]
                            clock=lambda: live_now)
    live_chain = {p.name: p for p in await chain.kpis()}["today"]
    assert live_chain.agencies == [a.chain for a in report.agencies]
    assert live_chain.call_processing == report.total.call_processing
