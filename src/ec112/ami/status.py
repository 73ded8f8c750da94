"""What the rest of ec112 sees of the AMI connection: its state, its synthetic events, its pace.

Pure and small on purpose: /readyz, the panel, the event consumer and the tests use these without
touching a socket.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

# Put on the events queue after every login / on every loss of a logged-in connection.
CONNECTED_EVENT = "ec112.AmiConnected"
DISCONNECTED_EVENT = "ec112.AmiDisconnected"

# High-volume events ec112 never uses (a queued call emits ~60 VarSet alone). Replies to our own
# actions are never filtered, whatever their name.
DEFAULT_IGNORED_EVENTS = frozenset(
    {"VarSet", "Newexten", "RTCPSent", "RTCPReceived", "DeviceStateChange", "TestEvent"}
    | {"AGIExecStart", "AGIExecEnd", "ChallengeSent", "SuccessfulAuth"}
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AmiStatus:
    """What /readyz and the panel show. ``since``: when ``connected`` last changed (UTC)."""

    connected: bool
    since: datetime
    last_error: str | None = None  # kept after a reconnect, so the panel can say what happened
    version: str | None = None  # AMI version from the banner: 5.0.4 (Asterisk 16), 11.0.0 (22)


def backoff_delay(attempt: int, minimum: float, maximum: float, rand: Callable[[], float] = random.random) -> float:
    """Delay before reconnect ``attempt`` (0-based): exponential from ``minimum``, capped at ``maximum``.

    "Equal jitter": half of the step is fixed, half random, so delays never shrink while growing and
    many clients restarting together do not hit Asterisk in lockstep.
    """
    step = min(maximum, minimum * 2.0 ** min(attempt, 32))
    return step / 2 + rand() * step / 2
