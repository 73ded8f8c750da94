"""CSRF and redirect rules of web/auth.py, as pure functions and over a bare ASGI app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ec112.domain.accounts import Role, User
from ec112.services.account_ports import WebSession
from ec112.services.sessions import Authenticated
from ec112.web.auth import AuthMiddleware, is_api, is_open, safe_next

NOW = datetime(2026, 11, 28, tzinfo=UTC)
SESSION = WebSession(1, 1, "the-csrf-token", NOW, NOW, NOW + timedelta(hours=12))
SITI = User(1, "siti", "Siti", Role.CALL_TAKER, "taker01")


@pytest.mark.parametrize(("target", "expected"), [
    ("/tickets?page=2", "/tickets?page=2"),
    ("/", "/"),
    (None, "/"),
    ("", "/"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("/ok\r\nSet-Cookie: x=y", "/"),
])
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_open_and_api_paths() -> None:
    assert all(is_open(p) for p in ("/healthz", "/readyz", "/login", "/static/css/app.css"))
    assert not any(is_open(p) for p in ("/", "/logout", "/docs", "/metrics", "/api/agents", "/loginx", "/static"))
    assert all(is_api(p) for p in ("/api/agents", "/metrics", "/openapi.json"))
    assert not is_api("/docs")


class _OneSession:
    """Stands in for AuthService: one known cookie, one session (the DB path is tested in tests/db)."""

    async def from_cookie(self, token: str) -> Authenticated | None:
        return Authenticated(SITI, "session", SESSION) if token == "cookie" else None

    async def from_bearer(self, token: str) -> Authenticated | None:
        return Authenticated(SITI, "token") if token == "api" else None


class _Web:
    auth = _OneSession()
    revalidate_seconds = 30.0


async def _echo(request: Request) -> JSONResponse:
    form = await request.form()
    return JSONResponse({"note": form.get("note")})


@pytest.fixture
async def client() -> Any:
    app = AuthMiddleware(Starlette(routes=[Route("/echo", _echo, methods=["POST"])]), _Web())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_form_token_is_checked_and_the_body_reaches_the_route(client: httpx.AsyncClient) -> None:
    cookie = {"Cookie": "ec112_session=cookie"}
    ok = await client.post("/echo", data={"csrf_token": "the-csrf-token", "note": "halo"}, headers=cookie)
    assert ok.json() == {"note": "halo"}
    assert (await client.post("/echo", data={"csrf_token": "other", "note": "x"}, headers=cookie)).status_code == 403
    assert (await client.post("/echo", data={"note": "x"}, headers=cookie)).status_code == 403
    header = await client.post("/echo", data={"note": "h"}, headers={**cookie, "X-CSRF-Token": "the-csrf-token"})
    assert header.json() == {"note": "h"}
    json_body = await client.post("/echo", json={"csrf_token": "the-csrf-token"}, headers=cookie)
    assert json_body.status_code == 403  # JSON requests must use the header
    bearer = await client.post("/echo", data={"note": "b"}, headers={"Authorization": "Bearer api"})
    assert bearer.json() == {"note": "b"}  # no CSRF for Bearer tokens
    assert (await client.post("/echo", data={"note": "b"})).status_code == 303  # no session: to the login page
