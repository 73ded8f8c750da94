"""The value readers of the AML parser (location/aml.py): coordinates, radius, times, percentages, identifiers.

Each checks one field of a hostile message against a strict pattern and either returns the value, records a note
(an optional field that is unusable is dropped, the location kept) or raises ``AmlParseError`` with its code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ec112.location.pidf import LocationParseError

MAX_RADIUS_M = 100_000.0  # a 100 km "position" is no position for dispatching
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_CLOCK_SLACK = timedelta(days=1)
_LAT_RE = re.compile(r"[+-]?[0-9]{1,2}(?:\.[0-9]{1,15})?", re.ASCII)
_LON_RE = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{1,15})?", re.ASCII)
_NUMBER_RE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,15})?", re.ASCII)
_INT_RE = re.compile(r"[+-]?[0-9]{1,15}", re.ASCII)
_KEY_RE = re.compile(r'[A-Za-z_"][A-Za-z0-9_"]{0,39}', re.ASCII)
_DIGITS = {"imsi": re.compile(r"[0-9]{6,15}", re.ASCII), "imei": re.compile(r"[0-9]{14,16}", re.ASCII),
           "mcc": re.compile(r"[0-9]{3}", re.ASCII), "mnc": re.compile(r"[0-9]{2,3}", re.ASCII),
           "number": re.compile(r"\+?[0-9*#]{1,20}", re.ASCII), "plmn": re.compile(r"[0-9]{5,6}", re.ASCII)}


class AmlParseError(LocationParseError):
    """An AML message that cannot be turned into a ``Location``; ``code`` is stable for callers."""


def _position(raw_lat: str, raw_lon: str) -> tuple[float, float]:
    if not _LAT_RE.fullmatch(raw_lat) or not _LON_RE.fullmatch(raw_lon):
        raise AmlParseError("bad_coordinates", "latitude/longitude are not decimal degrees")
    lat, lon = float(raw_lat), float(raw_lon)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise AmlParseError("bad_coordinates", "latitude/longitude out of range")
    if lat == 0.0 and lon == 0.0:
        raise AmlParseError("no_location", "0,0 is the null location")
    return lat, lon


def _radius(raw: str | None, *, zero_is_unknown: bool) -> float | None:
    if raw is None or raw == "":
        return None
    if not _NUMBER_RE.fullmatch(raw):
        raise AmlParseError("bad_radius", "the accuracy is not a non-negative number of metres")
    radius = float(raw)
    if radius > MAX_RADIUS_M:
        raise AmlParseError("bad_radius", f"the accuracy exceeds {MAX_RADIUS_M:.0f} m")
    return None if zero_is_unknown and radius == 0.0 else radius


def _sms_time(top: str, received_at: datetime, notes: list[str]) -> datetime:
    try:
        if len(top) != 14 or not top.isdigit():
            raise ValueError(top)
        stamp = datetime.strptime(top, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise AmlParseError("bad_timestamp", "top is not yyyyMMddHHmmss") from None
    if stamp < _EARLIEST or stamp > received_at + _CLOCK_SLACK:
        notes.append("top")  # a handset clock years off is no reason to drop the fix: use our receive time
        return received_at
    return stamp


def _epoch(raw: str | None, per_second: int, received_at: datetime, notes: list[str], key: str) -> datetime | None:
    if raw is None:
        return None
    if not _INT_RE.fullmatch(raw):
        notes.append(key)
        return None
    seconds = int(raw) / per_second
    if not _EARLIEST.timestamp() <= seconds <= (received_at + _CLOCK_SLACK).timestamp():
        notes.append(key)  # a handset clock years off is no reason to drop the fix: use our receive time
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _choice(raw: str | None, table: dict[str, str | None], notes: list[str], key: str) -> str | None:
    if raw is None:
        return None
    if raw not in table:
        notes.append(key)
        return None
    return table[raw]


def _percent(raw: str | None, notes: list[str], key: str) -> float | None:
    if raw is None:
        return None
    if _NUMBER_RE.fullmatch(raw) and float(raw) <= 100.0:
        return float(raw)
    notes.append(key)
    return None


def _ident(raw: str | None, kind: str, notes: list[str], key: str) -> str | None:
    if raw is None or raw == "":
        return None
    if _DIGITS[kind].fullmatch(raw):
        return raw
    notes.append(key)
    return None
