"""Login rate limiting: failed attempts per username and per client address in a sliding window.

In memory, per worker process: a watchdog restart forgets the counts (an attacker gains one more window,
no more), and with one worker per centre there is nothing to share. Keys are bounded so that a flood of
made-up usernames cannot grow memory without limit.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import monotonic


@dataclass(frozen=True, slots=True)
class Limit:
    max_failures: int
    window_seconds: float


class FailureWindow:
    """Failures per key within ``limit.window_seconds``; a key at ``max_failures`` is refused until the
    oldest failure leaves the window."""

    def __init__(self, limit: Limit, *, max_keys: int = 10_000, clock: Callable[[], float] = monotonic) -> None:
        self._limit = limit
        self._max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _live(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self._limit.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        now = self._clock()
        times = self._live(key, now)
        if times is None or len(times) < self._limit.max_failures:
            return None
        oldest_counted = times[len(times) - self._limit.max_failures]
        return max(1, math.ceil(oldest_counted + self._limit.window_seconds - now))

    def fail(self, key: str) -> bool:
        """Count a failure; True when this one reached the limit (the key is now refused)."""
        now = self._clock()
        times = self._live(key, now) or deque()
        times.append(now)
        self._failures[key] = times
        self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
        return len(times) == self._limit.max_failures

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class LoginRateLimiter:
    """5 failures per username and 20 per client address in 5 minutes, by default (``[web]`` settings)."""

    def __init__(self, per_user: Limit, per_address: Limit, *, clock: Callable[[], float] = monotonic) -> None:
        self._users = FailureWindow(per_user, clock=clock)
        self._addresses = FailureWindow(per_address, clock=clock)

    def retry_after(self, username: str, address: str | None) -> int | None:
        waits: Iterable[int | None] = (
            self._users.retry_after(username.lower()),
            self._addresses.retry_after(address) if address else None,
        )
        known = [w for w in waits if w is not None]
        return max(known) if known else None

    def failed(self, username: str, address: str | None) -> bool:
        """Count a failure; True when it locked the username or the address."""
        locked_user = self._users.fail(username.lower())
        locked_address = self._addresses.fail(address) if address else False
        return locked_user or locked_address

    def succeeded(self, username: str) -> None:
        self._users.clear(username.lower())
