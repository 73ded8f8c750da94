"""The whole JSON API (as ``daemon.py`` builds it, dispatch and reports included) on a real SQLite database,
served by uvicorn on a free port in a thread of its own, so that schemathesis' synchronous client can call it.

It follows tests/adapters/web_stack.py (same accounts, a CLI token) and adds the dispatcher, the dispatch
reports and the photo store, plus two tickets (one classified and dispatched) so that the list and detail
endpoints answer with real rows, not only with empty lists and 404s.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry

from ec112 import __version__
from ec112.config.agencies_file import load_agencies
from ec112.config.boundaries_file import load_geography
from ec112.config.caller_settings import LocationSettings
from ec112.db.accounts import SqlAccountStore
from ec112.db.audit import SqlAuditStore
from ec112.db.dispatches import SqlDispatchStore
from ec112.db.engine import create_engine, migrate
from ec112.db.locations import SqlLocationRepository
from ec112.db.tickets import SqlTicketRepository
from ec112.db.webhooks import SqlWebhookLog
from ec112.domain.accounts import NewUser, Role
from ec112.domain.call_events import ChannelRow, QueueSnapshot
from ec112.domain.events import DomainEvent, TicketOpened
from ec112.domain.kpis import Shifts
from ec112.domain.location import Location, LocationSource
from ec112.domain.ticket_work import Classification, ClassificationInput
from ec112.domain.tickets import IntakeChannel, NewCall
from ec112.location.aml import parse_aml_https, parse_aml_sms
from ec112.services.accounts import UserAdmin
from ec112.services.agents import AgentService
from ec112.services.audit import AuditService
from ec112.services.dispatch import DispatchService
from ec112.services.dispatch_reports import DispatchReports
from ec112.services.event_bus import LocalEventBus
from ec112.services.health import ComponentHealth
from ec112.services.kpis import KpiService
from ec112.services.locations import LocationService
from ec112.services.passwords import Passwords
from ec112.services.presence import PresenceService
from ec112.services.ratelimit import Limit, LoginRateLimiter
from ec112.services.sessions import AuthService, SessionPolicy
from ec112.services.ticket_desk import TicketDesk
from ec112.web.aml_api import AmlOptions
from ec112.web.app import WebDeps, create_app
from ec112.web.auth import WebAuth
from ec112.web.i18n import I18n
from ec112.web.live_feed import LiveFeed
from ec112.web.photos import PhotoStore

CLI_TOKEN = "local-cli-token-for-fuzzing"
AML_HMAC_KEY = "aml-hmac-key-for-fuzzing"
AML_SMS_TOKEN = "aml-sms-token-for-fuzzing"
TZ = "Asia/Jakarta"
ACCOUNTS = [("admin", Role.ADMIN, None), ("spv", Role.SUPERVISOR, None), ("taker01", Role.CALL_TAKER, "taker01"),
            ("officer", Role.AGENCY_OFFICER, None), ("responder", Role.RESPONDER, None)]
START_TIMEOUT = 20.0


class _Telephony:
    """Asterisk replaced: queue membership and pauses are remembered, nothing is sent."""

    async def queue_add(self, queue: str, interface: str, member_name: str) -> bool:
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        return True

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        return None

    async def queue_status(self, queue: str) -> QueueSnapshot:
        return QueueSnapshot()

    async def active_channels(self) -> list[ChannelRow]:
        return []


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test process keeps its own signal handlers
        yield


@dataclass(frozen=True)
class ApiStack:
    base_url: str
    token: str
    ticket_numbers: tuple[str, ...]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _build(tmp_path: Path) -> tuple[uvicorn.Server, tuple[str, ...], object]:
    categories, directory = load_agencies()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ec112.sqlite3'}")
    await migrate(engine)
    accounts, audit = SqlAccountStore(engine), AuditService(SqlAuditStore(engine))
    passwords = Passwords.fast_for_tests()
    users = UserAdmin(accounts, accounts, passwords, audit)
    auth = AuthService(accounts, passwords, audit, LoginRateLimiter(Limit(3, 300), Limit(20, 300)),
                       policy=SessionPolicy(timedelta(hours=4), timedelta(hours=12)), cli_token=CLI_TOKEN)
    for name, role, endpoint in ACCOUNTS:
        agency = "damkar" if role in (Role.AGENCY_OFFICER, Role.RESPONDER) else None
        await users.add("cli", NewUser(name, f"{name.title()} Fuzz", role, endpoint, agency=agency),
                        f"{name}-sandi-fuzz")
    tickets = SqlTicketRepository(engine)
    bus = LocalEventBus()
    feed = LiveFeed(ticket_prefix="112")
    presence = PresenceService(queue="112", wrapup_seconds=5, bus=bus)
    desk = TicketDesk(tickets, categories=categories, ticket_prefix="112", bus=bus)
    store = SqlDispatchStore(engine)
    dispatcher = DispatchService(store, desk, directory, ack_timeout=timedelta(seconds=90), bus=bus, audit=audit)
    locations = LocationService(SqlLocationRepository(engine), tickets, default_region="ID",
                                match_window=timedelta(seconds=600), reference_timeout=1.0, bus=bus)
    bus.subscribe(TicketOpened, locations.on_ticket_opened)
    bus.subscribe(DomainEvent, feed.on_event)
    shifts = Shifts((7, 15, 23), I18n(TZ).tz)
    numbers = await _seed(tickets, desk, dispatcher, users)

    async def readiness() -> dict[str, ComponentHealth]:
        return {"db": ComponentHealth(True, "sqlite")}

    web = WebAuth(auth, users, audit, I18n(TZ))
    app = create_app(WebDeps(
        desk, AgentService(_Telephony(), queue="112", member_interface="PJSIP/{endpoint}", pause_reasons=["sholat"]),
        readiness, "112", CollectorRegistry(), KpiService(tickets, shifts), presence, feed, web,
        directory=directory, deliveries=SqlWebhookLog(engine), dispatcher=dispatcher,
        reports=DispatchReports(store, tickets, desk, directory, shifts, version=__version__),
        photos=PhotoStore(tmp_path / "photos"), locations=locations,
        aml=AmlOptions(parse_https=lambda body, at: parse_aml_https(body, received_at=at),
                       parse_sms=lambda text, at: parse_aml_sms(text, received_at=at),
                       hmac_key=AML_HMAC_KEY, sms_token=AML_SMS_TOKEN),
        geography=load_geography(LocationSettings(), directory.agencies),
    ))
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_config=None, lifespan="off",
                                    access_log=False, timeout_graceful_shutdown=2))
    return server, numbers, engine


async def _seed(tickets: SqlTicketRepository, desk: TicketDesk, dispatcher: DispatchService,
                users: UserAdmin) -> tuple[str, ...]:
    now = datetime.now(UTC)
    where = Location(-6.17539, 106.82715, 18.0, LocationSource.AML, now, "GPS")
    first, _ = await tickets.open(NewCall("fz-1", "fz-1", "PJSIP/trunk-1", "0811", "+62811000111", "Budi", now,
                                          IntakeChannel.AGI, where))
    second, _ = await tickets.open(NewCall("fz-2", "fz-2", "PJSIP/trunk-2", None, None, None, now,
                                           IntakeChannel.AMI))
    number = first.number("112")
    await desk.classify(number, ClassificationInput(Classification.EMERGENCY, "kebakaran", "Jl. Kenanga 1"),
                        revision=None, actor="taker01")
    await dispatcher.dispatch(number, ["damkar"], await users.get("spv"))
    return number, second.number("112")


@contextlib.contextmanager
def running_api(tmp_path: Path) -> Iterator[ApiStack]:
    """Start the stack in a background thread (its own event loop) and stop it on exit."""
    ready = threading.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        server, numbers, engine = await _build(tmp_path)
        box["server"], box["numbers"] = server, numbers
        task = asyncio.create_task(server.serve())
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while not server.started:
                    if task.done():
                        break
                    await asyncio.sleep(0.01)
            ready.set()
            await task
        finally:
            await engine.dispose()  # type: ignore[attr-defined]

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread, not swallowed
            box["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="fuzz-api", daemon=True)
    thread.start()
    ready.wait(START_TIMEOUT + 10)
    server = box.get("server")
    if "error" in box or not isinstance(server, uvicorn.Server) or not server.started:
        raise RuntimeError(f"the API stack did not start: {box.get('error')!r}")
    try:
        port = server.config.port
        numbers = box["numbers"]
        assert isinstance(numbers, tuple)
        yield ApiStack(f"http://127.0.0.1:{port}", CLI_TOKEN, numbers)
    finally:
        server.should_exit = True
        thread.join(15)
