"""Start-up check of the agencies' webhooks: every webhook URL needs its secret (nothing is ever sent unsigned)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from ec112.domain.agencies import Agency

log = logging.getLogger(__name__)
MIN_SECRET_LENGTH = 16


class WebhookConfigError(ValueError):
    """The webhook configuration cannot work; a restart will not fix it (the daemon exits with EX_CONFIG)."""


def check_webhooks(agencies: Iterable[Agency], secrets: Mapping[str, str]) -> None:
    """Refuse, with every problem named, webhook URLs without a secret, short secrets and non-HTTP URLs."""
    problems: list[str] = []
    hooked: set[str] = set()
    for agency in agencies:
        if not agency.webhook_url:
            continue
        hooked.add(agency.code)
        parts = urlsplit(agency.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"agency {agency.code!r}: webhook_url must be an http(s) URL")
        elif parts.scheme == "http" and not _loopback(parts.hostname):
            log.warning("agency %s: its webhook is plain http to another machine; notifications carry personal "
                        "data, use https", agency.code)
        secret = secret_for(secrets, agency.code)
        if secret is None:
            problems.append(
                f"agency {agency.code!r} has a webhook_url but no secret: set [webhooks.secrets] "
                f"{agency.code} = \"…\" or EC112_WEBHOOKS__SECRETS__{agency.code.upper().replace('-', '_')}")
        elif len(secret) < MIN_SECRET_LENGTH:
            problems.append(f"agency {agency.code!r}: the webhook secret is shorter than {MIN_SECRET_LENGTH} chars")
    for code in sorted(set(secrets) - hooked - {c.replace("-", "_") for c in hooked}):
        log.warning("a webhook secret is set for %s, which has no webhook_url", code)
    if problems:
        raise WebhookConfigError("webhooks: " + "; ".join(problems))


def secret_for(secrets: Mapping[str, str], agency: str) -> str | None:
    """The agency's secret; ``pos-damkar`` also finds ``pos_damkar`` (what an environment variable can name)."""
    found = secrets.get(agency)
    return found if found is not None else secrets.get(agency.replace("-", "_"))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
