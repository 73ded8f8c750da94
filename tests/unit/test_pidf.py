"""PIDF-LO parsing: the shapes a 112 call can carry, and hostile or broken documents."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec112.domain.location import LocationSource
from ec112.location.pidf import MAX_DOCUMENT_BYTES, LocationParseError, parse_pidf_lo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pidf"
RECEIVED = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

POINT_TEMPLATE = """<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml"
    xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="pres:x@y">
  <dm:device id="d1"><gp:geopriv><gp:location-info>{shape}</gp:location-info></gp:geopriv></dm:device>
</presence>"""


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def doc(shape: str) -> bytes:
    return POINT_TEMPLATE.format(shape=shape).encode()


def error_code(document: bytes) -> str:
    with pytest.raises(LocationParseError) as info:
        parse_pidf_lo(document, received_at=RECEIVED)
    return info.value.code


def test_device_point_from_the_lab_invite() -> None:
    location = parse_pidf_lo(fixture("device_point.xml"), received_at=RECEIVED)
    assert (location.lat, location.lon, location.radius_m) == (52.520008, 13.404954, None)
    assert location.source is LocationSource.PIDF_LO
    assert location.method == "GPS"
    assert location.observed_at == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_tuple_circle_3d_ignores_altitude_and_keeps_offset_timestamp() -> None:
    location = parse_pidf_lo(fixture("tuple_circle.xml"), received_at=RECEIVED)
    assert (location.lat, location.lon, location.radius_m) == (-6.2, 106.816666, 850.0)
    assert location.method == "Cell"
    assert location.observed_at == datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=7)))


def test_person_ellipse_uses_semi_major_axis_and_received_at() -> None:
    location = parse_pidf_lo(fixture("person_ellipse.xml"), received_at=RECEIVED)
    assert (location.lat, location.lon, location.radius_m) == (-7.797068, 110.370529, 1275.0)
    assert location.method == "Hybrid_A-GPS"
    assert location.observed_at == RECEIVED


def test_polygon_centroid_and_radius_to_farthest_vertex() -> None:
    location = parse_pidf_lo(fixture("device_polygon.xml"), received_at=RECEIVED)
    assert location.lat == pytest.approx(-6.91)
    assert location.lon == pytest.approx(107.61)
    # half-diagonal of a 0.01° square at 6.9° S: sqrt(556² + 552²) ≈ 783 m
    assert location.radius_m == pytest.approx(783, abs=5)
    assert location.method is None
    assert location.observed_at == RECEIVED  # "not-a-timestamp" does not drop the position


def test_polygon_from_pos_elements_without_closing_vertex() -> None:
    polygon = ('<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing>'
               "<gml:pos>0 0</gml:pos><gml:pos>0 0.002</gml:pos><gml:pos>0.002 0</gml:pos>"
               "</gml:LinearRing></gml:exterior></gml:Polygon>")
    location = parse_pidf_lo(doc(polygon), received_at=RECEIVED)
    assert location.lat == pytest.approx(0.002 / 3)
    assert location.radius_m == pytest.approx(165.8, abs=1)


@pytest.mark.parametrize("srs", ["urn:ogc:def:crs:EPSG::4326", "EPSG:4326",
                                 "http://www.opengis.net/def/crs/EPSG/0/4326"])
def test_srs_name_spellings(srs: str) -> None:
    location = parse_pidf_lo(doc(f'<gml:Point srsName="{srs}"><gml:pos>1.5 2.5</gml:pos></gml:Point>'),
                             received_at=RECEIVED)
    assert (location.lat, location.lon) == (1.5, 2.5)


def test_civic_address_only_has_no_geodetic_location() -> None:
    assert error_code(fixture("civic_only.xml")) == "no_location"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe_file.xml", "external_dtd.xml"])
def test_any_doctype_is_rejected(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(LocationParseError) as info:
        parse_pidf_lo(fixture(name), received_at=RECEIVED)
    assert info.value.code == "forbidden_dtd"
    assert "root:" not in str(info.value)
    assert time.monotonic() - started < 0.5


def test_doctype_hidden_in_utf16_is_still_rejected() -> None:
    text = fixture("xxe_file.xml").decode().replace('<?xml version="1.0"?>',
                                                    '<?xml version="1.0" encoding="UTF-16"?>')
    document = text.encode("utf-16")
    assert b"DOCTYPE" not in document  # the byte scan cannot see it; the parsed doctype must
    assert error_code(document) == "forbidden_dtd"


def test_malformed_xml() -> None:
    assert error_code(fixture("device_point.xml")[:-40]) == "malformed_xml"
    assert error_code(b"") == "malformed_xml"
    assert error_code(b"not xml at all") == "malformed_xml"


def test_too_large() -> None:
    padding = b"<!--" + b"x" * MAX_DOCUMENT_BYTES + b"-->"
    assert error_code(fixture("device_point.xml").replace(b"<presence", padding + b"<presence", 1)) \
        == "too_large"


def test_wrong_geopriv_namespace() -> None:
    assert error_code(fixture("wrong_namespace.xml")) == "wrong_namespace"


def test_presence_without_namespace() -> None:
    document = fixture("device_point.xml").replace(b'xmlns="urn:ietf:params:xml:ns:pidf"', b"")
    assert error_code(document) == "wrong_namespace"


def test_shape_in_wrong_namespace() -> None:
    shape = ('<Point xmlns="http://www.opengis.net/gml/3.2" srsName="urn:ogc:def:crs:EPSG::4326">'
             "<pos>1 2</pos></Point>")
    assert error_code(doc(shape)) == "wrong_namespace"


@pytest.mark.parametrize(("shape", "code"), [
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>95.1 13.4</gml:pos></gml:Point>',
     "bad_coordinates"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>52.5 181</gml:pos></gml:Point>',
     "bad_coordinates"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>nan 13.4</gml:pos></gml:Point>',
     "bad_coordinates"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>52.5,13.4</gml:pos></gml:Point>',
     "bad_coordinates"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>52.5 13.4 30 4</gml:pos></gml:Point>',
     "bad_coordinates"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"></gml:Point>', "bad_coordinates"),
    ('<gml:Point><gml:pos>52.5 13.4</gml:pos></gml:Point>', "unsupported_crs"),
    ('<gml:Point srsName="urn:ogc:def:crs:EPSG::32748"><gml:pos>5 6</gml:pos></gml:Point>',
     "unsupported_crs"),
    ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>1 2</gml:pos>'
     '<gs:radius uom="urn:ogc:def:uom:EPSG::9002">30</gs:radius></gs:Circle>', "unsupported_uom"),
    ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>1 2</gml:pos>'
     '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">-3</gs:radius></gs:Circle>', "bad_radius"),
    ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>1 2</gml:pos></gs:Circle>', "bad_radius"),
    ('<gml:LineString srsName="urn:ogc:def:crs:EPSG::4326"><gml:posList>1 2 3 4</gml:posList>'
     "</gml:LineString>", "unsupported_shape"),
])
def test_bad_shapes(shape: str, code: str) -> None:
    assert error_code(doc(shape)) == code


def test_stray_altitude_in_2d_point_is_ignored() -> None:
    shape = '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>52.5 13.4 30</gml:pos></gml:Point>'
    location = parse_pidf_lo(doc(shape), received_at=RECEIVED)
    assert (location.lat, location.lon) == (52.5, 13.4)


def test_circle_radius_in_metres() -> None:
    shape = ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>-8.65 115.2167</gml:pos>'
             '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">15.5</gs:radius></gs:Circle>')
    location = parse_pidf_lo(doc(shape), received_at=RECEIVED)
    assert (location.lat, location.lon, location.radius_m) == (-8.65, 115.2167, 15.5)


@given(st.binary(max_size=2048))
@settings(max_examples=300, deadline=None)
def test_random_bytes_only_raise_location_parse_error(data: bytes) -> None:
    with contextlib.suppress(LocationParseError):
        parse_pidf_lo(data, received_at=RECEIVED)


@given(position=st.integers(min_value=0, max_value=2000), junk=st.binary(min_size=1, max_size=8),
       cut=st.integers(min_value=0, max_value=8),
       name=st.sampled_from(["device_point.xml", "tuple_circle.xml", "person_ellipse.xml",
                             "device_polygon.xml"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_documents_parse_or_raise_location_parse_error(
    position: int, junk: bytes, cut: int, name: str
) -> None:
    original = fixture(name)
    position %= len(original)
    mutated = original[:position] + junk + original[position + cut:]
    try:
        location = parse_pidf_lo(mutated, received_at=RECEIVED)
    except LocationParseError:
        return
    assert -90 <= location.lat <= 90
    assert -180 <= location.lon <= 180
