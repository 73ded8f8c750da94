"""The audit log's hash chain: intact entries verify; a changed, removed or inserted row is caught."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ec112.domain.audit import GENESIS_HASH, AuditEntry, entry_hash, seal, verify_chain

T0 = datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=UTC)


def _chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        entry = seal(id=i, at=T0 + timedelta(seconds=i), actor="siti", action="agent.pause", target="taker01",
                     detail={"reason": "sholat", "n": i}, prev_hash=prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def test_an_intact_chain_verifies() -> None:
    result = verify_chain(_chain(5))
    assert (result.ok, result.checked, result.bad_id) == (True, 5, None)
    assert verify_chain([]).ok


def test_a_changed_row_is_caught_where_it_was_changed() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], detail={"reason": "istirahat", "n": 3})
    result = verify_chain(entries)
    assert (result.ok, result.bad_id, result.checked) == (False, 3, 2)
    assert "row changed" in (result.reason or "")


def test_a_rehashed_row_breaks_the_next_link() -> None:
    entries = _chain(5)
    forged = seal(id=3, at=entries[2].at, actor="budi", action=entries[2].action, target=entries[2].target,
                  detail=entries[2].detail, prev_hash=entries[2].prev_hash)
    entries[2] = forged
    result = verify_chain(entries)
    assert (result.ok, result.bad_id) == (False, 4)


def test_a_removed_row_is_caught() -> None:
    entries = _chain(5)
    del entries[1]
    assert verify_chain(entries).bad_id == 3


def test_hash_is_independent_of_dict_order_and_timezone_notation() -> None:
    a = entry_hash(id=1, at=T0, actor="x", action="y", target=None, detail={"a": 1, "b": "ü"}, prev_hash=GENESIS_HASH)
    wib = T0.astimezone(timezone(timedelta(hours=7)))
    b = entry_hash(id=1, at=wib, actor="x", action="y", target=None, detail={"b": "ü", "a": 1}, prev_hash=GENESIS_HASH)
    assert a == b
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_hash(id=1, at=T0.replace(tzinfo=None), actor="x", action="y", target=None, detail={},
                   prev_hash=GENESIS_HASH)
