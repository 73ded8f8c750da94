"""GEOLOC_PROFILE civic addresses and URIs (the strings Asterisk 16.28 and 22 produced in the lab for the
harness's civic and by-reference calls: tests/integration/test_asterisk_fail_open.py), and the one-line civic
text a call taker reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ec112.domain.location import Location
from ec112.domain.network_location import CivicAddress, LocationReference, civic_text
from ec112.location.geoloc_profile import LocationParseError, read_geoloc_profile, reference_from_header

RECEIVED = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
CIVIC = ('lang="id",country="ID",A1="Kalimantan Timur",A2="Penajam Paser Utara",A3="Penajam",A4="Sotek",'
         'RD="Jl. Provinsi",HNO="Km 5"')


def read(info: str, fmt: str, method: str | None = None) -> object:
    return read_geoloc_profile(info, format=fmt, method=method, received_at=RECEIVED)


def test_civic_address_from_asterisk() -> None:
    civic = read(CIVIC, "civicAddress", "Manual")
    assert civic == CivicAddress(
        fields={"country": "ID", "A1": "Kalimantan Timur", "A2": "Penajam Paser Utara", "A3": "Penajam",
                "A4": "Sotek", "RD": "Jl. Provinsi", "HNO": "Km 5"},
        text="Jl. Provinsi Km 5, Sotek, Penajam, Penajam Paser Utara, Kalimantan Timur, ID", method="Manual")


def test_civic_text_keeps_unusual_elements_at_the_end() -> None:
    assert civic_text({"country": "ID", "A4": "Sepaku", "FLR": "2", "NAM": "Puskesmas Sepaku", "RD": " "}) == (
        "Puskesmas Sepaku, Sepaku, ID, FLR 2")


@pytest.mark.parametrize("info", ['lang="id"', 'lang="id",A1=""', 'lang="id",1bad="x"'])
def test_an_empty_or_malformed_civic_address_is_an_error(info: str) -> None:
    with pytest.raises(LocationParseError):
        read(info, "civicAddress")


@pytest.mark.parametrize("uri", ["https://lis.carrier.example/loc/abc123", "http://127.0.0.1:8080/loc/abc123",
                                 "sip:loc@lis.example"])
def test_uri_profile_is_a_reference(uri: str) -> None:
    assert read(f'URI="{uri}"', "URI") == LocationReference(uri)


@pytest.mark.parametrize("info", ['URI=""', 'URI="a b"', 'URI="x",URI="y"', 'X="y"'])
def test_a_bad_uri_profile_is_an_error(info: str) -> None:
    with pytest.raises(LocationParseError):
        read(info, "URI")


@pytest.mark.parametrize(("shape", "info"), [
    ("Point", 'shape="Point",crs="2d",pos="-1.1178 116.5232"'),
    ("Circle", 'shape="Circle",crs="2d",pos="-1.2559 116.4961",radius="500.0"'),
    ("Ellipse", 'shape="Ellipse",crs="2d",pos="-1.5375 116.5134",semiMajorAxis="800.0",semiMinorAxis="300.0",'
                'orientation="30.0 degrees"'),
    ("Polygon", 'shape="Polygon",crs="2d",posList="-1.011 116.607 -1.02 116.598 -1.029 116.607 -1.011 116.607"'),
])
def test_gml_keeps_its_shape_and_observed_at_is_the_arrival(shape: str, info: str) -> None:
    location = read(info, "GML", "Cell")
    assert isinstance(location, Location)
    assert location.shape == shape
    assert location.observed_at == RECEIVED  # Asterisk drops the PIDF timestamp on 16 and 22


@pytest.mark.parametrize(("header", "uri"), [
    ("<https://lis.example/l/1>", "https://lis.example/l/1"),
    ("<cid:a@b>, <https://lis.example/l/2>;inserted-by=carrier", "https://lis.example/l/2"),
    ("<cid:a@b>", None), ("", None), ("garbage", None),
])
def test_reference_from_the_raw_header(header: str, uri: str | None) -> None:
    found = reference_from_header(header)
    assert (found.uri if found else None) == uri


@pytest.mark.parametrize(("confidence", "percent"), [
    ('pdf="normal",value="90"', 90), ('pdf="unknown",value="67.5"', 68), ("", None), (None, None),
    ('pdf="normal",value="150"', None), ('value="abc"', None), ('pdf="normal"', None), ("garbage", None),
])
def test_confidence_goes_to_the_location_and_never_loses_it(confidence: str | None, percent: int | None) -> None:
    location = read_geoloc_profile('shape="Circle",crs="2d",pos="-1.2559 116.4961",radius="500.0"', format="GML",
                                   method="Cell", received_at=RECEIVED, confidence=confidence)
    assert isinstance(location, Location)
    assert location.confidence == percent
    assert location.radius_m == 500.0
