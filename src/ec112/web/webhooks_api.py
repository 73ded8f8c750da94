"""``GET /api/webhook-deliveries``: the webhook delivery log, for supervisors and administrators.

Bodies are not shown (they carry caller data) and URLs lose their query string (where gateways put tokens).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Query

from ec112.domain.accounts import Permission, User
from ec112.services.notifications import DeliveryLog, DeliveryQuery, DeliveryStatus, WebhookDelivery
from ec112.web.auth import require


def webhooks_router(deliveries: DeliveryLog) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/webhook-deliveries")
    async def webhook_deliveries(
        _viewer: Annotated[User, Depends(require(Permission.VIEW_AUDIT))],
        agency: Annotated[str | None, Query(max_length=32)] = None,
        status: DeliveryStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """The newest deliveries first: their event, status, attempts and the last error of each."""
        found = await deliveries.search(DeliveryQuery(agency=agency or None, status=status, limit=limit))
        return [_out(d) for d in found]

    return router


def _out(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id, "agency": d.agency, "channel": d.channel.value, "event": d.event, "url": _without_query(d.url),
        "status": d.status.value,
        "attempts": d.attempts, "last_status_code": d.last_status_code, "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]  # no user:password either
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
