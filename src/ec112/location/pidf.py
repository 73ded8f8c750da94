"""PIDF-LO (RFC 4119, RFC 5491) with GeoShape (RFC 5491 §5, OGC 06-142r1) → a domain ``Location``.

Hand-written because no maintained Python library parses PIDF-LO. The document comes from the caller's
network (a SIP INVITE body or a location server), so it is treated as hostile: a size cap, an lxml parser
that never resolves entities nor touches the network, and any DOCTYPE rejected outright (billion laughs,
XXE with ``file:///etc/passwd``, external DTDs). Namespaces are matched exactly; a document using the
right element names in the wrong namespaces is not PIDF-LO.

Every failure raises ``LocationParseError`` with a stable ``code``:
``too_large``, ``malformed_xml``, ``forbidden_dtd``, ``wrong_namespace``, ``no_location``,
``unsupported_shape``, ``unsupported_crs``, ``unsupported_uom``, ``bad_coordinates``, ``bad_radius``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

from lxml import etree

from ec112.domain.geography import haversine_m
from ec112.domain.location import Location, LocationSource

MAX_DOCUMENT_BYTES = 64 * 1024

NS_PIDF = "urn:ietf:params:xml:ns:pidf"
NS_GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
NS_DM = "urn:ietf:params:xml:ns:pidf:data-model"
NS_GML = "http://www.opengis.net/gml"
NS_GS = "http://www.opengis.net/pidflo/1.0"

_METRE_UOMS = frozenset({"urn:ogc:def:uom:EPSG::9001"})
_CRS_2D = "4326"
_CRS_3D = "4979"
# srsName spellings seen in RFC 5491 and GML 3.1/3.2 documents; the EPSG code is what matters.
_SRS_RE = re.compile(
    r"(?:urn:ogc:def:crs:EPSG:[0-9.]*:|EPSG:|http://www\.opengis\.net/def/crs/EPSG/0/)(4326|4979)"
)
_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

# (lat, lon, radius in metres or None)
_ShapeParser = Callable[["etree._Element"], tuple[float, float, float | None]]


class LocationParseError(ValueError):
    """A location document that cannot be turned into a ``Location``; ``code`` is stable for callers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


_PRESENCE = _q(NS_PIDF, "presence")
_LOCATION_INFO = _q(NS_GP, "location-info")
_OWNERS = frozenset({_q(NS_DM, "device"), _q(NS_DM, "person"), _q(NS_PIDF, "tuple")})


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           attribute_defaults=False, huge_tree=False, remove_comments=True, remove_pis=True)


def parse_pidf_lo(document: bytes, *, received_at: datetime,
                  source: LocationSource = LocationSource.PIDF_LO) -> Location:
    """Parse a PIDF-LO document and return the first geodetic location it carries.

    ``received_at`` is used as ``observed_at`` when the document has no usable timestamp; ``source`` says how
    the document came (``PIDF_LO_REF`` when fetched by reference). The GML shape's name is kept in ``shape``.
    """
    root = _parse_xml(document)
    if root.tag != _PRESENCE:
        if etree.QName(root).localname == "presence":
            raise LocationParseError("wrong_namespace", "<presence> is not in the PIDF namespace")
        raise LocationParseError("wrong_namespace", "root element is not a PIDF <presence>")
    unsupported: list[str] = []
    for info in root.iter(_LOCATION_INFO):
        owner = _owner_of(info)
        if owner is None:
            continue
        for shape in info:
            if not isinstance(shape.tag, str):
                continue
            if shape.tag not in _SHAPE_PARSERS:
                name = etree.QName(shape)
                if name.localname in _SHAPE_NAMES:
                    raise LocationParseError("wrong_namespace", f"{name.localname} in namespace "
                                             f"{(name.namespace or '(none)')[:80]!r}")
                unsupported.append(name.localname)
                continue
            lat, lon, radius_m = _SHAPE_PARSERS[shape.tag](shape)
            return Location(
                lat=lat,
                lon=lon,
                radius_m=radius_m,
                source=source,
                observed_at=_timestamp_of(owner) or received_at,
                method=_method_of(info),
                shape=etree.QName(shape).localname,
            )
    if not unsupported and any(
        isinstance(el.tag, str) and el.tag != _LOCATION_INFO and etree.QName(el).localname == "location-info"
        for el in root.iter()
    ):
        raise LocationParseError("wrong_namespace", "location-info outside the geopriv10 namespace")
    geodetic = [name for name in unsupported if name != "civicAddress"]
    if geodetic:
        raise LocationParseError("unsupported_shape", f"unsupported shape(s): {', '.join(geodetic[:3])}")
    raise LocationParseError("no_location", "no geodetic location-info in a device, person or tuple")


def _parse_xml(document: bytes) -> etree._Element:
    if not isinstance(document, bytes | bytearray):
        raise LocationParseError("malformed_xml", "document must be bytes")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise LocationParseError("too_large", f"document exceeds {MAX_DOCUMENT_BYTES} bytes")
    if _FORBIDDEN_MARKUP.search(document):
        raise LocationParseError("forbidden_dtd", "DOCTYPE/ENTITY declarations are not accepted")
    try:
        root = etree.fromstring(bytes(document), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise LocationParseError("malformed_xml", f"not well-formed XML (line {exc.lineno})") from None
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise LocationParseError("malformed_xml", f"unreadable XML: {type(exc).__name__}") from None
    if root is None:
        raise LocationParseError("malformed_xml", "empty document")
    # Catches a DOCTYPE the byte scan missed (e.g. a UTF-16 document).
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise LocationParseError("forbidden_dtd", "DOCTYPE declarations are not accepted")
    return root


def _owner_of(info: etree._Element) -> etree._Element | None:
    """The dm:device, dm:person or tuple the location-info belongs to (None when it is elsewhere)."""
    parent = info.getparent()
    while parent is not None and parent.tag != _PRESENCE:
        if parent.tag in _OWNERS:
            return parent
        parent = parent.getparent()
    return None


def _method_of(info: etree._Element) -> str | None:
    geopriv = info.getparent()
    method = geopriv.find(_q(NS_GP, "method")) if geopriv is not None else None
    text = (method.text or "").strip() if method is not None else ""
    return text[:64] or None


def _timestamp_of(owner: etree._Element) -> datetime | None:
    for tag in (_q(NS_DM, "timestamp"), _q(NS_PIDF, "timestamp")):
        element = owner.find(tag)
        if element is not None and element.text:
            try:
                stamp = datetime.fromisoformat(element.text.strip())
            except ValueError:
                return None  # a bad timestamp is no reason to drop a caller's position
            return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return None


def _crs_of(shape: etree._Element) -> str:
    srs = (shape.get("srsName") or "").strip()
    match = _SRS_RE.fullmatch(srs)
    if match is None:
        raise LocationParseError("unsupported_crs", f"srsName {srs[:80]!r} is not EPSG 4326/4979")
    return match.group(1)


def _floats(text: str | None, what: str, code: str) -> list[float]:
    try:
        values = [float(part) for part in (text or "").split()]
    except ValueError:
        raise LocationParseError(code, f"{what} is not a list of numbers") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise LocationParseError(code, f"{what} is empty or not finite")
    return values


def checked_position(values: list[float]) -> tuple[float, float]:
    """``lat lon [alt]`` (EPSG 4326/4979 axis order: latitude first) → (lat, lon), range-checked.

    The altitude is ignored, so a stray third value in a 2d position (or a missing one in 3d) is
    tolerated: the horizontal position is unambiguous and a 112 call should not lose it over that.
    """
    if len(values) not in (2, 3):
        raise LocationParseError("bad_coordinates", "a position is 2 or 3 numbers")
    lat, lon = values[0], values[1]
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise LocationParseError("bad_coordinates", "latitude/longitude out of range")
    return lat, lon


def _pos(shape: etree._Element) -> tuple[float, float]:
    pos = shape.find(_q(NS_GML, "pos"))
    if pos is None:
        raise LocationParseError("bad_coordinates", f"{etree.QName(shape).localname} has no gml:pos")
    return checked_position(_floats(pos.text, "gml:pos", "bad_coordinates"))


def _length_m(shape: etree._Element, local: str) -> float:
    element = shape.find(_q(NS_GS, local))
    if element is None:
        raise LocationParseError("bad_radius", f"missing gs:{local}")
    uom = (element.get("uom") or "").strip()
    if uom not in _METRE_UOMS:
        raise LocationParseError("unsupported_uom", f"gs:{local} uom {uom[:80]!r} is not metres")
    values = _floats(element.text, f"gs:{local}", "bad_radius")
    if len(values) != 1 or values[0] < 0:
        raise LocationParseError("bad_radius", f"gs:{local} must be one non-negative number")
    return values[0]


def _point(shape: etree._Element) -> tuple[float, float, float | None]:
    _crs_of(shape)
    lat, lon = _pos(shape)
    return lat, lon, None


def _circle_like(length: str) -> _ShapeParser:
    """Circle, Sphere (radius), Ellipse, Ellipsoid (semiMajorAxis), ArcBand (outerRadius): a centre and
    the largest distance from it, which is the smallest circle the domain can hold that covers the shape."""

    def parse(shape: etree._Element) -> tuple[float, float, float | None]:
        _crs_of(shape)
        lat, lon = _pos(shape)
        return lat, lon, _length_m(shape, length)

    return parse


def _polygon(shape: etree._Element) -> tuple[float, float, float | None]:
    return _polygon_area(shape, _crs_of(shape))


def _prism(shape: etree._Element) -> tuple[float, float, float | None]:
    """A 3d polygon extruded upwards: its base polygon (which inherits the prism's srsName) is the area."""
    base = shape.find(f"{_q(NS_GS, 'base')}/{_q(NS_GML, 'Polygon')}")
    if base is None:
        raise LocationParseError("bad_coordinates", "prism has no gs:base/gml:Polygon")
    return _polygon_area(base, _crs_of(shape))


def _polygon_area(polygon: etree._Element, crs: str) -> tuple[float, float, float | None]:
    """Vertex mean and the distance to the farthest vertex: a circle covering the polygon."""
    ring = polygon.find(f"{_q(NS_GML, 'exterior')}/{_q(NS_GML, 'LinearRing')}")
    if ring is None:
        raise LocationParseError("bad_coordinates", "polygon has no gml:exterior/gml:LinearRing")
    width = 3 if crs == _CRS_3D else 2
    pos_list = ring.find(_q(NS_GML, "posList"))
    if pos_list is not None:
        flat = _floats(pos_list.text, "gml:posList", "bad_coordinates")
        if len(flat) % width:
            raise LocationParseError("bad_coordinates", "gml:posList length does not match the CRS")
        raw = [flat[i:i + width] for i in range(0, len(flat), width)]
    else:
        raw = [_floats(p.text, "gml:pos", "bad_coordinates") for p in ring.findall(_q(NS_GML, "pos"))]
    return covering_circle([checked_position(values) for values in raw])


def covering_circle(vertices: list[tuple[float, float]]) -> tuple[float, float, float]:
    """A polygon ring → (centre lat, centre lon, metres to the farthest vertex)."""
    vertices = list(vertices)
    if len(vertices) > 1 and vertices[0] == vertices[-1]:
        vertices.pop()  # GML rings repeat the first vertex at the end
    if len(vertices) < 3:
        raise LocationParseError("bad_coordinates", "polygon needs at least 3 distinct vertices")
    # The vertex mean is good enough for the few-km cell/sector polygons seen in 112 calls (it is not
    # meant for areas crossing the antimeridian).
    lat = sum(v[0] for v in vertices) / len(vertices)
    lon = sum(v[1] for v in vertices) / len(vertices)
    radius = max(haversine_m(lat, lon, v[0], v[1]) for v in vertices)
    return lat, lon, radius


_SHAPE_PARSERS: dict[str, _ShapeParser] = {
    _q(NS_GML, "Point"): _point,
    _q(NS_GS, "Circle"): _circle_like("radius"),
    _q(NS_GS, "Sphere"): _circle_like("radius"),
    _q(NS_GS, "Ellipse"): _circle_like("semiMajorAxis"),
    _q(NS_GS, "Ellipsoid"): _circle_like("semiMajorAxis"),
    _q(NS_GS, "ArcBand"): _circle_like("outerRadius"),
    _q(NS_GML, "Polygon"): _polygon,
    _q(NS_GS, "Prism"): _prism,
}
_SHAPE_NAMES = frozenset(etree.QName(tag).localname for tag in _SHAPE_PARSERS)
