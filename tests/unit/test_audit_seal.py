"""The audit log's key file and anchors (pure): keys parsed and rotated, anchors chained, a restore's rewind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ec112.domain.audit_seal import (
    KeyFileError,
    Keyring,
    check_anchors,
    entry_mac,
    entry_message,
    new_key_line,
    parse_keyring,
    seal_anchor,
)

AT = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


def _keyring() -> Keyring:
    return parse_keyring("# keys\n" + new_key_line(AT) + "\n" + new_key_line(AT))


def test_the_last_key_signs_and_every_key_verifies() -> None:
    keyring = _keyring()
    old_id, new_id = list(keyring.keys)
    assert old_id != new_id  # two keys made in the same second still get their own id
    assert keyring.signing_id == new_id
    key_id, mac = entry_mac(keyring, "ab" * 32)
    assert key_id == new_id
    assert keyring.valid(entry_message(key_id, "ab" * 32), key_id, mac) is True
    assert keyring.valid(entry_message(key_id, "cd" * 32), key_id, mac) is False
    assert keyring.valid(entry_message("k-lost", "ab" * 32), "k-lost", mac) is None
    old_mac = keyring.mac(entry_message(old_id, "ab" * 32), old_id)
    assert keyring.valid(entry_message(old_id, "ab" * 32), old_id, old_mac) is True


@pytest.mark.parametrize(("text", "message"), [
    ("", "no key"),
    ("k1 abc\n", "line 1"),
    ("k1 " + "zz" * 32 + "\n", "line 1"),
    ("k1 " + "ab" * 32 + "\nk1 " + "cd" * 32 + "\n", "appears twice"),
    ("k" * 41 + " " + "ab" * 32 + "\n", "line 1"),
])
def test_a_bad_key_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(KeyFileError, match=message):
        parse_keyring(text)


def test_anchors_before_a_restore_past_its_head_are_history() -> None:
    keyring = _keyring()
    a1 = seal_anchor(keyring, None, kind="start", at=AT, head_id=3, head_hash="h3", head_mac="m3")
    a2 = seal_anchor(keyring, a1, kind="stop", at=AT, head_id=9, head_hash="h9", head_mac="m9")
    a3 = seal_anchor(keyring, a2, kind="restore", at=AT, head_id=5, head_hash="h5", head_mac="m5")
    check = check_anchors([a1, a2, a3], keyring)
    assert check.ok
    assert [a.head_id for a in check.live] == [3, 5]  # 9 was rewound by the restore; 3 must still match

    broken = check_anchors([a1, a3], keyring)  # a2 removed from the file
    assert not broken.ok
    assert broken.reason is not None
    assert "not chained" in broken.reason
