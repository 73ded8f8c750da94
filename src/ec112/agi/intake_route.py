"""The ``intake`` FastAGI route: the first thing ec112 does for every 112 call.

It reads who is calling and from where, opens the ticket and sets ``EC112_TICKET`` on the channel, then
returns so that the dialplan queues the call. The path is kept lean (two reads, one insert, one set) and
bounded by a deadline: past it, or on any error, the route simply returns and the dialplan's fallback
queues the call anyway. Whatever happens here, the caller reaches a call taker.

Every log record made while it runs carries the call (``ec112.logs``): the channel's uniqueid at first,
its Linkedid once read, and the ticket number once the ticket is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ec112.agi.protocol import AgiError
from ec112.agi.session import AgiSession
from ec112.domain.location import Location
from ec112.domain.tickets import IntakeChannel
from ec112.logs import bind_call, call_context
from ec112.routing.dialplan import GEOLOC_READ, TICKET_VARIABLE
from ec112.services.intake import IntakeService

log = logging.getLogger(__name__)

# One AGI round trip per read: values joined by a separator that none of them contains.
_CALL_READ = "${CHANNEL(linkedid)}|${PJSIP_HEADER(read,Geolocation)}"


class LocationReader(Protocol):
    """Turns what Asterisk parsed of the caller's PIDF-LO (GEOLOC_PROFILE) into a location; raises ValueError
    (with a ``code``) when it is unusable. The location adapter's parser, handed over by the composition root."""

    def __call__(self, location_info: str, *, format: str, method: str | None,
                 received_at: datetime) -> Location | None: ...


class IntakeRoute:
    def __init__(self, intake: IntakeService, *, deadline: float, read_location: LocationReader,
                 observe: Callable[[float], None] | None = None) -> None:
        self._intake = intake
        self._deadline = deadline
        self._read_location = read_location
        self._observe = observe  # seconds per intake, e.g. a Prometheus histogram (ec112_intake_seconds)

    async def __call__(self, session: AgiSession) -> None:
        started = time.perf_counter()
        # The caller's own channel: its uniqueid is the call's Linkedid, unless the read below says otherwise.
        with call_context(linkedid=session.env.get("agi_uniqueid", "")):
            try:
                async with asyncio.timeout(self._deadline):
                    await self._run(session)
            except TimeoutError:
                log.warning("intake exceeded %.1f s; the dialplan queues the call anyway", self._deadline)
            finally:
                if self._observe is not None:
                    self._observe(time.perf_counter() - started)

    async def _run(self, session: AgiSession) -> None:
        env = session.env
        arrived_at = datetime.now(UTC)
        uniqueid = env.get("agi_uniqueid", "")
        linkedid, location = uniqueid, None
        try:
            linkedid, location = await self._read_call(session, uniqueid, arrived_at)
        except AgiError as exc:
            # The caller may already have hung up: a silent or dropped call still gets its ticket.
            log.info("intake reads failed (%s); ticket from the AGI header only", type(exc).__name__)
        if not linkedid:
            log.warning("AGI session without agi_uniqueid; leaving the call to the dialplan fallback")
            return
        try:
            ticket, _ = await self._intake.open_ticket(
                linkedid=linkedid,
                uniqueid=uniqueid or linkedid,
                channel=env.get("agi_channel", ""),
                caller_number=env.get("agi_callerid"),
                caller_name=env.get("agi_calleridname"),
                intake=IntakeChannel.AGI,
                location=location,
                arrived_at=arrived_at,
            )
        except Exception as exc:  # a locked or unreachable database: degrade, never hold the call
            # No EC112_TICKET: the dialplan queues the call at once; the ticket follows from AMI
            # (QueueCallerJoin, retried while the database refuses) or from Asterisk's records.
            log.warning("intake could not write the ticket (%s); the dialplan queues the call without it",
                        type(exc).__name__)
            log.debug("intake ticket write failure detail", exc_info=exc)  # may carry caller data: DEBUG only
            return
        number = self._intake.number(ticket)
        bind_call(ticket=number)
        # Set only now: the COMMIT has returned, so a ticket the dialplan was told about survives a kill -9.
        if not session.hung_up:
            await session.set_variable(TICKET_VARIABLE, number)

    async def _read_call(
        self, session: AgiSession, uniqueid: str, arrived_at: datetime
    ) -> tuple[str, Location | None]:
        call = await session.get_full_variable(_CALL_READ) or ""
        linkedid, _, geolocation_header = call.partition("|")
        linkedid = linkedid.strip() or uniqueid
        bind_call(linkedid=linkedid)
        location = None
        if geolocation_header.strip():
            profile = await session.get_full_variable(GEOLOC_READ) or ""
            fmt, _, rest = profile.partition("|")
            method, _, info = rest.partition("|")
            try:
                location = self._read_location(info, format=fmt, method=method or None, received_at=arrived_at)
            except ValueError as exc:
                log.warning("caller location unusable (%s); ticket opened without it",
                            getattr(exc, "code", type(exc).__name__))
        return linkedid, location
