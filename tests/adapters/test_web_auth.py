"""The web panel's security base over real HTTP (uvicorn on a free port, real SQLite, real argon2id).

What a person (or a script) sees: pages send you to the login form, the API answers 401, a login sets a
HttpOnly SameSite cookie, forms without their CSRF token are refused, a call taker can only pause herself,
repeated wrong passwords are slowed down (429), and disabling an account ends its sessions at once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from web_stack import CLI_TOKEN, PASSWORDS, WebStack, start_stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path, revalidate_seconds=0.2):
        yield s


@pytest.fixture
async def anon(stack: WebStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        yield client


Login = Callable[..., Awaitable[tuple[httpx.AsyncClient, httpx.Response, str]]]


@pytest.fixture
async def login(stack: WebStack) -> AsyncIterator[Login]:
    """login(username, password=None, next_url="/") -> (a browser-like client, the POST /login response,
    the session's CSRF token read from the page). Clients are closed at teardown."""
    clients: list[httpx.AsyncClient] = []

    async def do(username: str, password: str | None = None,
                 next_url: str = "/") -> tuple[httpx.AsyncClient, httpx.Response, str]:
        client = httpx.AsyncClient(base_url=stack.base_url, timeout=10)
        clients.append(client)
        form = await client.get("/login", params={"next": next_url})
        login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert login_csrf is not None
        response = await client.post("/login", data={
            "username": username, "password": password or PASSWORDS[username], "csrf_token": login_csrf[1],
            "next": next_url})
        csrf = ""
        if response.status_code == 303:
            home = await client.get("/")
            meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', home.text)
            assert meta is not None
            csrf = meta[1]
        return client, response, csrf

    yield do
    for client in clients:
        await client.aclose()


async def test_pages_redirect_to_login_and_the_api_answers_401(anon: httpx.AsyncClient) -> None:
    page = await anon.get("/wallboard?view=big")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fwallboard%3Fview%3Dbig"
    assert (await anon.get("/")).headers["location"] == "/login?next=%2F"
    assert (await anon.get("/docs")).status_code == 303
    for path in ("/api/agents", "/api/queues", "/api/calls", "/api/events", "/api/tickets", "/api/kpis",
                 "/api/pause-reasons", "/api/users", "/metrics", "/openapi.json"):
        response = await anon.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    refused = await anon.post("/api/agents/taker01/pause", json={"reason": "sholat"})
    assert refused.status_code == 401
    assert (await anon.get("/api/agents", headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_health_login_and_static_files_are_open(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/healthz")).json()["status"] == "ok"
    assert (await anon.get("/readyz")).status_code == 200
    css = await anon.get("/static/css/app.css")
    assert css.status_code == 200
    assert "--accent" in css.text
    form = await anon.get("/login")
    assert form.status_code == 200
    assert '<html lang="id">' in form.text
    assert "Kata sandi" in form.text  # Indonesian by default
    english = await anon.get("/login", params={"lang": "en"})
    assert "Password" in english.text
    assert english.cookies.get("lang") == "en"


async def test_login_sets_a_httponly_samesite_cookie_and_goes_to_next(stack: WebStack, login: Login) -> None:
    client, response, csrf = await login("taker01", next_url="/tickets?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets?page=2"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ec112_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http here; see the https test below
    home = await client.get("/")
    assert home.status_code == 200
    assert "Taker01 Lab" in home.text
    assert "Petugas penerima panggilan" in home.text
    assert csrf
    assert (await client.get("/api/agents")).status_code == 200
    assert (await client.get("/login")).headers["location"] == "/"  # already logged in


async def test_cookie_is_secure_behind_https(stack: WebStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, headers={"X-Forwarded-Proto": "https"}) as client:
        form = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        response = await client.post("/login", data={"username": "spv", "password": PASSWORDS["spv"],
                                                     "csrf_token": token[1]},
                                     headers={"Cookie": f"ec112_login_csrf={token[1]}"})
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ec112_session="))
        assert "secure" in {a.strip().lower() for a in cookie.split(";")}


async def test_unsafe_requests_need_the_csrf_token(stack: WebStack, login: Login) -> None:
    client, _response, csrf = await login("spv")
    no_token = await client.post("/api/agents/taker01/login")
    assert no_token.status_code == 403
    assert no_token.json()["code"] == "csrf_failed"
    assert stack.telephony.members == set()
    wrong = await client.post("/api/agents/taker01/login", headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    ok = await client.post("/api/agents/taker01/login", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert stack.telephony.members == {"PJSIP/taker01"}

    assert (await client.post("/logout", data={})).status_code == 403  # a form without its token
    multipart_wrong = await client.post("/logout", data={"csrf_token": "nope"}, files={"f": ("a.txt", b"x")})
    assert multipart_wrong.status_code == 403
    multipart = await client.post("/account/language", data={"csrf_token": csrf, "lang": "id"},
                                  files={"f": ("a.txt", b"x")})
    assert multipart.status_code == 303  # the token read from a multipart form, the body still there
    assert (await client.get("/")).status_code == 200
    out = await client.post("/logout", data={"csrf_token": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert (await client.get("/")).status_code == 303
    replayed = await client.get("/api/agents", headers={"Cookie": "ec112_session=made-up"})
    assert replayed.status_code == 401


async def test_the_login_form_has_its_own_csrf_check(anon: httpx.AsyncClient) -> None:
    forged = await anon.post("/login", data={"username": "admin", "password": PASSWORDS["admin"],
                                             "csrf_token": "forged"})
    assert forged.status_code == 403
    assert "ec112_session" not in forged.cookies


async def test_a_second_login_page_does_not_spoil_the_first(anon: httpx.AsyncClient) -> None:
    """A browser that asks for /favicon.ico (redirected to /login) or opens a second tab keeps its form valid."""
    first = await anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.text)
    assert token is not None
    assert (await anon.get("/favicon.ico", follow_redirects=True)).status_code == 200  # the login page again
    response = await anon.post("/login", data={"username": "admin", "password": PASSWORDS["admin"],
                                               "csrf_token": token[1]})
    assert response.status_code == 303


async def test_next_only_goes_to_this_site(stack: WebStack, login: Login) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        _client, response, _csrf = await login("admin", next_url=target)
        assert response.headers["location"] == "/", target


async def test_call_taker_acts_on_her_own_endpoint_only(stack: WebStack, login: Login) -> None:
    client, _response, csrf = await login("taker01")
    headers = {"X-CSRF-Token": csrf}
    own = await client.post("/api/agents/taker01/pause", json={"reason": "sholat"}, headers=headers)
    assert own.status_code == 204
    other = await client.post("/api/agents/taker02/pause", json={"reason": "sholat"}, headers=headers)
    assert other.status_code == 403
    assert other.json()["code"] == "forbidden"
    assert stack.telephony.paused == {"PJSIP/taker01": "sholat"}  # taker02 was not paused
    assert (await client.post("/api/agents/taker02/logout", headers=headers)).status_code == 403
    for admin_only in ("/api/users", "/api/audit", "/metrics"):
        assert (await client.get(admin_only)).status_code == 403, admin_only
    assert (await client.get("/api/tickets")).status_code == 200

    supervisor, _response, csrf = await login("spv")
    unpause = await supervisor.post("/api/agents/taker01/unpause", headers={"X-CSRF-Token": csrf})
    assert unpause.status_code == 204
    assert stack.telephony.paused == {}
    audit = (await supervisor.get("/api/audit")).json()
    assert (await supervisor.get("/metrics")).status_code == 200
    assert (await supervisor.get("/api/users")).status_code == 403  # accounts: admins only
    seen = [(e["actor"], e["action"], e["target"]) for e in reversed(audit)]
    assert ("taker01", "agent.pause", "taker01") in seen
    assert ("taker01", "agent.pause.denied", "taker02") in seen
    assert ("spv", "agent.unpause", "taker01") in seen
    assert ("taker01", "login.success", "taker01") in seen


async def test_agency_roles_see_kpis_but_not_the_room(stack: WebStack, login: Login) -> None:
    for name in ("officer", "responder"):
        client, _response, _csrf = await login(name)
        assert (await client.get("/api/kpis")).status_code == 200
        for path in ("/api/tickets", "/api/agents", "/api/calls", "/api/events"):
            assert (await client.get(path)).status_code == 403, (name, path)


async def test_repeated_wrong_passwords_are_refused_with_429(stack: WebStack, login: Login) -> None:
    for _ in range(3):
        _c, response, _csrf = await login("taker02", "salah-salah-salah")
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in response.text
    _client, response, _csrf = await login("taker02")  # now even the right password waits
    assert response.status_code == 429
    assert 290 <= int(response.headers["retry-after"]) <= 300
    assert "Coba lagi dalam 5 menit" in response.text
    assert "ec112_session" not in response.cookies


async def test_a_disabled_users_session_and_event_stream_stop(stack: WebStack, login: Login) -> None:
    client, _response, _csrf = await login("taker02")
    assert (await client.get("/api/agents")).status_code == 200
    async with client.stream("GET", "/api/events") as events:
        assert events.status_code == 200
        lines = events.aiter_lines()
        assert (await anext(lines)).startswith("id:")
        await stack.users.set_disabled("cli", "taker02", True)  # `ec112 user disable taker02`

        async def drain() -> None:
            async for _line in lines:
                pass

        await asyncio.wait_for(drain(), 5)  # the server ended the stream
    assert (await client.get("/api/agents")).status_code == 401
    assert (await client.get("/")).status_code == 303


async def test_bearer_tokens_need_no_csrf(stack: WebStack, anon: httpx.AsyncClient) -> None:
    token = await stack.users.issue_token("cli", "spv", "wallboard-tv")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await anon.post("/api/agents/taker02/login", headers=headers)).status_code == 200
    cli = {"Authorization": f"Bearer {CLI_TOKEN}"}
    assert (await anon.post("/api/agents/taker02/logout", headers=cli)).status_code == 200
    assert (await anon.get("/api/users", headers=cli)).status_code == 200
    actors = [(e.actor, e.action) for e in await stack.audit.recent(5)]
    assert ("cli", "agent.logout") in actors
    assert ("spv", "agent.login") in actors
    docs = await anon.get("/openapi.json", headers=headers)
    assert docs.status_code == 200
    assert "/api/agents/{endpoint}/pause" in docs.json()["paths"]


async def test_language_is_per_user(stack: WebStack, login: Login) -> None:
    client, _response, csrf = await login("taker01")
    switched = await client.post("/account/language", data={"lang": "en", "next": "/", "csrf_token": csrf})
    assert switched.status_code == 303
    client.cookies.delete("lang")
    client.cookies.set("lang", "id")
    home = await client.get("/")  # the user's choice wins over the cookie
    assert "Welcome, Taker01 Lab" in home.text
    assert '<html lang="en">' in home.text
    again, _response, _csrf = await login("taker01")
    assert "Log out" in (await again.get("/")).text

