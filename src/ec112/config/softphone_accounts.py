"""The SIP accounts' passwords as the admin pages see them: read from ``[softphones] accounts_file`` on each use.

Read each time (the file is small, and ``ec112 site render`` may rewrite it while the daemon runs); a missing,
unset or broken file is a state the page explains, never an exception. The passwords never reach a log.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable

from ec112.config.settings_file import read_endpoint_secrets
from ec112.config.site_settings import SoftphoneSettings
from ec112.domain.softphones import EndpointSecrets


def endpoint_secrets_reader(settings: SoftphoneSettings) -> Callable[[], EndpointSecrets]:
    """What the softphone pages and the account checks call to learn the site's endpoints and passwords."""
    path = settings.accounts_file

    def read() -> EndpointSecrets:
        if path is None:
            return EndpointSecrets({}, "unset", None)
        try:
            return EndpointSecrets(read_endpoint_secrets(path), None, str(path))
        except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
            # The reason without the file's content (a TOML error quotes the line, which may hold a password).
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            return EndpointSecrets({}, f"unreadable: {reason}", str(path))

    return read


def site_endpoints_reader(settings: SoftphoneSettings) -> Callable[[], frozenset[str] | None]:
    """The site's SIP endpoint names when the accounts file knows them, else None (no check possible)."""
    read = endpoint_secrets_reader(settings)

    def endpoints() -> frozenset[str] | None:
        secrets = read()
        return frozenset(secrets.passwords) if secrets.problem is None and secrets.passwords else None

    return endpoints
