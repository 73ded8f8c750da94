"""What makes the audit log hard to rewrite (pure): a MAC on each entry, and anchors of the head kept outside.

The hash chain (``domain.audit``) catches an edit only from someone who cannot recompute it; anyone who can
write the database can. So each entry is also MAC'd (HMAC-SHA256 over its hash, which covers the whole chain
before it) with a key that lives in a file, not in the database, and the chain's head is regularly written to
an append-only anchor file (and syslog), each anchor chained to the one before and MAC'd too. An edit with
recomputed hashes fails its MAC; a deleted tail leaves the head below the last anchor; another database file
has another chain than the anchored one; an edited anchor file breaks its own chain.

The key file holds one key per line, ``<key_id> <64 hex digits>``; the last one signs, the older ones still
verify what they signed (rotation: docs/production.md §D).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime

ANCHOR_GENESIS = "0" * 64
ANCHOR_KINDS = ("start", "periodic", "stop", "restore")


class KeyFileError(ValueError):
    """The key file cannot be used (bad line, no key)."""


@dataclass(frozen=True, slots=True)
class Keyring:
    keys: Mapping[str, bytes]  # key_id → key, in the file's order
    signing_id: str  # the newest key: the one that signs

    def mac(self, message: str, key_id: str | None = None) -> str:
        key = self.keys[key_id or self.signing_id]
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()

    def valid(self, message: str, key_id: str, mac: str) -> bool | None:
        """True/False, or None when ``key_id`` is not in the key file (a key removed, or a foreign MAC)."""
        if key_id not in self.keys:
            return None
        return hmac.compare_digest(self.mac(message, key_id), mac)


def parse_keyring(text: str) -> Keyring:
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            if len(parts) != 2 or len(parts[0]) > 40 or len(parts[1]) < 64:
                raise ValueError
            key = bytes.fromhex(parts[1])
        except ValueError:
            raise KeyFileError(f"line {number}: expected '<key_id (≤ 40 chars)> <64+ hex digits>'") from None
        if parts[0] in keys:
            raise KeyFileError(f"line {number}: key_id {parts[0]!r} appears twice")
        keys[parts[0]] = key
    if not keys:
        raise KeyFileError("no key in the file")
    return Keyring(keys, list(keys)[-1])


def new_key_line(now: datetime) -> str:
    """A fresh key named by when it was made (``k20261202T164500Z-3f2a``), one line of the key file."""
    return f"k{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)} {secrets.token_hex(32)}\n"


def entry_message(key_id: str, entry_hash: str) -> str:
    return f"ec112-audit-entry\n{key_id}\n{entry_hash}"


def entry_mac(keyring: Keyring, entry_hash: str) -> tuple[str, str]:
    """(key_id, mac) of a new entry."""
    return keyring.signing_id, keyring.mac(entry_message(keyring.signing_id, entry_hash))


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int  # 1, 2, … in the file
    at: str  # ISO UTC
    kind: str  # start, periodic, stop, restore
    head_id: int  # 0: the log was empty
    head_hash: str | None
    head_mac: str | None
    prev: str  # digest of the previous anchor (ANCHOR_GENESIS for the first)
    key_id: str
    mac: str

    def body(self) -> str:
        fields = asdict(self)
        fields.pop("mac")
        return "ec112-audit-anchor\n" + json.dumps(fields, sort_keys=True, separators=(",", ":"))

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.line().encode()).hexdigest()


def seal_anchor(keyring: Keyring, previous: Anchor | None, *, kind: str, at: datetime, head_id: int,
                head_hash: str | None, head_mac: str | None) -> Anchor:
    unsigned = Anchor(previous.seq + 1 if previous else 1, at.isoformat(timespec="seconds"), kind, head_id,
                      head_hash, head_mac, previous.digest() if previous else ANCHOR_GENESIS, keyring.signing_id, "")
    return replace(unsigned, mac=keyring.mac(unsigned.body()))


def parse_anchor(line: str) -> Anchor:
    """One line of the anchor file; ValueError when it is not an anchor at all."""
    try:
        raw = json.loads(line)
        return Anchor(int(raw["seq"]), str(raw["at"]), str(raw["kind"]), int(raw["head_id"]), raw["head_hash"],
                      raw["head_mac"], str(raw["prev"]), str(raw["key_id"]), str(raw["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not an anchor: {exc}") from exc


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    ok: bool
    reason: str | None  # the first break of the anchor file's own chain
    live: tuple[Anchor, ...]  # the anchors the database must still match (those a restore left behind are not)
    count: int = 0


def check_anchors(anchors: Iterable[Anchor], keyring: Keyring) -> AnchorCheck:
    """The anchor file's own chain and MACs; the anchors a later restore rewound past are history, not live."""
    live: list[Anchor] = []
    previous: Anchor | None = None
    count = 0
    for a in anchors:
        where = f"anchor {count + 1} (seq {a.seq})"
        if a.seq != count + 1 or a.prev != (previous.digest() if previous else ANCHOR_GENESIS):
            return AnchorCheck(False, f"{where}: not chained to the anchor before it (anchor file edited)", (), count)
        valid = keyring.valid(a.body(), a.key_id, a.mac)
        if valid is None:
            return AnchorCheck(False, f"{where}: signed with key {a.key_id!r}, not in the key file", (), count)
        if not valid:
            return AnchorCheck(False, f"{where}: MAC does not match (anchor file edited)", (), count)
        if a.kind == "restore":  # a legitimate rewind: what was anchored past the restored head is history
            live = [x for x in live if x.head_id <= a.head_id]
        live.append(a)
        previous, count = a, count + 1
    return AnchorCheck(True, None, tuple(live), count)


def anchor_mismatch(anchor: Anchor, entry_hash: str | None, entry_mac_: str | None) -> str | None:
    """Why the database's entry at ``anchor.head_id`` is not the anchored one (None when it is)."""
    if entry_hash is None:
        return (f"entry {anchor.head_id} was anchored at {anchor.at} but the log ends before it "
                "(newest entries deleted, or another database)")
    if entry_hash != anchor.head_hash or entry_mac_ != anchor.head_mac:
        return f"entry {anchor.head_id} differs from the one anchored at {anchor.at} (another database or chain)"
    return None
