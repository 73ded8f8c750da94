"""A citizen calling 112 through the carrier trunk, optionally with a PIDF-LO location.

Why generated: caller number, display name, location shape and how the call ends vary per test,
so the scenario is filled from tests/sipp/uac_112.xml into the test's temp dir. The location is
sent the RFC 6442 way: `Geolocation: <cid:...>` plus a multipart/mixed body holding the SDP and a
PIDF-LO (RFC 4119) with a GML Point or Polygon, a GeoShape Circle or Ellipse (RFC 5491), or a civic
address (RFC 5139), as carriers forward it; or by reference, a `Geolocation: <https://...>` header alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .sipp import SIPP_DIR, SippProcess, fill, free_udp_port

# RFC 5491's GeoShape namespace (the one Asterisk's PIDF-LO stylesheet matches) and the older
# draft/URN form some equipment still sends (Asterisk silently drops such a location).
GEOSHAPE_NS = "http://www.opengis.net/pidflo/1.0"
GEOSHAPE_NS_URN = "urn:ietf:params:xml:ns:pidf:geopriv10:geoShape"
_NUMBER = re.compile(r"\+?[0-9]{1,20}")
_BOUNDARY = "ec112-boundary-7a3f"

SDP = """v=0
o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=sendrecv
"""

WAIT_FOR_BYE = """  <recv request="BYE" timeout="{timeout_ms}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""

HANG_UP_AFTER = """  <pause milliseconds="{after_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{{{{caller_name}}}}" <sip:{{{{caller_number}}}}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""


@dataclass(frozen=True)
class PidfPoint:
    """A GML Point (WGS 84, "lat lon")."""

    lat: float
    lon: float
    method: str = "GPS"

    def shape_xml(self) -> str:
        return (f'<gml:Point srsName="urn:ogc:def:crs:EPSG::4326">'
                f"<gml:pos>{self.lat} {self.lon}</gml:pos></gml:Point>")


@dataclass(frozen=True)
class PidfCircle:
    """A GeoShape Circle: centre ("lat lon") and radius in metres (EPSG::9001), with an optional RFC 7459
    confidence (percent) after it in the location-info."""

    lat: float
    lon: float
    radius_m: float
    method: str = "Cell"
    namespace: str = GEOSHAPE_NS
    confidence: int | None = None

    def shape_xml(self) -> str:
        confidence = "" if self.confidence is None else (
            '<con:confidence xmlns:con="urn:ietf:params:xml:ns:geopriv:conf" pdf="normal">'
            f"{self.confidence}</con:confidence>")
        return (f'<gs:Circle xmlns:gs="{self.namespace}" srsName="urn:ogc:def:crs:EPSG::4326">'
                f"<gml:pos>{self.lat} {self.lon}</gml:pos>"
                f'<gs:radius uom="urn:ogc:def:uom:EPSG::9001">{self.radius_m}</gs:radius></gs:Circle>{confidence}')


@dataclass(frozen=True)
class PidfEllipse:
    """A GeoShape Ellipse: centre, semi-major/minor axes (metres), orientation (degrees from north)."""

    lat: float
    lon: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float = 30.0
    method: str = "Cell"

    def shape_xml(self) -> str:
        return (f'<gs:Ellipse xmlns:gs="{GEOSHAPE_NS}" srsName="urn:ogc:def:crs:EPSG::4326">'
                f"<gml:pos>{self.lat} {self.lon}</gml:pos>"
                f'<gs:semiMajorAxis uom="urn:ogc:def:uom:EPSG::9001">{self.semi_major_m}</gs:semiMajorAxis>'
                f'<gs:semiMinorAxis uom="urn:ogc:def:uom:EPSG::9001">{self.semi_minor_m}</gs:semiMinorAxis>'
                f'<gs:orientation uom="urn:ogc:def:uom:EPSG::9102">{self.orientation_deg}</gs:orientation>'
                "</gs:Ellipse>")


@dataclass(frozen=True)
class PidfPolygon:
    """A GML Polygon (a cell sector): its exterior ring as (lat, lon) vertices, first vertex repeated last."""

    vertices: tuple[tuple[float, float], ...]
    method: str = "Cell"

    def shape_xml(self) -> str:
        ring = [*self.vertices, self.vertices[0]]
        pos_list = " ".join(f"{lat} {lon}" for lat, lon in ring)
        return ('<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing>'
                f"<gml:posList>{pos_list}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")


@dataclass(frozen=True)
class PidfCivic:
    """An RFC 5139 civic address: (element, value) pairs in document order (country, A1..A6, RD, HNO...)."""

    fields: tuple[tuple[str, str], ...]
    method: str = "Manual"

    def shape_xml(self) -> str:
        inner = "".join(f"<ca:{name}>{value}</ca:{name}>" for name, value in self.fields)
        return (f'<ca:civicAddress xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr" '
                f'xml:lang="id">{inner}</ca:civicAddress>')


@dataclass(frozen=True)
class ByReference:
    """PIDF-LO by reference: only a `Geolocation: <uri>` header, no location body (RFC 6442 §4.1)."""

    uri: str


Location = PidfPoint | PidfCircle | PidfEllipse | PidfPolygon | PidfCivic


USAGE_RULES = """<gp:usage-rules>
<gbp:retransmission-allowed>false</gbp:retransmission-allowed>
</gp:usage-rules>
"""


def pidf_lo(location: Location, entity: str, *, usage_rules: bool = True) -> str:
    """A PIDF-LO document (device element) carrying one shape and its positioning method.

    ``usage_rules=False`` leaves out ``<gp:usage-rules>`` (mandatory in RFC 4119): Asterisk crashes on that."""
    rules = USAGE_RULES if usage_rules else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
 xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
 xmlns:gbp="urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy"
 xmlns:gml="http://www.opengis.net/gml" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
 entity="pres:{entity}@carrier.example">
<dm:device id="handset">
<gp:geopriv>
<gp:location-info>
{location.shape_xml()}
</gp:location-info>
{rules}<gp:method>{location.method}</gp:method>
</gp:geopriv>
<dm:deviceID>mac:00112233aabb</dm:deviceID>
<dm:timestamp>2026-01-01T12:00:00Z</dm:timestamp>
</dm:device>
</presence>"""


class CitizenCall:
    """One SIPp UAC placing a single 112 call; `wait()` gives SIPp's exit code (0 = call OK)."""

    def __init__(self, asterisk_sip_port: int, workdir: Path, *, caller_number: str = "+6281234567890",
                 caller_name: str = "Warga Test", location: Location | ByReference | None = None,
                 hang_up_after_ms: int | None = None, wait_for_bye_ms: int = 60000,
                 name: str = "citizen", exten: str = "112", usage_rules: bool = True,
                 local_ip: str = "127.0.0.1", request_uri: str | None = None) -> None:
        """``local_ip``: the operator's address the call comes from (127.0.0.x: a second trunk); ``request_uri``: the
        INVITE's Request-URI when not ``sip:<exten>@asterisk`` (an operator calling a registered contact)."""
        if not _NUMBER.fullmatch(caller_number):
            raise ValueError(f"caller number {caller_number!r}: digits with an optional leading +")
        if not caller_name.isascii() or any(ch in caller_name for ch in '"\\\r\n<>]'):
            raise ValueError(f"caller name {caller_name!r} contains characters SIPp/SIP would mangle")
        workdir.mkdir(parents=True, exist_ok=True)
        if hang_up_after_ms is None:
            ending = WAIT_FOR_BYE.format(timeout_ms=wait_for_bye_ms)
            lifetime_s = wait_for_bye_ms // 1000 + 30
        else:
            ending = HANG_UP_AFTER.format(after_ms=hang_up_after_ms)
            lifetime_s = hang_up_after_ms // 1000 + 30
        if location is None:
            headers, content_type, body = "X-EC112-Test: no-location", "application/sdp", SDP + "\n"
        elif isinstance(location, ByReference):
            if any(ch in location.uri for ch in "<>\r\n \""):
                raise ValueError(f"reference {location.uri!r} cannot go into a Geolocation header")
            headers = f"Geolocation: <{location.uri}>\nGeolocation-Routing: no"
            content_type, body = "application/sdp", SDP + "\n"
        else:
            cid = f"loc-{caller_number.lstrip('+')}@carrier.example"
            headers = f"Geolocation: <cid:{cid}>\nGeolocation-Routing: no"
            content_type = f"multipart/mixed;boundary={_BOUNDARY}"
            body = (f"--{_BOUNDARY}\nContent-Type: application/sdp\n\n{SDP}\n"
                    f"--{_BOUNDARY}\nContent-Type: application/pidf+xml\nContent-ID: <{cid}>\n\n"
                    f"{pidf_lo(location, caller_number, usage_rules=usage_rules)}\n--{_BOUNDARY}--")
        values = {"caller_number": caller_number, "caller_name": caller_name,
                  "geolocation_headers": headers, "content_type": content_type, "body": body,
                  "ending": ending}
        template = (SIPP_DIR / "uac_112.xml").read_text()
        if request_uri is not None:
            if any(ch in request_uri for ch in " <>\r\n\"") or not request_uri.startswith("sip:"):
                raise ValueError(f"request URI {request_uri!r} cannot go into an INVITE line")
            template = template.replace("INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
                                        f"INVITE {request_uri} SIP/2.0", 1)
        scenario = workdir / f"{name}.xml"
        scenario.write_text(fill(fill(template, values), values))  # twice: the ending has tokens
        self.process = SippProcess(name, [
            f"127.0.0.1:{asterisk_sip_port}", "-sf", str(scenario), "-s", exten, "-m", "1",
            "-p", str(free_udp_port()), "-mp", str(free_udp_port(span=4)),
            "-timeout", f"{lifetime_s}s", "-timeout_error", "-recv_timeout", str(wait_for_bye_ms),
        ], workdir, local_ip=local_ip)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def stop(self) -> int:
        return self.process.stop()

    def diagnostics(self) -> str:
        return self.process.diagnostics()
