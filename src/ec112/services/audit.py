"""Audit of logins and actions, and the check of its hash chain (``ec112 audit verify``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ec112.domain.audit import GENESIS_HASH, AuditEntry, ChainCheck, verify_chain
from ec112.services.account_ports import AuditStore
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)
_PAGE = 1000


class AuditService:
    def __init__(self, store: AuditStore, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        """Append an entry. Never raises: the action it records has already happened (a queue pause in
        Asterisk cannot be undone because the database hiccupped); a lost entry is logged as an error."""
        try:
            await self._store.append(at=self._clock(), actor=actor, action=action, target=target, detail=detail)
        except Exception:
            log.exception("audit entry lost: %s %s %s", actor, action, target)

    async def recent(self, limit: int) -> Sequence[AuditEntry]:
        return await self._store.recent(limit)

    async def verify(self) -> ChainCheck:
        """Walk the whole chain, page by page."""
        start_id, start_hash, checked = 1, GENESIS_HASH, 0
        while True:
            page = await self._store.entries(after_id=start_id - 1, limit=_PAGE)
            if not page:
                return ChainCheck(True, checked)
            result = verify_chain(page, start_id=start_id, start_hash=start_hash)
            checked += result.checked
            if not result.ok:
                return ChainCheck(False, checked, result.bad_id, result.reason)
            start_id, start_hash = page[-1].id + 1, page[-1].hash
