"""PIDF-LO, Asterisk's GEOLOC_PROFILE string and AML (SMS v1/v2, HTTPS): arbitrary input gives a ``Location``
or the module's documented ``LocationParseError`` (nothing else), and valid generated input round-trips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from ec112.domain.location import Location, LocationSource
from ec112.location.aml import AmlMessage, parse_aml_https, parse_aml_sms
from ec112.location.aml_values import AmlParseError
from ec112.location.geoloc_profile import parse_geoloc_profile
from ec112.location.pidf import LocationParseError, parse_pidf_lo

from .budget import budget, ran

RECEIVED = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
LATS = st.floats(-90, 90, allow_nan=False)
LONS = st.floats(-180, 180, allow_nan=False)
RADII = st.floats(0, 50_000, allow_nan=False)
PIDF = """<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml"
    xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="pres:caller@example.net">
  <dm:device id="handset"><gp:geopriv><gp:location-info>{shape}</gp:location-info>
    <gp:method>{method}</gp:method></gp:geopriv><dm:timestamp>{stamp}</dm:timestamp></dm:device>
</presence>"""
POINT = '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{pos}</gml:pos></gml:Point>'
CIRCLE = ('<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{pos}</gml:pos>'
          '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">{radius}</gs:radius></gs:Circle>')
# Fragments to splice: they reach the parser's deeper branches far more often than random bytes do.
XML_BITS = st.sampled_from([
    "<gml:Point", "<gs:Circle", "<gml:Polygon", "<gs:Prism", "<gml:pos>", "</gml:pos>", "<gs:radius", "uom=",
    'srsName="EPSG:4979"', "<gml:posList>", "<gml:exterior><gml:LinearRing>", "<!DOCTYPE x>", "&amp;", "<![CDATA[",
    "<?xml version='1.0' encoding='UTF-16'?>", "<presence>", "1e400", "nan", "-91", "  ", "\x00", "é", "]]>"])


def _outcome(parse: Callable[[], object]) -> object:
    """Run a parser: a result or its documented error pass; any other exception fails the test."""
    try:
        return parse()
    except LocationParseError as exc:
        error = exc
    assert error.code
    assert error.code == error.code.strip()
    return error


def _check_location(location: object) -> None:
    if isinstance(location, Location):
        assert -90 <= location.lat <= 90
        assert -180 <= location.lon <= 180
        assert location.radius_m is None or location.radius_m >= 0


@given(st.one_of(st.binary(max_size=4096), st.lists(st.one_of(XML_BITS, st.text(max_size=20)), max_size=30).map(
    lambda parts: PIDF.format(shape="".join(parts), method="GPS", stamp="2026-11-28T03:00:00Z").encode())))
@budget()
def test_pidf_lo_of_arbitrary_bytes(document: bytes) -> None:
    ran("location.parse_pidf_lo(bytes)")
    _check_location(_outcome(lambda: parse_pidf_lo(document, received_at=RECEIVED)))


@given(LATS, LONS, st.one_of(st.none(), RADII), st.sampled_from(["GPS", "Cell", "", "A-GPS"]))
@budget()
def test_pidf_lo_valid_points_and_circles_round_trip(lat: float, lon: float, radius: float | None,
                                                     method: str) -> None:
    ran("location.parse_pidf_lo(round trip)")
    pos = f"{lat!r} {lon!r}"
    shape = POINT.format(pos=pos) if radius is None else CIRCLE.format(pos=pos, radius=repr(radius))
    document = PIDF.format(shape=shape, method=method, stamp="2026-11-28T02:59:58+07:00").encode()
    location = parse_pidf_lo(document, received_at=RECEIVED)
    assert (location.lat, location.lon, location.radius_m) == (lat, lon, radius)
    assert location.method == (method or None)
    assert location.source is LocationSource.PIDF_LO


@given(st.text(max_size=400), st.sampled_from(["GML", "gml", "civicAddress", "URI", "", "x"]),
       st.one_of(st.none(), st.text(max_size=80)))
@budget()
def test_geoloc_profile_of_arbitrary_text(info: str, fmt: str, method: str | None) -> None:
    ran("location.parse_geoloc_profile(text)")
    _check_location(_outcome(lambda: parse_geoloc_profile(info, format=fmt, method=method, received_at=RECEIVED)))


@given(st.lists(st.tuples(st.sampled_from(["shape", "crs", "pos", "posList", "radius", "semiMajorAxis", "uom",
                                           "outerRadius", "x"]),
                          st.one_of(st.sampled_from(["Point", "Circle", "Polygon", "Ellipse", "2d", "3d", "m",
                                                     "-6.2 106.8", "1 2 3 4 5 6", "5 radians", "nan", ""]),
                                    st.text(max_size=20))), max_size=8),
       st.booleans())
@budget()
def test_geoloc_profile_of_key_value_soup(pairs: list[tuple[str, str]], quoted: bool) -> None:
    ran("location.parse_geoloc_profile(pairs)")
    text = ",".join(f'{k}="{v}"' if quoted else f"{k}={v}" for k, v in pairs)
    _check_location(_outcome(lambda: parse_geoloc_profile(text, format="GML", method=None, received_at=RECEIVED)))


@given(LATS, LONS, st.one_of(st.none(), RADII))
@budget()
def test_geoloc_profile_round_trip(lat: float, lon: float, radius: float | None) -> None:
    ran("location.parse_geoloc_profile(round trip)")
    text = f'shape="Point",crs="2d",pos="{lat!r} {lon!r}"' if radius is None else (
        f'shape="Circle",crs="2d",pos="{lat!r} {lon!r}",radius="{radius!r}"')
    location = parse_geoloc_profile(text, format="gml", method="GPS", received_at=RECEIVED)
    assert location is not None
    assert (location.lat, location.lon, location.radius_m) == (lat, lon, radius)


AML_KEYS = st.sampled_from(['A"ML', "lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "ml", "lo", "et",
                            "ls", "nc", "en"])
AML_VALUES = st.one_of(st.sampled_from(["1", "2", "+55.74317", "-004.26881", "50", "N", "G", "20130717141935",
                                        "-6.2,106.8,10", "1e9", "nan", "", "510", "+99.9"]), st.text(max_size=20))


@given(st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.lists(st.tuples(AML_KEYS, AML_VALUES), max_size=14).map(
        lambda pairs: ";".join(f"{k}={v}" for k, v in [('A"ML', "1"), *pairs])),
))
@budget()
def test_aml_sms_of_arbitrary_input(text: str | bytes) -> None:
    ran("location.parse_aml_sms(text)")
    message = _outcome(lambda: parse_aml_sms(text, received_at=RECEIVED))
    if isinstance(message, AmlMessage):
        _check_location(message.location)
        assert message.location.source is LocationSource.AML
    else:
        assert isinstance(message, AmlParseError)


def _degrees(value: float, width: int) -> str:
    return f"{value:+0{width + 6}.5f}"


@given(LATS, LONS, st.integers(0, 100_000), st.datetimes(datetime(2000, 1, 1), datetime(2026, 11, 28)),
       st.integers(0, 100), st.sampled_from("GWCFU"))
@budget()
def test_aml_sms_v1_round_trip(lat: float, lon: float, radius: int, top: datetime, confidence: int,
                               method: str) -> None:
    ran("location.parse_aml_sms(v1 round trip)")
    lat, lon, top = round(lat, 5), round(lon, 5), top.replace(microsecond=0)  # top has whole seconds
    body = (f'A"ML=1;lt={_degrees(lat, 2)};lg={_degrees(lon, 3)};rd={radius};top={top:%Y%m%d%H%M%S};'
            f"lc={confidence};pm={method};si=510109876543210;ei=353472104343540;mcc=510;mnc=10")
    text = f"{body};ml={len(body) + 7}"
    if lat == 0 and lon == 0:
        assert _outcome(lambda: parse_aml_sms(text, received_at=RECEIVED)).code == "no_location"  # type: ignore[attr-defined]
        return
    message = parse_aml_sms(text, received_at=RECEIVED)
    assert (message.location.lat, message.location.lon, message.location.radius_m) == (lat, lon, float(radius))
    assert message.location.observed_at == top.replace(tzinfo=UTC)
    assert message.length_verified is True
    assert message.notes == ()
    assert message.confidence_pct == confidence


@given(st.one_of(
    st.binary(max_size=600),
    st.lists(st.tuples(st.sampled_from(["v", "location_latitude", "location_longitude", "location_accuracy",
                                        "location_time", "time", "location_source", "location_certainty",
                                        "device_imei", "cell_network_mcc", "x"]),
                       st.one_of(AML_VALUES, st.binary(max_size=10).map(quote))), max_size=12).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
))
@budget()
def test_aml_https_of_arbitrary_input(body: str | bytes) -> None:
    ran("location.parse_aml_https(body)")
    message = _outcome(lambda: parse_aml_https(body, received_at=RECEIVED))
    if isinstance(message, AmlMessage):
        _check_location(message.location)


@given(LATS, LONS, st.one_of(st.none(), st.floats(0, 100_000)), st.integers(946_684_800_000, 1_795_834_800_000))
@budget()
def test_aml_https_round_trip(lat: float, lon: float, accuracy: float | None, millis: int) -> None:
    ran("location.parse_aml_https(round trip)")
    lat, lon = round(lat, 7), round(lon, 7)
    fields = {"v": "3", "location_latitude": f"{lat:.7f}", "location_longitude": f"{lon:.7f}",
              "location_time": str(millis), "location_source": "wifi"}
    if accuracy is not None:
        fields["location_accuracy"] = f"{accuracy:.1f}"
    body = "&".join(f"{k}={quote(v)}" for k, v in fields.items())
    outcome = _outcome(lambda: parse_aml_https(body, received_at=RECEIVED))
    if lat == 0 and lon == 0:
        assert isinstance(outcome, AmlParseError)
        assert outcome.code == "no_location"
        return
    assert isinstance(outcome, AmlMessage)
    location = outcome.location
    assert (location.lat, location.lon) == (float(f"{lat:.7f}"), float(f"{lon:.7f}"))
    assert location.radius_m == (None if accuracy is None else float(f"{accuracy:.1f}"))
    assert location.observed_at == datetime.fromtimestamp(millis / 1000, UTC)
    assert location.method == "Wifi"
