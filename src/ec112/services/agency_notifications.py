"""The webhook subscriber: a ``DispatchChanged`` that carries its ticket is told to the agency's own system.

Wired to the event bus in the composition root. What the agency receives (the notification's ``data``) is
built here, once, from the ticket and the dispatch; ``AgencyNotifier`` (the ``ec112.webhooks`` adapter)
stores it and delivers it, signed, in the background.

A level-2 escalation (``dispatch.escalated.alternate``) goes to the agency's alternate contact instead — its
second webhook and/or its SMS gateway — and never to the agency's own webhook again (that system already failed
to get anyone to acknowledge). Its payload names the contact; the SMS gateway gets the number and a short text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ec112.domain.agencies import Agency
from ec112.domain.dispatch import Dispatch
from ec112.domain.events import DispatchChanged
from ec112.domain.tickets import Ticket
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.notifications import AgencyNotifier, Channel

ALTERNATE_EVENT = "dispatch.escalated.alternate"
SMS_MAX = 160  # one SMS


class AgencyNotifications:
    def __init__(self, directory: AgencyDirectory | CurrentAgencies, notifier: AgencyNotifier, *, ticket_prefix: str,
                 category_label: Callable[[str | None], str | None]) -> None:
        self._agencies = CurrentAgencies.of(directory)  # read at use: the admin page may replace it
        self._notifier = notifier
        self._prefix = ticket_prefix
        self._category_label = category_label

    async def on_dispatch_changed(self, event: DispatchChanged) -> None:
        if event.ticket is None:
            return
        agency = self._agencies.directory.get(event.dispatch.agency)
        if agency is None:
            return
        payload = self.payload(event.ticket, event.dispatch)
        if event.kind != ALTERNATE_EVENT:
            await self._notifier.notify(agency, event.kind, payload)
            return
        contact = agency.alternate_contact
        if contact is None or not contact.reachable:
            return  # only shown (the wallboard alarm and the dispatch card say whom to call)
        named = {**payload, "alternate": {"name": contact.name, "phone": contact.phone}}
        await self._notifier.notify(agency, event.kind, named, Channel.ALTERNATE)
        if contact.phone:
            await self._notifier.notify(agency, event.kind, {
                "to": contact.phone, "text": self.sms_text(agency, event.ticket, event.dispatch),
                "alternate": named["alternate"], "ticket": payload["ticket"], "dispatch_id": event.dispatch.id,
                "agency": agency.code, "exercise": event.ticket.exercise}, Channel.SMS)

    def sms_text(self, agency: Agency, ticket: Ticket, dispatch: Dispatch) -> str:
        """One short Indonesian SMS: which ticket the agency has not acknowledged, what and where."""
        what = self._category_label(ticket.category) or "darurat"
        text = (f"{'LATIHAN ' if ticket.exercise else ''}112: tiket {ticket.number(self._prefix)} ({what}) belum "
                f"diterima {agency.short_name}. Mohon segera tindak lanjuti."
                + (f" Lokasi: {ticket.address}" if ticket.address else ""))
        return text if len(text) <= SMS_MAX else text[:SMS_MAX - 1] + "…"

    def payload(self, ticket: Ticket, dispatch: Dispatch) -> dict[str, Any]:
        """What an agency's own system receives about its dispatch (the webhook's ``data``)."""
        location = ticket.location
        return {
            "ticket": ticket.number(self._prefix),
            "dispatch_id": dispatch.id,
            "agency": dispatch.agency,
            "status": dispatch.status.value,
            "ack_deadline": dispatch.ack_deadline.isoformat(),
            "escalation": int(dispatch.escalation),
            "classification": ticket.classification,
            "category": ticket.category,
            "category_label": self._category_label(ticket.category),
            "address": ticket.address,
            "description": ticket.description,
            "caller_number": ticket.caller_number_e164 or ticket.caller_number_raw,
            "location": None if location is None else {
                "lat": location.lat, "lon": location.lon, "radius_m": location.radius_m},
            "arrived_at": ticket.arrived_at.isoformat(),
            "exercise": ticket.exercise,  # a drill (LATIHAN): the agency's system must not count it as real
        }
