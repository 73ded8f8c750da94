"""The webhook subscriber: a ``DispatchChanged`` that carries its ticket is told to the agency's own system.

Wired to the event bus in the composition root. What the agency receives (the notification's ``data``) is
built here, once, from the ticket and the dispatch; ``AgencyNotifier`` (the ``ec112.webhooks`` adapter)
stores it and delivers it, signed, in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ec112.domain.dispatch import Dispatch
from ec112.domain.events import DispatchChanged
from ec112.domain.tickets import Ticket
from ec112.routing.agencies import AgencyDirectory
from ec112.services.notifications import AgencyNotifier


class AgencyNotifications:
    def __init__(self, directory: AgencyDirectory, notifier: AgencyNotifier, *, ticket_prefix: str,
                 category_label: Callable[[str | None], str | None]) -> None:
        self._directory = directory
        self._notifier = notifier
        self._prefix = ticket_prefix
        self._category_label = category_label

    async def on_dispatch_changed(self, event: DispatchChanged) -> None:
        if event.ticket is None:
            return
        agency = self._directory.get(event.dispatch.agency)
        if agency is not None:
            await self._notifier.notify(agency, event.kind, self.payload(event.ticket, event.dispatch))

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
