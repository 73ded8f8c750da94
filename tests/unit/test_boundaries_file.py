"""The boundary file: the shipped one loads; a regency's own file with mistakes is refused with every mistake
listed (where it is, what is wrong); the landmarks file likewise; and the converter turns the source's SQL
dumps ([lat, lng] rings) into the file's GeoJSON."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from ec112.config.boundaries_file import BoundariesFileError, load_boundaries, load_geography, load_landmarks
from ec112.config.caller_settings import LocationSettings
from ec112.domain.geography import AreaLevel

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "boundaries"
SQUARE = {"type": "Polygon", "coordinates": [[[116.0, -1.0], [117.0, -1.0], [117.0, -2.0], [116.0, -2.0],
                                              [116.0, -1.0]]]}


def _feature(code: str, name: str, level: str, parent: str | None, geometry: Any = SQUARE) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, "name": name, "level": level, "parent": parent},
            "geometry": copy.deepcopy(geometry)}


def _good() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        _feature("64.09", "Kabupaten Uji", "kabupaten", None),
        _feature("64.09.01", "Satu", "kecamatan", "64.09"),
        _feature("64.09.01.2001", "Desa Satu", "desa", "64.09.01"),
    ]}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_the_shipped_boundaries_load_with_the_regency_its_kecamatan_and_desa() -> None:
    boundaries, geojson, source = load_boundaries(None, "64.09")
    assert "built-in" in source
    levels = [b.level for b in boundaries]
    assert (levels.count(AreaLevel.KABUPATEN), levels.count(AreaLevel.KECAMATAN), levels.count(AreaLevel.DESA)) == (
        10, 4, 54)
    kecamatan = {b.name for b in boundaries if b.level is AreaLevel.KECAMATAN}
    assert kecamatan == {"Penajam", "Waru", "Babulu", "Sepaku"}
    kinds = {b.name: b.kind for b in boundaries if b.level is AreaLevel.DESA}
    assert (kinds["Gunung Seteleng"], kinds["Giri Mukti"]) == ("kelurahan", "desa")
    served = json.loads(geojson)
    assert served["type"] == "FeatureCollection"
    first = served["features"][0]["properties"]
    assert set(first) == {"code", "name", "level", "parent", "kind", "label"}
    assert len(geojson) < 1_500_000


def test_a_regency_file_with_many_mistakes_lists_each_one(tmp_path: Path) -> None:
    data = _good()
    features = data["features"]
    features.append(_feature("64.09.01.2001", "Desa Kembar", "desa", "64.09.01"))  # duplicate code
    features.append(_feature("64.09.02.2001", "Yatim", "desa", "64.09.02"))  # parent missing
    features.append(_feature("64.09.01.2003", "", "dusun", "64.09.01"))  # no name, unknown level
    bow_tie = {"type": "Polygon", "coordinates": [[[116, -1], [117, -2], [117, -1], [116, -2], [116, -1]]]}
    features.append(_feature("64.09.01.2004", "Kupu-kupu", "desa", "64.09.01", bow_tie))
    swapped = {"type": "Polygon", "coordinates": [[[-1, 116], [-1, 117], [-2, 117], [-1, 116]]]}
    features.append(_feature("64.09.01.2005", "Terbalik", "desa", "64.09.01", swapped))
    features.append(_feature("64.09.01.2006", "Anak Desa", "desa", "64.09.01.2001"))  # parent is a desa
    features.append({"type": "Feature", "geometry": SQUARE})  # no properties
    features.append(_feature("64.09.01.2007", "Titik", "desa", "64.09.01", {"type": "Point", "coordinates": [116, -1]}))
    with pytest.raises(BoundariesFileError) as caught:
        load_boundaries(_write(tmp_path, data), "64.09")
    problems = caught.value.problems
    assert problems == (
        "feature #6 (64.09.01.2003): properties.name must be a non-empty string",
        "feature #6 (64.09.01.2003): properties.level must be kabupaten, kecamatan or desa (got 'dusun')",
        "feature #7 (64.09.01.2004): invalid polygon: Self-intersection[116.5 -1.5]",
        "feature #8 (64.09.01.2005): coordinates out of range — GeoJSON is [lon, lat] (were lat and lon swapped?)",
        "feature #10: not a GeoJSON Feature with properties",
        "feature #11 (64.09.01.2007): geometry must be a Polygon or MultiPolygon",
        "code 64.09.01.2001: used by more than one feature (Desa Satu, Desa Kembar)",
        "desa 64.09.02.2001 (Yatim): parent 64.09.02 is not in the file",
        "desa 64.09.01.2006 (Anak Desa): parent 64.09.01.2001 is a desa, not a kecamatan",
    )
    assert str(caught.value).startswith(f"boundaries file {tmp_path / 'boundaries.geojson'}: 9 problems\n  - ")


@pytest.mark.parametrize(("data", "problem"), [
    ("{not json", "not valid JSON"),
    ({"type": "Feature"}, "not a GeoJSON FeatureCollection (type, features)"),
    ({"type": "FeatureCollection", "features": [_feature("64.01", "Paser", "kabupaten", None)]},
     "the regency 64.09 ([location] regency_code) is not a kabupaten of the file"),
    ({"type": "FeatureCollection", "features": [_feature("64.09", "Uji", "kabupaten", None)]},
     "the regency 64.09 has no kecamatan (features with level kecamatan, parent 64.09)"),
    ({"type": "FeatureCollection", "features": [_feature("64.09", "Uji", "kabupaten", None),
                                                _feature("64.09.01", "Satu", "kecamatan", "64.09")]},
     "the regency 64.09 has no desa/kelurahan (level desa, parent one of its kecamatan)"),
])
def test_a_file_that_is_not_a_regency_is_refused(tmp_path: Path, data: Any, problem: str) -> None:
    with pytest.raises(BoundariesFileError) as caught:
        load_boundaries(_write(tmp_path, data), "64.09")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_a_missing_file_is_a_mistake_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(BoundariesFileError) as caught:
        load_boundaries(tmp_path / "nope.geojson", "64.09")
    assert caught.value.problems[0].startswith("cannot read it")


def test_a_regency_file_with_its_own_properties_and_labels_is_used(tmp_path: Path) -> None:
    data = _good()
    data["features"][2]["properties"].update({"kind": "kelurahan", "label": [116.3, -1.4], "OBJECTID": 7})
    path = _write(tmp_path, data)
    geography = load_geography(LocationSettings(boundaries_file=path, regency_code="64.09"), [])
    where = geography.jurisdiction.locate(-1.5, 116.5)
    assert where.desa is not None
    assert (where.desa.name, where.inside_regency) == ("Desa Satu", True)
    place = geography.gazetteer.search("satu", limit=5)
    assert [p.name for p in place] == ["Kecamatan Satu", "Kelurahan Desa Satu"]
    assert (place[1].lat, place[1].lon) == (-1.4, 116.3)
    assert "OBJECTID" not in geography.geojson.decode()


def test_the_landmarks_file(tmp_path: Path) -> None:
    path = tmp_path / "landmarks.toml"
    path.write_text('[[landmark]]\nname = "Pasar Uji"\nlat = -1.5\nlon = 116.5\nradius_m = 80\n'
                    'aliases = ["pasar lama"]\n', encoding="utf-8")
    (landmark,) = load_landmarks(path)
    assert (landmark.name, landmark.lat, landmark.lon, landmark.radius_m, landmark.aliases) == (
        "Pasar Uji", -1.5, 116.5, 80, ("pasar lama",))
    assert load_landmarks(None) == []
    path.write_text('[[landmark]]\nname = "Tanpa Koordinat"\nlat = -95\n[[landmark]]\nname = "x"\nlat = 1\n'
                    'lon = 2\nradius = 3\n', encoding="utf-8")
    with pytest.raises(BoundariesFileError) as caught:
        load_landmarks(path)
    assert caught.value.problems == (
        "landmark.#1.lat: Input should be greater than or equal to -90",
        "landmark.#1.lon: Field required",
        "landmark.#2.radius: Extra inputs are not permitted",
    )


@pytest.fixture(scope="module")
def converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("convert_boundaries", ROOT / "scripts" / "convert_boundaries.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_converter_swaps_lat_lng_keeps_the_regency_and_dissolves_kecamatan(
        converter: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "out.geojson"
    assert converter.main([str(FIXTURES), "--regency", "64.09", "-o", str(out)]) == 0
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in features]
    assert [(p["code"], p["level"], p["parent"], p.get("kind")) for p in props] == [
        ("64.09", "kabupaten", None, None),
        ("64.71", "kabupaten", None, None),  # a neighbour
        ("64.09.01", "kecamatan", "64.09", None),  # 64.71.01 is not the regency's: left out
        ("64.09.01.1001", "desa", "64.09.01", "kelurahan"),
        ("64.09.01.2002", "desa", "64.09.01", "desa"),
    ]
    assert props[3]["name"] == "Tanjung D'Uji"
    assert props[3]["label"] == [116.25, -1.5]  # [lon, lat]
    west = shape(features[3]["geometry"])
    assert west.bounds == (116.0, -2.0, 116.5, -1.0)  # [lat, lng] swapped; the 3 m kink simplified away
    # The regency is drawn from its desa: the source's island without a desa is not in it.
    assert shape(features[0]["geometry"]).equals(shapely.box(116.0, -2.0, 117.0, -1.0))
    # and the file it writes is one the daemon accepts
    boundaries, _geojson, _source = load_boundaries(out, "64.09")
    assert len(boundaries) == 5


@pytest.mark.parametrize(("geometry", "problem"), [
    ({"type": "Polygon"}, "geometry cannot be read (KeyError: 'coordinates')"),
    ({"type": "Polygon", "coordinates": [[[116, -1], [117, -1]]]}, "geometry cannot be read (ValueError: "),
    ({"type": "Polygon", "coordinates": []}, "geometry is empty"),
    (None, "geometry must be a Polygon or MultiPolygon"),
])
def test_a_malformed_geometry_is_a_listed_mistake(tmp_path: Path, geometry: Any, problem: str) -> None:
    data = _good()
    data["features"][2]["geometry"] = geometry
    with pytest.raises(BoundariesFileError) as caught:
        load_boundaries(_write(tmp_path, data), "64.09")
    assert caught.value.problems[0].startswith(f"feature #3 (64.09.01.2001): {problem}")
