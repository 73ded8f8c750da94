"""Login rate limiting: failures per username and per address in a sliding window."""

from __future__ import annotations

from ec112.services.ratelimit import FailureWindow, Limit, LoginRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_fifth_failure_locks_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    window = FailureWindow(Limit(5, 300), clock=clock)
    for n in range(4):
        assert window.fail("siti") is False
        clock.now += 10
        assert window.retry_after("siti") is None, n
    assert window.fail("siti") is True  # the 5th: locked now
    assert window.retry_after("siti") == 260  # first failure at 1000, now 1040: free at 1300
    clock.now = 1299.5
    assert window.retry_after("siti") == 1
    clock.now = 1300.0
    assert window.retry_after("siti") is None  # the first failure left the window: 4 remain
    window.fail("siti")
    assert window.retry_after("siti") == 10  # locked again until the 2nd failure (1010) leaves


def test_keys_are_bounded() -> None:
    window = FailureWindow(Limit(1, 300), max_keys=3, clock=Clock())
    for name in ("a", "b", "c", "d"):
        window.fail(name)
    assert window.retry_after("a") is None  # the oldest key was dropped
    assert window.retry_after("d") is not None


def test_per_username_and_per_address_limits() -> None:
    clock = Clock()
    limiter = LoginRateLimiter(Limit(5, 300), Limit(20, 300), clock=clock)
    for _ in range(5):
        limiter.failed("Siti", "10.0.0.1")
    assert limiter.retry_after("siti", "10.0.0.9") is not None  # the username is locked, from anywhere
    assert limiter.retry_after("budi", "10.0.0.1") is None  # the address has 5 of 20

    for n in range(15):  # a spray over many usernames from one address
        limiter.failed(f"user{n}", "10.0.0.2")
    assert limiter.retry_after("budi", "10.0.0.2") is None
    for n in range(15, 20):
        limiter.failed(f"user{n}", "10.0.0.2")
    assert limiter.retry_after("budi", "10.0.0.2") == 300
    assert limiter.retry_after("budi", None) is None


def test_success_clears_the_username_but_not_the_address() -> None:
    clock = Clock()
    limiter = LoginRateLimiter(Limit(3, 300), Limit(4, 300), clock=clock)
    limiter.failed("siti", "10.0.0.1")
    limiter.failed("siti", "10.0.0.1")
    limiter.succeeded("siti")
    limiter.failed("siti", "10.0.0.1")
    limiter.failed("siti", "10.0.0.1")
    assert limiter.retry_after("siti", None) is None  # 2 since the success
    assert limiter.retry_after("other", "10.0.0.1") == 300  # the address counted all 4
