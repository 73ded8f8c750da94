"""Adapter: the boundary file (GeoJSON) and the landmarks file (TOML) → the regency's ``Geography``.

ec112 ships the boundaries of Kabupaten Penajam Paser Utara (``ec112/data/boundaries/``, converted from
cahyadsn/wilayah_boundaries, MIT — not official); a regency points ``[location] boundaries_file`` at its own
official ones (format: docs/location.md). A wrong file must stop the start with every mistake listed, not
locate callers in the wrong desa: ``load_geography`` checks the JSON, each feature's properties and polygon,
that codes are unique, that parents exist one level up, and that the regency has kecamatan and desa; it
raises ``BoundariesFileError`` (``ec112 serve`` → exit 78, ``ec112 boundaries check`` → exit 1).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry import shape
from shapely.validation import explain_validity

from ec112.config.caller_settings import LocationSettings
from ec112.config.file_errors import DataFileError
from ec112.domain.agencies import Agency
from ec112.domain.geography import AreaLevel
from ec112.routing.areas import PARENT_LEVEL, Boundary, Landmark
from ec112.routing.geography import Geography, build_geography

__all__ = ["BUILT_IN", "BoundariesFileError", "load_boundaries", "load_geography", "load_landmarks"]
BUILT_IN = "ec112/data/boundaries/penajam_paser_utara.geojson (built-in)"
KINDS = {AreaLevel.KABUPATEN: ("kabupaten", "kota"), AreaLevel.KECAMATAN: ("kecamatan",),
         AreaLevel.DESA: ("desa", "kelurahan")}


class BoundariesFileError(DataFileError):
    """The boundary (or landmarks) file cannot be used; ``problems`` says every reason, one line each."""

    what = "boundaries file"


def _read(path: Path | None, source: str) -> bytes:
    try:
        if path is None:
            return files("ec112").joinpath("data", "boundaries", "penajam_paser_utara.geojson").read_bytes()
        return path.read_bytes()
    except OSError as exc:
        raise BoundariesFileError(source, [f"cannot read it: {exc.strerror or exc}"]) from exc


def _lonlat(value: Any) -> tuple[float, float] | None:
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
            and -180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        return float(value[0]), float(value[1])
    return None


def _feature(i: int, raw: Any, problems: list[str]) -> Boundary | None:
    """One feature, or None with its mistakes appended ("feature #3 (64.09.01): …")."""
    props = raw.get("properties") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or raw.get("type") != "Feature" or not isinstance(props, dict):
        problems.append(f"feature #{i}: not a GeoJSON Feature with properties")
        return None
    code, name = props.get("code"), props.get("name")
    where = f"feature #{i} ({code})" if isinstance(code, str) and code else f"feature #{i}"
    before = len(problems)
    if not isinstance(code, str) or not code.strip():
        problems.append(f"{where}: properties.code must be a non-empty string (the Kemendagri code, e.g. 64.09.01)")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: properties.name must be a non-empty string")
    try:
        level = AreaLevel(str(props.get("level")))
    except ValueError:
        problems.append(f"{where}: properties.level must be kabupaten, kecamatan or desa (got {props.get('level')!r})")
        level = None
    parent = props.get("parent")
    if level is AreaLevel.KABUPATEN and parent is not None:
        problems.append(f"{where}: a kabupaten has parent null")
    if level in PARENT_LEVEL and not (isinstance(parent, str) and parent):
        problems.append(f"{where}: properties.parent must be the code of its {PARENT_LEVEL[level].value}")
    kind = props.get("kind") or (level.value if level else "")
    if level is not None and kind not in KINDS[level]:
        problems.append(f"{where}: properties.kind of a {level.value} is one of {', '.join(KINDS[level])}")
    label = _lonlat(props["label"]) if props.get("label") is not None else None
    if props.get("label") is not None and label is None:
        problems.append(f"{where}: properties.label must be [lon, lat] in degrees")
    geometry = _geometry(where, raw.get("geometry"), problems)
    if len(problems) > before or geometry is None or level is None:
        return None
    if label is None:
        point = geometry.representative_point()
        label = (point.x, point.y)
    return Boundary(str(code).strip(), str(name).strip(), level, parent, str(kind), label, geometry)


def _geometry(where: str, raw: Any, problems: list[str]) -> Any:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        problems.append(f"{where}: geometry must be a Polygon or MultiPolygon")
        return None
    try:
        geometry = shape(raw)
    except Exception as exc:  # noqa: BLE001 - malformed coordinates raise anything (KeyError, TypeError…)
        problems.append(f"{where}: geometry cannot be read ({type(exc).__name__}: {exc})")
        return None
    if geometry.is_empty:
        problems.append(f"{where}: geometry is empty")
        return None
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not all(map(math.isfinite,
                                                                                       geometry.bounds)):
        problems.append(f"{where}: coordinates out of range — GeoJSON is [lon, lat] (were lat and lon swapped?)")
        return None
    if not geometry.is_valid:
        problems.append(f"{where}: invalid polygon: {explain_validity(geometry)}")
        return None
    return geometry


def _tree(boundaries: list[Boundary], regency: str, problems: list[str]) -> None:
    """Codes unique, parents one level up, the regency present with kecamatan and desa."""
    by_code: dict[str, Boundary] = {}
    for b in boundaries:
        if b.code in by_code:
            problems.append(f"code {b.code}: used by more than one feature ({by_code[b.code].name}, {b.name})")
        by_code.setdefault(b.code, b)
    for b in boundaries:
        if b.level in PARENT_LEVEL and b.parent is not None:
            parent = by_code.get(b.parent)
            if parent is None:
                problems.append(f"{b.level.value} {b.code} ({b.name}): parent {b.parent} is not in the file")
            elif parent.level is not PARENT_LEVEL[b.level]:
                problems.append(f"{b.level.value} {b.code} ({b.name}): parent {b.parent} is a {parent.level.value},"
                                f" not a {PARENT_LEVEL[b.level].value}")
    own = by_code.get(regency)
    if own is None or own.level is not AreaLevel.KABUPATEN:
        problems.append(f"the regency {regency} ([location] regency_code) is not a kabupaten of the file")
        return
    kecamatan = {b.code for b in boundaries if b.level is AreaLevel.KECAMATAN and b.parent == regency}
    if not kecamatan:
        problems.append(f"the regency {regency} has no kecamatan (features with level kecamatan, parent {regency})")
    elif not any(b.level is AreaLevel.DESA and b.parent in kecamatan for b in boundaries):
        problems.append(f"the regency {regency} has no desa/kelurahan (level desa, parent one of its kecamatan)")


def load_boundaries(path: Path | None, regency_code: str) -> tuple[list[Boundary], bytes, str]:
    """The checked features, the GeoJSON the map is given, the source name; or ``BoundariesFileError``."""
    source = str(path) if path is not None else BUILT_IN
    data = _read(path, source)
    try:
        raw = json.loads(data)
    except UnicodeDecodeError as exc:
        raise BoundariesFileError(source, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except json.JSONDecodeError as exc:
        raise BoundariesFileError(source, [f"not valid JSON: {exc}"]) from exc
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection" or not isinstance(raw.get("features"),
                                                                                             list):
        raise BoundariesFileError(source, ["not a GeoJSON FeatureCollection (type, features)"])
    problems: list[str] = []
    boundaries = [b for i, f in enumerate(raw["features"], 1) if (b := _feature(i, f, problems)) is not None]
    _tree(boundaries, regency_code, problems)
    if problems:
        raise BoundariesFileError(source, problems)
    return boundaries, _served(boundaries, raw["features"]), source


def _served(boundaries: list[Boundary], features: list[Any]) -> bytes:
    """The file as the map gets it: only the known properties (a regency's file may carry many more)."""
    out = []
    for b, f in zip(boundaries, features, strict=True):
        props = {"code": b.code, "name": b.name, "level": b.level.value, "parent": b.parent, "kind": b.kind,
                 "label": [round(b.label[0], 6), round(b.label[1], 6)]}
        out.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    return json.dumps({"type": "FeatureCollection", "features": out}, separators=(",", ":")).encode()


class _LandmarkRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=120)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(default=100, gt=0, le=50_000)
    aliases: list[str] = Field(default_factory=list)


class _LandmarksFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    landmark: list[_LandmarkRow] = Field(default_factory=list)


def load_landmarks(path: Path | None) -> list[Landmark]:
    """The landmarks file's places (None: none), or ``BoundariesFileError`` naming each mistake."""
    if path is None:
        return []
    source = str(path)
    try:
        parsed = _LandmarksFile.model_validate(tomllib.loads(_read(path, source).decode("utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BoundariesFileError(source, [f"not valid TOML: {exc}"]) from exc
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p if isinstance(p, str) else f'#{p + 1}') for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors()]
        raise BoundariesFileError(source, problems) from exc
    return [Landmark(r.name, r.lat, r.lon, r.radius_m, tuple(r.aliases)) for r in parsed.landmark]


def load_geography(location: LocationSettings, agencies: Sequence[Agency]) -> Geography:
    """The geography of ``[location]`` (boundaries_file, regency_code, landmarks_file) and the agencies' posts."""
    boundaries, geojson, source = load_boundaries(location.boundaries_file, location.regency_code)
    landmarks = load_landmarks(location.landmarks_file)
    return build_geography(boundaries, landmarks, location.regency_code, agencies, geojson, source)
