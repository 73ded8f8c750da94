"""The panel's security as a browser meets it, over the real `ec112 serve`: no session → the login page (and
back to the page asked for), a form without its CSRF token → 403, and each role kept to its pages — a call
taker gets a proper 403 page for the wallboard (not a crash, not a JSON dump) and no admin API."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e

def _fetch(page: Page, method: str, path: str, body: str | None = None,
           headers: dict[str, str] | None = None) -> int:
    """The status a script on the page gets (the page's own cookies; Playwright's request API would bypass
    the browser)."""
    status: int = page.evaluate(
        "([method, path, body, headers]) => fetch(path, {method, body, headers}).then(r => r.status)",
        [method, path, body, headers or {}])
    return status


PASSWORDS = {"spv02": "spv02-sandi-aman", "rina": "rina-sandi-taker", "damkar": "damkar-sandi-01"}


def test_sessions_csrf_and_roles_over_the_real_daemon(
    ec112: Ec112Daemon, new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv02", "supervisor", PASSWORDS["spv02"])
    add_user(ec112, "rina", "call_taker", PASSWORDS["rina"], endpoint="taker02", name="Rina")
    add_user(ec112, "damkar", "agency_officer", PASSWORDS["damkar"])
    base = ec112.base_url

    # No session: every page sends the browser to the login form, and back to that page after it.
    anon = new_context().new_page()
    for path in ("/wallboard", "/tickets", "/tickets/112-261128-00001", "/wallboard/panel/agents"):
        anon.goto(base + path)
        expect(anon).to_have_url(f"{base}/login?next={quote(path, safe='')}")
        expect(anon.locator("#username")).to_be_visible()
    anon.goto(f"{base}/login")
    assert _fetch(anon, "GET", "/api/tickets") == 401
    browser_login(anon, base, "spv02", PASSWORDS["spv02"], "/wallboard")
    expect(anon.locator("h1")).to_have_text("Wallboard")
    expect(anon.locator("#wallboard")).to_have_attribute("data-connection", "live")

    # A form posted without its CSRF token is refused, and nothing changes.
    anon.evaluate("document.querySelector('form[action=\"/account/language\"] input[name=csrf_token]').remove()")
    with anon.expect_response(lambda r: r.url == f"{base}/account/language") as refused:
        anon.locator("form[action='/account/language'] button[type=submit]").click()
    assert refused.value.status == 403
    assert refused.value.json()["code"] == "csrf_failed"
    anon.goto(f"{base}/wallboard")
    expect(anon.locator("html")).to_have_attribute("lang", "id")  # still Indonesian: the change was refused
    assert _fetch(anon, "POST", "/logout") == 403  # a script without the token
    anon.goto(f"{base}/tickets")
    expect(anon).to_have_url(f"{base}/tickets")  # still logged in
    assert _fetch(anon, "GET", "/api/users") == 403  # supervisors do not manage accounts

    # A call taker: tickets yes; the wallboard, its panels and the admin API no — with a real 403 page.
    taker = new_context()
    page = taker.new_page()
    browser_login(page, base, "rina", PASSWORDS["rina"])
    response = page.goto(f"{base}/wallboard")
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Akses ditolak")
    expect(page.locator("main")).to_contain_text("Petugas penerima panggilan")  # her role, in her language
    expect(page.get_by_role("navigation", name="Menu utama")).to_be_visible()  # the panel around it: a way on
    screenshot(page, "wallboard-refused-to-a-call-taker")
    assert _fetch(page, "GET", "/wallboard/panel/kpis") == 403
    assert _fetch(page, "GET", "/api/users") == 403
    assert _fetch(page, "GET", "/api/audit") == 403
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert csrf
    other_phone = _fetch(page, "POST", "/api/agents/taker01/pause", '{"reason": "sholat"}',
                         {"X-CSRF-Token": csrf, "Content-Type": "application/json"})
    assert other_phone == 403  # with her valid token, but another taker's phone
    tickets = page.goto(f"{base}/tickets")
    assert tickets is not None
    assert tickets.status == 200
    expect(page.locator("h1")).to_have_text("Tiket")
    page_errors = [p for p in taker.problems if "pageerror" in p]
    assert page_errors == []

    # An agency officer sees neither the tickets (personal data) nor the wallboard.
    officer = new_context().new_page()
    browser_login(officer, base, "damkar", PASSWORDS["damkar"])
    for path in ("/tickets", "/wallboard"):
        refused_page = officer.goto(base + path)
        assert refused_page is not None
        assert refused_page.status == 403, path
        expect(officer.locator("h1")).to_have_text("Akses ditolak")
        expect(officer.locator("main")).to_contain_text(re.compile("Petugas instansi"))
