"""Changing the centre's agencies while ec112 runs: one validation, a stored version, an audit entry, a swap.

Why a service: the admin page, the JSON API and ``ec112 agencies import`` all change the same thing, the agencies
document (the TOML of ``[callcenter] agencies_file``), and must do it the same way:

1. the whole new document is validated by the ONE loader ``ec112 agencies check`` uses (a port, ``parse``, given by
   the composition root: ``config.agencies_file.parse_agencies`` plus the start's webhook-secret check), so the
   page shows exactly the CLI's messages and a document the next start would refuse is never stored;
2. it is stored as a new version (text, author, time) with its audit entry (who, and what changed: agencies
   added, removed, their changed fields, old and new acknowledgement times) in ONE transaction;
3. the in-memory ``CurrentAgencies`` is replaced, so the next dispatch uses it, and ``AgenciesChanged`` is
   published on the bus.

On any mistake nothing changes (``AgenciesRejected`` lists every problem). Versions are kept, never edited, so
the document in force at any time can be read back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.audit import AuditDraft
from ec112.domain.errors import Conflict, Forbidden, InvalidRequest
from ec112.domain.events import AgenciesChanged
from ec112.routing.agencies import Agencies, DirectoryError
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow

# The document → the agencies and its warnings, or DirectoryError listing every problem as the CLI prints them.
ParseAgencies = Callable[[str], tuple[Agencies, list[str]]]
_FIELDS = ("name", "short_name", "categories", "posts", "phone", "alternate_contact", "webhook_url",
           "ack_timeout_seconds")


@dataclass(frozen=True, slots=True)
class AgencyVersion:
    id: int
    text: str  # the TOML document as validated
    author: str
    action: str  # agencies.file (imported at a start), agencies.edit (the page), agencies.import (an upload)
    at: datetime


class AgencyVersionStore(Protocol):
    async def latest(self) -> AgencyVersion | None: ...

    async def add(self, text: str, *, author: str, action: str, at: datetime,
                  audit: AuditDraft | None) -> AgencyVersion: ...

    async def recent(self, limit: int) -> list[AgencyVersion]: ...


class AgenciesRejected(InvalidRequest):
    """The document cannot be used; ``problems``: every reason, one line each, as ``ec112 agencies check``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Saved:
    version: AgencyVersion
    warnings: list[str]


class AgencyAdmin:
    def __init__(self, store: AgencyVersionStore, current: CurrentAgencies, parse: ParseAgencies, *,
                 version: AgencyVersion, bus: EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._current = current
        self._parse = parse
        self._version = version
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Agencies:
        return self._current.value

    @property
    def version(self) -> AgencyVersion:
        """The version in force (its ``text`` is what the download gives)."""
        return self._version

    def check(self, text: str) -> tuple[Agencies, list[str]]:
        """Validate a whole document without storing it: the agencies and the warnings, or ``AgenciesRejected``."""
        try:
            return self._parse(text)
        except DirectoryError as exc:
            raise AgenciesRejected(exc.problems) from exc

    async def save(self, text: str, by: User, *, action: str = "agencies.edit", target: str | None = None,
                   base: int | None = None) -> Saved:
        """Validate, store as a new version with its audit entry, swap, publish; nothing changes on a mistake.
        ``base``: the version ``text`` was made from (the page's edit); another save in between is a Conflict
        rather than a silent loss of its change."""
        if not has_permission(by, Permission.MANAGE_AGENCIES):
            raise Forbidden("only a supervisor or an admin changes the agencies / hanya supervisor atau admin")
        async with self._lock:  # one save at a time: each version is made from the one before it
            if base is not None and base != self._version.id:
                raise Conflict("the agencies were changed meanwhile: reload the page / instansi sudah diubah, "
                               "muat ulang halaman")
            return await self._save(text, by, action, target)

    async def _save(self, text: str, by: User, action: str, target: str | None) -> Saved:
        agencies, warnings = self.check(text)
        detail = changes(self.current, agencies)
        at = self._clock()
        audit = AuditDraft(by.username, action, target or "agencies", {"from_version": self._version.id, **detail})
        version = await self._store.add(text, author=by.username, action=action, at=at, audit=audit)
        self._current.replace(agencies)
        self._version = version
        await self._bus.publish(AgenciesChanged(at=at, actor=by.username, version=version.id, action=action))
        return Saved(version, warnings)

    async def history(self, limit: int = 20) -> list[AgencyVersion]:
        return await self._store.recent(limit)


def changes(old: Agencies, new: Agencies) -> dict[str, Any]:
    """What a new document changes, for the audit entry (no URL values: they may carry a token)."""
    before = {a.code: a for a in old.directory.agencies}
    after = {a.code: a for a in new.directory.agencies}
    changed: dict[str, list[str]] = {}
    ack: dict[str, list[int | None]] = {}
    for code in before.keys() & after.keys():
        fields = [f for f in _FIELDS if getattr(before[code], f) != getattr(after[code], f)]
        if fields:
            changed[code] = fields
        if "ack_timeout_seconds" in fields:
            ack[code] = [before[code].ack_timeout_seconds, after[code].ack_timeout_seconds]
    old_categories = {c.code for c in old.categories.all()}
    new_categories = {c.code for c in new.categories.all()}
    detail: dict[str, Any] = {
        "agencies_added": sorted(after.keys() - before.keys()),
        "agencies_removed": sorted(before.keys() - after.keys()),
        "agencies_changed": dict(sorted(changed.items())), "ack_timeout_seconds": dict(sorted(ack.items())),
        "categories_added": sorted(new_categories - old_categories),
        "categories_removed": sorted(old_categories - new_categories),
        "responders": [len(old.directory.responders), len(new.directory.responders)],
    }
    if detail["responders"][0] == detail["responders"][1]:
        del detail["responders"]
    return {k: v for k, v in detail.items() if v}

