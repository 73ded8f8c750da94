"""Advanced Mobile Location (ETSI TS 103 625) SMS and HTTPS messages → a domain ``Location``.

Hand-written because no maintained Python library parses AML (the field names below were checked against
ETSI TS 103 625 V1.1.1 as quoted by the Rust crate cpilatre/aml-lib and Google's ELS SMS/HTTPS pages).
A handset sends it by itself during a 112 call; it is a few ``key=value`` fields, but it arrives from the
phone network, so it is treated as hostile: a size cap, ASCII only, strict number formats (no ``nan``,
``1e9``, Arabic-Indic digits), bounds, and a duplicated key is an error (which ``lt`` would be true?).

* SMS v1: ``A"ML=1;lt=+55.74317;lg=-004.26881;rd=50;top=20130717141935;lc=90;pm=G;si=…;ei=…;mcc=234;
  mnc=30;ml=128``: ``lt``/``lg`` degrees, ``rd`` radius in metres, ``top`` the fix time (UTC,
  ``yyyyMMddHHmmss``), ``lc`` confidence %, ``pm`` method (``G`` GNSS, ``W`` Wi-Fi, ``C`` cell, ``N`` no
  location; ``F`` fused and ``U`` unknown are seen too), ``si`` IMSI, ``ei`` IMEI, ``mcc``/``mnc`` the
  network, ``ml`` the length of the whole message. ``lt``, ``lg``, ``rd`` and ``top`` are required and
  strict: they come first, so a message cut short by the network always loses ``top`` and is rejected
  instead of yielding a shortened (wrong) coordinate. ``ml`` is a check, not a gate: handsets get it
  wrong by a character or two, so a mismatch only sets ``length_verified=False``.
* SMS v2 (``A"ML=2``, ELS): ``lo=lat,lon,accuracy`` (accuracy 0 = unknown), ``et`` call start (epoch
  seconds), ``lt`` fix time in seconds relative to ``et``, ``lc``, ``ls`` method, ``ei``, ``nc``/``hc``
  network/home MCC+MNC, ``en`` number dialled, ``lg`` language. Note ``lt``/``lg`` mean something else
  than in v1.
* HTTPS POST (``application/x-www-form-urlencoded``): ``v``, ``emergency_number``, ``time``,
  ``location_latitude``, ``location_longitude``, ``location_accuracy``, ``location_time`` (ms since the
  epoch), ``location_source`` (gps, wifi, cell, fused, unknown), ``location_certainty`` (%),
  ``device_imsi``, ``device_imei``, ``cell_network_mcc``/``mnc`` and more that are ignored here.

A position needs latitude, longitude and (when present) a well-formed radius; everything else that is
malformed (method, confidence, identities, network, length) is dropped and named in ``notes`` so that a
112 caller's location is not lost over metadata. Errors and notes never carry IMSI/IMEI or coordinates.
Every failure raises ``AmlParseError`` (a ``LocationParseError``, so a ``ValueError``) with a stable
``code``: ``too_large``, ``not_ascii``, ``not_aml``, ``unsupported_version``, ``malformed``,
``duplicate_field``, ``missing_field``, ``bad_coordinates``, ``bad_radius``, ``bad_timestamp``,
``no_location``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from ec112.domain.location import Location, LocationSource
from ec112.location.aml_values import (
    _DIGITS,
    _INT_RE,
    _KEY_RE,
    AmlParseError,
    _choice,
    _epoch,
    _ident,
    _percent,
    _position,
    _radius,
    _sms_time,
)

MAX_SMS_CHARS = 1024  # one AML SMS is ~130 characters; a concatenated SMS stays far below this
MAX_HTTPS_BYTES = 8 * 1024
MAX_FIELDS = 64
HEADER = 'A"ML'

_SMS_METHODS = {"G": "GPS", "W": "Wifi", "C": "Cell", "F": "Fused", "U": None}
_HTTPS_METHODS = {"gps": "GPS", "wifi": "Wifi", "cell": "Cell", "fused": "Fused", "unknown": None}


@dataclass(frozen=True, slots=True)
class AmlMessage:
    """What an AML message said: the position and the metadata a call taker may want to see."""

    location: Location
    transport: str  # "sms" or "https"
    version: str | None
    confidence_pct: float | None = None
    length_verified: bool | None = None  # SMS v1 ``ml`` matched; None where the format has no length
    mcc: str | None = None
    mnc: str | None = None
    emergency_number: str | None = None
    device_number: str | None = field(default=None, repr=False)  # HTTPS ``device_number``: the handset's MSISDN
    imsi: str | None = field(default=None, repr=False)  # personal data: never logged
    imei: str | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()  # what was malformed and dropped (field names, never values)


def parse_aml_sms(text: str | bytes, *, received_at: datetime) -> AmlMessage:
    """Parse the text of an AML SMS (v1 or v2), as the SMS gateway decoded it from GSM 7-bit."""
    message = _ascii(text, MAX_SMS_CHARS, "SMS").strip("\r\n")
    if not message.startswith(HEADER + "="):
        raise AmlParseError("not_aml", 'an AML SMS starts with A"ML=')
    fields = _fields([p for p in message.rstrip(";").split(";")], sep="=")
    version = fields[HEADER]
    if version == "1":
        return _sms_v1(fields, len(message), received_at)
    if version == "2":
        return _sms_v2(fields, received_at)
    raise AmlParseError("unsupported_version", f"AML SMS version {version[:8]!r} is not 1 or 2")


def parse_aml_https(body: str | bytes, *, received_at: datetime) -> AmlMessage:
    """Parse the form-encoded body of an AML HTTPS POST."""
    text = _ascii(body, MAX_HTTPS_BYTES, "HTTPS body").strip()
    fields = _fields([p for p in text.split("&") if p], sep="=", decode=True)
    notes: list[str] = []
    lat, lon = _position(_required(fields, "location_latitude"), _required(fields, "location_longitude"))
    radius = _radius(fields.get("location_accuracy"), zero_is_unknown=False)
    observed = (_epoch(fields.get("location_time"), 1000, received_at, notes, "location_time")
                or _epoch(fields.get("time"), 1000, received_at, notes, "time") or received_at)
    source = fields.get("location_source")
    method = _choice(source.lower() if source else None, _HTTPS_METHODS, notes, "location_source")
    return AmlMessage(
        _location(lat, lon, radius, observed, method), "https", (fields.get("v") or "")[:16] or None,
        confidence_pct=_percent(fields.get("location_certainty"), notes, "location_certainty"),
        mcc=_ident(fields.get("cell_network_mcc"), "mcc", notes, "cell_network_mcc"),
        mnc=_ident(fields.get("cell_network_mnc"), "mnc", notes, "cell_network_mnc"),
        emergency_number=_ident(fields.get("emergency_number"), "number", notes, "emergency_number"),
        device_number=_ident(fields.get("device_number"), "number", notes, "device_number"),
        imsi=_ident(fields.get("device_imsi"), "imsi", notes, "device_imsi"),
        imei=_ident(fields.get("device_imei"), "imei", notes, "device_imei"),
        notes=tuple(notes),
    )


def _sms_v1(fields: dict[str, str], length: int, received_at: datetime) -> AmlMessage:
    notes: list[str] = []
    raw_lat, raw_lon, raw_rd, top = (_required(fields, key) for key in ("lt", "lg", "rd", "top"))
    pm = fields.get("pm")
    if pm == "N" or raw_rd == "N":
        raise AmlParseError("no_location", "the handset had no position (pm=N / rd=N)")
    lat, lon = _position(raw_lat, raw_lon)
    radius = _radius(raw_rd, zero_is_unknown=False)
    observed = _sms_time(top, received_at, notes)
    declared = fields.get("ml")
    if declared is None:
        notes.append("ml")
        verified = False
    else:
        verified = declared.isdigit() and len(declared) <= 5 and int(declared) == length
        if not verified:
            notes.append("ml")
    return AmlMessage(
        _location(lat, lon, radius, observed, _choice(pm, _SMS_METHODS, notes, "pm")), "sms", "1",
        confidence_pct=_percent(fields.get("lc"), notes, "lc"), length_verified=verified,
        mcc=_ident(fields.get("mcc"), "mcc", notes, "mcc"), mnc=_ident(fields.get("mnc"), "mnc", notes, "mnc"),
        imsi=_ident(fields.get("si"), "imsi", notes, "si"), imei=_ident(fields.get("ei"), "imei", notes, "ei"),
        notes=tuple(notes),
    )


def _sms_v2(fields: dict[str, str], received_at: datetime) -> AmlMessage:
    notes: list[str] = []
    parts = _required(fields, "lo").split(",")
    if len(parts) != 3:
        raise AmlParseError("bad_coordinates", "lo must be latitude,longitude,accuracy")
    lat, lon = _position(parts[0].strip(), parts[1].strip())
    radius = _radius(parts[2].strip(), zero_is_unknown=True)
    started = _epoch(fields.get("et"), 1, received_at, notes, "et")
    observed = started or received_at
    if started is not None and "lt" in fields:
        offset = fields["lt"]
        if _INT_RE.fullmatch(offset) and abs(int(offset)) <= 86_400:
            observed = started + timedelta(seconds=int(offset))
        else:
            notes.append("lt")
    method = fields.get("ls")
    if method == "N":
        raise AmlParseError("no_location", "the handset had no position (ls=N)")
    network, home = fields.get("nc"), fields.get("hc")
    if home is not None and not _DIGITS["plmn"].fullmatch(home):
        notes.append("hc")
    plmn = _ident(network, "plmn", notes, "nc")
    return AmlMessage(
        _location(lat, lon, radius, observed, _choice(method, _SMS_METHODS, notes, "ls")), "sms", "2",
        confidence_pct=_percent(fields.get("lc"), notes, "lc"), mcc=plmn[:3] if plmn else None,
        mnc=plmn[3:] if plmn else None, emergency_number=_ident(fields.get("en"), "number", notes, "en"),
        imei=_ident(fields.get("ei"), "imei", notes, "ei"), notes=tuple(notes),
    )


def _ascii(data: str | bytes, limit: int, what: str) -> str:
    if not isinstance(data, str | bytes | bytearray):
        raise AmlParseError("malformed", f"{what} must be text or bytes")
    if len(data) > limit:
        raise AmlParseError("too_large", f"{what} exceeds {limit} characters")
    try:
        text = data.decode("ascii") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError:
        raise AmlParseError("not_ascii", f"{what} is not ASCII") from None
    if not text.isascii():
        raise AmlParseError("not_ascii", f"{what} is not ASCII")
    if any(c < " " and c not in "\r\n" for c in text) or "\x7f" in text:
        raise AmlParseError("malformed", f"{what} contains control characters")
    return text


def _fields(parts: list[str], *, sep: str, decode: bool = False) -> dict[str, str]:
    if len(parts) > MAX_FIELDS:
        raise AmlParseError("malformed", f"more than {MAX_FIELDS} fields")
    fields: dict[str, str] = {}
    for part in parts:
        key, found, value = part.partition(sep)
        if decode:  # form encoding: the key is plain, the value may be percent-encoded UTF-8
            try:
                value = unquote_plus(value, errors="strict")
            except UnicodeDecodeError:
                raise AmlParseError("not_ascii", f"the value of {key[:40]!r} is not UTF-8") from None
            if not value.isprintable():
                raise AmlParseError("malformed", f"the value of {key[:40]!r} contains control characters")
        if not found or not _KEY_RE.fullmatch(key) or (not decode and sep in value):
            raise AmlParseError("malformed", f"field {len(fields) + 1} is not key{sep}value")
        if key in fields:
            raise AmlParseError("duplicate_field", f"{key!r} appears more than once")
        fields[key] = value.strip()
    return fields


def _required(fields: dict[str, str], key: str) -> str:
    value = fields.get(key)
    if not value:
        raise AmlParseError("missing_field", f"no {key!r} field (message cut short?)")
    return value


def _location(lat: float, lon: float, radius: float | None, observed: datetime, method: str | None) -> Location:
    return Location(lat=lat, lon=lon, radius_m=radius, source=LocationSource.AML, observed_at=observed,
                    method=method)
