"""The audit log's hash chain (pure): each entry's hash covers its content and the previous entry's hash.

Changing, deleting or inserting a row anywhere breaks the chain from that row on; ``verify_chain`` says
where. Ids are consecutive from 1, so a row cut off the end is caught against the anchors kept elsewhere
only; a cut in the middle or a rewritten row is caught here. Whoever can write the database can recompute
the hashes: the MAC of each entry and the anchors (``domain.audit_seal``) catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ec112.domain.audit_seal import Keyring, entry_message

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An entry a service asks to be written with the change it records, in the same transaction."""

    actor: str
    action: str
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime  # UTC, microseconds
    actor: str  # a username, "cli", or "-" when nobody is logged in (a failed login)
    action: str  # e.g. login.success, login.failure, logout, agent.pause, user.add
    target: str | None
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str
    mac: str | None = None  # HMAC-SHA256 over (key_id, hash); None: written before the log had a key
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str | None = None
    unsigned: int = 0  # entries written before MACs (the first ones only): reported, not trusted
    anchors: int = 0  # anchors of the anchor file checked
    head_id: int = 0


def canonical_detail(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    *, id: int, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any], prev_hash: str
) -> str:
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    body = {
        "id": id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "detail": json.loads(canonical_detail(detail)),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((canonical + prev_hash).encode()).hexdigest()


def seal(
    *, id: int, at: datetime, actor: str, action: str, target: str | None, detail: Mapping[str, Any], prev_hash: str
) -> AuditEntry:
    """A new entry chained after ``prev_hash``."""
    digest = entry_hash(id=id, at=at, actor=actor, action=action, target=target, detail=detail, prev_hash=prev_hash)
    return AuditEntry(id, at, actor, action, target, dict(detail), prev_hash, digest)


def mac_problem(e: AuditEntry, keyring: Keyring, signed_before: bool) -> str | None:
    """Why ``e``'s MAC is not trusted (None when it is, or when it predates the key)."""
    if e.mac is None or e.key_id is None:
        return "entry has no MAC after entries that have one (MAC removed)" if signed_before else None
    valid = keyring.valid(entry_message(e.key_id, e.hash), e.key_id, e.mac)
    if valid is None:
        return f"signed with key {e.key_id!r}, not in the key file"
    return None if valid else "MAC does not match (row changed, hashes recomputed)"


def verify_chain(entries: Iterable[AuditEntry], *, start_id: int = 1, start_hash: str = GENESIS_HASH,
                 keyring: Keyring | None = None, signed_before: bool = False) -> ChainCheck:
    """Check entries in id order; the first break is reported (a later one may hide behind it). With a
    keyring, MACs too: entries without one are only accepted before the first signed one (``unsigned``)."""
    expected_id, expected_prev, checked, unsigned = start_id, start_hash, 0, 0
    for e in entries:
        if e.id != expected_id:
            return ChainCheck(False, checked, e.id, f"expected entry {expected_id}, found {e.id} (rows missing)")
        if e.prev_hash != expected_prev:
            return ChainCheck(False, checked, e.id, "prev_hash does not match the previous entry (rows changed)")
        actual = entry_hash(id=e.id, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail,
                            prev_hash=e.prev_hash)
        if actual != e.hash:
            return ChainCheck(False, checked, e.id, "content does not match its hash (row changed)")
        if keyring is not None:
            problem = mac_problem(e, keyring, signed_before)
            if problem:
                return ChainCheck(False, checked, e.id, problem, unsigned)
            signed_before = signed_before or e.mac is not None
            unsigned += e.mac is None
        expected_id, expected_prev, checked = e.id + 1, e.hash, checked + 1
    return ChainCheck(True, checked, unsigned=unsigned, head_id=expected_id - 1)
