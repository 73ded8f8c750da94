"""The ``intake`` FastAGI route: the first thing ec112 does for every 112 call.

It reads who is calling and from where, opens the ticket and sets ``EC112_TICKET`` on the channel, then
returns so that the dialplan queues the call. The path is kept lean (two reads, one insert, one set) and
bounded by a deadline: past it, or on any error, the route simply returns and the dialplan's fallback
queues the call anyway. Whatever happens here, the caller reaches a call taker.

The caller's location rides along: a geodetic PIDF-LO shape is written with the ticket; a civic address or a
location by reference is handed to the location service only after ``EC112_TICKET`` is set (the service places
the address / fetches the reference in its own tracked task), so a dead location server never delays the call;
the AGI session is even ended before that hand-over, so not even its database write sits before ``Queue()``.

Every log record made while it runs carries the call (``ec112.logs``): the channel's uniqueid at first,
its Linkedid once read, and the ticket number once the ticket is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ec112.agi.protocol import AgiError, args_of
from ec112.agi.session import AgiSession
from ec112.domain.drills import is_exercise
from ec112.domain.location import Location
from ec112.domain.network_location import CivicAddress, LocationReference, NetworkLocation
from ec112.domain.tickets import IntakeChannel
from ec112.logs import bind_call, call_context
from ec112.routing.dialplan import ANNOUNCE_VARIABLE, GEOLOC_READ, PRIORITY_VARIABLE, TICKET_VARIABLE
from ec112.services.call_handling import CallHandlingPolicy
from ec112.services.intake import IntakeService

log = logging.getLogger(__name__)

# One AGI round trip per read: values joined by a separator that none of them contains.
_CALL_READ = "${CHANNEL(linkedid)}|${PJSIP_HEADER(read,Geolocation)}"


class LocationReader(Protocol):
    """Turns what Asterisk parsed of the caller's PIDF-LO (GEOLOC_PROFILE) into a location, a civic address or a
    reference; raises ValueError (with a ``code``) when it is unusable. The location adapter's parser, handed
    over by the composition root."""

    def __call__(self, location_info: str, *, format: str, method: str | None, received_at: datetime,
                 confidence: str | None = None) -> NetworkLocation | None: ...


class HeaderReference(Protocol):
    """The raw ``Geolocation`` header → its first non-cid URI (for a call without a GEOLOC_PROFILE)."""

    def __call__(self, header: str) -> LocationReference | None: ...


class CallerLocations(Protocol):
    """The two calls of the location service (services/locations.py) the intake makes; both return at once."""

    async def add_reference(self, ticket_id: int, uri: str, *, actor: str) -> None: ...

    async def add_civic(self, ticket_id: int, text: str, fields: Mapping[str, str], *, actor: str) -> None: ...


@dataclass(frozen=True, slots=True)
class BusyIntake:
    """When this many intakes are in flight at once, the next ones get ``deadline`` (seconds) instead of the whole
    intake deadline: a worker that falls behind costs callers at most that (``[agi] busy_*``)."""

    intakes: int = 20
    deadline: float = 0.5


class IntakeRoute:
    def __init__(self, intake: IntakeService, *, deadline: float, read_location: LocationReader,
                 observe: Callable[[float], None] | None = None, locations: CallerLocations | None = None,
                 header_reference: HeaderReference | None = None,
                 handling: CallHandlingPolicy | None = None, busy: BusyIntake | None = None) -> None:
        self._intake = intake
        self._handling = handling  # prompts before the queue / a lower priority: a supervisor's choices
        self._deadline = deadline
        self._busy = busy or BusyIntake()
        self._in_flight = 0
        self._read_location = read_location
        self._observe = observe  # seconds per intake, e.g. a Prometheus histogram (ec112_intake_seconds)
        self._locations = locations
        self._header_reference = header_reference

    async def __call__(self, session: AgiSession) -> None:
        started = time.perf_counter()
        # Shed first: when the worker falls behind (intakes pile up), a caller waits at most the short deadline
        # before the dialplan queues her; her ticket then comes from the AMI path (QueueCallerJoin).
        deadline = self._deadline if self._in_flight < self._busy.intakes else min(self._deadline, self._busy.deadline)
        self._in_flight += 1
        # The caller's own channel: its uniqueid is the call's Linkedid, unless the read below says otherwise.
        with call_context(linkedid=session.env.get("agi_uniqueid", "")):
            try:
                async with asyncio.timeout(deadline):
                    await self._run(session)
            except TimeoutError:
                log.warning("intake exceeded %.1f s%s; the dialplan queues the call anyway", deadline,
                            "" if deadline == self._deadline else f" ({self._busy.intakes}+ intakes at once)")
            finally:
                self._in_flight -= 1
                if self._observe is not None:
                    self._observe(time.perf_counter() - started)

    async def _run(self, session: AgiSession) -> None:
        env = session.env
        arrived_at = datetime.now(UTC)
        uniqueid = env.get("agi_uniqueid", "")
        linkedid: str = uniqueid
        found: NetworkLocation | None = None
        try:
            linkedid, found = await self._read_call(session, uniqueid, arrived_at)
        except AgiError as exc:
            # The caller may already have hung up: a silent or dropped call still gets its ticket.
            log.info("intake reads failed (%s); ticket from the AGI header only", type(exc).__name__)
        if not linkedid:
            log.warning("AGI session without agi_uniqueid; leaving the call to the dialplan fallback")
            return
        try:
            ticket, created = await self._intake.open_ticket(
                linkedid=linkedid,
                uniqueid=uniqueid or linkedid,
                channel=env.get("agi_channel", ""),
                caller_number=env.get("agi_callerid"),
                caller_name=env.get("agi_calleridname"),
                intake=IntakeChannel.AGI,
                location=found if isinstance(found, Location) else None,
                arrived_at=arrived_at,
                # the drill endpoint's accountcode, already in the AGI environment: no extra round trip
                exercise=is_exercise(env.get("agi_accountcode")),
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
        # A civic address or a reference goes to the location service once per call (not again on a retry).
        hand_over = found if created and isinstance(found, CivicAddress | LocationReference) else None
        try:
            if not session.hung_up:
                await session.set_variable(TICKET_VARIABLE, number)
                await self._set_handling(session, ticket.caller_number_e164, ticket.location)
        except AgiError as exc:
            if hand_over is None:
                raise
            log.info("EC112_TICKET not set (%s); the caller's location is kept anyway", type(exc).__name__)
        if hand_over is not None:
            session.end()  # the dialplan queues the call now; storing the report needs no more AGI commands
            await self._hand_over(ticket.id, hand_over)

    async def _set_handling(self, session: AgiSession, caller_e164: str | None, location: Location | None) -> None:
        """EC112_ANNOUNCE / EC112_PRIORITY, only for a call that gets more than ordinary handling (an ordinary
        call costs no AGI round trip). The sounds directory is the dialplan's first AGI argument."""
        if self._handling is None:
            return
        handling = self._handling.advise(caller_e164, location)
        args = args_of(session.env)
        sounds_dir = args[0].rstrip("/") if args else ""
        if handling.prompts and sounds_dir:
            await session.set_variable(ANNOUNCE_VARIABLE, handling.playback(sounds_dir))
        if handling.queue_priority is not None:
            await session.set_variable(PRIORITY_VARIABLE, str(handling.queue_priority))
        if handling.reasons:
            log.info("call handling: %s", ", ".join(handling.reasons))

    async def _hand_over(self, ticket_id: int, found: CivicAddress | LocationReference) -> None:
        """After EC112_TICKET: the service stores the report and returns; placing/fetching runs in its task."""
        if self._locations is None:
            log.warning("caller location by %s not kept: no location service",
                        "reference" if isinstance(found, LocationReference) else "civic address")
            return
        try:
            if isinstance(found, LocationReference):
                await self._locations.add_reference(ticket_id, found.uri, actor="asterisk")
            else:
                await self._locations.add_civic(ticket_id, found.text, found.fields, actor="asterisk")
        except Exception as exc:  # the call has its ticket already: a failed hand-over never holds it
            log.warning("caller location hand-over failed (%s)", type(exc).__name__)
            log.debug("caller location hand-over failure detail", exc_info=exc)

    async def _read_call(
        self, session: AgiSession, uniqueid: str, arrived_at: datetime
    ) -> tuple[str, NetworkLocation | None]:
        call = await session.get_full_variable(_CALL_READ) or ""
        linkedid, _, geolocation_header = call.partition("|")
        linkedid = linkedid.strip() or uniqueid
        bind_call(linkedid=linkedid)
        found: NetworkLocation | None = None
        if geolocation_header.strip():
            profile = await session.get_full_variable(GEOLOC_READ) or ""
            # location_info last: it is the only part that may hold a "|" (a civic value)
            fmt, method, confidence, info = [*profile.split("|", 3), "", "", ""][:4]
            try:
                found = self._read_location(info, format=fmt, method=method or None, received_at=arrived_at,
                                            confidence=confidence or None)
                if found is None and self._header_reference is not None:
                    # No profile on the channel (e.g. an endpoint without geoloc_incoming_call_profile): a
                    # reference in the raw header is still kept; a cid: body Asterisk could not parse is lost.
                    found = self._header_reference(geolocation_header)
                if found is None:
                    log.warning("caller sent a Geolocation header but Asterisk exposed no location")
            except ValueError as exc:
                log.warning("caller location unusable (%s); ticket opened without it",
                            getattr(exc, "code", type(exc).__name__))
        return linkedid, found
