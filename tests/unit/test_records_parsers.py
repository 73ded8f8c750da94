"""Asterisk's record lines → call parts: CDR CSV (cdr_custom) and queue_log, as Asterisk 16 and 22 write them.

The lines below were written by the lab's Asterisk (16.28 and 22.10 give the same) for an answered and
an abandoned 112 call; the malformed ones are what a wrong mapping, a cut line or a foreign file look like.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ec112.records.cdr import CDR_FIELDS, RecordError, caller_id, parse_cdr_line
from ec112.records.queue_log import parse_queue_log_line

CONTEXTS = ("ec112-emergency",)
ANSWERED_CDR = ('"ec112lab-1795828068.0","ec112lab-1795828068.0","1795828068.866868","1795828068.871939",'
                '"1795828071.685574","+6281111111111","""Answered One"" <+6281111111111>","112","ec112-emergency",'
                '"PJSIP/trunk-00000000","PJSIP/taker01-00000001","Queue","ANSWERED","0"')
ABANDONED_CDR = ('"ec112lab-1795828071.3","ec112lab-1795828071.3","1795828071.840469","1795828071.842536",'
                 '"1795828074.349833","081222222222","""Abandon Two"" <081222222222>","112","ec112-emergency",'
                 '"PJSIP/trunk-00000002","","Queue","ANSWERED","2"')
QUEUE_LOG = """1795828068|NONE|NONE|NONE|QUEUESTART|
1795828068|CLI|112|PJSIP/taker01|ADDMEMBER|
1795828069|ec112lab-1795828068.0|112|NONE|ENTERQUEUE||+6281111111111|1
1795828069|ec112lab-1795828068.0|112|PJSIP/taker01|CONNECT|0|ec112lab-1795828069.1|0
1795828071|ec112lab-1795828068.0|112|PJSIP/taker01|COMPLETEAGENT|0|2|1
1795828071|CLI|112|PJSIP/taker01|REMOVEMEMBER|
1795828072|ec112lab-1795828071.3|112|NONE|ENTERQUEUE||081222222222|1
1795828074|ec112lab-1795828071.3|112|NONE|ABANDON|1|1|2""".splitlines()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_cdr_line_of_an_answered_call() -> None:
    part = parse_cdr_line(ANSWERED_CDR, CONTEXTS)
    assert part is not None
    assert part.linkedid == "ec112lab-1795828068.0"
    assert part.emergency is True
    assert part.caller_number == "+6281111111111"
    assert part.caller_name == "Answered One"
    assert part.channel == "PJSIP/trunk-00000000"
    assert part.arrived_at == at(1795828068.866868)  # microseconds kept: CDR(start,u)
    assert part.ended_at == at(1795828071.685574)
    assert part.queued_at is None
    assert part.answered_at is None
    assert part.complete


def test_cdr_of_another_context_is_not_an_emergency_and_a_takers_leg_is_not_the_call() -> None:
    other = ABANDONED_CDR.replace('"ec112-emergency"', '"ec112-from-takers"')
    part = parse_cdr_line(other, CONTEXTS)
    assert part is not None
    assert part.emergency is False
    leg = ANSWERED_CDR.replace('"ec112lab-1795828068.0","ec112lab-1795828068.0"',
                               '"ec112lab-1795828068.0","ec112lab-1795828069.1"')
    assert parse_cdr_line(leg, CONTEXTS) is None


@pytest.mark.parametrize("line", [
    "",  # empty
    '"a","b"',  # too few columns (a different mapping)
    ANSWERED_CDR + ',"ec112-exercise","extra"',  # too many (14 before issue 14, 15 with the accountcode)
    ANSWERED_CDR.replace('"1795828068.866868"', '"2026-11-28 01:07:48"'),  # formatted time, not CDR(start,u)
    ANSWERED_CDR.replace('"1795828071.685574"', '""'),  # no end
    ANSWERED_CDR.replace('"ec112lab-1795828068.0","ec112lab-1795828068.0"', '"",""'),  # no ids
    ANSWERED_CDR[:80],  # cut in the middle of a quoted field
])
def test_malformed_cdr_lines_raise_record_error(line: str) -> None:
    with pytest.raises(RecordError):
        parse_cdr_line(line, CONTEXTS)


def test_only_the_drill_accountcode_makes_a_cdr_an_exercise_and_old_lines_still_read() -> None:
    drill = parse_cdr_line(ANSWERED_CDR + ',"ec112-exercise"', CONTEXTS)
    trunk = parse_cdr_line(ANSWERED_CDR + ',""', CONTEXTS)
    old = parse_cdr_line(ANSWERED_CDR, CONTEXTS)  # written before the accountcode column existed
    assert drill is not None
    assert trunk is not None
    assert old is not None
    assert (drill.exercise, trunk.exercise, old.exercise) == (True, False, False)
    assert drill.linkedid == old.linkedid
    assert drill.arrived_at == old.arrived_at


def test_cdr_fields_match_the_template() -> None:
    from pathlib import Path

    template = (Path(__file__).resolve().parents[2] / "asterisk-conf" / "cdr_custom.conf").read_text()
    mapping = next(line for line in template.splitlines() if line.startswith("ec112-cdr.csv =>"))
    named = [part.split("$${CDR(", 1)[1].split(")", 1)[0].split(",")[0] for part in mapping.split("},")]
    assert tuple(named) == CDR_FIELDS


@pytest.mark.parametrize(("clid", "expected"), [
    ('"Budi Santoso" <081234567890>', ("Budi Santoso", "081234567890")),
    ("<+6281234567890>", (None, "+6281234567890")),
    ('"" <112>', (None, "112")),
    ("081234567890", (None, "081234567890")),
    ("", (None, None)),
    ('"Quote "Inside" Name" <0812>', ('Quote "Inside" Name', "0812")),
])
def test_caller_id(clid: str, expected: tuple[str | None, str | None]) -> None:
    assert caller_id(clid) == expected


def test_queue_log_lines_of_the_two_calls() -> None:
    parts = [p for p in (parse_queue_log_line(line, "112") for line in QUEUE_LOG) if p is not None]
    assert [(p.linkedid, p.queued_at, p.answered_at, p.answered_by, p.caller_number) for p in parts] == [
        ("ec112lab-1795828068.0", at(1795828069), None, None, "+6281111111111"),
        ("ec112lab-1795828068.0", None, at(1795828069), "taker01", None),
        ("ec112lab-1795828071.3", at(1795828072), None, None, "081222222222"),
    ]
    assert all(p.emergency for p in parts)


def test_queue_log_member_name_as_agent_and_other_queues() -> None:
    connect = "1795828069|ec112lab-1795828068.0|112|taker03|CONNECT|4|ec112lab-1795828069.1|3"
    part = parse_queue_log_line(connect, "112")
    assert part is not None
    assert part.answered_by == "taker03"
    assert parse_queue_log_line(connect.replace("|112|", "|helpdesk|"), "112") is None


@pytest.mark.parametrize("line", [
    "garbage",
    "1795828069|ec112lab-1.0|112",  # cut
    "yesterday|ec112lab-1.0|112|NONE|ENTERQUEUE||0812|1",  # no epoch
    "99999999999|ec112lab-1.0|112|NONE|ENTERQUEUE||0812|1",  # beyond 2100
    "1795828069|ec112lab-1.0|112|NONE|CONNECT|0|x|0",  # a CONNECT without an agent
])
def test_malformed_queue_log_lines_raise_record_error(line: str) -> None:
    with pytest.raises(RecordError):
        parse_queue_log_line(line, "112")
