"""Where a point is: its desa/kelurahan, kecamatan and kabupaten, and each agency's nearest post (pure).

It runs on every live location update, so it is built once (shapely 2 STRtree per level over prepared
polygons) and a ``locate`` costs well under a millisecond. The finest level decides: a point's desa names
its kecamatan and kabupaten through the ``parent`` codes, so the three always agree even where the coarser
shapes of the source disagree. A point within ``BORDER_M`` of another desa (a caller on the road between
two villages, or a boundary drawn a few metres off) also gets that desa in ``border_with``; a point just
off the coast (inside ``BORDER_M``) still gets its nearest desa. Outside every desa, the kabupaten/kota
polygons name a neighbour; outside everything (at sea) the kabupaten is None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import shapely
from shapely import STRtree

from ec112.domain.agencies import Agency
from ec112.domain.geography import EARTH_RADIUS_M, AreaLevel, Jurisdiction, NearestPost, haversine_m
from ec112.routing.areas import Boundary

BORDER_M = 25.0  # metres: a point this close to another desa is "on the border" with it
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180




class _Level:
    """The areas of one level in an STRtree; their geometries prepared for fast point tests."""

    def __init__(self, areas: Iterable[Boundary]) -> None:
        self.areas = sorted(areas, key=lambda b: b.code)
        geometries = [b.geometry for b in self.areas]
        shapely.prepare(geometries)
        self.tree = STRtree(geometries)

    def near(self, point: shapely.Point, degrees: float) -> list[tuple[Boundary, float]]:
        """Areas within ``degrees`` of the point, with their distance (0 = it contains the point)."""
        if not self.areas:
            return []
        found = self.tree.query(point, predicate="dwithin", distance=degrees)
        return sorted(((self.areas[i], float(self.areas[i].geometry.distance(point))) for i in found),
                      key=lambda pair: (pair[1], pair[0].code))

    def containing(self, point: shapely.Point) -> list[Boundary]:
        if not self.areas:
            return []
        return [self.areas[i] for i in sorted(self.tree.query(point, predicate="intersects"))]


class JurisdictionMap:
    """``locate(lat, lon)`` for the regency ``regency_code`` and the posts of ``agencies``."""

    def __init__(self, boundaries: Sequence[Boundary], regency_code: str, agencies: Sequence[Agency] = ()) -> None:
        self.regency_code = regency_code
        self._by_code = {b.code: b for b in boundaries}
        self._desa = _Level(b for b in boundaries if b.level is AreaLevel.DESA)
        self._kecamatan = _Level(b for b in boundaries if b.level is AreaLevel.KECAMATAN)
        self._kabupaten = _Level(b for b in boundaries if b.level is AreaLevel.KABUPATEN)
        self._posts = [(a, p.name, p.lat, p.lon) for a in agencies for p in a.posts
                       if p.lat is not None and p.lon is not None]

    def area(self, code: str | None) -> Boundary | None:
        return self._by_code.get(code) if code else None

    def locate(self, lat: float, lon: float) -> Jurisdiction:
        point = shapely.Point(lon, lat)
        # Degrees of longitude shrink away from the equator: the larger (longitude) span keeps BORDER_M a minimum.
        border = BORDER_M / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        near = self._desa.near(point, border)
        desa = near[0][0] if near else None
        if desa is not None:
            kecamatan = self.area(desa.parent)
            kabupaten = self.area(kecamatan.parent if kecamatan else None)
        else:
            kecamatan = next(iter(self._kecamatan.containing(point)), None)
            kabupaten = self.area(kecamatan.parent) if kecamatan else self._kabupaten_of(point)
        return Jurisdiction(
            inside_regency=kabupaten is not None and kabupaten.code == self.regency_code,
            kabupaten=kabupaten.area if kabupaten else None,
            kecamatan=kecamatan.area if kecamatan else None,
            desa=desa.area if desa else None,
            border_with=tuple(b.area for b, _ in near[1:]),
            nearest_posts=self.nearest_posts(lat, lon),
        )

    def _kabupaten_of(self, point: shapely.Point) -> Boundary | None:
        holders = self._kabupaten.containing(point)
        # Neighbours' coarse shapes may overlap the regency's: the regency wins, then the lowest code.
        own = [b for b in holders if b.code == self.regency_code]
        return (own or holders)[0] if (own or holders) else None

    def nearest_posts(self, lat: float, lon: float) -> tuple[NearestPost, ...]:
        """Per agency with located posts, its nearest post (great-circle distance), nearest first."""
        best: dict[str, NearestPost] = {}
        for agency, name, plat, plon in self._posts:
            distance = haversine_m(lat, lon, plat, plon)
            current = best.get(agency.code)
            if current is None or distance < current.distance_m:
                best[agency.code] = NearestPost(agency.code, agency.short_name, name, plat, plon, round(distance, 1))
        return tuple(sorted(best.values(), key=lambda p: (p.distance_m, p.agency)))
