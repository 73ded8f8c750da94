"""The lab's demo 112 calls: one per location shape Asterisk hands over, each in a known desa of Kabupaten
Penajam Paser Utara, so that `ec112 lab call polygon` shows on the console's map what a carrier would send.

The points are desa label points of cahyadsn/wilayah_boundaries (MIT), well inside their desa (the same
table as tests/integration/test_caller_location.py). The scenario is a template (lab/sipp/demo_112_call.xml);
this module fills its location part: RFC 6442 ``Geolocation: <cid:…>`` + a multipart/mixed body with the
PIDF-LO, or ``Geolocation: <uri>`` alone (by reference).
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "sipp" / "demo_112_call.xml"
_BOUNDARY = "bnd7a3f"
_INDENT = "      "
_SDP = """v=0
o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv"""
_GS = 'xmlns:gs="http://www.opengis.net/pidflo/1.0" srsName="urn:ogc:def:crs:EPSG::4326"'
_METRES = 'uom="urn:ogc:def:uom:EPSG::9001"'

# shape → (kecamatan / desa, positioning method, the PIDF-LO location-info content)
SHAPES: dict[str, tuple[str, str, str]] = {
    "point": ("Penajam / Riko", "GPS",
              '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>-1.1178021 116.523176</gml:pos></gml:Point>'),
    "circle": ("Waru / Waru", "Cell",
               f'<gs:Circle {_GS}><gml:pos>-1.2559024 116.4960648</gml:pos>'
               f'<gs:radius {_METRES}>500</gs:radius></gs:Circle>'),
    "ellipse": ("Babulu / Babulu Laut", "Cell",
                f'<gs:Ellipse {_GS}><gml:pos>-1.5375142 116.5134406</gml:pos>'
                f'<gs:semiMajorAxis {_METRES}>800</gs:semiMajorAxis><gs:semiMinorAxis {_METRES}>300</gs:semiMinorAxis>'
                '<gs:orientation uom="urn:ogc:def:uom:EPSG::9102">30</gs:orientation></gs:Ellipse>'),
    "polygon": ("Sepaku / Pemaluan", "Cell",
                '<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>'
                "-1.0111521 116.6072389 -1.0201521 116.5982389 -1.0291521 116.6072389 -1.0201521 116.6162389 "
                "-1.0111521 116.6072389</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"),
    "civic": ("Penajam / Sotek", "Manual",
              '<ca:civicAddress xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr" xml:lang="id">'
              "<ca:country>ID</ca:country><ca:A1>Kalimantan Timur</ca:A1><ca:A2>Penajam Paser Utara</ca:A2>"
              "<ca:A3>Penajam</ca:A3><ca:A4>Sotek</ca:A4><ca:RD>Jl. Provinsi</ca:RD><ca:HNO>Km 5</ca:HNO>"
              "</ca:civicAddress>"),
}
SHAPE_NAMES = (*SHAPES, "reference")


def _pidf(location_info: str, method: str) -> str:
    # <gp:usage-rules> is mandatory (RFC 4119) and Asterisk 16.28 and 22.10 crash without it (docs/location.md).
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" \
xmlns:gbp="urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy" xmlns:gml="http://www.opengis.net/gml" \
xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" \
entity="pres:+6281234567890@caller.example">
  <dm:device id="handset1">
    <gp:geopriv>
      <gp:location-info>{location_info}</gp:location-info>
      <gp:usage-rules><gbp:retransmission-allowed>false</gbp:retransmission-allowed></gp:usage-rules>
      <gp:method>{method}</gp:method>
    </gp:geopriv>
    <dm:timestamp>2026-12-01T12:00:00+08:00</dm:timestamp>
  </dm:device>
</presence>"""


def demo_scenario(shape: str = "point", reference_uri: str = "http://127.0.0.1:9/loc/demo",
                  wait_seconds: int = 300) -> str:
    """The SIPp scenario of a demo call carrying ``shape`` (one of ``SHAPE_NAMES``); the caller stays on the line
    ``wait_seconds`` after Asterisk's answer for a call taker to answer and hang up (then SIPp hangs up)."""
    if wait_seconds < 1:
        raise ValueError(f"wait_seconds must be at least 1, not {wait_seconds}")
    if shape == "reference":
        if any(ch in reference_uri for ch in "<>\"\r\n "):
            raise ValueError(f"reference {reference_uri!r} cannot go into a Geolocation header")
        headers = [f"Geolocation: <{reference_uri}>", "Geolocation-Routing: no", "Content-Type: application/sdp"]
        body = _SDP
    elif shape in SHAPES:
        _, method, info = SHAPES[shape]
        cid = "loc[call_number]@caller.example"
        headers = [f"Geolocation: <cid:{cid}>", "Geolocation-Routing: no",
                   f"Content-Type: multipart/mixed;boundary={_BOUNDARY}"]
        body = (f"--{_BOUNDARY}\nContent-Type: application/sdp\n\n{_SDP}\n\n"
                f"--{_BOUNDARY}\nContent-Type: application/pidf+xml\nContent-ID: <{cid}>\n\n"
                f"{_pidf(info, method)}\n--{_BOUNDARY}--")
    else:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPE_NAMES)}")
    return (TEMPLATE.read_text()
            .replace("{{wait_ms}}", str(wait_seconds * 1000))
            .replace("{{location_headers}}", "\n".join(_INDENT + line for line in headers))
            .replace("{{body}}", "\n".join(_INDENT + line if line else "" for line in body.splitlines())))
