"""Asterisk's ``GEOLOC_PROFILE(location_info)`` string → a domain ``Location``.

res_geolocation parses an incoming PIDF-LO itself (pidf_to_eprofile.xslt) and exposes the shape through
the dialplan as ``name="value"`` pairs joined by ``,`` with no escaping (geoloc_dialplan.c
``varlist_to_str``), e.g. on Asterisk 16.28 for a GML point::

    shape="Point",crs="2d",pos="52.520008 13.404954"

Key names are the GeoShape element local names (res_geolocation/geoloc_gml.c): ``pos`` (repeated, or
``posList``, for polygons), ``radius``, ``semiMajorAxis``, ``semiMinorAxis``, ``orientation``,
``innerRadius``, ``outerRadius``, ... ``crs`` is ``2d`` (EPSG::4326), ``3d`` (EPSG::4979) or ``unknown``
(any other srsName spelling). The XSLT drops the ``uom`` of lengths (GeoShape lengths are metres,
EPSG::9001), while angles keep theirs as a suffix (``orientation="43.2 radians"``). A length with a unit
suffix or a separate ``uom`` key is accepted too, in case a version keeps it.

A civic address (format ``civicAddress``) comes as ``lang="id",country="ID",A1="...",...,HNO="..."`` (the
RFC 5139 element names in document order) and a location by reference (format ``URI``) as ``URI="https://..."``
— identical on 16.28 and 22 (what each version exposes: docs/location.md). Neither version exposes the PIDF
``<timestamp>``, so ``observed_at`` is the call's arrival.

This reading is what the daemon gets over AGI/AMI without the raw INVITE body; when the body is at
hand, ``ec112.location.pidf.parse_pidf_lo`` sees more (timestamps, srsName spellings).
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from ec112.domain.location import Location, LocationSource
from ec112.domain.network_location import CivicAddress, LocationReference, NetworkLocation, civic_text
from ec112.location.pidf import LocationParseError, checked_position, covering_circle

__all__ = ["LocationParseError", "parse_geoloc_profile", "read_geoloc_profile", "reference_from_header"]

MAX_LOCATION_INFO_CHARS = 8192
MAX_CIVIC_FIELDS = 40
MAX_CIVIC_VALUE_CHARS = 200
MAX_URI_CHARS = 2048
_CIVIC_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_HEADER_URI_RE = re.compile(r"<([^<>]*)>")

_PAIR_RE = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^,"]*?))\s*(?:,|$)')
_METRE_UNITS = frozenset({"", "m", "meter", "meters", "metre", "metres", "urn:ogc:def:uom:EPSG::9001"})
# Shape → the length key whose value (metres) is the radius of a circle covering the shape.
_RADIUS_KEY = {
    "Circle": "radius",
    "Sphere": "radius",
    "Ellipse": "semiMajorAxis",
    "Ellipsoid": "semiMajorAxis",
    "ArcBand": "outerRadius",
}


def parse_geoloc_profile(
    location_info: str, *, format: str, method: str | None, received_at: datetime, confidence: str | None = None
) -> Location | None:
    """The geodetic part only: a ``Location``, or None for no profile, a civic address or a URI."""
    found = read_geoloc_profile(location_info, format=format, method=method, received_at=received_at,
                                confidence=confidence)
    return found if isinstance(found, Location) else None


def read_geoloc_profile(
    location_info: str, *, format: str, method: str | None, received_at: datetime, confidence: str | None = None
) -> NetworkLocation | None:
    """Parse ``GEOLOC_PROFILE(location_info)`` read together with ``GEOLOC_PROFILE(format)``/``(method)``/
    ``(confidence)`` (``pdf="normal",value="95"``: the percentage goes to ``Location.confidence``).

    GML → a ``Location`` (its ``shape`` kept; a non-circular shape as the circle covering it), civicAddress →
    a ``CivicAddress``, URI → a ``LocationReference``; None for an empty string (no profile on the channel).
    Raises ``LocationParseError`` for anything else. ``observed_at`` is ``received_at``: Asterisk does not
    expose the PIDF timestamp.
    """
    text = location_info.strip()
    if not text:
        return None
    if len(text) > MAX_LOCATION_INFO_CHARS:
        raise LocationParseError("too_large", f"location_info exceeds {MAX_LOCATION_INFO_CHARS} chars")
    fmt = format.strip().lower()
    method_text = (method or "").strip()[:64] or None
    if fmt == "civicaddress":
        return _civic(_split_pairs(text), method_text)
    if fmt == "uri":
        return _reference(_split_pairs(text))
    if fmt != "gml":
        raise LocationParseError("unsupported_format", f"GEOLOC_PROFILE format {format[:40]!r} is not GML")
    pairs = _split_pairs(text)
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)

    shape = _single(values, "shape")
    crs = values.get("crs", ["2d"])[0]
    if crs not in ("2d", "3d"):
        raise LocationParseError("unsupported_crs", f"crs {crs[:40]!r} is not 2d/3d (WGS84)")
    uom = values.get("uom", [""])[0]

    radius_m: float | None
    if shape == "Point":
        lat, lon = checked_position(_numbers(_single(values, "pos"), "pos", "bad_coordinates"))
        radius_m = None
    elif shape in _RADIUS_KEY:
        lat, lon = checked_position(_numbers(_single(values, "pos"), "pos", "bad_coordinates"))
        radius_m = _length_m(_single(values, _RADIUS_KEY[shape]), _RADIUS_KEY[shape], uom)
    elif shape in ("Polygon", "Prism"):
        lat, lon, radius_m = covering_circle(_vertices(values, crs))
    else:
        raise LocationParseError("unsupported_shape", f"shape {shape[:40]!r} is not supported")
    return Location(
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        source=LocationSource.PIDF_LO,
        observed_at=received_at,
        method=method_text,
        shape=shape,
        confidence=_confidence(confidence),
    )


def _confidence(text: str | None) -> int | None:
    """RFC 7459 confidence as Asterisk renders it; anything unreadable is no confidence, not a lost location."""
    if not text or len(text) > 200:
        return None
    try:
        values = dict(_split_pairs(text.strip()))
        percent = float(values.get("value", ""))
    except (LocationParseError, ValueError):
        return None
    return round(percent) if 0 <= percent <= 100 else None


def reference_from_header(header: str) -> LocationReference | None:
    """The first non-``cid:`` URI of a raw ``Geolocation`` header (RFC 6442: ``<uri>;params, <uri>``).

    For a call whose endpoint has no geolocation profile (GEOLOC_PROFILE empty): the reference is still kept.
    """
    for match in _HEADER_URI_RE.finditer(header[:MAX_LOCATION_INFO_CHARS]):
        uri = match.group(1).strip()
        if uri and not uri.lower().startswith("cid:"):
            return _checked_uri(uri)
    return None


def _civic(pairs: list[tuple[str, str]], method: str | None) -> CivicAddress:
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name == "lang" or not value:
            continue
        if not _CIVIC_NAME_RE.fullmatch(name) or len(fields) >= MAX_CIVIC_FIELDS:
            raise LocationParseError("malformed_civic", "civic address element names or count out of bounds")
        fields[name] = " ".join(value.split())[:MAX_CIVIC_VALUE_CHARS]
    if not fields:
        raise LocationParseError("no_location", "civic address without any element")
    return CivicAddress(fields=fields, text=civic_text(fields), method=method)


def _reference(pairs: list[tuple[str, str]]) -> LocationReference:
    uris = [value for key, value in pairs if key == "URI"]
    if len(uris) != 1:
        raise LocationParseError("malformed_location_info", "a URI profile needs exactly one URI")
    return _checked_uri(uris[0])


def _checked_uri(uri: str) -> LocationReference:
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI_CHARS or any(ord(ch) < 33 or ord(ch) == 127 for ch in uri):
        raise LocationParseError("bad_uri", "location URI is empty, too long or has blanks/control characters")
    return LocationReference(uri=uri)


def _split_pairs(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _PAIR_RE.match(text, position)
        if match is None or match.end() == position:
            raise LocationParseError("malformed_location_info", f"cannot read key=value at offset {position}")
        quoted, bare = match.group(2), match.group(3)
        pairs.append((match.group(1), (quoted if quoted is not None else bare).strip()))
        position = match.end()
    return pairs


def _single(values: dict[str, list[str]], key: str) -> str:
    found = values.get(key)
    if not found:
        code = "malformed_location_info" if key == "shape" else (
            "bad_coordinates" if key == "pos" else "bad_radius")
        raise LocationParseError(code, f"location_info has no {key!r}")
    if len(found) > 1:
        raise LocationParseError("malformed_location_info", f"location_info has {len(found)} {key!r} keys")
    return found[0]


def _numbers(text: str, what: str, code: str) -> list[float]:
    try:
        numbers = [float(part) for part in text.split()]
    except ValueError:
        raise LocationParseError(code, f"{what} is not a list of numbers") from None
    if not numbers or not all(math.isfinite(n) for n in numbers):
        raise LocationParseError(code, f"{what} is empty or not finite")
    return numbers


def _length_m(text: str, what: str, uom: str) -> float:
    number, _, unit = text.partition(" ")
    unit = unit.strip() or uom
    if unit not in _METRE_UNITS:
        raise LocationParseError("unsupported_uom", f"{what} unit {unit[:40]!r} is not metres")
    value = _numbers(number, what, "bad_radius")[0]
    if value < 0:
        raise LocationParseError("bad_radius", f"{what} is negative")
    return value


def _vertices(values: dict[str, list[str]], crs: str) -> list[tuple[float, float]]:
    if "posList" in values:
        flat = _numbers(_single(values, "posList"), "posList", "bad_coordinates")
        width = 3 if crs == "3d" else 2
        if len(flat) % width:
            raise LocationParseError("bad_coordinates", "posList length does not match the crs")
        return [checked_position(flat[i:i + width]) for i in range(0, len(flat), width)]
    return [checked_position(_numbers(pos, "pos", "bad_coordinates")) for pos in values.get("pos", [])]
