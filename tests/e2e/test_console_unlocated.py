"""A location the console could not place, in a real headless Chromium against the real `ec112 serve`, Asterisk
and SIPp: a 112 call whose PIDF-LO is by reference to a server that refuses the connection. The call taker sees
that a location was sent and why it could not be fetched (the reference kept on the ticket), and still places
the caller herself. (Uses the intake part's harness: ByReference.)
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator

import pytest
from harness import ByReference, CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .test_console_location import join_queue_and_take, locations, popped_card

pytestmark = pytest.mark.e2e


@pytest.fixture
def closed_port() -> Iterator[str]:
    """A URI whose port nothing listens on (bound, so nobody else takes it): the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/loc/refused"


def test_a_reference_that_cannot_be_fetched_is_shown_with_its_reason(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    browser_context: GuardedContext, page: Page, closed_port: str,
) -> None:
    taker("taker01", ring_ms=300, talk_ms=30_000, max_calls=1)
    join_queue_and_take(page, ec112, "dewi")
    call = citizen_call(caller_number="+6281234500512", location=ByReference(closed_port), name="by-reference")
    number, card = popped_card(page)
    section = card.locator('[data-role="location"]')
    unlocated = section.locator(".cs-loc-unlocated")
    expect(unlocated).to_have_text(
        f"Lokasi lewat referensi tidak dapat diambil (server tidak dapat dihubungi): {closed_port}", timeout=15_000)
    expect(section.locator(".cs-no-location")).to_be_visible()  # nothing placed: she asks the caller
    seen = locations(ec112, number)
    assert [(u["kind"], u["text"], u["status"]) for u in seen["unlocated"]] == [("reference", closed_port, "failed")]

    # She places the caller by name: the failed reference stays listed.
    search = section.get_by_role("combobox", name="Cari tempat (desa, kecamatan, tempat terkenal)")
    search.press_sequentially("babulu", delay=40)
    expect(section.get_by_role("option").first).to_contain_text("Babulu")
    search.press("ArrowDown")
    search.press("Enter")
    expect(section.locator(".cs-loc-area")).to_contain_text(re.compile(r"Kecamatan Babulu"))
    expect(unlocated).to_contain_text(closed_port)
    screenshot(page, "console-location-unlocated")
    call.stop()
    assert browser_context.blocked == []
