"""The caller's side of the composition root (issue 13): what a caller hears and what happens to the calls a
call taker could not finish — junk-call measures, known incidents, silent calls, callbacks, text to 112.

Part of the one composition root (``daemon.run`` calls it): it builds these services from the settings and the
parts the root already made, subscribes them to the bus, and hands back what the root starts, stops and gives
the web app. Kept apart so that ``daemon.py`` stays readable; no state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.ami.callbacks import AmiCallbackDialer
from ec112.ami.client import AmiClient
from ec112.ami.messages import AmiMessageSender
from ec112.ami.silent_prompt import AmiSilentPrompter
from ec112.config.settings import Settings
from ec112.db.callbacks import SqlCallbackStore
from ec112.db.caller_measures import SqlMeasureStore
from ec112.db.known_incidents import SqlIncidentStore
from ec112.db.silent_calls import SqlSilentCallStore
from ec112.db.text_messages import SqlTextStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.events import CallChanged, CallEnded, TicketChanged, TicketOpened
from ec112.domain.silent_calls import SilentCallMarked
from ec112.records.text_spool import FileTextSpool
from ec112.routing.jurisdiction import JurisdictionMap
from ec112.services.audit import AuditService
from ec112.services.call_handling import CallHandlingPolicy
from ec112.services.callbacks import CallbackService
from ec112.services.event_bus import LocalEventBus
from ec112.services.intake import IntakeService
from ec112.services.junk_calls import JunkCallService
from ec112.services.junk_watch import JunkWatch
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.prompt_renderer import EspeakRenderer, RenderPlace
from ec112.services.silent_calls import SilentCallService
from ec112.services.text_to_112 import TextService
from ec112.services.ticket_desk import TicketDesk


@dataclass(frozen=True)
class CallerSide:
    junk: JunkCallService  # a supervisor's measures on junk-calling numbers (warning, priority, restriction)
    junk_watch: JunkWatch  # scores, the junk share, pocket-dial waves
    incidents: KnownIncidentService  # known incidents announced to callers while every taker is busy
    handling: CallHandlingPolicy  # what the intake asks before queueing a call
    silent: SilentCallService  # the "silent caller" prompt and the caller's 5 5
    callbacks: CallbackService  # tasks for calls that ended before a taker could help
    texts: TextService  # text to 112 (SIP MESSAGE)
    text_spool: FileTextSpool | None  # messages the dialplan spooled while ec112 was down

    @property
    def ami_consumers(self) -> list[Any]:
        """Subscribers of the AMI pipeline, after the tracker, presence and the no-answer guard."""
        return [self.silent, self.callbacks]

    def subscribe(self, bus: LocalEventBus) -> None:
        bus.subscribe(TicketOpened, self.callbacks.on_ticket_opened)  # after the tracker: a call already gone is ended
        bus.subscribe(TicketChanged, self.callbacks.on_ticket_changed)
        bus.subscribe(SilentCallMarked, lambda event: self.callbacks.on_silent_call(event.ticket))  # every silent call
        bus.subscribe(CallChanged, self.junk_watch.on_call_changed)  # pocket-dial waves, from what presence publishes
        bus.subscribe(CallEnded, self.junk_watch.on_call_ended)
        bus.subscribe(TicketChanged, self.junk_watch.on_ticket_changed)

    def loops(self, settings: Settings) -> list[tuple[Coroutine[Any, Any, None], str]]:
        """The endless tasks, with their names."""
        loops: list[tuple[Coroutine[Any, Any, None], str]] = [
            (self.silent.expiry_loop(), "silent-calls"),
            (self.callbacks.escalation_loop(settings.callbacks.escalation_check_seconds), "callback-escalations"),
            (self.junk.expiry_loop(), "junk-expiry"),
        ]
        if self.text_spool is not None:
            loops.append((self.texts.run_spool(self.text_spool, settings.text.spool_poll_seconds), "text-spool"))
        return loops

    async def close(self, grace: float) -> None:
        await self.callbacks.close(grace)
        await self.incidents.close(grace)  # recordings being rendered, counts being written

    def web(self) -> dict[str, Any]:
        """The WebDeps fields of these parts."""
        return {"silent": self.silent, "callbacks": self.callbacks, "junk": (self.junk, self.junk_watch),
                "incidents": self.incidents, "texts": self.texts}


async def build_caller_side(settings: Settings, *, engine: AsyncEngine, tickets: SqlTicketRepository,
                            intake: IntakeService, desk: TicketDesk, audit: AuditService, ami: AmiClient,
                            bus: LocalEventBus, areas: JurisdictionMap, takers_free: Callable[[], bool],
                            log_warning: Callable[[str], None]) -> CallerSide:
    """Build and load (measures and incidents in force are read once, then kept in memory)."""
    cc, jc, ps, tx, cbs = settings.callcenter, settings.junk, settings.prompts, settings.text, settings.callbacks
    junk = JunkCallService(SqlMeasureStore(engine, ticket_prefix=cc.ticket_prefix), audit,
                           history_days=jc.history_days, max_measure_hours=jc.max_measure_hours,
                           default_region=cc.default_region, bus=bus)
    await junk.load()
    junk_watch = JunkWatch(junk, tz=ZoneInfo(cc.timezone), wave_window_seconds=jc.wave_window_seconds,
                           wave_min_numbers=jc.wave_min_numbers, bus=bus)
    # A caller hears a known incident only while no call taker is free (presence's in-memory snapshot).
    incidents = KnownIncidentService(
        SqlIncidentStore(engine), desk, max_hours=settings.incidents.max_hours, areas=areas, bus=bus,
        takers_free=takers_free,
        renderer=EspeakRenderer(espeak=ps.espeak_binary, sox=ps.sox_binary, timeout=ps.render_timeout_seconds),
        render_place=RenderPlace(ps.render_dir, ps.render_dir_in_asterisk or str(ps.render_dir))
        if ps.render_dir else None)
    await incidents.load()
    texts = TextService(tickets, SqlTextStore(engine), intake, default_region=cc.default_region,
                        trunk=tx.trunk_endpoint, reply_from=tx.reply_from,
                        idle=timedelta(minutes=tx.conversation_idle_minutes), sender=AmiMessageSender(ami), bus=bus)
    text_spool = FileTextSpool(tx.spool_dir) if tx.spool_dir is not None else None
    if text_spool is None:
        log_warning("[text] spool_dir is not set: text messages spooled while ec112 was down are not read back")
    silent = SilentCallService(SqlSilentCallStore(engine), desk, AmiSilentPrompter(ami),
                               confirm_digits=settings.silent.confirm_digits,
                               answer_window=timedelta(seconds=settings.silent.answer_window_seconds), bus=bus)
    callbacks = CallbackService(SqlCallbackStore(engine), tickets,
                                AmiCallbackDialer(ami, trunk_endpoint=cbs.trunk_endpoint,
                                                  ring_taker_seconds=cbs.ring_taker_seconds,
                                                  ring_citizen_seconds=cbs.ring_citizen_seconds),
                                bus, ticket_prefix=cc.ticket_prefix, deadline_seconds=cbs.deadline_seconds)
    # The supervisor's choices, in the order a caller hears them: a measure's warning, then an incident's news.
    handling = CallHandlingPolicy([junk, incidents])
    return CallerSide(junk, junk_watch, incidents, handling, silent, callbacks, texts, text_spool)
