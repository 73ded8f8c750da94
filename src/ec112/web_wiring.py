"""The web part of the composition root: the panel's accounts and sessions, and uvicorn inside ec112's loop.

Called by ``daemon.run`` (the one composition root); kept apart so that ``daemon.py`` stays readable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import uvicorn
from fastapi import FastAPI

from ec112.config.local_token import write_cli_token
from ec112.config.settings import Settings
from ec112.config.softphone_accounts import endpoint_secrets_reader, site_endpoints_reader
from ec112.db.accounts import SqlAccountStore
from ec112.domain.softphones import SoftphoneSite
from ec112.services.accounts import UserAdmin
from ec112.services.audit import AuditService
from ec112.services.passwords import Passwords
from ec112.services.ratelimit import Limit, LoginRateLimiter
from ec112.services.sessions import AuthService, SessionPolicy
from ec112.services.softphones import SoftphoneDesk
from ec112.web.auth import WebAuth
from ec112.web.i18n import I18n


class EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our loop: signals belong to the daemon, not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def web_auth(settings: Settings, accounts: SqlAccountStore, audit: AuditService) -> WebAuth:
    """Accounts, sessions, audit and templates of the web panel; a fresh CLI token in var_dir."""
    w = settings.web
    passwords = Passwords()
    limiter = LoginRateLimiter(Limit(w.login_failures_per_user, w.login_window_seconds),
                               Limit(w.login_failures_per_address, w.login_window_seconds))
    policy = SessionPolicy(timedelta(minutes=w.session_idle_minutes), timedelta(hours=w.session_lifetime_hours))
    auth = AuthService(accounts, passwords, audit, limiter, policy=policy, cli_token=write_cli_token(settings.var_dir))
    users = UserAdmin(accounts, accounts, passwords, audit, site_endpoints=site_endpoints_reader(settings.softphones))
    return WebAuth(auth, users, audit, I18n(settings.callcenter.timezone), w.secure_cookies)


def softphone_desk(settings: Settings, audit: AuditService) -> SoftphoneDesk:
    """The admin pages' softphone provisioning: ``[softphones]`` and its accounts file (read on each use)."""
    s = settings.softphones
    return SoftphoneDesk(SoftphoneSite(s.server, s.transport, s.srtp), endpoint_secrets_reader(s), audit)


def web_server(app: FastAPI, settings: Settings) -> EmbeddedUvicorn:
    return EmbeddedUvicorn(
        uvicorn.Config(
            app,
            host=settings.web.host,
            port=settings.web.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            # HTTPS of its own when configured (AML from handsets; otherwise a TLS proxy in front).
            ssl_certfile=settings.web.tls_certificate,
            ssl_keyfile=settings.web.tls_key,
        )
    )
