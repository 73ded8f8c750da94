"""Caller numbers: keep what the network sent, and an E.164 form when it is a real number."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str | None, default_region: str) -> str | None:
    """E.164 of a caller number (``0812…`` with region ID → ``+62812…``), None if not a phone number.

    Anonymous / withheld callers reach 112 too: their "number" is a word, and stays raw only.
    """
    if not raw:
        return None
    candidate = raw.strip()
    if candidate.lower().startswith(("sip:", "tel:")):
        candidate = candidate.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_caller_name(name: str | None) -> str | None:
    """Asterisk sends ``unknown`` or an empty string when there is no name."""
    if name is None:
        return None
    stripped = name.strip().strip('"').strip()
    if not stripped or stripped.lower() in {"unknown", "anonymous", "<unknown>"}:
        return None
    return stripped
