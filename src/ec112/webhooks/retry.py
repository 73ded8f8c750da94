"""When to try a webhook again: capped exponential backoff with jitter, then give up (pure)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.services.notifications import AttemptResult, DeliveryStatus, WebhookDelivery

JITTER = 0.2  # each wait is the nominal one ±20 %, so receivers coming back are not hit all at once


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_min: float = 1.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 300.0  # never wait longer than this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.backoff_min <= self.backoff_max:
            raise ValueError("need 0 < backoff_min <= backoff_max")

    def nominal_delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt, without jitter: 1, 2, 4, … ``backoff_max``."""
        exponent = min(max(attempts, 1) - 1, 62)  # 2**62 is far past any cap; avoids float overflow
        return float(min(self.backoff_max, self.backoff_min * 2.0**exponent))

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """The nominal delay, jittered by ±``JITTER`` and still capped (``rand()`` in [0, 1))."""
        jittered = self.nominal_delay(attempts) * (1.0 + JITTER * (2.0 * rand() - 1.0))
        return min(self.backoff_max, jittered)


def after_attempt(delivery: WebhookDelivery, *, status_code: int | None, error: str | None, at: datetime,
                  policy: RetryPolicy, rand: Callable[[], float] = random.random) -> AttemptResult:
    """The log's new state after one attempt: a 2xx answer delivers; anything else waits or gives up."""
    attempts = delivery.attempts + 1
    if status_code is not None and 200 <= status_code < 300:
        return AttemptResult(attempts, DeliveryStatus.DELIVERED, status_code, None, None, at)
    if error is None:
        error = f"HTTP {status_code}"
    if attempts >= policy.max_attempts:
        return AttemptResult(attempts, DeliveryStatus.FAILED, status_code, error, None, None)
    next_at = at + timedelta(seconds=policy.delay(attempts, rand))
    return AttemptResult(attempts, DeliveryStatus.PENDING, status_code, error, next_at, None)
