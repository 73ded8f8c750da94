"""The ticket pages in a real headless Chromium, for tickets made by real 112 calls through Asterisk: the list
(search, status, date range, paging) and one ticket's full timeline — arrival, location, queue, answer, end,
classification — with who did each step and when, in the centre's zone (WITA, the shipped default), in
Indonesian and English."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from harness import CitizenCall, PidfCircle, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, api_session, browser_login

pytestmark = pytest.mark.e2e

WITA = ZoneInfo("Asia/Makassar")  # the shipped [callcenter] timezone
PASSWORDS = {"spv03": "spv03-sandi-tiket", "siti": "siti-sandi-tiket", "maria": "maria-password-en"}
ANSWERED_CALLER = "+6281377770001"
ABANDONED_CALLER = "+6281377770002"


def _rows(page: Page) -> list[str]:
    rows: list[str] = page.locator("#tickets-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
    return rows


def _local(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(WITA)


def test_ticket_list_and_timeline_of_real_calls(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv03", "supervisor", PASSWORDS["spv03"])
    add_user(ec112, "siti", "call_taker", PASSWORDS["siti"], endpoint="taker01", name="Siti")
    add_user(ec112, "maria", "supervisor", PASSWORDS["maria"], lang="en")

    # Two real calls: one answered by taker01 (with a PIDF-LO location), one abandoned in the queue.
    taker("taker01", ring_ms=300, talk_ms=1500, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    answered_call = citizen_call(caller_number=ANSWERED_CALLER, caller_name="Budi",
                                 location=PidfCircle(-6.2088, 106.8456, 150.0, method="Cell"))
    assert answered_call.wait(timeout=40) == 0, answered_call.diagnostics()
    ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)
    ec112.cli("agent", "pause", "taker01", "--reason", "briefing")
    abandoned_call = citizen_call(caller_number=ABANDONED_CALLER, hang_up_after_ms=2500, name="abandons")
    assert abandoned_call.wait(timeout=40) == 0, abandoned_call.diagnostics()
    first, second = ec112.wait_for_tickets(lambda t: len(t) == 2 and all(x["ended_at"] for x in t))
    assert (first["outcome"], second["outcome"]) == ("answered", "abandoned")

    # Siti classifies both from her session.
    client, headers = api_session(ec112.base_url, "siti", PASSWORDS["siti"])
    for ref, body in ((first["number"], {"classification": "darurat", "category": "kebakaran",
                                          "address": "Jl. Gatot Subroto 5", "description": "Asap dari gudang"}),
                      (second["number"], {"classification": "ghost"})):
        done = client.post(f"/api/tickets/{ref}/classification", json=body, headers=headers)
        assert done.status_code == 200, done.text
    client.close()
    classified = ec112.get(f"/api/tickets/{first['number']}")

    context = new_context()
    page = context.new_page()
    base = ec112.base_url
    browser_login(page, base, "spv03", PASSWORDS["spv03"], "/tickets")
    expect(page.locator("#tickets-count")).to_have_text("Menampilkan 1–2 dari 2")
    assert _rows(page) == [second["number"], first["number"]]  # newest first
    expect(page.locator(f'tr[data-ticket="{first["number"]}"]')).to_contain_text("Darurat · Kebakaran")
    expect(page.locator(f'tr[data-ticket="{second["number"]}"]')).to_contain_text(
        "Penelepon menutup telepon saat antre")

    # Search by part of the caller's number, through the form.
    page.locator("#q").fill("7777 0001")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator("#tickets-count")).to_have_text("Menampilkan 1–1 dari 1")
    assert _rows(page) == [first["number"]]
    expect(page.locator("#q")).to_have_value("7777 0001")  # the form keeps what was asked

    page.get_by_role("link", name="Hapus filter").click()
    page.locator("#status").select_option("closed")
    page.get_by_role("button", name="Cari").click()
    assert _rows(page) == [second["number"]]

    day = _local(first["created_at"]).date()
    page.goto(f"{base}/tickets?from={day}&to={day}")
    assert _rows(page) == [second["number"], first["number"]]
    page.goto(f"{base}/tickets?from={day + timedelta(days=1)}")
    expect(page.locator("#tickets-count")).to_have_text("Tidak ada tiket yang cocok.")

    # Paging, one ticket a page.
    page.goto(f"{base}/tickets?limit=1")
    expect(page.locator("#tickets-count")).to_have_text("Menampilkan 1–1 dari 2")
    page.get_by_role("link", name="Lebih lama").click()
    expect(page.locator("#tickets-count")).to_have_text("Menampilkan 2–2 dari 2")
    assert _rows(page) == [first["number"]]
    expect(page.get_by_role("link", name="Lebih lama")).to_have_count(0)
    screenshot(page, "tickets-list-page-2")
    page.get_by_role("link", name="Lebih baru").click()
    assert _rows(page) == [second["number"]]

    # The answered call's ticket: the whole timeline, who and when (WITA).
    page.goto(f"{base}/tickets?q={first['number']}")
    page.get_by_role("link", name=first["number"]).click()
    expect(page).to_have_url(f"{base}/tickets/{first['number']}")
    expect(page.locator("h1")).to_contain_text(f"Tiket {first['number']}")
    kinds = page.locator("#ticket-timeline li").evaluate_all("items => items.map(i => i.dataset.kind)")
    # When the citizen's side hung up first (SIPp and the taker's phone race), the unclassified call was "dropped":
    # a callback task, closed by the classification. Either way the call's own life is complete.
    callback = {k for k in kinds if k.startswith("callback.")}
    assert callback in (set(), {"callback.created", "callback.closed"}), kinds
    # Every 112 call is recorded (issue 14, [recording] start = arrival): started with the call, sealed after its
    # end (long before this page is opened: a whole second call came and went since).
    recording = [k for k in kinds if k.startswith("recording.")]
    assert recording == ["recording.started", "recording.sealed"], kinds
    assert set(kinds) - callback - set(recording) == {"arrived", "located", "queued", "answered", "ended",
                                                      "classified"}, kinds
    life = [k for k in kinds if k != "located" and k not in callback and k not in recording]  # located: stamped
    #                                                                                          by the handset's clock
    assert life == ["arrived", "queued", "answered", "ended", "classified"], kinds
    answered_step = page.locator('#ticket-timeline li[data-kind="answered"]')
    expect(answered_step).to_contain_text("Dijawab petugas")
    expect(answered_step).to_contain_text("oleh taker01")
    expect(answered_step.locator("time")).to_contain_text(_local(first["answered_at"]).strftime("%H.%M.%S"))
    classified_step = page.locator('#ticket-timeline li[data-kind="classified"]')
    expect(classified_step).to_contain_text("Diklasifikasikan")
    expect(classified_step).to_contain_text("oleh siti")
    expect(classified_step).to_contain_text("Darurat · Kebakaran")
    expect(classified_step).to_contain_text("Jl. Gatot Subroto 5")
    expect(classified_step.locator("time")).to_contain_text(_local(classified["classified_at"]).strftime("%H.%M.%S"))
    expect(page.locator('#ticket-timeline li[data-kind="arrived"] time')).to_contain_text(
        _local(first["created_at"]).strftime("%H.%M.%S"))
    expect(page.locator("#ticket-caller")).to_contain_text(ANSWERED_CALLER)
    expect(page.locator("#ticket-location")).to_contain_text("± 150 m")
    expect(page.locator("#ticket-location")).to_contain_text("jaringan (PIDF-LO) · Cell")
    expect(page.locator("#ticket-status")).to_have_text("Terklasifikasi, menunggu diteruskan")
    screenshot(page, "ticket-detail")

    # The same ticket for a supervisor who reads English.
    english = new_context().new_page()
    browser_login(english, base, "maria", PASSWORDS["maria"], f"/tickets/{first['number']}")
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(english.locator('#ticket-timeline li[data-kind="answered"]')).to_contain_text(
        "Answered by a call taker")
    expect(english.locator('#ticket-timeline li[data-kind="classified"]')).to_contain_text("Emergency · Fire")
    expect(english.locator("#ticket-status")).to_have_text("Classified, awaiting dispatch")
    assert re.search(r"\d{1,2}:\d\d:\d\d\s?[AP]M",
                     english.locator('#ticket-timeline li[data-kind="answered"] time').inner_text())
    missing = english.goto(f"{base}/tickets/112-000101-99999")
    assert missing is not None
    assert missing.status == 404
    expect(english.locator("h1")).to_have_text("Not found")
    problems = [p for p in context.problems if "pageerror" in p or "[http 5" in p]
    assert problems == []
