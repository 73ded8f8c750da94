"""Signed webhooks to agencies (the adapter behind ``services.notifications.AgencyNotifier``).

Each POST carries ``X-EC112-Event``, ``X-EC112-Delivery`` (the delivery id, also ``id`` in the body),
``X-EC112-Timestamp`` (unix seconds) and ``X-EC112-Signature: sha256=<hex HMAC-SHA256(secret,
f"{timestamp}." + body)>``. Receivers check it with ``verify_signature`` (see ``signing``).
"""

from ec112.webhooks.config import WebhookConfigError, check_webhooks
from ec112.webhooks.notifier import WebhookNotifier
from ec112.webhooks.retry import RetryPolicy
from ec112.webhooks.signing import sign, signed_headers, verify_signature

__all__ = ["RetryPolicy", "WebhookConfigError", "WebhookNotifier", "check_webhooks", "sign", "signed_headers",
           "verify_signature"]
