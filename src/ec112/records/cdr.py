"""One line of ec112's cdr_custom CSV (``asterisk-conf/cdr_custom.conf``) → a part of a :class:`RecordedCall`.

Only the citizen's own channel counts (uniqueid == linkedid, the same rule as the live Hangup handling):
a call taker's leg or a dial attempt made by another channel is not the call. Times are the raw epoch
with microseconds that ``CDR(start,u)`` gives, so no time zone has to be guessed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from datetime import UTC, datetime

from ec112.domain.drills import is_exercise
from ec112.domain.recorded_calls import RecordedCall

CDR_FIELDS = ("linkedid", "uniqueid", "start", "answer", "end", "src", "clid", "dst", "dcontext",
              "channel", "dstchannel", "lastapp", "disposition", "sequence", "accountcode")
# Lines written before issue 14 have no accountcode column: still read (as not an exercise).
_OLD_FIELDS = len(CDR_FIELDS) - 1
_CLID = re.compile(r'^\s*"?(?P<name>.*?)"?\s*<(?P<number>[^<>]*)>\s*$')
_MAX_EPOCH = 4102444800.0  # 2100-01-01: beyond it a time is garbage


class RecordError(ValueError):
    """A line that is not a record of the expected shape (logged with its offset and skipped)."""


def parse_cdr_line(line: str, emergency_contexts: Collection[str]) -> RecordedCall | None:
    """The call part of a CDR line; None for a CDR of another channel; RecordError for a malformed line."""
    try:
        [row] = list(csv.reader([line], strict=True))
    except (csv.Error, ValueError) as exc:
        raise RecordError(f"not one CSV row: {exc}") from None
    if len(row) == _OLD_FIELDS:
        row = [*row, ""]
    if len(row) != len(CDR_FIELDS):
        raise RecordError(f"{len(row)} columns, expected {len(CDR_FIELDS)}")
    cdr = dict(zip(CDR_FIELDS, row, strict=True))
    linkedid = cdr["linkedid"].strip()
    if not linkedid or not cdr["uniqueid"].strip():
        raise RecordError("no linkedid/uniqueid")
    start, end = epoch(cdr["start"]), epoch(cdr["end"])
    if start is None or end is None:
        raise RecordError("no start or end time")
    if cdr["uniqueid"].strip() != linkedid:
        return None
    name, number = caller_id(cdr["clid"])
    return RecordedCall(
        linkedid=linkedid,
        emergency=cdr["dcontext"] in emergency_contexts,
        channel=cdr["channel"] or None,
        caller_number=cdr["src"].strip() or number,
        caller_name=name,
        arrived_at=start,
        ended_at=max(start, end),
        exercise=is_exercise(cdr["accountcode"]),
    )


def epoch(text: str) -> datetime | None:
    """``1795828068.866868`` (CDR(start,u)) → UTC; None for empty or 0 (never answered) and for garbage."""
    try:
        seconds = float(text.strip() or "0")
    except ValueError:
        raise RecordError("a time that is not a number") from None
    if seconds != seconds or not 0 < seconds < _MAX_EPOCH:  # nan, 0 (unset) or out of range
        return None
    return datetime.fromtimestamp(seconds, UTC)


def caller_id(clid: str) -> tuple[str | None, str | None]:
    """``"Budi" <0812…>`` → (name, number); a bare number → (None, number)."""
    text = clid.strip()
    if not text:
        return None, None
    match = _CLID.match(text)
    if match is None:
        return None, text
    return match.group("name").strip() or None, match.group("number").strip() or None
