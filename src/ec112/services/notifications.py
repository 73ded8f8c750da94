"""Notifications out: the port the dispatch service calls, the envelope it sends, the delivery log it keeps.

The dispatch service tells an agency's own system what happened (``dispatch.created``,
``dispatch.escalated.alternate``, …) through ``AgencyNotifier.notify``. A notifier never raises into its
caller and returns quickly: a dispatch must not fail or wait because a WhatsApp gateway is down. The
adapter (``ec112.webhooks``) stores each notification first, then delivers it, signed, in the background.

The body sent is one JSON object, UTF-8, keys sorted, no spaces (the same data always gives the same
bytes)::

    {"agency":"damkar","data":{…},"event":"dispatch.created","id":42,"sent_at":"2026-11-28T03:14:15.926Z"}

``id`` is the delivery id, also sent as ``X-EC112-Delivery``: a receiver that sees an id twice (a retry after
a lost answer, or a restart in the middle of a send) must treat it as the same notification.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any, Protocol

from ec112.domain.agencies import Agency

MAX_EVENT_LENGTH = 40  # webhook_deliveries.event


class Channel(StrEnum):
    """Where a notification goes: the agency's own webhook, or its alternate contact's channels (level 2)."""

    AGENCY = "agency"  # Agency.webhook_url
    ALTERNATE = "alternate"  # AlternateContact.webhook_url: the agency's second system
    SMS = "sms"  # AlternateContact.sms_gateway_url: an SMS gateway, sent the phone number and a short text


class AgencyNotifier(Protocol):
    async def notify(self, agency: Agency, event: str, payload: dict[str, Any],
                     channel: Channel = Channel.AGENCY) -> None:
        """Queue ``event`` for ``agency``'s ``channel`` (nothing when that channel has no URL). Never raises; never
        waits on the network."""


class NullNotifier:
    """The notifier of a centre without webhooks (and of tests that do not look at them)."""

    async def notify(self, agency: Agency, event: str, payload: Mapping[str, Any],
                     channel: Channel = Channel.AGENCY) -> None:
        return None


def channel_url(agency: Agency, channel: Channel) -> str | None:
    """The URL a channel of ``agency`` posts to (None: that channel is not configured)."""
    if channel is Channel.AGENCY:
        return agency.webhook_url
    contact = agency.alternate_contact
    if contact is None:
        return None
    return contact.webhook_url if channel is Channel.ALTERNATE else contact.sms_gateway_url


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or in flight)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed, or it could not be sent at all (no secret)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One notification to one agency's webhook and how its delivery went (a row of the delivery log)."""

    id: int
    agency: str
    event: str
    url: str
    body: str  # the exact text sent (its UTF-8 bytes are what is signed)
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    channel: Channel = Channel.AGENCY


@dataclass(frozen=True, slots=True)
class NewDelivery:
    agency: str
    event: str
    url: str
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    last_error: str | None = None  # set when it is refused before any attempt
    channel: Channel = Channel.AGENCY


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt changes in the log."""

    attempts: int
    status: DeliveryStatus
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    agency: str | None = None
    status: DeliveryStatus | None = None
    limit: int = 100


class DeliveryLog(Protocol):
    async def create(self, new: NewDelivery, body_for: Callable[[int], bytes]) -> WebhookDelivery:
        """Store a delivery; ``body_for(id)`` makes its body (the body carries the id). One transaction."""

    async def pending(self, *, limit: int) -> Sequence[WebhookDelivery]:
        """Pending deliveries, the soonest due first."""

    async def record_attempt(self, delivery_id: int, result: AttemptResult) -> bool:
        """Store the outcome of attempt ``result.attempts``; False (nothing changed) when the row is not pending
        with ``result.attempts - 1`` attempts any more, i.e. another send of it was recorded meanwhile."""

    async def get(self, delivery_id: int) -> WebhookDelivery | None: ...

    async def search(self, query: DeliveryQuery) -> Sequence[WebhookDelivery]:
        """Matching deliveries, newest first."""


def envelope(delivery_id: int, event: str, agency: str, sent_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The body of a notification: stable bytes (sorted keys, compact, UTF-8, no NaN)."""
    return canonical_json({"event": event, "id": delivery_id, "sent_at": iso_utc(sent_at), "agency": agency,
                           "data": dict(data)})


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=_plain).encode("utf-8")


def iso_utc(at: datetime) -> str:
    """``2026-11-28T03:14:15.926Z``: UTC, milliseconds."""
    if at.tzinfo is None:
        raise ValueError("notification times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put a {type(value).__name__} in a notification")
