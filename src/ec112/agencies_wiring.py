"""The agencies part of the composition root: which agencies document is in force at a start, and the admin service.

Where the agencies come from (issue 17): the database keeps every version of the agencies document
(``db.agency_versions``); the admin page and ``ec112 agencies import`` add versions while the daemon runs
(``services.agency_admin``). At a start:

- no version yet, or the newest one was imported from the configured file and that file has changed since: the
  file (``[callcenter] agencies_file``, else the built-in one) is validated and stored as a new version
  (``agencies.file``, audited as ``ec112``), so editing the file and restarting keeps working as before;
- otherwise the newest version is used; when it was made in the panel (or by an import) and the file now differs,
  a WARNING says so (the panel's version wins; ``ec112 agencies import FILE`` makes the file the current one).

Both are checked exactly as before (``config.agencies_file.parse_agencies`` and the webhook secrets): a document the
start cannot use is exit 78 before any port opens. The same check is the ``parse`` port of the admin service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.config.agencies_file import (
    BUILT_IN,
    AgenciesFileError,
    alternate_warnings,
    parse_agencies,
    read_agencies_text,
)
from ec112.db.agency_versions import SqlAgencyVersions
from ec112.domain.audit import AuditDraft
from ec112.routing.agencies import Agencies, DirectoryError
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.agency_admin import AgencyAdmin, AgencyVersion, ParseAgencies, changes
from ec112.services.event_bus import EventBus
from ec112.services.intake import utcnow
from ec112.webhooks import WebhookConfigError, check_webhooks
from ec112.webhooks.config import secret_for

log = logging.getLogger(__name__)
STARTER = "ec112"  # the author of a version imported from the file at a start


@dataclass(frozen=True, slots=True)
class AgenciesAtStart:
    current: CurrentAgencies
    admin: AgencyAdmin
    source: str  # what the log says the agencies came from


def checker(default_ack: int, secrets: Mapping[str, str]) -> ParseAgencies:
    """The one check of a document as the admin service uses it: problems as ``DirectoryError``."""

    def parse(text: str) -> tuple[Agencies, list[str]]:
        try:
            loaded = parse_agencies(text, "agencies document", default_ack_timeout_seconds=default_ack)
            check_webhooks(loaded.directory.agencies, secrets)
        except AgenciesFileError as exc:
            raise DirectoryError(exc.problems) from exc
        except WebhookConfigError as exc:
            raise DirectoryError(exc.problems) from exc
        return loaded, alternate_warnings(loaded.directory.agencies)

    return parse


def webhook_secret_set(secrets: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether an agency's webhook secret is set (the page shows yes/no, never the secret)."""
    return lambda code: secret_for(secrets, code) is not None


async def start_agencies(agencies_file: Path | None, default_ack: int, engine: AsyncEngine,
                         secrets: Mapping[str, str], bus: EventBus) -> AgenciesAtStart:
    """The agencies in force (exit 78 via ``AgenciesFileError``/``WebhookConfigError`` when unusable).
    ``agencies_file``/``default_ack``: ``[callcenter] agencies_file`` and ``ack_timeout_seconds``."""
    store = SqlAgencyVersions(engine)
    file_source = str(agencies_file) if agencies_file else "built-in default"
    file_text = read_agencies_text(agencies_file)
    latest = await store.latest()
    if latest is not None and not (latest.action == "agencies.file" and latest.text != file_text):
        agencies = _usable(latest.text, f"agencies version {latest.id} (database)", default_ack, secrets)
        if latest.text != file_text:
            log.warning("agencies: the file %s differs from version %d made by %s (%s); that version is used: "
                        "`ec112 agencies import FILE` makes the file current", file_source, latest.id,
                        latest.author, latest.action)
        version: AgencyVersion = latest
    else:
        agencies = _usable(file_text, str(agencies_file) if agencies_file else BUILT_IN,
                           default_ack, secrets)
        previous = None if latest is None else _previous(latest.text, default_ack)
        detail = changes(previous, agencies) if previous is not None else {}
        version = await store.add(file_text, author=STARTER, action="agencies.file", at=utcnow(),
                                  audit=AuditDraft(STARTER, "agencies.file", file_source[:128], detail))
    current = CurrentAgencies(agencies)
    admin = AgencyAdmin(store, current, checker(default_ack, secrets), version=version, bus=bus)
    return AgenciesAtStart(current, admin, f"version {version.id}, {version.action} by {version.author}")


def _usable(text: str, source: str, default_ack: int, secrets: Mapping[str, str]) -> Agencies:
    """``text`` checked as at every start (exit 78 when unusable)."""
    loaded = parse_agencies(text, source, default_ack_timeout_seconds=default_ack)
    check_webhooks(loaded.directory.agencies, secrets)
    return loaded


def _previous(text: str, default_ack: int) -> Agencies | None:
    """The version the file replaces, for the audit's "what changed" (None when it no longer parses)."""
    try:
        return parse_agencies(text, "previous version", default_ack_timeout_seconds=default_ack)
    except AgenciesFileError:
        return None
