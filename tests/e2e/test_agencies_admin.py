"""The agencies admin page in real headless Chromium against the real `ec112 serve`, Asterisk and SIPp (issue 17).

A supervisor opens Instansi, changes BPBD's acknowledgement time from the centre's default (60 s) to 4 s and saves;
no restart. The next 112 call dispatched to BPBD gets a 4-second deadline: the wallboard's red "overdue" alarm
appears at 4 s, not before 3 s and well before the old 60 s. The change is in the audit log with who and what.
A call taker who opens the page gets the panel's 403. Screenshots: artifacts/e2e/agencies-admin-*.png.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from harness import CitizenCall
from harness.daemon import Ec112Daemon
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .test_dispatch_story import PASSWORD, add_user, api, emergency_ticket, page_errors
from .wallboard_support import browser_login

pytestmark = pytest.mark.e2e
NEW_ACK = 4


@pytest.mark.ec112_not_started
def test_a_supervisor_changes_an_ack_time_and_the_next_dispatch_uses_it(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
    tmp_path: Path,
) -> None:
    ec112.start()  # the shipped agencies: BPBD has the centre's default time (60 s)
    add_user(ec112, "spv01", "supervisor", name="Supervisor Shift")
    add_user(ec112, "siti", "call_taker", endpoint="taker01", name="Siti Petugas")
    base = ec112.base_url

    # The call taker: the admin page is not hers.
    taker_ctx = new_context()
    desk = taker_ctx.new_page()
    browser_login(desk, base, "siti", PASSWORD, "/console")
    answer = desk.goto(f"{base}/admin/agencies/bpbd")
    assert answer is not None
    assert answer.status == 403
    expect(desk.locator("main h1")).to_have_text("Akses ditolak")

    # The supervisor: Instansi → BPBD → acknowledgement time 4 s → Simpan.
    ctx = new_context(viewport={"width": 1600, "height": 1000})
    admin = ctx.new_page()
    browser_login(admin, base, "spv01", PASSWORD, "/admin/agencies")
    row = admin.locator('#ad-agencies tr[data-agency="bpbd"]')
    expect(row.locator(".ad-ack")).to_contain_text("60 s")
    row.get_by_role("link").click()
    admin.wait_for_url(f"{base}/admin/agencies/bpbd")
    admin.get_by_label("Waktu konfirmasi (detik)").fill(str(NEW_ACK))
    admin.locator("#ad-save").click()
    expect(admin.locator("#ad-saved")).to_contain_text("penugasan berikutnya memakainya")
    expect(admin.get_by_label("Waktu konfirmasi (detik)")).to_have_value(str(NEW_ACK))
    screenshot(admin, "agencies-admin-bpbd-saved")
    admin.goto(f"{base}/admin/agencies")
    expect(row.locator(".ad-ack")).to_have_text(f"{NEW_ACK} s")
    entry = next(e for e in api(ec112, "GET", "/api/audit", params={"limit": 20}).json()
                 if e["action"] == "agencies.edit")
    assert (entry["actor"], entry["target"]) == ("spv01", "bpbd")
    assert entry["detail"]["ack_timeout_seconds"] == {"bpbd": [None, NEW_ACK]}

    # The next dispatch to BPBD: a 4-second deadline, and the wallboard's alarm at 4 s.
    board = ctx.new_page()
    board.goto(f"{base}/wallboard")
    expect(board.locator("#wallboard")).to_have_attribute("data-connection", "live")
    number = emergency_ticket(ec112, citizen_call, "+6281211110017")
    sent = api(ec112, "POST", f"/api/tickets/{number}/dispatches", json={"agencies": ["bpbd"]})
    assert sent.status_code == 200, sent.text
    started = time.monotonic()
    made = sent.json()[0]
    given = datetime.fromisoformat(made["ack_deadline"]) - datetime.fromisoformat(made["dispatched_at"])
    assert given.total_seconds() == NEW_ACK
    alarm = board.locator('#wb-dispatch-alarms .wb-alarm[data-agency="bpbd"]')
    board.wait_for_timeout(2500)
    expect(alarm).to_have_count(0)  # not before its 4 s
    expect(alarm).to_be_visible(timeout=8000)
    appeared = time.monotonic() - started
    assert NEW_ACK - 1 <= appeared <= NEW_ACK + 4, f"alarm after {appeared:.1f} s"  # far from the old 60 s
    expect(alarm).to_contain_text(f"belum menerima tiket {number}")
    expect(alarm).to_contain_text("terlambat")
    screenshot(board, "agencies-admin-overdue-alarm")
    assert page_errors(ctx) == []
    assert [p for p in page_errors(taker_ctx) if "status of 403" not in p] == []  # only the refusal we asked for
