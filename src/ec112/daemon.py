"""The composition root: builds every part from the settings and runs them in one TaskGroup.

Start order follows what a 112 call needs first: the database (tickets), then the FastAGI intake, then
AMI tracking and the web server. Stop order is the reverse, with the AGI server given time to finish
the intakes in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Histogram

from ec112 import __version__
from ec112.agencies_wiring import start_agencies, webhook_secret_set
from ec112.agi.intake_route import BusyIntake, IntakeRoute
from ec112.agi.ping_route import ping_route
from ec112.agi.server import AgiServer
from ec112.agi.text_route import TextRoute
from ec112.ami.client import AmiAuthError, AmiClient
from ec112.ami.events import TypedEvents
from ec112.ami.telephony import AmiTelephony
from ec112.caller_wiring import build_caller_side
from ec112.config.agencies_file import AgenciesFileError
from ec112.config.boundaries_file import BoundariesFileError, load_geography
from ec112.config.exit_codes import EX_CONFIG
from ec112.config.settings import Settings
from ec112.domain.events import DispatchChanged, DomainEvent, TicketOpened
from ec112.domain.kpis import Shifts
from ec112.domain.presence import AgentState
from ec112.drill_wiring import build_drills
from ec112.location.aml import parse_aml_https, parse_aml_sms
from ec112.location.by_reference import ReferenceFetcher
from ec112.location.geoloc_profile import read_geoloc_profile, reference_from_header
from ec112.recording_wiring import build_recordings
from ec112.records import AsteriskRecords
from ec112.report_wiring import report_service
from ec112.routing.dialplan import EMERGENCY_CONTEXT, INTAKE_ROUTE, PING_ROUTE, TEXT_ROUTE
from ec112.runtime import run_worker
from ec112.services.agency_notifications import AgencyNotifications
from ec112.services.agents import AgentService
from ec112.services.ami_pipeline import AmiEventPipeline
from ec112.services.backfill import BackfillService
from ec112.services.call_tracking import CallTracker
from ec112.services.dispatch import DispatchService
from ec112.services.dispatch_reports import DispatchReports
from ec112.services.event_bus import LocalEventBus
from ec112.services.health import ComponentHealth
from ec112.services.intake import IntakeService, utcnow
from ec112.services.kpis import KpiService
from ec112.services.locations import LocationService
from ec112.services.no_answer import NoAnswerGuard
from ec112.services.presence import PresenceService
from ec112.services.replay import ReplayService
from ec112.services.ticket_desk import TicketDesk
from ec112.spy_wiring import build_spy
from ec112.watchdog.heartbeat import heartbeat, mark_ready
from ec112.web.aml_api import AmlOptions
from ec112.web.app import WebDeps, create_app
from ec112.web.console import ConsoleOptions
from ec112.web.live_feed import LiveFeed
from ec112.web.photos import PhotoStore
from ec112.web_wiring import softphone_desk, web_auth, web_server
from ec112.webhooks import RetryPolicy, WebhookConfigError, WebhookNotifier
from ec112.wiring import KeyFileError, open_stores

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0
# Presence changes within this window are published as one diff: bounded work per second in a surge,
# at most this much added to a screen pop (the console's budget is 1 s).
PRESENCE_COALESCE_SECONDS = 0.05
BACKFILL_FIRST_PASS = 5.0  # at most this long before AMI connects; a longer first pass goes on meanwhile
# Fine below 100 ms, where a healthy intake lies (bench/ reads p50/p99 from these), up to the 3 s deadline.
INTAKE_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2,
                  0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)


async def run(settings: Settings) -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    applied = Counter("ec112_ami_events_applied", "AMI events applied", ["event"], registry=registry)
    intake_seconds = Histogram("ec112_intake_seconds", "FastAGI intake: call read, ticket opened, EC112_TICKET set",
                               buckets=INTAKE_BUCKETS, registry=registry)
    cc = settings.callcenter
    wh = settings.webhooks
    webhook_secrets = {code: secret.get_secret_value() for code, secret in wh.secrets.items()}
    # The engine (migrated) and the stores, from the factory `ec112 user|audit` use too; closed in the finally below.
    resources = contextlib.AsyncExitStack()
    stores = await resources.enter_async_context(open_stores(settings))
    # The one event bus: services publish typed events; the subscribers are wired below, in this order.
    bus = LocalEventBus()
    # The agencies in force (agencies_wiring: the database's newest version, else the file); unusable: exit 78.
    agencies = await start_agencies(cc.agencies_file, cc.ack_timeout_seconds, stores.engine, webhook_secrets, bus)
    directory = agencies.current.directory
    log.info("agencies: %d agencies (%s)", len(directory.agencies), agencies.source)
    # Boundaries, landmarks and the posts' coordinates (nearest posts: as at the start): a bad file is exit 78 too.
    geography = load_geography(settings.location, directory.agencies)
    log.info("boundaries: %d areas (%s)", len(geography.boundaries), geography.source)
    anchoring = await resources.enter_async_context(stores.anchoring(settings))  # the audit head, outside the db
    engine, tickets, deliveries = stores.engine, stores.tickets, stores.webhooks
    # Signed webhooks to agencies; pending deliveries of an earlier run are resumed by notifier.run().
    notifier = WebhookNotifier(deliveries, webhook_secrets, timeout=wh.timeout,
                               policy=RetryPolicy(wh.max_attempts, wh.backoff_min, wh.backoff_max))
    ami = AmiClient(
        host=settings.ami.host,
        port=settings.ami.port,
        username=settings.ami.username,
        secret=settings.ami.secret.get_secret_value(),
        connect_timeout=settings.ami.connect_timeout, login_timeout=settings.ami.login_timeout,
        action_timeout=settings.ami.action_timeout,
        ping_interval=settings.ami.ping_interval,
        pong_timeout=settings.ami.pong_timeout,
        reconnect_min=settings.ami.reconnect_min, reconnect_max=settings.ami.reconnect_max,
    )
    telephony = AmiTelephony(ami)
    intake = IntakeService(
        tickets,
        default_region=cc.default_region,
        ticket_prefix=cc.ticket_prefix,
        log_personal_data=settings.log_personal_data,
        bus=bus,
    )
    tracker = CallTracker(tickets, intake, queue=cc.queue, emergency_context=EMERGENCY_CONTEXT)
    rec = settings.records
    backfill = BackfillService(
        AsteriskRecords(cdr_csv=rec.cdr_csv, queue_log=rec.queue_log, queue=cc.queue,
                        emergency_contexts=(EMERGENCY_CONTEXT,), chunk_bytes=rec.chunk_bytes),
        stores.records, tickets, intake, interval=rec.interval, max_age=timedelta(hours=rec.max_age_hours))
    backfill.check_files()  # a missing file: WARNING now and in /readyz, never a failed start
    agents = AgentService(telephony, queue=cc.queue, member_interface=cc.member_interface,
                          pause_reasons=cc.pause_reasons, audit=stores.audit)
    # PIDF-LO by reference: the LocationService's ReferenceFetcher port (fetches in its own tracked task).
    reference_fetcher = ReferenceFetcher(timeout=settings.location.reference_timeout_seconds,
                                         max_bytes=settings.location.reference_max_bytes)
    resources.push_async_callback(reference_fetcher.aclose)
    loc = settings.location
    # Every location of a ticket, fused; AML matched; references fetched; civic addresses and points placed on the map.
    locations = LocationService(stores.locations, tickets, default_region=cc.default_region,
                                match_window=timedelta(seconds=loc.aml_match_window_seconds),
                                reference_timeout=loc.reference_timeout_seconds, bus=bus,
                                fetch_reference=reference_fetcher.fetch,
                                place_civic=geography.gazetteer.find_civic, locate=geography.jurisdiction.locate)
    desk = TicketDesk(tickets, categories=agencies.current, ticket_prefix=cc.ticket_prefix, bus=bus)
    # The caller's side (issue 13, caller_wiring.py): junk-call measures and known incidents (what a caller hears
    # before the queue, decided in memory), silent calls, callbacks, text to 112. A known incident is announced
    # only while no call taker is free: presence (built below) answers from its in-memory snapshot.
    caller = await build_caller_side(
        settings, engine=engine, tickets=tickets, intake=intake, desk=desk, audit=stores.audit, ami=ami, bus=bus,
        areas=geography.jurisdiction, log_warning=log.warning,
        takers_free=lambda: any(a.state is AgentState.AVAILABLE for a in presence.snapshot().agents))
    agi = AgiServer(
        settings.agi.host,
        settings.agi.port,
        # A civic address or a reference goes to the location service once EC112_TICKET is set (never before Queue()).
        {INTAKE_ROUTE: IntakeRoute(intake, deadline=settings.agi.intake_deadline, read_location=read_geoloc_profile,
                                   header_reference=reference_from_header, locations=locations,
                                   observe=intake_seconds.observe, handling=caller.handling,
                                   busy=BusyIntake(settings.agi.busy_intakes, settings.agi.busy_deadline)),
         PING_ROUTE: ping_route,
         TEXT_ROUTE: TextRoute(caller.texts.receive, intake.number, deadline=settings.agi.intake_deadline)},
        header_timeout=settings.agi.header_timeout,
        command_timeout=settings.agi.command_timeout,
        max_header_bytes=settings.agi.max_header_bytes,
    )

    async def readiness() -> dict[str, ComponentHealth]:
        status = ami.status
        ami_detail = f"connected (AMI {status.version})" if status.connected else "down"
        if not status.connected and status.last_error:
            ami_detail += f": {status.last_error}"
        try:
            async with asyncio.timeout(2.0):
                await tickets.ping()
            db = ComponentHealth(True, engine.dialect.name)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as such
            db = ComponentHealth(False, f"{engine.dialect.name}: {type(exc).__name__}: {exc}")
        return {
            "ami": ComponentHealth(status.connected, ami_detail, status.since),
            "agi": ComponentHealth(agi.listening, f"{settings.agi.host}:{agi.port}"),
            "db": db,
            "records": backfill.health(),
        }

    presence = PresenceService(queue=cc.queue, wrapup_seconds=cc.wrapup_seconds, tz=ZoneInfo(cc.timezone),
                               tickets=tickets, ticket_prefix=cc.ticket_prefix,
                               coalesce_seconds=PRESENCE_COALESCE_SECONDS, bus=bus)
    audit = stores.audit
    # A taker who lets a 112 call ring out is paused ("tidak menjawab"), never the last one serving.
    no_answer = NoAnswerGuard(telephony, lambda: presence.snapshot().agents, audit, bus,
                              queue=cc.queue, action_timeout=settings.ami.action_timeout)
    kpis = KpiService(tickets, Shifts(tuple(cc.shift_hours), ZoneInfo(cc.timezone)))
    # Tickets first (they are what must not be lost), then the live view, then what acts on the live view.
    # Listen, whisper, barge (issue 14, spy_wiring.py): ChanSpyStart/Stop confirm and close its sessions.
    spy = build_spy(settings, ami=ami, channels=telephony, presence=presence.snapshot, audit=audit, bus=bus)
    pipeline = AmiEventPipeline(telephony, [tracker, presence, no_answer, *caller.ami_consumers, spy],
                                queue=cc.queue, clock=utcnow)
    # The one translator: the pipeline gets ec112's typed events; every AMI event read is counted by its name.
    call_events = TypedEvents(ami.events, utcnow, on_read=lambda name: applied.labels(name).inc())
    dispatch_store = stores.dispatches
    dispatcher = DispatchService(dispatch_store, desk, agencies.current, bus=bus, audit=audit,
                                 ack_timeout=timedelta(seconds=cc.ack_timeout_seconds))
    feed = LiveFeed(ticket_prefix=cc.ticket_prefix)
    aml = AmlOptions(parse_https=lambda body, at: parse_aml_https(body, received_at=at),
                     parse_sms=lambda text, at: parse_aml_sms(text, received_at=at),
                     hmac_key=loc.aml_hmac_key.get_secret_value(), sms_token=loc.aml_sms_token.get_secret_value())
    # Subscribers, in order: a ticket is settled by the tracker (its caller may have hung up before the insert
    # committed) and shown by presence before the live stream announces it; agencies hear of their dispatches.
    bus.subscribe(TicketOpened, tracker.on_ticket_opened)
    bus.subscribe(TicketOpened, presence.on_ticket_opened)
    bus.subscribe(TicketOpened, locations.on_ticket_opened)  # an AML that came before its call
    caller.subscribe(bus)  # then the recordings (issue 14): a ticket's end is stored by the tracker before its seal
    recordings = build_recordings(settings, engine=engine, tickets=tickets, desk=desk, audit=audit, bus=bus)
    bus.subscribe(DispatchChanged, AgencyNotifications(agencies.current, notifier, ticket_prefix=cc.ticket_prefix,
                                                       category_label=desk.category_label).on_dispatch_changed)
    bus.subscribe(DomainEvent, feed.on_event)
    reports = DispatchReports(dispatch_store, tickets, desk, agencies.current, Shifts(tuple(cc.shift_hours),
                              ZoneInfo(cc.timezone)), version=__version__)
    app = create_app(
        WebDeps(desk, agents, readiness, cc.ticket_prefix, registry, kpis, presence, feed,
                web_auth(settings, stores.accounts, audit),
                thresholds=settings.wallboard.thresholds(),
                console=ConsoleOptions(cc.wrapup_seconds, settings.web.map_tile_url, settings.web.map_attribution),
                directory=agencies.current, agency_admin=(agencies.admin, webhook_secret_set(webhook_secrets)),
                deliveries=deliveries, dispatcher=dispatcher, reports=reports,
                photos=PhotoStore(settings.var_dir / "photos"), no_answer=no_answer, locations=locations, aml=aml,
                geography=geography, spy=spy, recordings=recordings, softphones=softphone_desk(settings, audit),
                room_reports=report_service(settings, engine),
                replay=ReplayService(desk, tickets, stores.locations, recordings=recordings), **caller.web(),
                drills=build_drills(engine, tickets, dispatch_store, audit, bus))
    )
    web = web_server(app, settings)

    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    try:
        async with asyncio.TaskGroup() as group:
            # A failing task (e.g. AmiAuthError from ami.run) cancels the rest and surfaces from here.
            ready = asyncio.Event()
            beats = group.create_task(heartbeat(settings.watchdog.heartbeat_interval, stop, ready), name="heartbeat")
            # The first beat goes out before the AGI port opens: from then on a freeze is caught
            # within watchdog.timeout, never within the longer start-up grace.
            await asyncio.sleep(0)
            await agi.start()
            log.info("FastAGI intake listening on %s:%d", settings.agi.host, agi.port)
            # Calls missed while ec112 was away are ticketed from Asterisk's records BEFORE the AMI resync,
            # which would otherwise close them at the time it looks (the records know when they ended).
            await caller.silent.restore()  # silent calls an earlier run left waiting for the caller's keys
            backfilling = group.create_task(backfill.run(), name="backfill")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BACKFILL_FIRST_PASS):
                    await backfill.first_pass.wait()
            endless = [
                beats,
                backfilling,
                group.create_task(tracker.retry_loop(), name="ticket-retry"),
                group.create_task(agi.serve_forever(), name="agi"),
                group.create_task(ami.run(), name="ami"),
                group.create_task(pipeline.run(call_events), name="ami-consumer"),
                group.create_task(presence.tick_loop(), name="presence-tick"),
                group.create_task(notifier.run(), name="webhooks"),
                group.create_task(dispatcher.escalation_loop(), name="escalations"),
                *(group.create_task(c, name=n) for c, n in [*caller.loops(settings), *recordings.loops(),
                                                                   *anchoring.loops()]),
            ]
            group.create_task(web.serve(), name="web")
            group.create_task(mark_ready(lambda: web.started, ready), name="ready")
            await stop.wait()
            log.info("stopping: finishing intakes in flight")
            await agi.close(SHUTDOWN_GRACE)
            web.should_exit = True
            await ami.close()
            await locations.close(SHUTDOWN_GRACE)  # reference fetches in flight
            await caller.close(SHUTDOWN_GRACE)  # callbacks' tasks, incidents' recordings and counts
            await bus.close(SHUTDOWN_GRACE)  # subscribers still at work (e.g. a webhook being queued)
            await notifier.close(SHUTDOWN_GRACE)  # what is still in flight stays pending for the next start
            for task in endless:
                task.cancel()
    finally:
        await resources.aclose()  # disposes the engine
        log.info("stopped at %s", datetime.now(UTC).isoformat(timespec="seconds"))


def main(settings: Settings) -> int:
    code = 0
    try:
        run_worker(run(settings), event_loop=settings.event_loop, nice=settings.nice)
    except* AmiAuthError as group:
        log.critical("AMI login refused: %s — check [ami] username/secret", group.exceptions[0])
        code = EX_CONFIG
    except* (AgenciesFileError, WebhookConfigError, BoundariesFileError, KeyFileError) as group:  # no port open
        log.critical("%s", group.exceptions[0])
        code = EX_CONFIG
    return code
