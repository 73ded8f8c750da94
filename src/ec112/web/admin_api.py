"""Read-only JSON views for administrators: the accounts and the audit log (changes go through the CLI)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ec112.domain.accounts import Permission, User
from ec112.web.auth import WebAuth, require


def admin_router(web: WebAuth) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/users")
    async def users(_admin: Annotated[User, Depends(require(Permission.MANAGE_USERS))]) -> list[dict[str, Any]]:
        """Every account (no password hashes, no tokens)."""
        return [
            {"username": u.username, "display_name": u.display_name, "role": u.role.value,
             "sip_endpoint": u.sip_endpoint, "agency": u.agency, "language": u.language.value,
             "disabled": u.disabled}
            for u in await web.users.list()
        ]

    @router.get("/audit")
    async def audit(
        _viewer: Annotated[User, Depends(require(Permission.VIEW_AUDIT))],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """The newest audit entries, newest first (``ec112 audit verify`` checks their hash chain)."""
        return [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
             "detail": dict(e.detail), "hash": e.hash}
            for e in await web.audit.recent(limit)
        ]

    return router
