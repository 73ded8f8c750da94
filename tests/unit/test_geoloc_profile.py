"""Asterisk GEOLOC_PROFILE(location_info) strings → Location.

The Point string is the one measured on Asterisk 16.28 in the lab (asterisk-lab.md §3). The others are
what res_geolocation's pidf_to_eprofile.xslt + geoloc_dialplan.c produce for the PIDF-LO fixtures in
tests/fixtures/pidf/ (key = GeoShape local name, lengths without uom, angles with a uom suffix); the
parity test checks both parsers agree on them.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec112.domain.location import Location, LocationSource
from ec112.location.geoloc_profile import LocationParseError, parse_geoloc_profile
from ec112.location.pidf import parse_pidf_lo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pidf"
RECEIVED = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

LAB_POINT = 'shape="Point",crs="2d",pos="52.520008 13.404954"'
# What Asterisk renders for each PIDF-LO fixture.
ASTERISK_RENDERING = {
    "device_point.xml": LAB_POINT,
    "tuple_circle.xml": 'shape="Circle",crs="3d",pos="-6.200000 106.816666 12.5",radius="850"',
    "person_ellipse.xml": ('shape="Ellipse",crs="2d",pos="-7.797068 110.370529",semiMajorAxis="1275",'
                           'semiMinorAxis="670",orientation="43.2 radians"'),
    "device_polygon.xml": ('shape="Polygon",crs="2d",posList="-6.905 107.605 -6.905 107.615 -6.915 107.615 '
                           '-6.915 107.605 -6.905 107.605"'),
}


def parse(info: str, fmt: str = "GML", method: str | None = None) -> Location | None:
    return parse_geoloc_profile(info, format=fmt, method=method, received_at=RECEIVED)


def error_code(info: str, fmt: str = "GML") -> str:
    with pytest.raises(LocationParseError) as excinfo:
        parse(info, fmt)
    return excinfo.value.code


def test_lab_point_from_asterisk_16() -> None:
    location = parse(LAB_POINT, "GML", "GPS")
    assert location is not None
    assert (location.lat, location.lon, location.radius_m) == (52.520008, 13.404954, None)
    assert location.method == "GPS"
    assert location.source is LocationSource.PIDF_LO
    assert location.observed_at == RECEIVED


def test_circle_radius_is_metres() -> None:
    location = parse('shape="Circle",crs="2d",pos="-8.65 115.2167",radius="15.5"', "GML", "Cell")
    assert location is not None
    assert (location.lat, location.lon, location.radius_m, location.method) == (-8.65, 115.2167, 15.5, "Cell")


@pytest.mark.parametrize("radius", ['radius="45 urn:ogc:def:uom:EPSG::9001"', 'radius="45 m"',
                                    'radius="45",uom="urn:ogc:def:uom:EPSG::9001"'])
def test_radius_with_explicit_metre_unit(radius: str) -> None:
    location = parse(f'shape="Circle",crs="2d",pos="1 2",{radius}')
    assert location is not None
    assert location.radius_m == 45.0


def test_ellipse_arcband_sphere_use_the_covering_radius() -> None:
    ellipse = parse(ASTERISK_RENDERING["person_ellipse.xml"])
    arcband = parse('shape="ArcBand",crs="2d",pos="-6.2 106.8",innerRadius="1200",outerRadius="1500",'
                    'startAngle="90 degrees",openingAngle="120 degrees"')
    sphere = parse('shape="Sphere",crs="3d",pos="-6.2 106.8 30",radius="20"')
    assert [loc.radius_m if loc else None for loc in (ellipse, arcband, sphere)] == [1275.0, 1500.0, 20.0]


def test_polygon_from_repeated_pos_keys() -> None:
    location = parse('shape="Polygon",crs="2d",pos="0 0",pos="0 0.002",pos="0.002 0"')
    assert location is not None
    assert location.lat == pytest.approx(0.002 / 3)
    assert location.radius_m == pytest.approx(165.8, abs=1)


def test_configuration_style_with_spaces_and_bare_values() -> None:
    location = parse('shape=Circle, crs=2d, pos="39.12345 -105.98766", radius="45"')
    assert location is not None
    assert (location.lat, location.lon, location.radius_m) == (39.12345, -105.98766, 45.0)


@pytest.mark.parametrize("name", sorted(ASTERISK_RENDERING))
def test_parity_with_the_pidf_parser(name: str) -> None:
    from_pidf = parse_pidf_lo((FIXTURES / name).read_bytes(), received_at=RECEIVED)
    from_asterisk = parse(ASTERISK_RENDERING[name], "GML", from_pidf.method)
    assert from_asterisk is not None
    assert from_asterisk.lat == pytest.approx(from_pidf.lat)
    assert from_asterisk.lon == pytest.approx(from_pidf.lon)
    assert from_asterisk.radius_m == pytest.approx(from_pidf.radius_m)


@pytest.mark.parametrize(("info", "fmt"), [("", "GML"), ("   ", ""), ('country="ID",A1="Jawa Barat"', "civicAddress"),
                                           ('URI="https://lis.example/loc/1"', "URI")])
def test_no_geodetic_location_is_none(info: str, fmt: str) -> None:
    assert parse(info, fmt) is None


@pytest.mark.parametrize(("info", "code"), [
    ('shape="Point",crs="unknown",pos="52.5 13.4"', "unsupported_crs"),
    ('shape="Point",crs="2d"', "bad_coordinates"),
    ('shape="Point",crs="2d",pos="95 13.4"', "bad_coordinates"),
    ('shape="Point",crs="2d",pos="52.5"', "bad_coordinates"),
    ('shape="Point",crs="2d",pos="north east"', "bad_coordinates"),
    ('shape="Point",crs="2d",pos="1 2",pos="3 4"', "malformed_location_info"),
    ('crs="2d",pos="1 2"', "malformed_location_info"),
    ('shape="Circle",crs="2d",pos="1 2"', "bad_radius"),
    ('shape="Circle",crs="2d",pos="1 2",radius="-1"', "bad_radius"),
    ('shape="Circle",crs="2d",pos="1 2",radius="inf"', "bad_radius"),
    ('shape="Circle",crs="2d",pos="1 2",radius="30 feet"', "unsupported_uom"),
    ('shape="Polygon",crs="2d",posList="1 2 3 4 5"', "bad_coordinates"),
    ('shape="Polygon",crs="2d",pos="1 2",pos="3 4"', "bad_coordinates"),
    ('shape="LineString",crs="2d",pos="1 2"', "unsupported_shape"),
    ("hello world", "malformed_location_info"),
    ('shape="Point,crs="2d"', "malformed_location_info"),
])
def test_garbage_raises_with_a_stable_code(info: str, code: str) -> None:
    assert error_code(info) == code


def test_unknown_format_is_rejected() -> None:
    assert error_code(LAB_POINT, "KML") == "unsupported_format"


def test_format_is_case_insensitive_and_method_blank_is_none() -> None:
    location = parse(LAB_POINT, "gml", "  ")
    assert location is not None
    assert location.method is None


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_random_text_only_raises_location_parse_error(text: str) -> None:
    with contextlib.suppress(LocationParseError):
        parse(text)
