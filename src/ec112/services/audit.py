"""Audit of logins and actions, and the check of its hash chain, MACs and anchors (``ec112 audit verify``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ec112.domain.audit import GENESIS_HASH, AuditEntry, ChainCheck, verify_chain
from ec112.domain.audit_seal import Anchor, Keyring, anchor_mismatch, check_anchors
from ec112.services.account_ports import AuditStore
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)
_PAGE = 1000


class AuditService:
    def __init__(self, store: AuditStore, clock: Callable[[], datetime] = utcnow, *,
                 keyring: Keyring | None = None) -> None:
        self._store = store
        self._clock = clock
        self.keyring = keyring  # None: entries are not MAC'd nor their MACs checked (repository tests only)

    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        """Append an entry. Never raises: the action it records has already happened (a queue pause in
        Asterisk cannot be undone because the database hiccupped); a lost entry is logged as an error."""
        try:
            await self._store.append(at=self._clock(), actor=actor, action=action, target=target, detail=detail)
        except Exception:
            log.exception("audit entry lost: %s %s %s", actor, action, target)

    async def recent(self, limit: int) -> Sequence[AuditEntry]:
        return await self._store.recent(limit)

    async def head(self) -> AuditEntry | None:
        """The newest entry (what an anchor records); None while the log is empty."""
        newest = await self._store.recent(1)
        return newest[0] if newest else None

    async def verify(self, anchors: Sequence[Anchor] = ()) -> ChainCheck:
        """Walk the whole chain page by page (hashes, and MACs with a keyring), then hold it against the live
        anchors: the anchored entries must still be there, unchanged."""
        anchor_check = check_anchors(anchors, self.keyring) if self.keyring else None
        if anchor_check is not None and not anchor_check.ok:
            return ChainCheck(False, 0, None, anchor_check.reason, anchors=anchor_check.count)
        live = anchor_check.live if anchor_check else ()
        wanted = {a.head_id for a in live}
        found: dict[int, AuditEntry] = {}
        start_id, start_hash, checked, unsigned, signed = 1, GENESIS_HASH, 0, 0, False
        while True:
            page = await self._store.entries(after_id=start_id - 1, limit=_PAGE)
            if not page:
                break
            result = verify_chain(page, start_id=start_id, start_hash=start_hash, keyring=self.keyring,
                                  signed_before=signed)
            checked, unsigned = checked + result.checked, unsigned + result.unsigned
            if not result.ok:
                return ChainCheck(False, checked, result.bad_id, result.reason, unsigned, anchors=len(anchors))
            found.update((e.id, e) for e in page if e.id in wanted)
            signed = signed or any(e.mac is not None for e in page)
            start_id, start_hash = page[-1].id + 1, page[-1].hash
        report = ChainCheck(True, checked, unsigned=unsigned, anchors=len(anchors), head_id=start_id - 1)
        for a in live:
            if a.head_id == 0:
                continue  # anchored while the log was empty
            entry = found.get(a.head_id)
            problem = anchor_mismatch(a, entry.hash if entry else None, entry.mac if entry else None)
            if problem:
                return replace(report, ok=False, bad_id=a.head_id, reason=problem)
        return report
