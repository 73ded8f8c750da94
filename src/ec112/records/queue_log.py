"""One line of app_queue's queue_log → a part of a :class:`RecordedCall`.

``epoch|callid|queue|agent|event|data1|data2|…`` (whole seconds). What the backfill needs, for the 112
queue only:

- ``ENTERQUEUE``  data: url|callerid|position      → queued_at, the caller's number
- ``CONNECT``     data: holdtime|member uniqueid|ringtime → answered_at, answered_by (the agent field: the
  member name, ``log_membername_as_agent = yes``, or its interface ``PJSIP/taker01``)

``ABANDON``, ``EXIT*``, ``COMPLETE*``, ``RINGNOANSWER`` … add nothing the ticket keeps: the CDR gives the end,
and the outcome follows from whether there was a CONNECT. The callid is the caller channel's uniqueid,
which for a call from the trunk is its Linkedid.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ec112.domain.presence_views import endpoint_of
from ec112.domain.recorded_calls import RecordedCall
from ec112.records.cdr import RecordError

_NOT_A_CALL = {"NONE", "CLI", "REALTIME", ""}
_MAX_EPOCH = 4102444800  # 2100-01-01


def parse_queue_log_line(line: str, queue: str) -> RecordedCall | None:
    """The call part of a queue_log line; None for other queues, members' events and unused events."""
    parts = line.split("|")
    if len(parts) < 5:
        raise RecordError(f"{len(parts)} fields, expected at least 5")
    stamp, callid, line_queue, agent, event = (p.strip() for p in parts[:5])
    data = parts[5:]
    try:
        seconds = int(stamp)
    except ValueError:
        raise RecordError("a time that is not a number") from None
    if not 0 < seconds < _MAX_EPOCH:
        raise RecordError("a time out of range")
    if line_queue != queue or callid.upper() in _NOT_A_CALL:
        return None
    at = datetime.fromtimestamp(seconds, UTC)
    if event == "ENTERQUEUE":
        number = data[1].strip() if len(data) > 1 else ""
        return RecordedCall(linkedid=callid, emergency=True, queued_at=at, caller_number=number or None)
    if event == "CONNECT":
        taker = endpoint_of(agent)
        if not taker or taker.upper() == "NONE":
            raise RecordError("CONNECT without an agent")
        return RecordedCall(linkedid=callid, emergency=True, answered_at=at, answered_by=taker)
    return None
