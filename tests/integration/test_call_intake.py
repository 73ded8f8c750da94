"""A citizen's 112 call end to end: real Asterisk, real SIPp phones, the real `ec112 serve`, SQLite.

Everything is asserted through what users see: the JSON API and the `ec112` CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from harness import CitizenCall, PidfCircle, PidfPoint, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ended(count: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda tickets: len(tickets) >= count and all(t["ended_at"] for t in tickets[:count])


def test_call_with_point_location_is_ticketed_queued_and_answered(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    phone = taker("taker01", ring_ms=300, talk_ms=1500, max_calls=1)
    login = ec112.cli_json("agent", "login", "taker01")
    assert login == {"endpoint": "taker01", "queue": "112", "changed": True}

    call = citizen_call(caller_number="081234567890", caller_name="Budi Santoso",
                        location=PidfPoint(-6.914744, 107.60981, method="GPS"))
    assert call.wait(timeout=30) == 0, call.diagnostics()
    assert len(phone.invites()) == 1

    [ticket] = ec112.wait_for_tickets(_ended(1))
    assert ticket["caller_number"] == "+6281234567890"
    assert ticket["caller_number_raw"] == "081234567890"
    assert ticket["caller_name"] == "Budi Santoso"
    assert ticket["status"] == "new"
    assert ticket["outcome"] == "answered"
    assert ticket["answered_by"] == "taker01"
    assert ticket["intake"] == "agi"
    assert ticket["linkedid"].startswith(ec112.lab.system_name)
    assert ticket["location"]["lat"] == pytest.approx(-6.914744)
    assert ticket["location"]["lon"] == pytest.approx(107.60981)
    assert ticket["location"]["radius_m"] is None
    assert ticket["location"]["source"] == "pidf-lo"
    assert ticket["location"]["method"] == "GPS"
    assert ticket["answered_at"] is not None
    # waited through Answer() (0.5 s without caller RTP) and the 0.3 s ring, then talked 1.5 s
    assert 0.3 < ticket["wait_seconds"] < 5.0
    assert _ts(ticket["created_at"]) <= _ts(ticket["answered_at"]) < _ts(ticket["ended_at"])

    # the CLI shows the same ticket, by id and by number
    assert ec112.cli_json("tickets", "show", str(ticket["id"])) == ticket
    assert ec112.cli_json("tickets", "show", ticket["number"]) == ticket
    assert ec112.cli_json("tickets", "list") == [ticket]
    table = ec112.cli("tickets", "list").stdout
    assert ticket["number"] in table
    assert "taker01" in table


def test_circle_location_keeps_its_radius(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    taker("taker02", ring_ms=200, talk_ms=500, max_calls=1)
    ec112.cli("agent", "login", "taker02")
    call = citizen_call(caller_number="+6281311112222", caller_name="Siti",
                        location=PidfCircle(-6.2088, 106.8456, 850.0, method="Cell"))
    assert call.wait(timeout=30) == 0, call.diagnostics()
    [ticket] = ec112.wait_for_tickets(_ended(1))
    assert ticket["location"] == {
        "lat": pytest.approx(-6.2088), "lon": pytest.approx(106.8456), "radius_m": 850.0,
        "source": "pidf-lo", "method": "Cell", "observed_at": ticket["location"]["observed_at"],
    }
    assert ticket["answered_by"] == "taker02"


def test_caller_who_hangs_up_while_queued_is_abandoned_with_the_wait_recorded(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall]
) -> None:
    # nobody is logged in: the call waits in the queue until the citizen gives up after 2.5 s
    call = citizen_call(caller_number="+6285700001111", hang_up_after_ms=2500)
    assert call.wait(timeout=30) == 0, call.diagnostics()
    [ticket] = ec112.wait_for_tickets(_ended(1))
    assert ticket["outcome"] == "abandoned"
    assert ticket["answered_by"] is None
    assert ticket["answered_at"] is None
    assert ticket["location"] is None
    # The citizen hangs up 2.5 s after Asterisk answered; the ticket's arrival is stamped by the intake after that
    # answer (MixMonitor, the AGI connection, the insert: up to ~0.5 s on a loaded 2-core machine with PostgreSQL,
    # where 1.9998 s was measured), so the recorded wait is most of those 2.5 s.
    assert 1.5 < ticket["wait_seconds"] < 5.0


def test_two_concurrent_calls_one_taker_are_answered_one_after_the_other(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    taker("taker01", ring_ms=200, talk_ms=2000, max_calls=2)
    ec112.cli("agent", "login", "taker01")
    first = citizen_call(caller_number="+6281200000001", name="first")
    second = citizen_call(caller_number="+6281200000002", name="second")
    assert first.wait(timeout=40) == 0, first.diagnostics()
    assert second.wait(timeout=40) == 0, second.diagnostics()

    tickets = ec112.wait_for_tickets(_ended(2), timeout=20)
    assert len(tickets) == 2
    assert {t["outcome"] for t in tickets} == {"answered"}
    assert {t["answered_by"] for t in tickets} == {"taker01"}
    earlier, later = sorted(tickets, key=lambda t: t["answered_at"])
    # ringinuse=no: the second caller is offered only once the taker is free again (after 2 s of talk)
    assert _ts(later["answered_at"]) >= _ts(earlier["ended_at"])
    assert later["wait_seconds"] > earlier["wait_seconds"] + 1.5


def test_logout_takes_the_taker_out_of_the_queue(ec112: Ec112Daemon, asterisk: Any) -> None:
    assert ec112.cli_json("agent", "login", "taker03")["changed"] is True
    assert ec112.cli_json("agent", "login", "taker03")["changed"] is False  # twice is not an error
    assert "PJSIP/taker03" in asterisk.rx("queue show 112")
    assert ec112.cli_json("agent", "logout", "taker03")["changed"] is True
    assert "PJSIP/taker03" not in asterisk.rx("queue show 112")
    bad = ec112.cli("agent", "login", "taker 03; drop", check=False)
    assert bad.returncode != 0


def test_kpis_follow_a_scripted_set_of_calls(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    # one answered call (ring 0.3 s), then one abandoned while nobody is logged in
    taker("taker01", ring_ms=300, talk_ms=300, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    assert citizen_call(caller_number="+6281000000001", name="a").wait(timeout=30) == 0
    ec112.wait_for_tickets(_ended(1))
    ec112.cli("agent", "logout", "taker01")
    assert citizen_call(caller_number="+6281000000002", hang_up_after_ms=1500, name="b").wait(timeout=30) == 0
    tickets = ec112.wait_for_tickets(_ended(2))
    answered = next(t for t in tickets if t["outcome"] == "answered")

    periods = {p["period"]: p for p in ec112.get("/api/kpis")}
    assert set(periods) == {"today", "shift"}
    for p in periods.values():
        assert (p["offered"], p["answered"], p["abandoned"], p["in_progress"]) == (2, 1, 1, 0)
        assert p["avg_answer_seconds"] == pytest.approx(answered["wait_seconds"], abs=0.01)
        assert p["pct_answered_within_10s"] == 50.0  # 1 of 2 settled calls
        assert p["abandon_rate_pct"] == 50.0
        assert p["longest_current_wait_seconds"] is None
    assert ec112.cli_json("kpis") == ec112.get("/api/kpis")
    assert "Dijawab" in ec112.cli("kpis").stdout
