"""The live stream's edge: every domain event serialised ONCE into an SSE message, fanned out to every client.

A subscriber of the event bus (wired in the composition root). Each message has an increasing id, its kind
(``agent``, ``queue``, ``call``, ``call_ended``, ``ami``, ``reload``, ``ticket``, ``dispatch``, ``alert``,
``location``, ``silent``, ``spy``, ``callback``, ``measure``, ``wave``, ``incident``, ``text``, ``recording``) and its
JSON text, made once for all clients. Clients get bounded queues: one that falls behind gets a single
``reload`` instead of an ever-growing backlog (the page then refetches the state).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import orjson

from ec112.domain.callbacks import CallbackChanged
from ec112.domain.dispatch import Dispatch
from ec112.domain.drills import DrillChanged
from ec112.domain.events import (
    AgentStateChanged,
    AsteriskConnection,
    CallChanged,
    CallEnded,
    DispatchChanged,
    DomainEvent,
    NoAnswerAlert,
    PresenceRebuilt,
    QueueChanged,
    TicketChanged,
    TicketLocated,
    TicketOpened,
)
from ec112.domain.junk_calls import MeasureChanged, WaveFlagged
from ec112.domain.known_incidents import KnownIncidentChanged
from ec112.domain.recordings import RecordingChanged
from ec112.domain.silent_calls import SilentCallMarked
from ec112.domain.spy import SpyChanged
from ec112.domain.text_messages import TextMessageAdded
from ec112.domain.tickets import Ticket
from ec112.web.location_json import location_json, report_json, unlocated_json
from ec112.web.silent_api import silent_json
from ec112.web.spy_api import spy_json

SUBSCRIBER_BUFFER = 256


def dumps(data: Any) -> str:
    """JSON text for the stream: orjson (several times faster than ``json``; every message goes to every client)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()


@dataclass(frozen=True, slots=True)
class LiveMessage:
    id: int
    kind: str
    data: dict[str, Any]
    text: str = "{}"  # ``data`` as JSON, serialised once for every client


def to_json(value: Any) -> Any:
    """Dataclass views → JSON-ready values (datetimes as ISO 8601 UTC, enums as their value)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class LiveFeed:
    def __init__(self, *, ticket_prefix: str, subscriber_buffer: int = SUBSCRIBER_BUFFER) -> None:
        self._prefix = ticket_prefix
        self._buffer = subscriber_buffer
        self._subscribers: set[asyncio.Queue[LiveMessage]] = set()
        self.version = 0  # the id of the newest message

    def subscribe(self) -> asyncio.Queue[LiveMessage]:
        subscriber: asyncio.Queue[LiveMessage] = asyncio.Queue(maxsize=self._buffer)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: asyncio.Queue[LiveMessage]) -> None:
        self._subscribers.discard(subscriber)

    def on_event(self, event: DomainEvent) -> None:
        """The bus subscriber: serialise once, offer to every client."""
        found = self.serialize(event)
        if found is None:
            return
        kind, data = found
        self.version += 1
        message = LiveMessage(self.version, kind, data, dumps(data))
        for subscriber in list(self._subscribers):
            _offer(subscriber, message)

    def serialize(self, event: DomainEvent) -> tuple[str, dict[str, Any]] | None:
        """The one place that decides how an event looks on the live stream."""
        match event:
            case AgentStateChanged(agent=agent):
                return "agent", to_json(agent)
            case QueueChanged(queue=queue):
                return "queue", to_json(queue)
            case CallChanged(call=call):
                return "call", to_json(call)
            case CallEnded(linkedid=linkedid):
                return "call_ended", {"linkedid": linkedid}
            case AsteriskConnection(connected=connected, down_since=down_since):
                return "ami", {"connected": connected, "down_since": to_json(down_since)}
            case PresenceRebuilt():
                return "reload", {}
            case TicketOpened(ticket=ticket) | TicketChanged(ticket=ticket):
                return "ticket", self._ticket(ticket)
            case TicketLocated(ticket=ticket, report=report, unlocated=unlocated, count=count):
                return "location", {"ticket": ticket.number(self._prefix), "ticket_id": ticket.id,
                                    "best": location_json(ticket.location, best=True), "count": count,
                                    "report": report_json(report) if report else None,
                                    "unlocated": unlocated_json(unlocated) if unlocated else None}
            case TextMessageAdded(ticket=ticket, message=message, opened=opened):
                # No body on the stream (personal data, and every panel hears it): pages refetch the conversation.
                return "text", {"ticket": ticket.number(self._prefix), "ticket_id": ticket.id, "opened": opened,
                                "message": {"id": message.id, "direction": message.direction.value,
                                            "status": message.status.value, "at": message.at.isoformat()}}
            case RecordingChanged(recording=rec, ticket_number=number):  # the ticket page refetches …/info
                return "recording", {"ticket": number, "ticket_id": rec.ticket_id, "state": rec.state.value}
            case SilentCallMarked(ticket=ticket, silent=silent):
                return "silent", silent_json(ticket, silent, self._prefix)
            case SpyChanged(session=session, change=change):
                return "spy", {**spy_json(session), "change": change}
            case DispatchChanged(dispatch=dispatch, ticket=ticket):
                return "dispatch", {**_dispatch(dispatch), "exercise": ticket.exercise if ticket else None}
            case CallbackChanged(task=task, kind=kind, ticket_number=number):
                return "callback", {"id": task.id, "kind": kind, "ticket_id": task.ticket_id, "ticket": number,
                                    "status": task.status.value, "escalated": task.escalated_at is not None,
                                    "deadline": task.deadline.isoformat(), "taken_by": task.taken_by,
                                    "outcome": task.outcome.value if task.outcome else None}
            case MeasureChanged(measure=m, change=change):
                return "measure", {"id": m.id, "change": change, "kind": m.kind.value,
                                   "subject_kind": m.subject_kind.value, "subject": m.subject,
                                   "until": m.until.isoformat(), "set_by": m.set_by}
            case WaveFlagged(wave=wave):
                return "wave", {"since": wave.since.isoformat(), "numbers": wave.numbers, "pattern": wave.pattern}
            case KnownIncidentChanged(incident=i, change=change):  # the banners refetch; the counts ride along
                return "incident", {"id": i.id, "change": change.value, "active": i.active(event.at),
                                    "calls": i.calls, "heard": i.heard, "render": i.render.value}
            case DrillChanged(drill_id=drill_id, name=name, change=change, position=position):
                return "drill", {"id": drill_id, "name": name, "change": change, "position": position}
            case NoAnswerAlert(endpoint=endpoint, action=action, ring_seconds=ring_seconds, at=at):
                return "alert", {"kind": "no_answer", "endpoint": endpoint, "action": action,
                                 "at": at.isoformat(), "ring_seconds": ring_seconds}
        return None

    def _ticket(self, t: Ticket) -> dict[str, Any]:
        return {"id": t.id, "number": t.number(self._prefix), "status": t.status.value,
                "classification": t.classification, "revision": t.revision, "exercise": t.exercise}


def _dispatch(d: Dispatch) -> dict[str, Any]:
    return {"id": d.id, "ticket_id": d.ticket_id, "agency": d.agency, "status": d.status.value,
            "responder": d.responder, "escalation": int(d.escalation), "revision": d.revision}


def _offer(subscriber: asyncio.Queue[LiveMessage], message: LiveMessage) -> None:
    try:
        subscriber.put_nowait(message)
    except asyncio.QueueFull:
        # Too slow: drop its backlog and tell it to refetch the state instead.
        while not subscriber.empty():
            subscriber.get_nowait()
        subscriber.put_nowait(LiveMessage(message.id, "reload", {}))
