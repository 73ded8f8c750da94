"""Authentication for every request (default deny), CSRF, and the FastAPI dependencies for authorisation.

``AuthMiddleware`` runs before any route: a request without a valid session cookie or Bearer token gets
401 (API) or a 303 to ``/login?next=…`` (pages), except the few open paths (health, login, static files).
So a route added later is protected without anyone remembering to. Cookie-authenticated requests with an
unsafe method must carry the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``);
Bearer requests are exempt (a browser never adds that header cross-site). Long GETs (the SSE stream) are
re-checked every ``revalidate_seconds`` and cut when the session is revoked or the user disabled.

Routes then say *what* is needed: ``CurrentUser``, or ``Depends(require(Permission.X))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import Forbidden, Unauthorized
from ec112.services.accounts import UserAdmin
from ec112.services.audit import AuditService
from ec112.services.sessions import Authenticated, AuthService
from ec112.web.i18n import I18n

log = logging.getLogger(__name__)

SESSION_COOKIE = "ec112_session"
SCOPE_KEY = "ec112.auth"
# The AML intakes are machine clients with their own credential (an HMAC, the SMS gateway's token: aml_api.py).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/api/aml", "/api/aml/sms"})
# A softphone fetching its provisioning file has no session: its one-time token is the credential (softphone_pages).
OPEN_PREFIXES = ("/static/", "/provision/")
API_PREFIXES = ("/api/", "/metrics", "/openapi.json")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 1 << 20


@dataclass
class WebAuth:
    """Everything the web layer needs for accounts; built by the composition root."""

    auth: AuthService
    users: UserAdmin
    audit: AuditService
    i18n: I18n
    secure_cookies: bool | None = None  # None: Secure when the request came over https
    revalidate_seconds: float = 30.0

    def cookie_secure(self, request: Request) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else request.url.scheme == "https"


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path == "/api"


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (no scheme, host, or protocol-relative ``//``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, web: WebAuth) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        request = Request(scope)
        if is_open(path):
            # Only the login page wants to know who is there (to skip the form); health checks hit no table.
            scope[SCOPE_KEY] = None
            if path == "/login":
                with contextlib.suppress(Unauthorized):
                    scope[SCOPE_KEY] = await self._resolve(request)
            await self.app(scope, receive, send)
            return
        try:
            who = await self._resolve(request)
        except Unauthorized:
            who = None
        except Exception:
            log.exception("cannot check the credential of %s %s", scope["method"], path)
            await _json(send, 503, {"code": "unavailable", "message": "cannot check credentials right now"})
            return
        if who is None:
            await _refuse(scope, send, path)
            return
        scope[SCOPE_KEY] = who
        if who.via == "session" and scope["method"] not in SAFE_METHODS:
            checked = await self._csrf(scope, receive, who)
            if checked is None:
                refusal = {"code": "csrf_failed", "message": "missing or wrong CSRF token: reload the page"}
                await _json(send, 403, refusal)
                return
            receive = checked
        if scope["method"] not in SAFE_METHODS or who.via == "cli":
            await self.app(scope, receive, send)
            return
        ended = False

        async def tracking_send(message: Message) -> None:
            nonlocal ended
            ended = ended or (message["type"] == "http.response.body" and not message.get("more_body", False))
            await send(message)

        revoked = asyncio.Event()
        await self.app(scope, self._guarded(receive, who, revoked), tracking_send)
        if revoked.is_set() and not ended:  # end the cut stream properly (the last chunk), not by a reset
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _resolve(self, request: Request) -> Authenticated | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                raise Unauthorized("unsupported Authorization scheme; use Bearer")
            found = await self.web.auth.from_bearer(token.strip())
            if found is None:
                raise Unauthorized("invalid API token")
            return found
        cookie = request.cookies.get(SESSION_COOKIE)
        return await self.web.auth.from_cookie(cookie) if cookie else None

    async def _csrf(self, scope: Scope, receive: Receive, who: Authenticated) -> Receive | None:
        """The receive to pass on (the body replayed when it had to be read), or None when refused."""
        assert who.session is not None
        expected = who.session.csrf_token.encode()
        request = Request(scope)
        sent = request.headers.get("x-csrf-token")
        if sent is not None:
            return receive if hmac.compare_digest(sent.encode(), expected) else None
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return None
        body = await _read_body(receive)
        if body is None:
            return None
        replay = _replay(body, receive)
        if content_type == "multipart/form-data":
            async with Request(scope, _replay(body, receive)).form() as form:
                value = form.get("csrf_token")
                token = value if isinstance(value, str) else ""
        else:
            token = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)).get("csrf_token", "")
        return replay if token and hmac.compare_digest(token.encode(), expected) else None

    def _guarded(self, receive: Receive, who: Authenticated, revoked: asyncio.Event) -> Receive:
        """A receive that reports a disconnect once the principal is no longer valid (ends SSE streams)."""
        interval = self.web.revalidate_seconds
        still_valid = self.web.auth.still_valid

        async def guarded() -> Message:
            while not revoked.is_set():
                try:
                    async with asyncio.timeout(interval):
                        return await receive()
                except TimeoutError:
                    if not await still_valid(who):
                        revoked.set()
            return {"type": "http.disconnect"}

        return guarded


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _json(send: Send, status: int, body: dict[str, str], headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": payload})


async def _refuse(scope: Scope, send: Send, path: str) -> None:
    if is_api(path):
        await _json(send, 401, {"code": "unauthorized", "message": "log in or send Authorization: Bearer <token>"},
                    [(b"www-authenticate", b"Bearer")])
        return
    target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
    location = "/login" if scope["method"] not in SAFE_METHODS else "/login?next=" + quote(target, safe="")
    await send({"type": "http.response.start", "status": 303, "headers": [
        (b"location", location.encode("latin-1")), (b"content-length", b"0"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})


# --- dependencies --------------------------------------------------------------------------------------------
def authenticated(request: Request) -> Authenticated:
    who: Authenticated | None = request.scope.get(SCOPE_KEY)
    if who is None:
        raise Unauthorized("not logged in")
    return who


def current_user(who: Annotated[Authenticated, Depends(authenticated)]) -> User:
    return who.user


Auth = Annotated[Authenticated, Depends(authenticated)]
CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """A dependency: the current user, or 403 when her role lacks ``permission``."""

    def check(user: CurrentUser) -> User:
        if not has_permission(user, permission):
            raise Forbidden(f"your role ({user.role.value}) may not do this")
        return user

    return check


LiveViewer = Annotated[User, Depends(require(Permission.VIEW_LIVE))]
TicketViewer = Annotated[User, Depends(require(Permission.VIEW_TICKETS))]
TicketWorker = Annotated[User, Depends(require(Permission.WORK_TICKETS))]
KpiViewer = Annotated[User, Depends(require(Permission.VIEW_KPIS))]
