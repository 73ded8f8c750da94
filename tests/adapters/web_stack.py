"""The real web app (as ``daemon.py`` builds it) on a real SQLite database, served by uvicorn on a free port.

Only Asterisk is replaced: ``RecordingTelephony`` keeps the queue state that AMI would change, so a test
sees whether a pause really went through.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.agencies_wiring import AgenciesAtStart, start_agencies
from ec112.config.agencies_file import Agencies
from ec112.config.boundaries_file import load_geography
from ec112.config.caller_settings import LocationSettings
from ec112.config.site_settings import SoftphoneSettings
from ec112.config.softphone_accounts import endpoint_secrets_reader, site_endpoints_reader
from ec112.db.accounts import SqlAccountStore
from ec112.db.audit import SqlAuditStore
from ec112.db.callbacks import SqlCallbackStore
from ec112.db.caller_measures import SqlMeasureStore
from ec112.db.dispatches import SqlDispatchStore
from ec112.db.engine import create_engine, migrate
from ec112.db.known_incidents import SqlIncidentStore
from ec112.db.locations import SqlLocationRepository
from ec112.db.recordings import SqlRecordingStore
from ec112.db.report_queries import SqlReportQueries
from ec112.db.silent_calls import SqlSilentCallStore
from ec112.db.text_messages import SqlTextStore
from ec112.db.tickets import SqlTicketRepository
from ec112.db.webhooks import SqlWebhookLog
from ec112.domain.accounts import NewUser, Role
from ec112.domain.call_events import ChannelRow, QueueSnapshot
from ec112.domain.events import CallChanged, CallEnded, DomainEvent, TicketChanged, TicketOpened
from ec112.domain.kpi_ratings import KpiThresholds
from ec112.domain.kpis import Shifts
from ec112.domain.softphones import SoftphoneSite
from ec112.domain.spy import SpyMode, SpySession
from ec112.location.aml import parse_aml_https, parse_aml_sms
from ec112.records.recording_files import DiskRecordings
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.accounts import UserAdmin
from ec112.services.agency_admin import AgencyAdmin
from ec112.services.agents import AgentService
from ec112.services.audit import AuditService
from ec112.services.callbacks import CallbackService
from ec112.services.dispatch import DispatchService
from ec112.services.dispatch_reports import DispatchReports
from ec112.services.event_bus import LocalEventBus
from ec112.services.health import ComponentHealth
from ec112.services.intake import IntakeService
from ec112.services.junk_calls import JunkCallService
from ec112.services.junk_watch import JunkWatch
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.kpis import KpiService
from ec112.services.locations import LocationService
from ec112.services.no_answer import NoAnswerGuard
from ec112.services.passwords import Passwords
from ec112.services.presence import PresenceService
from ec112.services.ratelimit import Limit, LoginRateLimiter
from ec112.services.recordings import RecordingService
from ec112.services.replay import ReplayService
from ec112.services.reports import ReportHeader, ReportService
from ec112.services.sessions import AuthService, SessionPolicy
from ec112.services.silent_calls import SilentCallService
from ec112.services.softphones import SoftphoneDesk
from ec112.services.spy import SpyService
from ec112.services.text_to_112 import TextService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.aml_api import AmlOptions
from ec112.web.app import WebDeps, create_app
from ec112.web.auth import WebAuth
from ec112.web.i18n import I18n
from ec112.web.live_feed import LiveFeed
from ec112.web.photos import PhotoStore

CLI_TOKEN = "local-cli-token-for-tests"
AML_HMAC_KEY = "aml-hmac-key-for-tests"
AML_SMS_TOKEN = "aml-sms-token-for-tests"
PASSWORDS = {"admin": "admin-sandi-1", "spv": "spv-sandi-12", "taker01": "taker01-sandi", "taker02": "taker02-sandi",
             "officer": "officer-sandi", "responder": "responder-sandi"}


@dataclass
class RecordingTelephony:
    members: set[str] = field(default_factory=set)
    paused: dict[str, str] = field(default_factory=dict)
    channels: list[ChannelRow] = field(default_factory=list)  # what CoreShowChannels answers (issue 14: spy)

    async def queue_add(self, queue: str, interface: str, member_name: str) -> bool:
        added = interface not in self.members
        self.members.add(interface)
        return added

    async def queue_remove(self, queue: str, interface: str) -> bool:
        removed = interface in self.members
        self.members.discard(interface)
        return removed

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        if paused:
            self.paused[interface] = reason
        else:
            self.paused.pop(interface, None)

    async def queue_status(self, queue: str) -> QueueSnapshot:
        return QueueSnapshot()

    async def active_channels(self) -> Sequence[ChannelRow]:
        return list(self.channels)


class RecordingSender:
    """AMI MessageSend as a list; ``refuse`` makes Asterisk refuse the next ones."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.refuse: Exception | None = None

    async def send(self, destination: str, sender: str, body: str) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append((destination, sender, body))


@dataclass
class RecordingPrompter:
    """The silent-call prompt as AMI would originate it: which caller channels were whispered to."""

    whispered: list[str] = field(default_factory=list)
    refuse: Exception | None = None

    async def whisper(self, caller_channel: str, ticket_number: str, listen_seconds: int) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.whispered.append(caller_channel)


@dataclass
class RecordingDialer:
    """The callbacks' Originate, kept instead of sent to Asterisk."""

    calls: list[dict[str, object]] = field(default_factory=list)

    async def originate(self, *, task_id: int, endpoint: str, number: str, shown_name: str) -> None:
        self.calls.append({"task_id": task_id, "endpoint": endpoint, "number": number, "shown_name": shown_name})


@dataclass
class RecordingSpyDialer:
    """What listen/whisper/barge asked of Asterisk (issue 14), as ("ring"|"redirect"|"hangup", id, mode)."""

    asked: list[tuple[str, str, str]] = field(default_factory=list)

    async def ring(self, session: SpySession, ring_seconds: int) -> None:
        self.asked.append(("ring", session.id, session.mode.value))

    async def redirect(self, session_id: str, mode: SpyMode) -> None:
        self.asked.append(("redirect", session_id, mode.value))

    async def hang_up(self, session_id: str) -> None:
        self.asked.append(("hangup", session_id, ""))


class _QuietUvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class WebStack:
    base_url: str
    engine: AsyncEngine
    users: UserAdmin
    audit: AuditService
    telephony: RecordingTelephony
    presence: PresenceService | None = None  # feed it AMI events to see the live panels change
    dispatcher: DispatchService | None = None  # dispatch to agencies (escalate_overdue() by hand: no loop here)
    no_answer: NoAnswerGuard | None = None  # feed it AgentRingNoAnswer to pause a desk that rang out
    locations: LocationService | None = None  # every location of a ticket, AML matching
    feed: LiveFeed | None = None  # the live stream (subscribe to see the events a panel gets)
    texts: TextService | None = None  # text to 112 (receive() a message as the FastAGI route would)
    sender: RecordingSender | None = None  # the answers "sent" through AMI MessageSend
    silent: SilentCallService | None = None  # silent calls (feed it DTMF events; its prompter records)
    prompter: RecordingPrompter | None = None
    callbacks: CallbackService | None = None  # callback tasks (consider() an ended ticket to make one)
    dialer: RecordingDialer | None = None  # what "call back" asked of Asterisk
    junk: JunkCallService | None = None  # junk-call measures (advise() is what the intake asks)
    junk_watch: JunkWatch | None = None  # scores, junk share, pocket-dial waves
    incidents: KnownIncidentService | None = None  # known incidents (advise() as the intake asks it)
    room: dict[str, bool] = field(default_factory=dict)  # room["taker_free"]: what presence would say
    recordings: RecordingService | None = None  # issue 14: files under <tmp>/recordings (seal_call() by hand)
    spy: SpyService | None = None  # listen, whisper, barge (issue 14; feed it ChanSpyStart/Stop)
    spy_dialer: RecordingSpyDialer | None = None
    softphones: SoftphoneDesk | None = None  # issue 17: the softphone pages' desk (its link_ttl may be shortened)
    agency_admin: AgencyAdmin | None = None  # issue 17: the agencies admin (None with a fixed ``agencies``)


async def start_stack(tmp_path: Path, *, revalidate_seconds: float = 30.0,
                      thresholds: KpiThresholds | None = None,
                      agencies: Agencies | None = None, agencies_file: Path | None = None,
                      webhook_secrets: dict[str, str] | None = None,
                      softphones: SoftphoneSettings | None = None) -> AsyncIterator[WebStack]:
    """``agencies``: a fixed directory (no admin pages); else the agencies as the daemon starts them
    (``agencies_wiring``: the database's newest version, else ``agencies_file`` or the shipped one) with the
    agencies admin pages. ``softphones``: ``[softphones]`` as web_wiring uses it (default: none set)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}")
    await migrate(engine)
    bus = LocalEventBus()  # wired as the daemon wires it (no webhook subscriber here)
    live: AgencyDirectory | CurrentAgencies  # what dispatch reads at use (the admin page replaces it)
    if agencies is None:
        at_start: AgenciesAtStart | None = await start_agencies(agencies_file, 60, engine, webhook_secrets or {}, bus)
        assert at_start is not None
        live, categories, directory = at_start.current, at_start.current.categories, at_start.current.directory
    else:
        at_start, (categories, directory) = None, agencies
        live = directory
    accounts, audit = SqlAccountStore(engine), AuditService(SqlAuditStore(engine))
    passwords = Passwords.fast_for_tests()
    phones = softphones or SoftphoneSettings()
    users = UserAdmin(accounts, accounts, passwords, audit, site_endpoints=site_endpoints_reader(phones))
    phone_desk = SoftphoneDesk(SoftphoneSite(phones.server, phones.transport, phones.srtp),
                               endpoint_secrets_reader(phones), audit)
    auth = AuthService(accounts, passwords, audit, LoginRateLimiter(Limit(3, 300), Limit(20, 300)),
                       policy=SessionPolicy(timedelta(hours=4), timedelta(hours=12)), cli_token=CLI_TOKEN)
    for name, role, endpoint in [("admin", Role.ADMIN, None), ("spv", Role.SUPERVISOR, None),
                                 ("taker01", Role.CALL_TAKER, "taker01"), ("taker02", Role.CALL_TAKER, "taker02"),
                                 ("officer", Role.AGENCY_OFFICER, None), ("responder", Role.RESPONDER, None)]:
        await users.add("cli", NewUser(name, f"{name.title()} Lab", role, endpoint), PASSWORDS[name])
    telephony = RecordingTelephony()
    tickets = SqlTicketRepository(engine)

    async def readiness() -> dict[str, ComponentHealth]:
        return {"db": ComponentHealth(True, "sqlite")}

    agents = AgentService(telephony, queue="112", member_interface="PJSIP/{endpoint}", pause_reasons=["sholat"],
                          audit=audit)
    web = WebAuth(auth, users, audit, I18n("Asia/Jakarta"), revalidate_seconds=revalidate_seconds)
    feed = LiveFeed(ticket_prefix="112")
    presence = PresenceService(queue="112", wrapup_seconds=5, bus=bus)
    desk = TicketDesk(tickets, categories=at_start.current if at_start else categories, ticket_prefix="112",
                      bus=bus)
    shifts = Shifts((7, 15, 23), I18n("Asia/Jakarta").tz)
    dispatches = SqlDispatchStore(engine)
    dispatcher = DispatchService(dispatches, desk, live, ack_timeout=timedelta(seconds=60), bus=bus, audit=audit)
    no_answer = NoAnswerGuard(telephony, lambda: presence.snapshot().agents, audit, bus, queue="112")
    locations = LocationService(SqlLocationRepository(engine), tickets, default_region="ID",
                                match_window=timedelta(seconds=600), reference_timeout=1.0, bus=bus)
    aml = AmlOptions(parse_https=lambda body, at: parse_aml_https(body, received_at=at),
                     parse_sms=lambda text, at: parse_aml_sms(text, received_at=at),
                     hmac_key=AML_HMAC_KEY, sms_token=AML_SMS_TOKEN)
    sender = RecordingSender()
    texts = TextService(tickets, SqlTextStore(engine),
                        IntakeService(tickets, default_region="ID", ticket_prefix="112", bus=bus),
                        default_region="ID", trunk="trunk", reply_from="sip:112@ec112",
                        idle=timedelta(minutes=30), sender=sender, bus=bus)
    prompter = RecordingPrompter()
    silent = SilentCallService(SqlSilentCallStore(engine), desk, prompter, confirm_digits="55",
                               answer_window=timedelta(seconds=30), bus=bus)
    dialer = RecordingDialer()
    callbacks = CallbackService(SqlCallbackStore(engine), tickets, dialer, bus, ticket_prefix="112",
                                deadline_seconds=120)
    room = {"taker_free": False}
    geography = load_geography(LocationSettings(), directory.agencies)  # the shipped boundaries
    incidents = KnownIncidentService(SqlIncidentStore(engine), desk, max_hours=24, areas=geography.jurisdiction,
                                     takers_free=lambda: room["taker_free"], bus=bus)
    bus.subscribe(TicketOpened, presence.on_ticket_opened)
    bus.subscribe(TicketOpened, callbacks.on_ticket_opened)
    bus.subscribe(TicketOpened, locations.on_ticket_opened)
    junk = JunkCallService(SqlMeasureStore(engine, ticket_prefix="112"), audit, history_days=30, max_measure_hours=48,
                           default_region="ID", bus=bus)
    await junk.load()
    junk_watch = JunkWatch(junk, tz=I18n("Asia/Jakarta").tz, wave_window_seconds=300, wave_min_numbers=3, bus=bus)
    bus.subscribe(CallChanged, junk_watch.on_call_changed)
    bus.subscribe(CallEnded, junk_watch.on_call_ended)
    bus.subscribe(TicketChanged, junk_watch.on_ticket_changed)
    bus.subscribe(DomainEvent, feed.on_event)
    recordings = RecordingService(SqlRecordingStore(engine), tickets, DiskRecordings(tmp_path / "recordings"), desk,
                                  audit, enabled=True, keep_days=90, bus=bus, quiet_seconds=0.01)
    spy_dialer = RecordingSpyDialer()
    spy = SpyService(spy_dialer, telephony, presence.snapshot, audit, bus, ring_seconds=20)
    app = create_app(WebDeps(
        desk, agents, readiness, "112",
        CollectorRegistry(),
        KpiService(tickets, shifts),
        presence, feed, web, thresholds=thresholds or KpiThresholds(), directory=live,
        agency_admin=(at_start.admin, lambda code: code in (webhook_secrets or {})) if at_start else None,
        deliveries=SqlWebhookLog(engine), dispatcher=dispatcher,
        reports=DispatchReports(dispatches, tickets, desk, live, shifts, version="test"),
        photos=PhotoStore(tmp_path / "photos"), no_answer=no_answer, locations=locations, aml=aml,
        geography=geography, silent=silent, callbacks=callbacks, junk=(junk, junk_watch), incidents=incidents,
        texts=texts, recordings=recordings,
        spy=spy, replay=ReplayService(desk, tickets, SqlLocationRepository(engine)), softphones=phone_desk,
        room_reports=ReportService(SqlReportQueries(engine), shifts,
                                   ReportHeader("Kabupaten Penajam Paser Utara", "Call Center 112", "Diskominfo PPU")),
    ))
    port = _free_port()
    server = _QuietUvicorn(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                                        timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        yield WebStack(f"http://127.0.0.1:{port}", engine, users, audit, telephony, presence, dispatcher, no_answer,
                       locations, feed, silent=silent, prompter=prompter, callbacks=callbacks, dialer=dialer,
                       junk=junk, junk_watch=junk_watch, incidents=incidents, room=room, texts=texts, sender=sender,
                       recordings=recordings, spy=spy, spy_dialer=spy_dialer, softphones=phone_desk,
                       agency_admin=at_start.admin if at_start else None)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await engine.dispose()


async def logged_in(stack: WebStack, username: str, password: str | None = None,
                    ) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """A browser-like client logged in through the login form, and the headers a panel page sends (its CSRF
    token). The caller closes the client."""
    client = httpx.AsyncClient(base_url=stack.base_url, timeout=10)
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = await client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                             "csrf_token": token[1], "next": "/"})
    assert done.status_code == 303, done.text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', (await client.get("/")).text)
    assert meta is not None
    return client, {"X-CSRF-Token": meta[1]}
