"""The composition root: builds every part from the settings and runs them in one TaskGroup.

Start order follows what a 112 call needs first: the database (tickets), then the FastAGI intake, then
AMI tracking and the web server. Stop order is the reverse, with the AGI server given time to finish
the intakes in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import uvicorn
from prometheus_client import CollectorRegistry, Counter

from ec112.agi.intake_route import IntakeRoute
from ec112.agi.server import AgiServer
from ec112.ami.client import AmiAuthError, AmiClient
from ec112.ami.telephony import AmiTelephony
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.kpis import Shifts
from ec112.domain.tickets import Ticket
from ec112.services.agents import AgentService
from ec112.services.ami_pipeline import AmiEventPipeline
from ec112.services.call_tracking import CallTracker
from ec112.services.health import ComponentHealth
from ec112.services.intake import IntakeService, utcnow
from ec112.services.kpis import KpiService
from ec112.services.presence import PresenceService
from ec112.settings import Settings
from ec112.supervisor import EX_CONFIG, WATCHDOG_FD_ENV
from ec112.web.app import WebDeps, create_app

log = logging.getLogger(__name__)
EMERGENCY_CONTEXT = "ec112-emergency"  # the dialplan context of asterisk-conf/extensions.conf
SHUTDOWN_GRACE = 5.0


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our loop: signals belong to the daemon, not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _heartbeat(interval: float, stop: asyncio.Event) -> None:
    """Tell the supervisor the event loop is alive (see ``supervisor.py``).

    Without a supervisor the worker is unguarded against freezes; rather than crash on the broken pipe,
    it shuts down cleanly so that a restarted supervisor can start a guarded worker on the same ports.
    """
    fd_text = os.environ.get(WATCHDOG_FD_ENV)
    if not fd_text:
        return
    fd = int(fd_text)
    os.set_blocking(fd, False)
    while True:
        try:
            os.write(fd, b".")
        except BlockingIOError:
            pass  # the supervisor is busy; the pipe holds plenty of beats
        except OSError as exc:
            log.error("the supervisor is gone (%s): stopping this worker", type(exc).__name__)
            stop.set()
            return
        await asyncio.sleep(interval)


async def run(settings: Settings) -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    applied = Counter("ec112_ami_events_applied", "AMI events applied", ["event"], registry=registry)
    cc = settings.callcenter

    engine = create_engine(settings.database_url)
    await migrate(engine)
    tickets = SqlTicketRepository(engine)
    ami = AmiClient(
        host=settings.ami.host,
        port=settings.ami.port,
        username=settings.ami.username,
        secret=settings.ami.secret.get_secret_value(),
        connect_timeout=settings.ami.connect_timeout,
        login_timeout=settings.ami.login_timeout,
        action_timeout=settings.ami.action_timeout,
        ping_interval=settings.ami.ping_interval,
        pong_timeout=settings.ami.pong_timeout,
        reconnect_min=settings.ami.reconnect_min,
        reconnect_max=settings.ami.reconnect_max,
    )
    telephony = AmiTelephony(ami)
    intake = IntakeService(
        tickets,
        default_region=cc.default_region,
        ticket_prefix=cc.ticket_prefix,
        log_personal_data=settings.log_personal_data,
    )
    tracker = CallTracker(tickets, intake, queue=cc.queue, emergency_context=EMERGENCY_CONTEXT)
    agents = AgentService(
        telephony, queue=cc.queue, member_interface=cc.member_interface, pause_reasons=cc.pause_reasons
    )
    agi = AgiServer(
        settings.agi.host,
        settings.agi.port,
        {"intake": IntakeRoute(intake, deadline=settings.agi.intake_deadline)},
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
        }

    presence = PresenceService(queue=cc.queue, wrapup_seconds=cc.wrapup_seconds, tz=ZoneInfo(cc.timezone),
                               tickets=tickets, ticket_prefix=cc.ticket_prefix)

    async def ticket_opened(ticket: Ticket) -> None:
        await tracker.settle_if_already_gone(ticket)  # a caller may hang up before the insert commits
        await presence.ticket_opened(ticket)

    intake.on_opened = ticket_opened
    # Tickets first (they are what must not be lost), then the live view.
    pipeline = AmiEventPipeline(telephony, [tracker, presence], queue=cc.queue, clock=utcnow,
                                on_applied=lambda name: applied.labels(name).inc())
    kpis = KpiService(tickets, Shifts(tuple(cc.shift_hours), ZoneInfo(cc.timezone)))
    app = create_app(WebDeps(tickets, agents, readiness, cc.ticket_prefix, registry, kpis, presence))
    web = _EmbeddedUvicorn(
        uvicorn.Config(
            app,
            host=settings.web.host,
            port=settings.web.port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    try:
        async with asyncio.TaskGroup() as group:
            # A failing task (e.g. AmiAuthError from ami.run) cancels the rest and surfaces from here.
            heartbeat = group.create_task(_heartbeat(settings.watchdog.heartbeat_interval, stop), name="heartbeat")
            # The first beat goes out before the AGI port opens: from then on a freeze is caught
            # within watchdog.timeout, never within the longer start-up grace.
            await asyncio.sleep(0)
            await agi.start()
            log.info("FastAGI intake listening on %s:%d", settings.agi.host, agi.port)
            endless = [
                heartbeat,
                group.create_task(agi.serve_forever(), name="agi"),
                group.create_task(ami.run(), name="ami"),
                group.create_task(pipeline.run(ami.events), name="ami-consumer"),
                group.create_task(presence.tick_loop(), name="presence-tick"),
            ]
            group.create_task(web.serve(), name="web")
            await stop.wait()
            log.info("stopping: finishing intakes in flight")
            await agi.close(SHUTDOWN_GRACE)
            web.should_exit = True
            await ami.close()
            for task in endless:
                task.cancel()
    finally:
        await engine.dispose()
        log.info("stopped at %s", datetime.now(UTC).isoformat(timespec="seconds"))


def main(settings: Settings) -> int:
    code = 0
    try:
        asyncio.run(run(settings))
    except* AmiAuthError as group:
        log.critical("AMI login refused: %s — check [ami] username/secret", group.exceptions[0])
        code = EX_CONFIG
    return code
