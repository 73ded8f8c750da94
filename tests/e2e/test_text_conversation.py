"""Text to 112 in a real headless Chromium against the real `ec112 serve`, Asterisk and a pjsua2 citizen.

A deaf citizen texts 112: the call taker's console lists the conversation by itself (live stream); its ticket
card opens in the console like a call's and links to the conversation page, where she reads the message and
answers (the byte counter counts UTF-8); the answer reaches the citizen's phone, and the citizen's next message
appears in the open conversation without a reload. An answer over 1 KB is refused in the page before anything
is sent. Screenshots: artifacts/e2e/text-console.png, text-conversation.png.
"""

from __future__ import annotations

import time

import pytest
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone
from playwright.sync_api import Page, expect

from .browser import screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e


def test_a_call_taker_answers_a_text_to_112_from_the_console(asterisk: Lab, ec112: Ec112Daemon, page: Page) -> None:
    add_user(ec112, "siti", "call_taker", endpoint="taker01")
    log_in(page, ec112, "siti")
    panel = page.locator("#text-conversations")
    expect(panel).to_contain_text("Tidak ada percakapan teks yang terbuka.")

    citizen = Softphone.citizen(asterisk, number="081277700123")
    assert citizen.send_message("112", "Tolong, saya tuli. Ada orang pingsan di Pasar Penajam") == 202
    link = panel.locator(".cs-text-card a")
    expect(link).to_have_count(1, timeout=10_000)  # the live stream's "text" event, no reload
    expect(panel).to_contain_text("belum dibalas")
    # Its ticket card opens in the console like a call's (classification, dispatch).
    number = link.inner_text()
    panel.get_by_role("button", name="Kartu tiket").click()
    card = page.locator(f'.cs-ticket-card[data-number="{number}"]')
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Pesan teks ke 112: buka percakapan")).to_have_attribute(
        "href", f"/texts/{number}")
    screenshot(page, "text-console")

    page.goto(f"{ec112.base_url}{link.get_attribute('href')}")
    messages = page.locator("#text-messages .text-message")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text("Ada orang pingsan di Pasar Penajam")

    field = page.locator("#text-reply-body")
    field.fill("é" * 513)
    expect(page.locator("#text-reply-bytes")).to_have_text("1026")
    page.get_by_role("button", name="Kirim").click()
    expect(page.locator("#text-problem")).to_contain_text("1026")

    field.fill("Ambulans sedang menuju. Tetap di tempat.")
    page.get_by_role("button", name="Kirim").click()
    expect(messages).to_have_count(2)
    expect(messages.nth(1)).to_have_attribute("data-status", "sent")
    deadline = time.monotonic() + 10
    while "Ambulans sedang menuju. Tetap di tempat." not in [m["body"] for m in citizen.messages()]:
        assert time.monotonic() < deadline, citizen.messages()
        time.sleep(0.1)

    assert citizen.send_message("112", "Terima kasih") == 202
    expect(messages).to_have_count(3)  # live, in the open conversation
    expect(messages.nth(2)).to_contain_text("Terima kasih")
    screenshot(page, "text-conversation")
