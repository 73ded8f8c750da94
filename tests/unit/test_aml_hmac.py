"""The HMAC of an AML HTTPS POST (web/aml_api.py; definition in docs/location.md): HMAC-SHA1, lowercase hex,
over the raw body with the ``hmac`` field removed."""

from __future__ import annotations

import hashlib
import hmac

from ec112.web.aml_api import aml_hmac, hmac_input, verify_hmac

KEY = b"shared-key"
FIELDS = b"v=3&location_latitude=-1.25&location_longitude=116.8&device_number=%2B6281234567890"


def signed(body: bytes, key: bytes = KEY) -> str:
    return hmac.new(key, body, hashlib.sha1).hexdigest()


def test_the_mac_is_over_the_body_without_its_hmac_field_wherever_it_is() -> None:
    mac = signed(FIELDS).encode()
    assert verify_hmac(KEY, FIELDS + b"&hmac=" + mac) == FIELDS
    first, rest = FIELDS.split(b"&", 1)
    assert verify_hmac(KEY, b"hmac=" + mac + b"&" + FIELDS) == FIELDS
    assert verify_hmac(KEY, first + b"&hmac=" + mac + b"&" + rest) == FIELDS
    assert verify_hmac(KEY, FIELDS + b"&hmac=" + mac.upper()) == FIELDS  # hex in either case


def test_a_wrong_key_a_changed_field_a_missing_or_doubled_mac_are_refused() -> None:
    mac = signed(FIELDS).encode()
    assert verify_hmac(b"other", FIELDS + b"&hmac=" + mac) is None
    assert verify_hmac(KEY, FIELDS.replace(b"-1.25", b"-1.35") + b"&hmac=" + mac) is None
    assert verify_hmac(KEY, FIELDS) is None
    assert verify_hmac(KEY, FIELDS + b"&hmac=" + mac + b"&hmac=" + mac) is None
    assert verify_hmac(KEY, FIELDS + b"&hmac") is None


def test_helpers_agree() -> None:
    assert aml_hmac(KEY, FIELDS) == signed(FIELDS)
    assert hmac_input(FIELDS + b"&hmac=ab") == (FIELDS, "ab")
