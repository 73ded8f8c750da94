"""Call-taker pause with a reason, through the CLI: Asterisk honours it (the paused taker is not rung)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

from conftest import Lab

pytestmark = pytest.mark.integration


def test_paused_taker_is_not_rung_and_unpause_restores(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    on_break = taker("taker01", ring_ms=200, talk_ms=500)
    on_duty = taker("taker02", ring_ms=200, talk_ms=500)
    for endpoint in ("taker01", "taker02"):
        ec112.cli("agent", "login", endpoint)
    ec112.cli("agent", "pause", "taker01", "--reason", "sholat")
    shown = asterisk.rx("queue show 112")
    taker01_line = next(line for line in shown.splitlines() if "PJSIP/taker01" in line)
    assert "paused:sholat" in taker01_line.replace(" ", "").lower()

    for n in range(2):  # rrmemory would alternate: both calls must still go to taker02
        call = citizen_call(caller_number=f"+628130000000{n}", name=f"c{n}")
        assert call.wait(timeout=30) == 0, call.diagnostics()
    assert on_break.invites() == []
    assert len(on_duty.invites()) == 2
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["ended_at"] for t in ts))
    assert {t["answered_by"] for t in tickets} == {"taker02"}

    ec112.cli("agent", "unpause", "taker01")
    ec112.cli("agent", "logout", "taker02")
    call = citizen_call(caller_number="+6281300000009", name="after")
    assert call.wait(timeout=30) == 0, call.diagnostics()
    assert len(on_break.invites()) == 1


def test_unknown_pause_reason_is_refused_with_the_allowed_list(ec112: Ec112Daemon) -> None:
    ec112.cli("agent", "login", "taker05")
    result = ec112.cli("agent", "pause", "taker05", "--reason", "tidur", check=False)
    assert result.returncode == 5
    assert "sholat" in result.stderr
    assert "tidur" in result.stderr
    not_member = ec112.cli("agent", "pause", "taker06", "--reason", "sholat", check=False)
    assert not_member.returncode == 4  # not in the queue: not found
