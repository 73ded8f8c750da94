"""Start-up check of the agencies' webhooks: every webhook URL needs its secret (nothing is ever sent unsigned).

An agency's own webhook is signed with ``[webhooks.secrets] <code>``; its alternate contact's channels (a second
webhook, an SMS gateway) with ``<code>-alternate`` when set, else with the agency's own secret.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from ec112.domain.agencies import Agency
from ec112.services.notifications import Channel, channel_url

log = logging.getLogger(__name__)
MIN_SECRET_LENGTH = 16
ALTERNATE_SUFFIX = "-alternate"


class WebhookConfigError(ValueError):
    """The webhook configuration cannot work; a restart will not fix it (the daemon exits with EX_CONFIG).
    ``problems``: one line each (the agencies admin page shows them)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("webhooks: " + "; ".join(self.problems))


def check_webhooks(agencies: Iterable[Agency], secrets: Mapping[str, str]) -> None:
    """Refuse, with every problem named, webhook URLs without a secret, short secrets and non-HTTP URLs; warn
    about alternate contacts ec112 cannot reach (their level-2 escalation is only shown)."""
    problems: list[str] = []
    hooked: set[str] = set()
    unreachable: list[str] = []
    for agency in agencies:
        if agency.alternate_contact is not None and not agency.alternate_contact.reachable:
            unreachable.append(agency.code)
        for channel in Channel:
            url = channel_url(agency, channel)
            if url:
                hooked.add(agency.code)  # an alternate channel may be signed with the agency's own secret
                if channel is not Channel.AGENCY:
                    hooked.add(agency.code + ALTERNATE_SUFFIX)
                problems += _check(agency.code, channel, url, secrets)
    if unreachable:
        log.warning("alternate contacts without a webhook_url or sms_gateway_url (level-2 escalation only shown): "
                    "%s", ", ".join(unreachable))
    for code in sorted(set(secrets) - hooked - {c.replace("-", "_") for c in hooked}):
        log.warning("a webhook secret is set for %s, which has no webhook_url", code)
    if problems:
        raise WebhookConfigError(problems)


def _check(code: str, channel: Channel, url: str, secrets: Mapping[str, str]) -> list[str]:
    key = {Channel.AGENCY: "webhook_url", Channel.ALTERNATE: "alternate.webhook_url",
           Channel.SMS: "alternate.sms_gateway_url"}[channel]
    problems: list[str] = []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"agency {code!r}: {key} must be an http(s) URL")
    elif parts.scheme == "http" and not _loopback(parts.hostname):
        log.warning("agency %s: its %s is plain http to another machine; notifications carry personal data, "
                    "use https", code, "webhook" if channel is Channel.AGENCY else key)
    secret = channel_secret(secrets, code, channel)
    if secret is None:
        names = f"{code} = \"…\"" + (f" or {code}{ALTERNATE_SUFFIX} = \"…\"" if channel is not Channel.AGENCY else "")
        article = "a" if channel is Channel.AGENCY else "an"
        problems.append(f"agency {code!r} has {article} {key} but no secret: set [webhooks.secrets] {names} or "
                        f"EC112_WEBHOOKS__SECRETS__{code.upper().replace('-', '_')}")
    elif len(secret) < MIN_SECRET_LENGTH:
        which = "" if channel is Channel.AGENCY else f" for its {key}"
        problems.append(f"agency {code!r}: the webhook secret{which} is shorter than {MIN_SECRET_LENGTH} chars")
    return problems


def channel_secret(secrets: Mapping[str, str], agency: str, channel: Channel) -> str | None:
    """The secret that signs ``channel`` of ``agency``: the alternate's own (``<code>-alternate``), else the
    agency's."""
    if channel is not Channel.AGENCY:
        own = secret_for(secrets, agency + ALTERNATE_SUFFIX)
        if own is not None:
            return own
    return secret_for(secrets, agency)


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
