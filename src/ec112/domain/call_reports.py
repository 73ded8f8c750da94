"""What the caller's keys and ec112's own dialplan contexts report over AMI (issue 13), as typed call events
(pure): a DTMF key on a channel (silent calls), a callback's dial result and a callback that never connected.
Part of ``domain.call_events.CallEvent``; kept here so that each module stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# --- keys pressed -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DigitPressed:
    """A DTMF key ended on a channel (AMI DTMFEnd, read class ``dtmf``); ``received``: sent by the far end of
    ``channel`` (the caller, on the caller's own channel), not played by Asterisk towards it."""

    at: datetime
    linkedid: str
    uniqueid: str
    channel: str
    digit: str
    received: bool

    @property
    def is_origin(self) -> bool:
        return bool(self.linkedid) and self.uniqueid == self.linkedid


# --- callbacks (issue 13): what the dialplan of ec112-callback reports ----------------------------------------

@dataclass(frozen=True, slots=True)
class CallbackDialEnded:
    """The citizen's leg of a callback ended (``UserEvent(EC112Callback)``)."""

    at: datetime
    task_id: int
    dial_status: str  # ANSWER, NOANSWER, BUSY, CHANUNAVAIL, CONGESTION, CANCEL, …
    cause: int | None  # the Q.850 hangup cause when Asterisk gave one


@dataclass(frozen=True, slots=True)
class CallbackNotConnected:
    """The Originate of a callback failed: the taker's own phone did not answer (or could not be rung)."""

    at: datetime
    task_id: int
    reason: str
