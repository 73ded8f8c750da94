"""Callbacks on screen: a real headless Chromium against the real `ec112 serve`, Asterisk and a SIPp citizen who
hangs up in the queue. The call taker's console offers the task with a countdown that ticks every second; when the
deadline passes, the supervisor's wallboard shows it escalated (red), live, without a reload."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from harness import CitizenCall
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page, expect

from .browser import GuardedContext
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e
DEADLINE = 8
_CLOCK = re.compile(r"^(\d+):(\d\d)$")


def _seconds(text: str) -> int:
    match = _CLOCK.match(text.strip())
    assert match is not None, text
    return int(match[1]) * 60 + int(match[2])


@pytest.mark.ec112_env({"EC112_CALLBACKS__DEADLINE_SECONDS": str(DEADLINE)})
def test_the_console_counts_down_and_the_wallboard_shows_the_escalation(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], browser_context: GuardedContext, page: Page,
    new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "sari", "call_taker", endpoint="taker01")
    add_user(ec112, "dewi", "supervisor", endpoint="spv01")
    log_in(page, ec112, "sari")
    supervisor = new_context()  # her own browser: her own session
    board = supervisor.new_page()
    log_in(board, ec112, "dewi", target="/wallboard")

    call = citizen_call(caller_number="+6281355501234", hang_up_after_ms=1500)
    assert call.wait(timeout=30) == 0, call.diagnostics()

    task = page.locator("#cb-console .cb-task")
    expect(task).to_have_count(1, timeout=10_000)  # offered live (sse: callback), no reload
    expect(task).to_contain_text("+6281355501234")
    expect(task.get_by_role("button", name="Telepon balik")).to_be_visible()
    timer = task.locator(".cb-timer")
    expect(timer).to_have_text(_CLOCK, timeout=3_000)
    first = _seconds(timer.inner_text())
    assert 0 < first <= DEADLINE
    time.sleep(2.2)
    second = _seconds(timer.inner_text())
    assert 1 <= first - second <= 3  # it ticks in the browser (once a second: a reading may be up to 1 s old)

    escalated = board.locator("#cb-wallboard .cb-task.cb-escalated")
    expect(escalated).to_have_count(1, timeout=(DEADLINE + 4) * 1000)
    expect(escalated).to_contain_text("Dieskalasi ke supervisor")
    expect(escalated.locator(".cb-timer")).to_have_class(re.compile(r"cb-overdue"))
    assert board.locator("#cb-wallboard button").count() == 0  # the wallboard only shows
    assert browser_context.problems == []
    assert supervisor.problems == []
