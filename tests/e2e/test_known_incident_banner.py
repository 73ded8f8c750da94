"""Mass-incident mode in a real headless Chromium, against the real `ec112 serve`, Asterisk and SIPp phones.

The supervisor posts a known incident on her page (Indonesian first); the call taker's open console shows the
banner "Kejadian diketahui: …" live, without a reload. A call comes in while she is free (so the caller heard
nothing: the first ring wins) and is counted; she links its ticket to the incident with the banner's one button.
The wallboard shows the banner with the count; ending the incident takes the banner off the console live.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e
FIRE = "Kebakaran di Pasar Penajam sudah ditangani Damkar"
LIVE_MS = 20_000


def test_the_banner_follows_the_incident_live_and_links_the_ticket_in_one_click(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv01", "supervisor")
    add_user(ec112, "siti", "call_taker", endpoint="taker01")
    taker("taker01", ring_ms=300, talk_ms=60_000, max_calls=1)

    console = new_context().new_page()
    log_in(console, ec112, "siti")
    console.get_by_role("button", name="Masuk antrean").click()
    expect(console.locator("#my-state-label")).to_have_text("Tersedia")
    expect(console.locator("#ki-slot")).to_be_empty()

    supervisor = new_context().new_page()
    log_in(supervisor, ec112, "spv01", "/incidents")
    expect(supervisor.locator("h1")).to_have_text("Kejadian diketahui")
    supervisor.fill("#ki-text-id", FIRE)
    supervisor.fill("#ki-text-en", "The fire at Pasar Penajam is handled by the fire brigade")
    supervisor.select_option("#ki-area", label="Kecamatan Penajam")
    supervisor.fill("#ki-minutes", "30")
    supervisor.get_by_role("button", name="Umumkan", exact=True).click()
    expect(supervisor.locator("#ki-active li")).to_have_count(1)
    expect(supervisor.locator("#ki-active")).to_contain_text("Kecamatan Penajam")

    banner = console.locator("#ki-slot .ki-banner")
    expect(banner).to_contain_text(f"Kejadian diketahui: {FIRE}", timeout=LIVE_MS)  # live, no reload
    expect(banner).to_contain_text("Kecamatan Penajam")

    citizen_call(caller_number="+6281234500413", name="during", wait_for_bye_ms=90_000)
    card = console.locator(".cs-ticket-card:visible")
    expect(card).to_have_count(1, timeout=30_000)
    number = card.get_attribute("data-number") or ""
    banner.get_by_role("button", name="Tautkan tiket ini ke kejadian").click()
    expect(banner.locator(".ki-result")).to_have_text(f"Tiket {number} ditautkan ke kejadian.")
    ticket = ec112.get(f"/api/tickets/{number}")
    assert (ticket["classification"], ticket["status"]) == ("informasi", "closed")
    screenshot(console, "console-known-incident-banner")

    supervisor.goto(f"{ec112.base_url}/wallboard")
    wall = supervisor.locator("#ki-slot .ki-banner")
    expect(wall).to_contain_text(FIRE, timeout=LIVE_MS)
    expect(wall).to_contain_text("panggilan: 1, mendengarnya: 0")  # she was free: the caller heard nothing
    (incident,) = ec112.get("/api/incidents")["active"]
    ended = httpx.post(f"{ec112.base_url}/api/incidents/{incident['id']}/end", headers=ec112.auth_headers(),
                       timeout=10)
    assert ended.status_code == 200
    expect(console.locator("#ki-slot .ki-banner")).to_have_count(0, timeout=LIVE_MS)  # gone live
    expect(wall).to_have_count(0, timeout=LIVE_MS)
