"""What Asterisk reports of a supervisor's ChanSpy (AMI ChanSpyStart / ChanSpyStop, read class ``call``) (pure).

Call events of the AMI pipeline (``domain.call_events.CallEvent``), apart from ``domain.spy`` because the call
events must not import the domain events (which import the presence views, which import the call events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ChanSpyStarted:
    """ChanSpy attached the spyer (the supervisor's channel, by its Uniqueid = ec112's ChannelId) to the spyee."""

    at: datetime
    spyer_uniqueid: str
    spyer_channel: str
    spyee_channel: str


@dataclass(frozen=True, slots=True)
class ChanSpyStopped:
    at: datetime
    spyer_uniqueid: str
    spyer_channel: str
