"""Where is the caller: a SIPp 112 call with every PIDF-LO shape Asterisk hands over, and by reference, through
the real Asterisk (16 or 22: EC112_TEST_ASTERISK), the live FastAGI intake and the real `ec112 serve`.

Every point lies well inside a known desa of Kabupaten Penajam Paser Utara (the desa label points of
cahyadsn/wilayah_boundaries, checked ≥ 1.5 km from the desa border, so the covering circle's centre stays in it),
one kecamatan after another:

| shape         | kecamatan | desa (code)                 | point (lat, lon)        | sent as                   |
|---------------|-----------|-----------------------------|-------------------------|---------------------------|
| Point         | Penajam   | Riko (64.09.01.1016)        | -1.1178021, 116.5231760 | GML Point, GPS            |
| Circle        | Waru      | Waru (64.09.02.1003)        | -1.2559024, 116.4960648 | Circle r 500 m, conf. 90% |
| Ellipse       | Babulu    | Babulu Laut (64.09.03.2003) | -1.5375142, 116.5134406 | Ellipse 800 × 300 m       |
| Polygon       | Sepaku    | Pemaluan (64.09.04.1006)    | -1.0201521, 116.6072389 | 4 vertices ± 0.009° ~1 km |
| civic address | Penajam   | Sotek (64.09.01.1014)       | (the gazetteer's place) | ca:civicAddress           |
| by reference  | Sepaku    | Sepaku (64.09.04.1005)      | -0.8492580, 116.7189743 | Geolocation: <http://…>   |

A civic address and a reference reach the ticket through the LocationService, the kecamatan/desa come from
the jurisdiction of the shipped boundaries (GET /api/tickets/{n}/locations).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from harness import (
    ByReference,
    CitizenCall,
    MiniAmi,
    PidfCircle,
    PidfCivic,
    PidfEllipse,
    PidfPoint,
    PidfPolygon,
)
from harness.citizen import pidf_lo
from harness.daemon import Ec112Daemon

from conftest import Lab
from ec112.lab.render import AMI_USERNAME

pytestmark = pytest.mark.integration

QUEUED_WITHIN = 2.0  # INVITE → caller in the queue: Answer() (0.5 s without RTP) + the intake; the reference
#                      timeout (3 s) and the intake deadline (3 s) are both longer, so a wait for a fetch shows.
M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class Case:
    location: PidfPoint | PidfCircle | PidfEllipse | PidfPolygon
    lat: float
    lon: float
    radius_m: float | None
    shape: str
    kecamatan: str
    desa: str


CASES = {
    "point": Case(PidfPoint(-1.1178021, 116.5231760, method="GPS"), -1.1178021, 116.5231760, None,
                  "Point", "Penajam", "Riko"),
    "circle": Case(PidfCircle(-1.2559024, 116.4960648, 500.0, method="Cell", confidence=90), -1.2559024,
                   116.4960648, 500.0, "Circle", "Waru", "Waru"),
    "ellipse": Case(PidfEllipse(-1.5375142, 116.5134406, 800.0, 300.0, 30.0, method="Cell"),
                    -1.5375142, 116.5134406, 800.0, "Ellipse", "Babulu", "Babulu Laut"),
    "polygon": Case(PidfPolygon(((-1.0111521, 116.6072389), (-1.0201521, 116.5982389),
                                 (-1.0291521, 116.6072389), (-1.0201521, 116.6162389)), method="Cell"),
                    -1.0201521, 116.6072389, 0.009 * M_PER_DEG_LAT, "Polygon", "Sepaku", "Pemaluan"),
}
CIVIC = PidfCivic((("country", "ID"), ("A1", "Kalimantan Timur"), ("A2", "Penajam Paser Utara"),
                   ("A3", "Penajam"), ("A4", "Sotek"), ("RD", "Jl. Provinsi"), ("HNO", "Km 5")), method="Manual")
CIVIC_TEXT = "Jl. Provinsi Km 5, Sotek, Penajam, Penajam Paser Utara, Kalimantan Timur, ID"
SEPAKU = PidfPoint(-0.8492580, 116.7189743, method="A-GPS")


def _queued_channel(lab: Lab, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = lab.rx(f"queue show {lab.config.queue}")
        if match := re.search(r"\b(PJSIP/trunk-[0-9a-f]+)\b", shown):
            return match.group(1)
        time.sleep(0.02)
    raise AssertionError(f"no caller in queue {lab.config.queue} after {timeout} s:\n{shown}")


def _call_and_queue(lab: Lab, ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall],
                    location: Any, number: str) -> tuple[dict[str, Any], float]:
    """One call that waits in the queue: its ticket, and the seconds from the INVITE to the queue join.

    Asserts the intake finished: the queued channel carries EC112_TICKET = the ticket's number."""
    started = time.monotonic()
    call = citizen_call(caller_number=number, location=location, hang_up_after_ms=2500)
    channel = _queued_channel(lab)
    queued_after = time.monotonic() - started
    ami = MiniAmi(lab.config.ports.ami, AMI_USERNAME, lab.config.ami_secret)
    try:
        ticket_variable = ami.getvar(channel, "EC112_TICKET")
    finally:
        ami.close()
    assert call.wait(timeout=20) == 0, call.diagnostics()
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and bool(ts[0]["ended_at"]))
    assert ticket_variable == ticket["number"]  # the intake set it before the dialplan queued the call
    assert ticket["intake"] == "agi"
    assert ticket["caller_number"] == number
    return ticket, queued_after


def _locations(ec112: Ec112Daemon, ticket: dict[str, Any], until: Callable[[dict[str, Any]], bool],
               timeout: float = 10.0) -> dict[str, Any]:
    """GET /api/tickets/{number}/locations (docs/location.md) until ``until`` holds."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = ec112.get(f"/api/tickets/{ticket['number']}/locations")
        if until(seen):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"ticket locations never matched after {timeout} s: {seen}\n{ec112.log_tail()}")


def _assert_jurisdiction(seen: dict[str, Any], kecamatan: str, desa: str) -> None:
    jurisdiction = seen["jurisdiction"]
    assert jurisdiction["inside_regency"] is True
    assert jurisdiction["kecamatan"]["name"] == kecamatan
    assert jurisdiction["desa"]["name"] == desa


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_pidf_lo_shape_locates_the_ticket(asterisk: Lab, ec112: Ec112Daemon,
                                               citizen_call: Callable[..., CitizenCall], name: str) -> None:
    case = CASES[name]
    ticket, queued_after = _call_and_queue(asterisk, ec112, citizen_call, case.location, "+6281350001111")
    assert queued_after < QUEUED_WITHIN
    location = ticket["location"]
    assert location is not None, ec112.log_tail()
    assert location["lat"] == pytest.approx(case.lat, abs=1e-6)
    assert location["lon"] == pytest.approx(case.lon, abs=1e-6)
    if case.radius_m is None:
        assert location["radius_m"] is None
    else:
        assert location["radius_m"] == pytest.approx(case.radius_m, abs=2.0)  # a non-circle: its covering circle
    assert location["source"] == "pidf-lo"
    assert location["method"] == case.location.method
    seen = _locations(ec112, ticket, lambda s: s["best"] is not None and s["jurisdiction"] is not None)
    assert seen["best"]["shape"] == case.shape
    assert seen["best"]["confidence"] == (90 if name == "circle" else None)
    _assert_jurisdiction(seen, case.kecamatan, case.desa)
    # The CLI says the same: the source and whose place it is.
    shown = ec112.cli("tickets", "locations", ticket["number"]).stdout
    assert f"Kecamatan {case.kecamatan} · Desa/Kelurahan {case.desa}" in shown
    assert "pidf-lo" in shown


def test_civic_address_is_placed_through_the_gazetteer(asterisk: Lab, ec112: Ec112Daemon,
                                                       citizen_call: Callable[..., CitizenCall]) -> None:
    ticket, queued_after = _call_and_queue(asterisk, ec112, citizen_call, CIVIC, "+6281350002222")
    assert queued_after < QUEUED_WITHIN
    assert ticket["location"] is None or ticket["location"]["source"] == "civic"  # no coordinates by value
    seen = _locations(ec112, ticket, lambda s: s["best"] is not None)
    assert seen["best"]["source"] == "civic"
    assert seen["best"]["label"] == CIVIC_TEXT
    _assert_jurisdiction(seen, "Penajam", "Sotek")
# --- by reference -------------------------------------------------------------------------------------------

@pytest.fixture
def location_server() -> Iterator[str]:
    """A location server (LIS) answering GET /loc/<id> with a PIDF-LO of a caller in desa Sepaku."""
    document = pidf_lo(SEPAKU, "6281350003333").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/pidf+xml")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/loc/abc123"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections (the kernel completes the handshake) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/loc/never"


@pytest.fixture
def closed_port() -> Iterator[str]:
    """A port nothing listens on (bound, so nobody else takes it): connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/loc/refused"


def test_reference_is_fetched_onto_the_ticket(asterisk: Lab, ec112: Ec112Daemon,
                                              citizen_call: Callable[..., CitizenCall], location_server: str) -> None:
    ticket, queued_after = _call_and_queue(asterisk, ec112, citizen_call, ByReference(location_server),
                                           "+6281350003333")
    assert queued_after < QUEUED_WITHIN
    seen = _locations(ec112, ticket, lambda s: s["best"] is not None)
    assert seen["best"]["source"] == "pidf-lo-ref"
    assert seen["best"]["lat"] == pytest.approx(SEPAKU.lat)
    assert seen["best"]["lon"] == pytest.approx(SEPAKU.lon)
    assert seen["best"]["method"] == "A-GPS"
    assert [(u["kind"], u["text"], u["status"]) for u in seen["unlocated"]] == [
        ("reference", location_server, "resolved")]
    _assert_jurisdiction(seen, "Sepaku", "Sepaku")
@pytest.mark.parametrize(("server", "reason"), [("silent_server", "timeout"), ("closed_port", "unreachable")])
def test_dead_reference_is_kept_and_the_call_is_not_delayed(
        asterisk: Lab, ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], request: pytest.FixtureRequest,
        server: str, reason: str) -> None:
    uri = request.getfixturevalue(server)
    ticket, queued_after = _call_and_queue(asterisk, ec112, citizen_call, ByReference(uri), "+6281350004444")
    assert queued_after < QUEUED_WITHIN  # the fetch (up to 3 s) never sits between the caller and the queue
    assert ticket["location"] is None
    seen = _locations(ec112, ticket, lambda s: any(u["status"] == "failed" for u in s["unlocated"]))
    assert [(u["kind"], u["text"], u["status"], u["reason"]) for u in seen["unlocated"]] == [
        ("reference", uri, "failed", reason)]
    assert seen["best"] is None
