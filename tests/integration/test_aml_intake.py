"""Advanced Mobile Location on a live path: real Asterisk, real SIPp phones, the real `ec112 serve` serving
HTTPS itself (a self-signed certificate made here), an AML HMAC key and an SMS gateway token configured.

(a) AML over HTTPS 5 s after the call is answered → on that ticket, the best location, announced live;
(b) a wrong HMAC → 403 and nothing stored; (c) malformed SMS texts → 400 with their reasons; (d) an AML for no
call is listed as unmatched, then attached when that number calls 112.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import CitizenCall, PidfCircle, TakerPhone
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.sse import SseRecorder

pytestmark = pytest.mark.integration

HMAC_KEY = "aml-integration-key"
SMS_TOKEN = "aml-integration-sms-token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by this test's HTTP clients (and the CLI)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.fixture
def ec112_tls(asterisk: Lab, tmp_path: Path, tls: tuple[Path, Path],
              ec112_database_url: str | None) -> Iterator[Ec112Daemon]:
    cert, key = tls
    base_url = f"https://127.0.0.1:{asterisk.config.ports.web}"
    daemon = Ec112Daemon(asterisk.config, tmp_path / "ec112", database_url=ec112_database_url, extra_env={
        "EC112_WEB__TLS_CERTIFICATE": str(cert), "EC112_WEB__TLS_KEY": str(key), "EC112_API_URL": base_url,
        "EC112_LOCATION__AML_HMAC_KEY": HMAC_KEY, "EC112_LOCATION__AML_SMS_TOKEN": SMS_TOKEN})
    daemon.base_url = base_url
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def els(number: str, *, lat: float, lon: float, accuracy: int, key: str = HMAC_KEY) -> bytes:
    """The form an Android handset posts (ELS HTTPS), with ec112's HMAC (docs/location.md)."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    body = (f"v=3&emergency_number=112&source=call&time={now_ms - 5000}&location_latitude={lat}"
            f"&location_longitude={lon}&location_time={now_ms}&location_accuracy={accuracy}&location_source=gps"
            f"&location_certainty=68&device_number=%2B{number.lstrip('+')}").encode()
    return body + b"&hmac=" + hmac.new(key.encode(), body, hashlib.sha1).hexdigest().encode()


def locations(ec112: Ec112Daemon, number: str) -> dict[str, Any]:
    body: dict[str, Any] = ec112.get(f"/api/tickets/{number}/locations")
    return body


def test_aml_after_answer_lands_on_the_call_and_a_wrong_hmac_is_refused(
    ec112_tls: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    ec112 = ec112_tls
    taker("taker01", ring_ms=300, talk_ms=12000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    live = SseRecorder(ec112.base_url, ec112.auth_headers())
    try:
        call = citizen_call(caller_number="081234567890", location=PidfCircle(-1.2600, 116.7000, 3000.0,
                                                                               method="Cell"))
        [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["answered_at"] is not None, timeout=30)
        time.sleep(5)  # the handset's AML comes a few seconds after the answer
        with httpx.Client(base_url=ec112.base_url, timeout=10) as client:
            wrong = client.post("/api/aml", content=els("+6281234567890", lat=-1.0, lon=116.0, accuracy=5,
                                                        key="not-the-key"), headers=FORM)
            sent = client.post("/api/aml", content=els("+6281234567890", lat=-1.25123, lon=116.83001, accuracy=12),
                               headers=FORM)
        assert wrong.status_code == 403
        assert (sent.status_code, sent.json()) == (200, {"status": "matched"})
        seen = locations(ec112, ticket["number"])
        assert (seen["best"]["source"], seen["best"]["lat"], seen["best"]["radius_m"]) == ("aml", -1.25123, 12.0)
        assert [r["source"] for r in seen["reports"]] == ["aml", "pidf-lo"]  # the wrong-HMAC one is nowhere
        assert ec112.get("/api/aml/unmatched") == []
        shown = ec112.get(f"/api/tickets/{ticket['number']}")
        assert (shown["location"]["source"], shown["location"]["lat"]) == ("aml", -1.25123)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not [d for k, d in live.events if k == "location"]:
            time.sleep(0.05)
        [event] = [d for k, d in live.events if k == "location"]
        assert (event["ticket"], event["count"], event["best"]["source"]) == (ticket["number"], 2, "aml")
        assert live.error is None
        assert call.wait(timeout=40) == 0, call.diagnostics()
    finally:
        live.stop()
    log = ec112.log_path.read_text(errors="replace")
    assert all("1.25123" not in line and "6281234567890" not in line
               for line in log.splitlines() if " INFO " in line or " WARNING " in line)


def test_malformed_sms_texts_get_400_with_their_reasons(ec112_tls: Ec112Daemon) -> None:
    auth = {"Authorization": f"Bearer {SMS_TOKEN}"}
    texts = {'A"ML=1;lt=+55.74317;lg=-004.26881;rd=50': "missing_field",  # cut short: no top
             'A"ML=1;lt=nan;lg=-004.26881;rd=50;top=20261202010203': "bad_coordinates",
             'A"ML=7;lo=1,2,3': "unsupported_version", "hello 112": "not_aml",
             'A"ML=2;lo=-1.25,116.8,30;lo=-1.25,116.8,30': "duplicate_field"}
    with httpx.Client(base_url=ec112_tls.base_url, timeout=10) as client:
        for text, reason in texts.items():
            answer = client.post("/api/aml/sms", data={"from": "+6281234567890", "text": text}, headers=auth)
            assert (answer.status_code, answer.json()["reasons"]) == (400, [reason]), text
        assert client.post("/api/aml/sms", data={"from": "+62812", "text": "x"}).status_code == 403
    assert ec112_tls.get("/api/aml/unmatched") == []


def test_an_aml_for_no_call_is_listed_then_attached_when_that_number_calls(
    ec112_tls: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    ec112 = ec112_tls
    text = f'A"ML=2;lo=-1.31000,116.71000,25;et={int(time.time())};lc=68;ls=G'
    with httpx.Client(base_url=ec112.base_url, timeout=10) as client:
        kept = client.post("/api/aml/sms", json={"from": "+6285611112222", "text": text},
                           headers={"Authorization": f"Bearer {SMS_TOKEN}"})
    assert (kept.status_code, kept.json()) == (200, {"status": "kept"})
    [waiting] = ec112.get("/api/aml/unmatched")
    assert (waiting["caller_number"], waiting["channel"], waiting["location"]["lat"]) == ("+6285611112222", "sms",
                                                                                          -1.31)
    taker("taker01", ring_ms=200, talk_ms=1000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number="085611112222")
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1, timeout=30)
    seen = ec112.wait_for(f"/api/tickets/{ticket['number']}/locations", lambda b: b["best"] is not None)
    assert (seen["best"]["source"], seen["best"]["lat"], seen["best"]["radius_m"]) == ("aml", -1.31, 25.0)
    assert ec112.get("/api/aml/unmatched") == []
    assert call.wait(timeout=40) == 0, call.diagnostics()
