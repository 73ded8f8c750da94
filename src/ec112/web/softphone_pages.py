"""Softphone provisioning pages (``/admin/softphones``) and the one-time provisioning file (``/provision/…``).

Admins and supervisors (``may_administer``) see every SIP endpoint of the site with its account (server, user,
transport). The password stays hidden until "show" is posted (CSRF-checked, audited: actor and endpoint, never
the password). "QR code" makes a one-time link to Linphone's provisioning file, valid a few minutes; the phone
fetches it without a session (the token is the credential, ``auth.OPEN_PREFIXES``), and the fetch is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ec112.domain.accounts import may_administer
from ec112.domain.errors import NotFound, Unavailable
from ec112.services.accounts import UserAdmin
from ec112.services.softphones import SoftphoneDesk
from ec112.web.auth import Auth, WebAuth, client_ip
from ec112.web.linphone import provisioning_xml, qr_svg
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page

PROVISION_PATH = "/provision/"


async def _linked(users: UserAdmin) -> dict[str, str]:
    """endpoint → "display name (username)" of the active accounts linked to it."""
    return {u.sip_endpoint: f"{u.display_name} ({u.username})" for u in await users.list()
            if u.sip_endpoint and not u.disabled}


def softphone_router(web: WebAuth, desk: SoftphoneDesk) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def endpoint_page(request: Request, endpoint: str, status: int = 200, **extra: Any) -> Response:
        tr = _translator(web, request)
        linked = await _linked(web.users)
        try:
            account = desk.account(endpoint, linked.get(endpoint))
        except NotFound:
            return error_page(web, request, tr, 404)
        return _page(web, request, "admin_softphone.html", tr, status, account=account, site=desk.site,
                     ttl_minutes=int(desk.link_ttl.total_seconds() // 60), **extra)

    @router.get("/admin/softphones", response_class=HTMLResponse)
    async def listing(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not may_administer(who.user):
            return error_page(web, request, tr, 403)
        found = desk.secrets()
        return _page(web, request, "admin_softphones.html", tr, secrets=found, site=desk.site,
                     endpoints=sorted(found.passwords), linked=await _linked(web.users))

    @router.get("/admin/softphones/{endpoint}", response_class=HTMLResponse)
    async def account(request: Request, who: Auth, endpoint: str) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        return await endpoint_page(request, endpoint)

    @router.post("/admin/softphones/{endpoint}/reveal", response_class=HTMLResponse)
    async def reveal(request: Request, who: Auth, endpoint: str) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        try:
            password = await desk.reveal(who.user.username, endpoint)
        except NotFound:
            return error_page(web, request, _translator(web, request), 404)
        return await endpoint_page(request, endpoint, revealed=password)

    @router.post("/admin/softphones/{endpoint}/qr", response_class=HTMLResponse)
    async def qr(request: Request, who: Auth, endpoint: str) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        try:
            token, expires_at = await desk.issue_link(who.user.username, endpoint)
        except NotFound:
            return error_page(web, request, _translator(web, request), 404)
        except Unavailable as exc:
            return await endpoint_page(request, endpoint, 503, error=exc.message)
        url = str(request.base_url).rstrip("/") + PROVISION_PATH + token
        tr = _translator(web, request)
        return await endpoint_page(request, endpoint, qr_svg=qr_svg(url), qr_url=url,
                                   qr_expires=tr.datetime(expires_at, "short"))

    @router.get(PROVISION_PATH + "{token}")
    async def provision(request: Request, token: str) -> Response:
        """Linphone's provisioning file, once per link; a used, expired or unknown link is 404."""
        try:
            found = await desk.redeem(token, client_ip(request.scope))
        except NotFound as exc:
            return Response(exc.message + "\n", status_code=404, media_type="text/plain",
                            headers={"Cache-Control": "no-store"})
        return Response(provisioning_xml(found), media_type="application/xml",
                        headers={"Cache-Control": "no-store"})

    return router
