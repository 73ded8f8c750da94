"""`ec112 lab call <shape>`: every demo call carries a PIDF-LO that parses to a place in Penajam Paser Utara."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ec112.domain.location import LocationSource
from ec112.lab.demo_locations import SHAPES, demo_scenario
from ec112.location.pidf import LocationParseError, parse_pidf_lo

NOW = datetime(2026, 12, 2, tzinfo=UTC)
# (lat, lon, radius) each shape parses to: the desa label points of tests/integration/test_caller_location.py
EXPECTED = {"point": (-1.1178021, 116.523176, None), "circle": (-1.2559024, 116.4960648, 500.0),
            "ellipse": (-1.5375142, 116.5134406, 800.0), "polygon": (-1.0201521, 116.6072389, 1000.8)}


def _pidf(scenario: str) -> bytes:
    body = re.search(r"(<\?xml version=\"1\.0\" encoding=\"UTF-8\"\?>.*?</presence>)", scenario, re.S)
    assert body is not None
    return "\n".join(line.strip() for line in body.group(1).splitlines()).encode()


@pytest.mark.parametrize("shape", sorted(EXPECTED))
def test_each_geodetic_demo_call_parses_to_its_desa_point(shape: str) -> None:
    scenario = demo_scenario(shape)
    assert "Geolocation: <cid:loc[call_number]@caller.example>" in scenario
    assert "{{" not in scenario
    assert "<gp:usage-rules>" in scenario  # without it Asterisk 16.28 and 22.10 crash (docs/location.md)
    location = parse_pidf_lo(_pidf(scenario), received_at=NOW)
    lat, lon, radius = EXPECTED[shape]
    assert (location.lat, location.lon) == (pytest.approx(lat), pytest.approx(lon))
    assert location.radius_m == (None if radius is None else pytest.approx(radius, abs=1.0))
    assert location.shape is not None
    assert location.source is LocationSource.PIDF_LO


def test_civic_demo_call_has_no_coordinates() -> None:
    with pytest.raises(LocationParseError) as error:
        parse_pidf_lo(_pidf(demo_scenario("civic")), received_at=NOW)
    assert error.value.code == "no_location"
    assert "<ca:A4>Sotek</ca:A4>" in demo_scenario("civic")


def test_reference_demo_call_has_only_the_header() -> None:
    scenario = demo_scenario("reference", "https://lis.example/loc/1")
    assert "Geolocation: <https://lis.example/loc/1>" in scenario
    assert "Content-Type: application/sdp" in scenario
    assert "pidf" not in scenario.split("<![CDATA[")[1].split("]]>")[0]


@pytest.mark.parametrize(("shape", "uri"), [("square", "http://x/"), ("reference", "http://x/<y>")])
def test_unknown_shape_or_unsafe_uri_is_refused(shape: str, uri: str) -> None:
    with pytest.raises(ValueError, match=r"shape|reference"):
        demo_scenario(shape, uri)


def test_every_shape_names_its_desa() -> None:
    assert all(" / " in place for place, _, _ in SHAPES.values())
