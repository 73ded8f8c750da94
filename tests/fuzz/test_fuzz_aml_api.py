"""The AML intakes over HTTP (``POST /api/aml`` with a valid HMAC, ``POST /api/aml/sms`` with the gateway's
token): whatever a handset or a gateway sends is a 200 (stored), a 400 with documented reason codes, a 403 or
a 413, never a 5xx and never a reason nobody documented."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from ec112.web.aml_api import aml_hmac

from .api_stack import AML_HMAC_KEY, AML_SMS_TOKEN, ApiStack, running_api
from .budget import budget, ran

REASONS = {"too_large", "not_ascii", "not_aml", "unsupported_version", "malformed", "duplicate_field",
           "missing_field", "bad_coordinates", "bad_radius", "bad_timestamp", "no_location"}
TIMEOUT = 10.0
ELS_KEYS = ["v", "emergency_number", "time", "location_latitude", "location_longitude", "location_accuracy",
            "location_time", "location_source", "location_certainty", "device_number", "device_imei", "hmac", "x"]
VALUES = st.one_of(st.sampled_from(["-1.25", "116.8", "12", "1733112000000", "gps", "nan", "1e9", "+6281234567890",
                                    "", "٣", "-91", "0"]), st.text(max_size=30))
SMS_BITS = st.sampled_from(['A"ML=1', 'A"ML=2', "lt=+55.74317", "lg=-004.26881", "rd=50", "top=20261202010203",
                            "lo=-1.25,116.8,30", "et=1733112000", "ls=G", "pm=N", "ml=128", ";", "=", "é", "\x00"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiStack]:
    with running_api(tmp_path_factory.mktemp("fuzz-aml")) as stack:
        yield stack


@pytest.fixture(scope="module")
def http(api: ApiStack) -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _check(response: requests.Response) -> None:
    assert response.status_code in (200, 400, 403, 413), (response.status_code, response.text[:300])
    if response.status_code == 400:
        reasons = response.json()["reasons"]
        assert reasons, response.text
        assert set(reasons) <= REASONS, reasons
    if response.status_code == 200:
        assert response.json()["status"] in ("matched", "kept")


@given(st.one_of(st.lists(st.tuples(st.sampled_from(ELS_KEYS), VALUES), max_size=14).map(
    lambda pairs: "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs).encode()), st.binary(max_size=600)),
       st.booleans())
@example(b"location_latitude=-1.25&location_longitude=116.8&location_accuracy=12&device_number=%2B6281234567890",
         True)
@example(b"location_latitude=nan&location_longitude=116.8", True)
@example(b"location_latitude=-1.25&location_latitude=-1.26&location_longitude=116.8", True)
@budget(0.5)
def test_any_els_form_signed_with_the_key_is_stored_or_refused_with_a_reason(
        api: ApiStack, http: requests.Session, body: bytes, signed: bool) -> None:
    ran("api POST /api/aml (ELS form)")
    payload = body + b"&hmac=" + aml_hmac(AML_HMAC_KEY.encode(), body).encode() if signed else body
    response = http.post(f"{api.base_url}/api/aml", data=payload, timeout=TIMEOUT,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    _check(response)
    if not signed and b"hmac=" not in body:
        assert response.status_code == 403


@given(st.one_of(st.lists(st.one_of(SMS_BITS, st.text(max_size=12)), max_size=16).map(";".join),
                 st.text(max_size=300)),
       st.one_of(st.sampled_from(["+6281234567890", "081234567890", "anonymous", ""]), st.text(max_size=30)),
       st.sampled_from(["form", "json", "json-list"]))
@example('A"ML=2;lo=-1.25,116.8,30;et=1733112000;ls=G', "081234567890", "form")
@example('A"ML=1;lt=+55.74317;lg=-004.26', "+6281234567890", "json")
@budget(0.5)
def test_any_sms_text_from_the_gateway_is_stored_or_refused_with_a_reason(
        api: ApiStack, http: requests.Session, text: str, sender: str, encoding: str) -> None:
    ran("api POST /api/aml/sms")
    headers = {"Authorization": f"Bearer {AML_SMS_TOKEN}"}
    url = f"{api.base_url}/api/aml/sms"
    if encoding == "form":
        response = http.post(url, data={"from": sender, "text": text}, headers=headers, timeout=TIMEOUT)
    else:
        body = {"from": sender, "text": text} if encoding == "json" else [sender, text]
        response = http.post(url, json=body, headers=headers, timeout=TIMEOUT)
    _check(response)
