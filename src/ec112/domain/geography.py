"""Where a point is, in the regency's own words (pure): its kabupaten, kecamatan and desa/kelurahan, the
nearest post of each agency, and the places a call taker can pick by name.

The geometry work (point in polygon, distances) is in ``ec112.routing.jurisdiction``; the names a call taker
types are matched in ``ec112.routing.gazetteer``; the boundary file is read by ``ec112.config.boundaries_file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class AreaLevel(StrEnum):
    KABUPATEN = "kabupaten"  # kabupaten or kota (Kemendagri code 64.09)
    KECAMATAN = "kecamatan"  # 64.09.04
    DESA = "desa"  # desa or kelurahan, 64.09.04.2001


@dataclass(frozen=True, slots=True)
class Area:
    """An administrative area: its Kemendagri code, its official name and level."""

    code: str
    name: str
    level: AreaLevel


@dataclass(frozen=True, slots=True)
class NearestPost:
    """An agency's post and its straight-line distance from the caller."""

    agency: str  # agency code
    agency_name: str  # short name, for the console
    post: str
    lat: float
    lon: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """Who serves this point.

    ``inside_regency`` is False for a point in a neighbouring kabupaten/kota (``kabupaten`` names it) or outside
    every known boundary (at sea: ``kabupaten`` None). ``border_with`` lists the other desa/kelurahan within a few
    metres of the point (a caller on the road between two desa), so the call taker sees both.
    """

    inside_regency: bool
    kabupaten: Area | None
    kecamatan: Area | None
    desa: Area | None
    border_with: tuple[Area, ...] = ()
    nearest_posts: tuple[NearestPost, ...] = ()  # per agency, its nearest post, nearest first


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry: a desa/kelurahan, a kecamatan or a landmark, as a point with an uncertainty radius
    that covers it (a kecamatan is kilometres wide: the call taker must see that)."""

    name: str  # as shown: "Kelurahan Gunung Seteleng"
    kind: str  # "desa", "kelurahan", "kecamatan", "kabupaten", "landmark"
    lat: float
    lon: float
    radius_m: float
    context: str = ""  # where it is: "Kec. Penajam, Kab. Penajam Paser Utara"
    code: str | None = None  # the area code, for desa/kecamatan


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
