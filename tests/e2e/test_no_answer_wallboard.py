"""Issue 10 on the supervisor's wallboard, in a real headless Chromium against the real stack (Asterisk + SIPp).

A desk whose softphone died shows "phone unreachable since …" live; a desk that lets a real 112 call ring out
is paused "tidak menjawab" by ec112 and raises an alarm; the supervisor resumes it with one click.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.sse import agent_of
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e

SPV_PASSWORD = "spv-sandi-no-answer"
LIVE_MS = 20_000


def test_supervisor_sees_dead_and_unattended_desks_and_resumes_one_in_one_click(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
    citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv01", "supervisor", SPV_PASSWORD, name="Supervisor Shift")
    taker("taker01", ring_ms=200, talk_ms=1000)
    dead = taker("taker02", ring_ms=200, talk_ms=1000)
    unattended = taker("taker03", unattended=True)
    for endpoint in ("taker01", "taker02", "taker03"):
        ec112.cli("agent", "login", endpoint)

    page = new_context(viewport={"width": 1920, "height": 1080}).new_page()
    browser_login(page, ec112.base_url, "spv01", SPV_PASSWORD, "/wallboard")
    expect(page.locator("#wallboard")).to_have_attribute("data-connection", "live", timeout=LIVE_MS)
    page.evaluate("window.ec112NotReloaded = true")

    dead.kill()
    dead_row = page.locator('#wb-agent-table tr[data-endpoint="taker02"]')
    expect(dead_row.locator("[data-state]")).to_have_attribute("data-state", "unreachable", timeout=LIVE_MS)
    expect(dead_row).to_contain_text("Telepon tidak terjangkau")
    expect(dead_row.locator(".wb-unreachable-since")).to_have_text(re.compile(r"^sejak \d\d:\d\d:\d\d$"))

    # Real callers until rrmemory has offered one to the unattended desk (the first or the second call).
    for n in (1, 2):
        ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "available", timeout=20)
        call = citizen_call(caller_number=f"+628135555100{n}", name=f"c{n}")
        assert call.wait(timeout=40) == 0, call.diagnostics()
        if unattended.invites():
            break
    assert len(unattended.invites()) == 1
    alarm = page.locator('#wb-taker-alarms li[data-endpoint="taker03"]')
    expect(alarm).to_contain_text("tidak menjawab panggilan 112: dijeda (tidak menjawab)", timeout=LIVE_MS)
    row = page.locator('#wb-agent-table tr[data-endpoint="taker03"]')
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "paused")
    expect(row).to_contain_text("(tidak menjawab)")
    screenshot(page, "wallboard-no-answer-alarm-1920x1080")

    alarm.get_by_role("button", name="Lanjutkan").click()
    expect(alarm).to_have_count(0, timeout=LIVE_MS)
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    assert agent_of(ec112.get("/api/agents"), "taker03")["state"] == "available"
    audit = ec112.cli_json("audit", "list", "--json", "--limit", "50")
    assert any(e["actor"] == "spv01" and e["action"] == "agent.unpause" and e["target"] == "taker03" for e in audit)
    assert page.evaluate("window.ec112NotReloaded === true"), "the board reloaded instead of following live"
