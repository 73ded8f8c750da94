"""Every message about a drill says so: the agency webhook's data, the live stream's ticket/dispatch/drill kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ec112.domain.dispatch import Dispatch, DispatchStatus
from ec112.domain.drills import DrillChanged
from ec112.domain.events import DispatchChanged, TicketOpened
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.routing.agencies import AgencyDirectory
from ec112.services.agency_notifications import AgencyNotifications
from ec112.web.live_feed import LiveFeed

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def ticket(exercise: bool) -> Ticket:
    return Ticket(id=7, linkedid="l7", uniqueid="l7", channel="PJSIP/drill-1", caller_number_raw="0812",
                  caller_number_e164=None, caller_name=None, location=None, intake=IntakeChannel.AGI,
                  status=TicketStatus.DISPATCHED, arrived_at=T0, exercise=exercise)


DISPATCH = Dispatch(id=3, ticket_id=7, agency="damkar", status=DispatchStatus.DISPATCHED, dispatched_at=T0,
                    dispatched_by="taker01", ack_deadline=T0 + timedelta(minutes=2))


def test_the_webhook_data_says_exercise() -> None:
    notifications = AgencyNotifications(AgencyDirectory(()), notifier=None,  # type: ignore[arg-type]
                                        ticket_prefix="112", category_label=lambda code: None)
    assert notifications.payload(ticket(True), DISPATCH)["exercise"] is True
    assert notifications.payload(ticket(False), DISPATCH)["exercise"] is False


def test_the_live_stream_says_exercise() -> None:
    feed = LiveFeed(ticket_prefix="112")
    data: Any = feed.serialize(TicketOpened(at=T0, actor="asterisk", ticket=ticket(True)))
    assert data[0] == "ticket"
    assert data[1]["exercise"] is True
    data = feed.serialize(DispatchChanged(at=T0, actor="taker01", dispatch=DISPATCH, ticket=ticket(True),
                                          kind="dispatch.created"))
    assert (data[0], data[1]["exercise"]) == ("dispatch", True)
    data = feed.serialize(DrillChanged(at=T0, actor="rina", drill_id=4, name="Banjir", change="placed", position=1))
    assert data == ("drill", {"id": 4, "name": "Banjir", "change": "placed", "position": 1})
