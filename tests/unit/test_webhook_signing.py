"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}." + body``, checked with a freshness window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ec112.webhooks import sign, signed_headers, verify_signature

SECRET = "rahasia-damkar-0123456789"
BODY = b'{"agency":"damkar","data":{"alamat":"Jl. Merdeka 1"},"event":"dispatch.created","id":7}'
NOW = 1_764_300_000


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"
    assert sign(SECRET.encode(), str(NOW), BODY) == f"sha256={expected}"


def test_headers_carry_event_delivery_timestamp_and_signature() -> None:
    headers = signed_headers(SECRET, event="dispatch.created", delivery_id=7, timestamp=NOW, body=BODY)
    assert headers == {
        "Content-Type": "application/json",
        "X-EC112-Event": "dispatch.created",
        "X-EC112-Delivery": "7",
        "X-EC112-Timestamp": str(NOW),
        "X-EC112-Signature": sign(SECRET, NOW, BODY),
    }


def test_a_genuine_request_verifies() -> None:
    assert verify_signature(SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature"),
    [
        ("another-secret-0123456789", str(NOW), BODY, sign(SECRET, NOW, BODY)),  # wrong secret
        (SECRET, str(NOW), BODY + b" ", sign(SECRET, NOW, BODY)),  # body changed
        (SECRET, str(NOW + 1), BODY, sign(SECRET, NOW, BODY)),  # timestamp changed: signature no longer fits
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY).removeprefix("sha256=")),  # no scheme prefix
        (SECRET, str(NOW), BODY, None),  # no signature header
        (SECRET, None, BODY, sign(SECRET, NOW, BODY)),  # no timestamp header
        (SECRET, "17643e5", BODY, sign(SECRET, "17643e5", BODY)),  # not unix seconds
        (SECRET, "-1", BODY, sign(SECRET, "-1", BODY)),
    ],
)
def test_tampered_or_incomplete_requests_fail(secret: str, timestamp: str | None, body: bytes,
                                              signature: str | None) -> None:
    assert not verify_signature(secret, timestamp, body, signature, now=NOW)


def test_a_replay_outside_the_tolerance_fails() -> None:
    signature = sign(SECRET, NOW, BODY)
    assert verify_signature(SECRET, str(NOW), BODY, signature, tolerance=300, now=NOW + 300)
    assert not verify_signature(SECRET, str(NOW), BODY, signature, tolerance=300, now=NOW + 301)
    assert not verify_signature(SECRET, str(NOW), BODY, signature, tolerance=300, now=NOW - 301)  # from the future
