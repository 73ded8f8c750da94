"""After a fault: what Asterisk itself recorded against what ec112 says.

The fault tests (test_faults.py) all end with the same check, made once the calls are over and a settle
period has passed:

1. every call that reached Asterisk, from Asterisk's own records — the CDR CSV of cdr_custom (the citizen's
   channel: uniqueid = linkedid, context ec112-emergency) and app_queue's queue_log (ENTERQUEUE, CONNECT,
   ABANDON) — read here independently of ec112's backfill code;
2. each one reached a call taker (a CONNECT; the ticket says answered, by that taker) or is recorded
   abandoned (ticket outcome ``abandoned`` when it was queued, ``hung_up_in_intake`` when it never was);
3. each one has exactly one ticket (by Linkedid, and by the caller's number, unique per call in a flood), it
   is ended at Asterisk's end time, and no ticket exists for a call Asterisk never had; a call queued after
   a successful intake (no "ec112 intake unavailable" for its channel in Asterisk's log) has the location its
   caller sent on its ticket (``located``: every caller sent one);
4. ec112's presence equals Asterisk's view (``assert_presence_matches_asterisk``).
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ec112.lab.render import LabConfig

from .asterisk_view import AsteriskCli, parse_channels_concise, wait_presence_matches_asterisk
from .daemon import Ec112Daemon

EMERGENCY_CONTEXT = "ec112-emergency"  # asterisk-conf/extensions.conf
# asterisk-conf/cdr_custom.conf's columns
CDR_COLUMNS = ("linkedid", "uniqueid", "start", "answer", "end", "src", "clid", "dst", "dcontext", "channel",
               "dstchannel", "lastapp", "disposition", "sequence", "accountcode")
END_TOLERANCE_S = 1.5  # a ticket's end against the CDR's (the backfill corrects anything over 1 s late)
# extensions.conf: the dialplan queues a call without EC112_TICKET (ec112 down, frozen, failing: fail open)
_FALLBACK = re.compile(r"ec112 intake unavailable \(AGISTATUS=\w*\): queueing (\S+) without ticket")


@dataclass
class AsteriskCall:
    """One 112 call as Asterisk recorded it (times in UTC)."""

    linkedid: str
    channel: str | None = None  # the citizen's channel (CDR)
    caller_number: str | None = None
    started_at: datetime | None = None  # CDR start (µs)
    ended_at: datetime | None = None  # CDR end (µs); None: no CDR (yet)
    queued_at: datetime | None = None  # queue_log ENTERQUEUE (whole seconds)
    answered_by: str | None = None  # queue_log CONNECT: the member name (= the taker's endpoint)
    abandoned: bool = False  # queue_log ABANDON: the caller left the queue

    def seconds_to_queue(self) -> float:
        """From arrival (CDR start) to the queue (ENTERQUEUE: whole seconds, so up to 1 s short)."""
        assert self.queued_at is not None, f"{self} never reached the queue"
        assert self.started_at is not None, f"{self}: no CDR"
        return (self.queued_at - self.started_at).total_seconds()


def _epoch(text: str) -> datetime | None:
    seconds = float(text or "0")
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def read_asterisk_calls(config: LabConfig) -> dict[str, AsteriskCall]:
    """The 112 calls in this lab's CDR CSV and queue_log, by Linkedid."""
    calls: dict[str, AsteriskCall] = {}
    if config.cdr_csv.exists():
        with config.cdr_csv.open(newline="") as f:
            for row in csv.reader(f):
                cdr = dict(zip(CDR_COLUMNS, row, strict=True))
                if cdr["uniqueid"] != cdr["linkedid"] or cdr["dcontext"] != EMERGENCY_CONTEXT:
                    continue  # a taker's leg, or not a 112 call
                call = calls.setdefault(cdr["linkedid"], AsteriskCall(cdr["linkedid"]))
                start, end = _epoch(cdr["start"]), _epoch(cdr["end"])
                call.caller_number = cdr["src"] or call.caller_number
                call.channel = cdr["channel"] or call.channel
                # a caller's channel may get several CDRs (one per taker rung): the call spans all of them
                call.started_at = min(filter(None, (call.started_at, start)), default=None)
                call.ended_at = max(filter(None, (call.ended_at, end)), default=None)
    if config.queue_log.exists():
        for line in config.queue_log.read_text().splitlines():
            parts = line.split("|")
            if len(parts) < 5 or parts[2] != config.queue or not parts[1].strip() or parts[1] == "NONE":
                continue
            stamp, callid, _queue, agent, event, *data = parts
            if event == "ENTERQUEUE":
                call = calls.setdefault(callid, AsteriskCall(callid))
                call.queued_at = datetime.fromtimestamp(int(stamp), UTC)
                call.caller_number = call.caller_number or (data[1] if len(data) > 1 else None) or None
            elif event == "CONNECT":
                calls.setdefault(callid, AsteriskCall(callid)).answered_by = agent.rsplit("/", 1)[-1]
            elif event == "ABANDON":
                calls.setdefault(callid, AsteriskCall(callid)).abandoned = True
    return calls


def fallback_channels(config: LabConfig) -> set[str]:
    """Channels the dialplan queued without a ticket (the intake did not succeed), from Asterisk's log.
    Channel names start again after an Asterisk restart: a name there may cover a call of each run."""
    return set(_FALLBACK.findall(config.messages_log.read_text(errors="replace")))


def wait_asterisk_idle(asterisk: AsteriskCli, timeout: float = 30.0) -> None:
    """Until Asterisk has no channel left (every citizen and taker leg is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = parse_channels_concise(asterisk.rx("core show channels concise"))
        if not left:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"Asterisk still has {len(left)} channels after {timeout} s: {left}")
        time.sleep(0.2)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def call_problems(calls: dict[str, AsteriskCall], tickets: list[dict[str, Any]],
                  numbers: Collection[str] | None = None, located: Collection[str] | None = None) -> list[str]:
    """What is wrong between Asterisk's calls and ec112's tickets (empty: nothing). ``numbers``: the citizens
    that must have reached Asterisk; ``located``: Linkedids of the calls whose ticket must have a location."""
    found: list[str] = []
    by_linkedid: dict[str, list[dict[str, Any]]] = {}
    for ticket in tickets:
        by_linkedid.setdefault(ticket["linkedid"], []).append(ticket)
    for linkedid, call in sorted(calls.items()):
        what = f"call {linkedid} ({call.caller_number})"
        mine = by_linkedid.get(linkedid, [])
        if len(mine) != 1:
            found.append(f"{what}: {len(mine)} tickets {[t['number'] for t in mine]}")
            continue
        [ticket] = mine
        what += f", ticket {ticket['number']} via {ticket['intake']}"
        if call.ended_at is None:
            found.append(f"{what}: Asterisk wrote no CDR for it")
        if ticket["ended_at"] is None:
            found.append(f"{what}: the ticket is not ended")
        elif call.ended_at is not None:
            late = (datetime.fromisoformat(ticket["ended_at"]) - call.ended_at).total_seconds()
            if abs(late) > END_TOLERANCE_S:
                found.append(f"{what}: ended at {ticket['ended_at']}, Asterisk says {call.ended_at.isoformat()}")
        if call.caller_number and ticket["caller_number_raw"] != call.caller_number:
            found.append(f"{what}: caller {ticket['caller_number_raw']}, Asterisk says {call.caller_number}")
        expected: tuple[str, str | None]
        if call.answered_by is not None:
            expected = ("answered", call.answered_by)
        elif call.queued_at is not None:
            expected = ("abandoned", None)
        else:
            expected = ("hung_up_in_intake", None)
        if (ticket["outcome"], ticket["answered_by"]) != expected:
            found.append(f"{what}: outcome {ticket['outcome']} by {ticket['answered_by']}, Asterisk says "
                         f"{expected[0]} by {expected[1]}")
        if located is not None and linkedid in located and ticket["location"] is None:
            found.append(f"{what}: the intake of {call.channel} succeeded, but the ticket has no location")
    for linkedid, extra in by_linkedid.items():
        if linkedid not in calls:
            found.append(f"tickets {[t['number'] for t in extra]} of {linkedid}: no such call in Asterisk's records")
    per_number = Counter(t["caller_number_raw"] for t in tickets)
    found += [f"caller {n}: {count} tickets" for n, count in per_number.items() if count > 1]
    if numbers is not None:
        recorded = {c.caller_number for c in calls.values()}
        found += [f"citizen {n}: no call in Asterisk's records" for n in numbers if n not in recorded]
    return found


@dataclass
class Settled:
    """What the check saw once everything agreed."""

    calls: dict[str, AsteriskCall]
    tickets: dict[str, dict[str, Any]]  # by Linkedid

    def answered(self) -> int:
        return sum(1 for c in self.calls.values() if c.answered_by)

    def summary(self) -> str:
        via = Counter(t["intake"] for t in self.tickets.values())
        return (f"{len(self.calls)} calls, {self.answered()} answered, "
                f"{sum(1 for c in self.calls.values() if not c.answered_by)} abandoned; tickets via {dict(via)}")


def assert_every_call_accounted_for(daemon: Ec112Daemon, asterisk: AsteriskCli, config: LabConfig, *,
                                    numbers: Collection[str] | None = None, with_location: bool = True,
                                    timeout: float = 20.0) -> Settled:
    """Once Asterisk is idle: poll (``timeout``: backfill passes, retries) until Asterisk's calls and ec112's
    tickets agree (``call_problems``), then check presence against Asterisk. ``numbers``: the citizens that
    must all have reached Asterisk; ``with_location``: every caller sent a location, so each call queued
    after a successful intake must show it."""
    wait_asterisk_idle(asterisk)
    deadline = time.monotonic() + timeout
    while True:
        calls = read_asterisk_calls(config)
        located = None
        if with_location:
            fallbacks = fallback_channels(config)
            located = {c.linkedid for c in calls.values() if c.queued_at and c.channel not in fallbacks}
        tickets: list[dict[str, Any]] = daemon.get("/api/tickets?limit=200")
        found = call_problems(calls, tickets, numbers, located)
        if not found:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(f"{len(found)} problems after {timeout} s:\n" + "\n".join(found[:40])
                                 + f"\ntickets: {json.dumps(tickets)[:6000]}\n{daemon.log_tail()}")
        time.sleep(0.5)
    wait_presence_matches_asterisk(daemon, asterisk, config.queue, timeout=10)
    assert daemon.get("/api/calls") == [], "Asterisk is idle: ec112 must show no call"
    settled = Settled(calls, {t["linkedid"]: t for t in tickets})
    print(f"settled: {settled.summary()}")  # shown with -s or -rP: what the flood did
    return settled
