"""Intake: open the ticket of a call that has just arrived (from the FastAGI route or from AMI)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from ec112.domain.events import ASTERISK, TicketOpened
from ec112.domain.location import Location
from ec112.domain.phone import normalize_caller_name, to_e164
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, located
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class IntakeService:
    def __init__(
        self,
        tickets: TicketRepository,
        *,
        default_region: str,
        ticket_prefix: str,
        log_personal_data: bool = False,
        clock: Callable[[], datetime] = utcnow,
        bus: EventBus | None = None,
    ) -> None:
        self._tickets = tickets
        self._region = default_region
        self._prefix = ticket_prefix
        self._log_personal = log_personal_data
        self._clock = clock
        # TicketOpened goes to the bus: the call tracker settles a call that ended meanwhile, presence shows the
        # number on the waiting caller, the live stream tells the panels.
        self._bus: EventBus = bus or NullEventBus()

    def number(self, ticket: Ticket) -> str:
        return ticket.number(self._prefix)

    async def open_ticket(
        self,
        *,
        linkedid: str,
        uniqueid: str,
        channel: str,
        caller_number: str | None,
        caller_name: str | None,
        intake: IntakeChannel,
        location: Location | None = None,
        arrived_at: datetime | None = None,
        exercise: bool = False,
    ) -> tuple[Ticket, bool]:
        """The ticket of this call (created once per Linkedid); the bool says whether it is new."""
        raw = caller_number.strip() if caller_number and caller_number.strip() else None
        call = NewCall(
            linkedid=linkedid,
            uniqueid=uniqueid,
            channel=channel,
            caller_number_raw=raw,
            caller_number_e164=to_e164(raw, self._region),
            caller_name=normalize_caller_name(caller_name),
            arrived_at=arrived_at or self._clock(),
            intake=intake,
            location=location,
            exercise=exercise,
        )
        ticket, created = await self._tickets.open(call)
        if not created and exercise and not ticket.exercise:
            # Another door opened it without the accountcode (a resync): the drill endpoint's mark wins, once.
            ticket = replace(ticket, exercise=True)
            await self._tickets.save(ticket)
        if not created and location is not None and (found := located(ticket, location)) != ticket:
            # Another door opened it first (the AMI resync sees the call while it is still being answered,
            # before its intake): keep the location this intake read instead of dropping it.
            await self._tickets.save(found)
            ticket = found
        if created:
            log.info(
                "ticket %s opened by %s intake%s%s",
                self.number(ticket),
                intake.value,
                " with location" if location else "",
                " (exercise)" if ticket.exercise else "",
            )
            if self._log_personal:
                log.info("ticket %s caller %s location %s", self.number(ticket), raw, location)
            await self._bus.publish(TicketOpened(at=self._clock(), actor=ASTERISK, ticket=ticket))
        return ticket, created
