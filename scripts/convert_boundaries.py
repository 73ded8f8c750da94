#!/usr/bin/env python3
"""Convert cahyadsn/wilayah_boundaries SQL dumps into the boundary file ec112 ships (one GeoJSON).

Why a script and not a runtime reader: the dumps are SQL with [lat, lng] rings (the reverse of GeoJSON) and
full-resolution shapes; ec112 reads one small, checked GeoJSON FeatureCollection (format: docs/location.md).
This turns the three dumps of a province (kabupaten, kecamatan, desa/kelurahan of the regency) into it:

    python scripts/convert_boundaries.py DIR --regency 64.09 \
        -o src/ec112/data/boundaries/penajam_paser_utara.geojson

DIR holds ``wilayah_boundaries_kab_<prov>.sql``, ``wilayah_boundaries_kec_<prov>.sql`` and
``wilayah_boundaries_kel_<regency>.sql``. Kept: every kabupaten/kota of the province (the regency and its
neighbours), the regency's kecamatan and its desa/kelurahan. Shapes of the regency are simplified to
``--tolerance`` degrees (1e-4 ≈ 11 m, borders stay right within ~20 m), the neighbours' more coarsely;
coordinates are rounded to 6 decimals (~0.1 m). The regency's kecamatan and its own kabupaten are drawn as
the union of their desa (see ``dissolve``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

# ('64.09.01.1001','Tanjung Tengah',-1.38,116.66,'[[[lat,lng],...]]')
_ROW = re.compile(r"\(\s*'([0-9.]+)'\s*,\s*'((?:[^']|'')*)'\s*,"
                  r"\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*,\s*'(\[[^']*\])'\s*\)")
NEIGHBOUR_TOLERANCE = 0.001  # ~110 m: neighbours only name a point outside the regency
GAP = 1e-4  # ~11 m: the source leaves slivers up to ~15 m wide between neighbouring desa


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    lat: float
    lon: float
    geometry: Polygon | MultiPolygon


def _rings(rings: list[list[list[float]]]) -> Polygon:
    swapped = [[(float(lng), float(lat)) for lat, lng in ring] for ring in rings if len(ring) >= 4]
    return Polygon(swapped[0], swapped[1:])


def geometry_of(path: Any) -> Polygon | MultiPolygon:
    """``path`` is a polygon (list of rings) or a multipolygon (list of polygons); coordinates are [lat, lng]."""
    polygons = [_rings(path)] if isinstance(path[0][0][0], (int, float)) else [_rings(p) for p in path]
    shape = MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
        parts = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, (Polygon, MultiPolygon))]
        shape = shapely.union_all(parts)
    return shape  # type: ignore[no-any-return]


def parse_sql(text: str) -> Iterator[Row]:
    """Every ``(kode, nama, lat, lng, path)`` tuple of an ``INSERT INTO wilayah_boundaries`` dump."""
    for m in _ROW.finditer(text):
        code, name, lat, lng, path = m.groups()
        yield Row(code, name.replace("''", "'"), float(lat), float(lng), geometry_of(json.loads(path)))


def _round(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), 6)
    return [_round(c) for c in coords]


def _feature(row: Row, level: str, parent: str | None, tolerance: float, kind: str | None = None) -> dict[str, Any]:
    shape = row.geometry.simplify(tolerance, preserve_topology=True)
    shape = shapely.set_precision(shape, 1e-6)
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    geometry = mapping(shape)
    properties: dict[str, Any] = {"code": row.code, "name": row.name, "level": level, "parent": parent}
    if kind:
        properties["kind"] = kind
    properties["label"] = [round(row.lon, 6), round(row.lat, 6)]
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])}}


def desa_kind(code: str) -> str:
    """Kemendagri: the last part of a desa code starts with 1 for a kelurahan, 2 for a desa."""
    return "kelurahan" if code.rsplit(".", 1)[-1].startswith("1") else "desa"


def dissolve(row: Row, desa: list[Row]) -> Row:
    """``row`` drawn as the union of its desa/kelurahan (a sliver between two desa, up to ~20 m wide, closed).

    The source's kecamatan and kabupaten shapes are much coarser than its desa shapes and disagree with them
    by kilometres in places; drawn from the desa, a point's desa, kecamatan and kabupaten always agree.
    """
    inside = [d.geometry for d in desa if d.code.startswith(row.code + ".")]
    if not inside:
        return row
    union = shapely.union_all(inside).buffer(GAP, join_style="mitre").buffer(-GAP, join_style="mitre")
    return Row(row.code, row.name, row.lat, row.lon, union)


def convert(kab_sql: str, kec_sql: str, desa_sql: str, regency: str, tolerance: float = 1e-4) -> dict[str, Any]:
    """The FeatureCollection: kabupaten (the regency + neighbours), its kecamatan, its desa/kelurahan."""
    desa = [r for r in parse_sql(desa_sql) if r.code.startswith(regency + ".") and r.code.count(".") == 3]
    features: list[dict[str, Any]] = []
    for row in parse_sql(kab_sql):
        if row.code == regency:
            features.append(_feature(dissolve(row, desa), "kabupaten", None, tolerance))
        else:
            features.append(_feature(row, "kabupaten", None, NEIGHBOUR_TOLERANCE))
    for row in parse_sql(kec_sql):
        if row.code.startswith(regency + ".") and row.code.count(".") == 2:
            features.append(_feature(dissolve(row, desa), "kecamatan", regency, tolerance))
    for row in desa:
        features.append(_feature(row, "desa", row.code.rsplit(".", 1)[0], tolerance, desa_kind(row.code)))
    return {"type": "FeatureCollection", "features": features}


def dump(collection: dict[str, Any]) -> str:
    """One feature per line: small, and a diff shows which area changed."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="folder with the wilayah_boundaries_*.sql dumps")
    parser.add_argument("--regency", default="64.09", help="Kemendagri code of the kabupaten/kota (64.09)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="simplification, degrees (1e-4 ≈ 11 m)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    province = args.regency.split(".")[0]
    d: Path = args.directory

    def read(name: str) -> str:
        return (d / name).read_text(encoding="utf-8")

    collection = convert(read(f"wilayah_boundaries_kab_{province}.sql"), read(f"wilayah_boundaries_kec_{province}.sql"),
                         read(f"wilayah_boundaries_kel_{args.regency}.sql"), args.regency, args.tolerance)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(dump(collection), encoding="utf-8")
    levels = [f["properties"]["level"] for f in collection["features"]]
    counts = ", ".join(f"{levels.count(x)} {x}" for x in dict.fromkeys(levels))
    print(f"{args.output}: {len(levels)} features ({counts}), {args.output.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
