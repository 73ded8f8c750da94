"""What the caller's network said about the location when it gave no coordinates ec112 can use at once (pure).

An INVITE's RFC 6442 ``Geolocation`` carries a PIDF-LO by value (a GML shape → a ``Location``, or an RFC 5139
civic address) or a URI to fetch it from (by reference). The FastAGI intake hands the two non-geodetic kinds to
the location service after the ticket is open: a ``CivicAddress`` is placed through the gazetteer, a
``LocationReference`` is fetched in the background; neither may hold the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ec112.domain.location import Location

# RFC 5139 element names in the order a one-line address reads them, most precise first: the street part,
# then the named place, then the administrative levels (Indonesia: A4 desa/kelurahan, A3 kecamatan,
# A2 kabupaten/kota, A1 provinsi), then the country.
_STREET = ("PRD", "RD", "STS", "POD", "HNO", "HNS")
_AFTER_STREET = ("NAM", "BLD", "LMK", "LOC", "A6", "A5", "A4", "A3", "A2", "A1", "PC", "country")
MAX_CIVIC_TEXT = 500


@dataclass(frozen=True, slots=True)
class CivicAddress:
    """A civic address by value: RFC 5139 element name → value, and the same as one line for people."""

    fields: Mapping[str, str] = field(hash=False)
    text: str
    method: str | None = None


@dataclass(frozen=True, slots=True)
class LocationReference:
    """A location by reference: the URI the network gave (http/https are fetched; sip/pres are kept as text)."""

    uri: str


NetworkLocation = Location | CivicAddress | LocationReference


def civic_text(fields: Mapping[str, str]) -> str:
    """One line: "Jl. Provinsi Km 5, Sotek, Penajam, Penajam Paser Utara, Kalimantan Timur, ID".

    Elements not in the reading order (FLR, UNIT, ROOM, ...) follow at the end, so nothing the network
    sent is hidden from the call taker.
    """
    values = {name: " ".join(value.split()) for name, value in fields.items() if value and value.strip()}
    parts: list[str] = []
    street = " ".join(values[name] for name in _STREET if name in values)
    if street:
        parts.append(street)
    parts.extend(values[name] for name in _AFTER_STREET if name in values)
    known = {*_STREET, *_AFTER_STREET}
    parts.extend(f"{name} {value}" for name, value in values.items() if name not in known)
    return ", ".join(parts)[:MAX_CIVIC_TEXT]
