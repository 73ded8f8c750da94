"""Retries: capped exponential backoff with ±20 % jitter; a 2xx delivers; after max_attempts, failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ec112.services.notifications import DeliveryStatus, WebhookDelivery
from ec112.webhooks import RetryPolicy
from ec112.webhooks.retry import after_attempt

AT = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def _delivery(attempts: int) -> WebhookDelivery:
    return WebhookDelivery(1, "damkar", "dispatch.created", "https://gw.example/hook", "{}", DeliveryStatus.PENDING,
                           attempts, None, None, AT, AT, None)


def test_nominal_schedule_doubles_from_one_second_and_is_capped_at_five_minutes() -> None:
    policy = RetryPolicy()
    assert [policy.nominal_delay(n) for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert policy.nominal_delay(10_000) == 300  # no overflow however many attempts


def test_jitter_stays_within_twenty_percent_and_under_the_cap() -> None:
    policy = RetryPolicy(backoff_min=1.0, backoff_max=300.0)
    assert policy.delay(3, rand=lambda: 0.0) == pytest.approx(3.2)
    assert policy.delay(3, rand=lambda: 0.5) == pytest.approx(4.0)
    assert policy.delay(3, rand=lambda: 0.999999) == pytest.approx(4.8, abs=1e-4)
    assert policy.delay(20, rand=lambda: 0.999999) == 300.0  # +20 % never goes past the cap
    assert policy.delay(20, rand=lambda: 0.0) == pytest.approx(240.0)


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="backoff"):
        RetryPolicy(backoff_min=10, backoff_max=5)


def test_a_2xx_answer_delivers() -> None:
    result = after_attempt(_delivery(2), status_code=204, error=None, at=AT, policy=RetryPolicy())
    assert (result.status, result.attempts, result.last_status_code, result.delivered_at) == (
        DeliveryStatus.DELIVERED, 3, 204, AT)
    assert result.next_attempt_at is None
    assert result.last_error is None


def test_an_error_answer_waits_for_the_next_attempt() -> None:
    result = after_attempt(_delivery(1), status_code=500, error=None, at=AT, policy=RetryPolicy(),
                           rand=lambda: 0.5)
    assert (result.status, result.attempts, result.last_status_code, result.last_error) == (
        DeliveryStatus.PENDING, 2, 500, "HTTP 500")
    assert result.next_attempt_at == AT + timedelta(seconds=2)  # after the 2nd failure: 2 s


def test_a_redirect_is_not_a_delivery() -> None:
    result = after_attempt(_delivery(0), status_code=302, error=None, at=AT, policy=RetryPolicy(), rand=lambda: 0.5)
    assert result.status is DeliveryStatus.PENDING
    assert result.last_error == "HTTP 302"


def test_the_last_attempt_fails_the_delivery_with_its_error() -> None:
    result = after_attempt(_delivery(7), status_code=None, error="ConnectError: refused", at=AT,
                           policy=RetryPolicy(max_attempts=8))
    assert (result.status, result.attempts, result.last_error, result.next_attempt_at) == (
        DeliveryStatus.FAILED, 8, "ConnectError: refused", None)
