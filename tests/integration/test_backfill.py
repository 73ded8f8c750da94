"""Backfill from Asterisk's own records (cdr_custom CSV + queue_log) after ec112 was away.

(a) ec112 not running at all: an answered and an abandoned 112 call come and go; when ec112 starts, both
get tickets (intake "backfill") with Asterisk's times, the caller and who answered; a restart adds nothing.
(b) ec112 stopped in the middle of a call it ticketed live: the end it missed is filled from the records.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

from conftest import Lab

pytestmark = pytest.mark.integration


def cdr_rows(lab: Lab) -> dict[str, dict[str, str]]:
    """Asterisk's CDRs of the citizens' channels by linkedid (columns of asterisk-conf/cdr_custom.conf)."""
    names = ("linkedid", "uniqueid", "start", "answer", "end", "src", "clid", "dst", "dcontext", "channel",
             "dstchannel", "lastapp", "disposition", "sequence", "accountcode")
    rows = {}
    with lab.config.cdr_csv.open(newline="") as f:
        for row in csv.reader(f):
            record = dict(zip(names, row, strict=True))
            if record["uniqueid"] == record["linkedid"]:
                rows[record["linkedid"]] = record
    return rows


def queue_events(lab: Lab) -> dict[tuple[str, str], list[str]]:
    """queue_log lines by (callid, event)."""
    events = {}
    for line in lab.config.queue_log.read_text().splitlines():
        parts = line.split("|")
        events[(parts[1], parts[4])] = parts
    return events


def at(epoch: str) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)


def close(value: str | None, expected: datetime, within: float = 1.0) -> bool:
    return value is not None and abs((datetime.fromisoformat(value) - expected).total_seconds()) <= within


def wait_calls_over(*calls: CitizenCall) -> None:
    for call in calls:
        assert call.wait(timeout=30) == 0, call.diagnostics()


@pytest.mark.ec112_not_started
def test_calls_while_ec112_was_down_are_ticketed_from_asterisks_records(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    queue = asterisk.config.queue
    phone = taker("taker01", ring_ms=200, talk_ms=2000, max_calls=1)
    asterisk.rx(f"queue add member PJSIP/taker01 to {queue}")
    answered = citizen_call(caller_number="+6281311110001", caller_name="Dijawab Petugas")
    assert phone.wait_for_invites(1, timeout=10), "ec112 is down: the fallback must still ring taker01"
    wait_calls_over(answered)
    asterisk.rx(f"queue remove member PJSIP/taker01 from {queue}")  # nobody left to answer the next one
    abandoned = citizen_call(caller_number="081311110002", caller_name="Menyerah", hang_up_after_ms=2500)
    wait_calls_over(abandoned)

    cdrs = cdr_rows(asterisk)
    assert len(cdrs) == 2, f"Asterisk wrote {len(cdrs)} CDRs: {cdrs}"
    qlog = queue_events(asterisk)
    ec112.start()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["ended_at"] for t in ts), timeout=15)
    first, second = tickets
    assert [t["intake"] for t in tickets] == ["backfill", "backfill"]
    by_number = {t["caller_number"]: t for t in tickets}
    assert set(by_number) == {"+6281311110001", "+6281311110002"}
    assert first["caller_number"] == "+6281311110001"  # oldest first

    cdr = cdrs[first["linkedid"]]
    assert (first["caller_name"], first["answered_by"], first["outcome"]) == ("Dijawab Petugas", "taker01", "answered")
    assert close(first["created_at"], at(cdr["start"]), 0.001)  # the CDR's own microseconds
    assert close(first["ended_at"], at(cdr["end"]), 0.001)
    assert close(first["queued_at"], at(qlog[(first["linkedid"], "ENTERQUEUE")][0]))
    assert close(first["answered_at"], at(qlog[(first["linkedid"], "CONNECT")][0]))

    cdr = cdrs[second["linkedid"]]
    assert (second["caller_name"], second["answered_by"], second["outcome"]) == ("Menyerah", None, "abandoned")
    assert close(second["created_at"], at(cdr["start"]), 0.001)
    assert close(second["ended_at"], at(cdr["end"]), 0.001)
    assert close(second["queued_at"], at(qlog[(second["linkedid"], "ENTERQUEUE")][0]))
    assert (second["linkedid"], "ABANDON") in qlog
    ready = ec112.wait_ready()
    assert ready["components"]["records"]["detail"] == "cdr ok, queue_log ok"

    ec112.stop()  # a restart reads the records again from where it stopped: no second ticket
    ec112.start()
    time.sleep(1.0)
    again = ec112.wait_for_tickets(lambda ts: len(ts) >= 2, timeout=5)
    assert [(t["id"], t["ended_at"], t["outcome"]) for t in again] == [
        (t["id"], t["ended_at"], t["outcome"]) for t in tickets]


def test_a_hangup_missed_while_ec112_was_stopped_is_filled_from_the_records(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    phone = taker("taker01", ring_ms=200, talk_ms=3000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number="+6281322220003", caller_name="Terputus")
    assert phone.wait_for_invites(1, timeout=10)
    [live] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["answered_by"] is not None, timeout=10)
    assert (live["intake"], live["ended_at"]) == ("agi", None)

    ec112.stop()  # ec112 stops mid-call: it will not see the Hangup
    wait_calls_over(call)
    time.sleep(2.5)  # the resync would close the ticket at the time ec112 looks: later than the real end
    cdr = cdr_rows(asterisk)[live["linkedid"]]
    restarted_at = datetime.now(UTC)
    ec112.start()
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=15)
    assert (ticket["id"], ticket["intake"]) == (live["id"], "agi")
    assert (ticket["outcome"], ticket["answered_by"]) == ("answered", "taker01")
    assert ticket["answered_at"] == live["answered_at"]  # what the live path saw stays
    assert close(ticket["ended_at"], at(cdr["end"]), 0.001)  # Asterisk's end, not when ec112 came back
    assert datetime.fromisoformat(ticket["ended_at"]) < restarted_at - timedelta(seconds=2)


