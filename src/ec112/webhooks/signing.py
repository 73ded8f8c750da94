"""HMAC-SHA256 signatures of webhook bodies, for ec112 (``signed_headers``) and for receivers (``verify_signature``).

The signed string is ``f"{timestamp}.".encode() + body``, where ``timestamp`` is the ``X-EC112-Timestamp`` header
(unix seconds, the time of *this* attempt). Putting the time under the signature stops replays: a receiver
refuses a request whose timestamp is more than ``tolerance`` seconds away from its own clock, so a captured
request cannot be sent again later. The body itself never changes between attempts; the delivery id in it
(and in ``X-EC112-Delivery``) lets the receiver drop a retry it has already processed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

PREFIX = "sha256="
EVENT_HEADER = "X-EC112-Event"
DELIVERY_HEADER = "X-EC112-Delivery"
TIMESTAMP_HEADER = "X-EC112-Timestamp"
SIGNATURE_HEADER = "X-EC112-Signature"
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its own clock


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def signed_headers(secret: str | bytes, *, event: str, delivery_id: int, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify_signature(secret: str | bytes, timestamp: str | int | None, body: bytes, signature: str | None,
                     tolerance: float = DEFAULT_TOLERANCE, *, now: float | None = None) -> bool:
    """True when ``signature`` is ec112's for ``body`` at ``timestamp`` and the timestamp is fresh.

    ``timestamp`` and ``signature`` are the raw header values; ``body`` the raw request bytes (before any JSON
    parsing). ``now`` is unix seconds (default: this machine's clock).
    """
    if timestamp is None or signature is None:
        return False
    stamp = str(timestamp).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body).encode("ascii"), signature.strip().encode("utf-8"))
