"""AML (ETSI TS 103 625) SMS v1/v2 and HTTPS: real-looking messages, each field broken, cut, too long."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ec112.domain.location import LocationSource
from ec112.location.aml import MAX_HTTPS_BYTES, MAX_SMS_CHARS, parse_aml_https, parse_aml_sms
from ec112.location.aml_values import AmlParseError
from ec112.location.pidf import LocationParseError

RECEIVED = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
IMSI, IMEI = "510109876543210", "353472104343540"


def v1(**overrides: str) -> str:
    """An AML v1 SMS from a handset in Jakarta, with a correct ``ml`` unless overridden."""
    fields = {"lt": "-06.17539", "lg": "+106.82715", "rd": "18", "top": "20250601075812", "lc": "68", "pm": "G",
              "si": IMSI, "ei": IMEI, "mcc": "510", "mnc": "10"}
    fields.update(overrides)
    body = 'A"ML=1;' + ";".join(f"{k}={v}" for k, v in fields.items() if v != "<omit>")
    if "ml" in overrides:
        return body
    length = len(body) + len(";ml=") + 3
    return f"{body};ml={length}"


def code_of(text: str | bytes) -> str:
    with pytest.raises(AmlParseError) as info:
        parse_aml_sms(text, received_at=RECEIVED)
    assert isinstance(info.value, LocationParseError)
    assert isinstance(info.value, ValueError)
    return info.value.code


def https_code_of(body: str | bytes) -> str:
    with pytest.raises(AmlParseError) as info:
        parse_aml_https(body, received_at=RECEIVED)
    return info.value.code


def test_v1_sms_from_a_jakarta_handset() -> None:
    message = parse_aml_sms(v1(), received_at=RECEIVED)
    location = message.location
    assert (location.lat, location.lon, location.radius_m) == (-6.17539, 106.82715, 18.0)
    assert location.source is LocationSource.AML
    assert location.method == "GPS"
    assert location.observed_at == datetime(2025, 6, 1, 7, 58, 12, tzinfo=UTC)
    assert (message.transport, message.version, message.confidence_pct) == ("sms", "1", 68.0)
    assert (message.mcc, message.mnc, message.imsi, message.imei) == ("510", "10", IMSI, IMEI)
    assert message.length_verified is True
    assert message.notes == ()


def test_v1_sms_from_the_etsi_style_sample_keeps_the_location_when_ml_is_off() -> None:
    # 130 characters long but says ml=128: handsets get ml wrong; the position is intact (top is present).
    text = ('A"ML=1;lt=+55.74317;lg=-004.26881;rd=50;top=20130717141935;lc=90;pm=G;si=123456789012345;'
            "ei=1234567890123456;mcc=234;mnc=30;ml=128")
    message = parse_aml_sms(text, received_at=RECEIVED)
    assert (message.location.lat, message.location.lon, message.location.radius_m) == (55.74317, -4.26881, 50.0)
    assert message.location.observed_at == datetime(2013, 7, 17, 14, 19, 35, tzinfo=UTC)
    assert message.imei == "1234567890123456"  # a 16-digit IMEISV
    assert message.length_verified is False
    assert message.notes == ("ml",)


def test_v1_sms_with_exact_ml_and_trailing_newline_from_the_gateway() -> None:
    text = ('A"ML=1;lt=48.82639;lg=-2.36619;rd=52;top=20191112112928;lc=68;pm=W;si=208201771948415;'
            "ei=353472104343540;mcc=208;mnc=20;ml=126")
    message = parse_aml_sms(text.encode() + b"\r\n", received_at=RECEIVED)
    assert message.length_verified is True
    assert message.location.method == "Wifi"


def test_null_location_is_no_location() -> None:
    text = ('A"ML=1;lt=+00.00000;lg=+000.00000;rd=N;top=20220131173734;lc=0;pm=N;si=234159000000000;'
            "ei=123456789012345;mcc=234;mnc=15;ml=127")
    assert code_of(text) == "no_location"
    assert code_of(v1(pm="N")) == "no_location"
    assert code_of(v1(lt="+00.00000", lg="+000.00000")) == "no_location"


@pytest.mark.parametrize(("key", "value", "code"), [
    ("lt", "-91.00000", "bad_coordinates"),
    ("lt", "abc", "bad_coordinates"),
    ("lt", "nan", "bad_coordinates"),
    ("lt", "1e1", "bad_coordinates"),
    ("lt", "-6,17539", "bad_coordinates"),
    ("lg", "+180.00001", "bad_coordinates"),
    ("lg", "inf", "bad_coordinates"),
    ("lg", "<omit>", "missing_field"),
    ("rd", "-5", "bad_radius"),
    ("rd", "1e3", "bad_radius"),
    ("rd", "100001", "bad_radius"),
    ("rd", "", "missing_field"),
    ("top", "2025060107581", "bad_timestamp"),
    ("top", "20251301075812", "bad_timestamp"),
    ("top", "2025-06-01T07:5", "bad_timestamp"),
    ("top", "<omit>", "missing_field"),
])
def test_each_location_field_invalid_is_rejected_with_its_code(key: str, value: str, code: str) -> None:
    assert code_of(v1(**{key: value})) == code


@pytest.mark.parametrize(("key", "value", "attribute"), [
    ("lc", "150", "confidence_pct"),
    ("lc", "-1", "confidence_pct"),
    ("pm", "X", None),
    ("si", "51010abc", "imsi"),
    ("ei", "12345", "imei"),
    ("mcc", "5101", "mcc"),
    ("mnc", "1", "mnc"),
])
def test_each_metadata_field_invalid_is_dropped_and_noted_but_the_position_kept(
    key: str, value: str, attribute: str | None
) -> None:
    message = parse_aml_sms(v1(**{key: value}), received_at=RECEIVED)
    assert (message.location.lat, message.location.lon) == (-6.17539, 106.82715)
    assert key in message.notes
    if attribute is not None:
        assert getattr(message, attribute) is None
    else:
        assert message.location.method is None


def test_ml_that_is_not_a_number_is_noted() -> None:
    message = parse_aml_sms(v1(ml="1x6"), received_at=RECEIVED)
    assert message.length_verified is False
    assert message.notes == ("ml",)


def test_a_handset_clock_in_the_future_falls_back_to_the_receive_time() -> None:
    message = parse_aml_sms(v1(top="20990101000000"), received_at=RECEIVED)
    assert message.location.observed_at == RECEIVED
    assert "top" in message.notes


def test_every_truncation_is_rejected_or_keeps_the_full_position() -> None:
    full = v1()
    expected = parse_aml_sms(full, received_at=RECEIVED).location
    rejected = 0
    for cut in range(len(full)):
        try:
            message = parse_aml_sms(full[:cut], received_at=RECEIVED)
        except AmlParseError:
            rejected += 1
            continue
        # Only a cut after ``top`` parses, and then the position is the whole one, never a shortened one
        # (a cut before ``pm`` loses the method, not the position).
        got = message.location
        assert (got.lat, got.lon, got.radius_m, got.observed_at) == (
            expected.lat, expected.lon, expected.radius_m, expected.observed_at)
        assert got.method in (expected.method, None)
        assert message.length_verified is False
    assert rejected > len(full) // 2


def test_too_long_non_ascii_and_control_characters() -> None:
    assert code_of(v1() + ";x=" + "9" * MAX_SMS_CHARS) == "too_large"
    assert code_of(v1(lt="-06.1753٩")) == "not_ascii"  # Arabic-Indic nine: float() would accept it
    assert code_of(v1().replace('A"ML', "A\u201dML")) == "not_ascii"
    assert code_of(v1().encode() + b"\xff") == "not_ascii"
    assert code_of(v1(mnc="1\x000")) == "malformed"


@pytest.mark.parametrize("text", [
    "", "hello", 'A"ML', "AML=1;lt=1;lg=2", 'A"ML=1;lt=-6.1;;lg=106.8', 'A"ML=1;lt=-6.1=2;lg=1',
    'A"ML=1;lt -6.1;lg=106.8', 'A"ML=1;' + "k=1;" * 70,
])
def test_not_aml_or_malformed(text: str) -> None:
    assert code_of(text) in {"not_aml", "malformed"}


def test_unsupported_version() -> None:
    assert code_of('A"ML=3;lt=-6.1;lg=106.8') == "unsupported_version"


def test_duplicated_keys_are_rejected() -> None:
    assert code_of(v1() + ";lt=-7.00000") == "duplicate_field"
    assert https_code_of("location_latitude=-6.2&location_longitude=106.8&location_latitude=-6.3") == (
        "duplicate_field")


def test_identities_stay_out_of_repr_and_errors() -> None:
    message = parse_aml_sms(v1(), received_at=RECEIVED)
    assert IMSI not in repr(message)
    assert IMEI not in repr(message)
    with pytest.raises(AmlParseError) as info:
        parse_aml_sms(v1(si=IMSI, ei=IMEI, lt="x"), received_at=RECEIVED)
    assert IMSI not in str(info.value)
    assert IMEI not in str(info.value)
    assert "106.8" not in str(info.value)


def test_v2_sms_els() -> None:
    text = ('A"ML=2;en=112;et=1748764680;lo=-6.17539,106.82715,20.1;lt=-12;lc=68;ls=W;ei=355458061005220;'
            "nc=51010;hc=51011;lg=id-ID")
    message = parse_aml_sms(text, received_at=RECEIVED)
    assert (message.location.lat, message.location.lon, message.location.radius_m) == (-6.17539, 106.82715, 20.1)
    assert message.location.observed_at == datetime(2025, 6, 1, 7, 57, 48, tzinfo=UTC)
    assert (message.version, message.emergency_number, message.mcc, message.mnc) == ("2", "112", "510", "10")
    assert message.location.method == "Wifi"
    assert message.notes == ()


def test_v2_sms_accuracy_zero_is_unknown_and_bad_lo_is_rejected() -> None:
    message = parse_aml_sms('A"ML=2;lo=-6.17539,106.82715,0', received_at=RECEIVED)
    assert message.location.radius_m is None
    assert message.location.observed_at == RECEIVED
    assert code_of('A"ML=2;lo=-6.17539,106.82715') == "bad_coordinates"
    assert code_of('A"ML=2;en=112') == "missing_field"
    assert code_of('A"ML=2;lo=-6.17539,106.82715,5;ls=N') == "no_location"


HTTPS_SAMPLE = ("v=3&emergency_number=112&source=call&time=1748764680000&location_latitude=-6.17539"
                "&location_longitude=106.82715&location_time=1748764668000&location_accuracy=12.5"
                "&location_source=gps&location_certainty=83&device_number=%2B6281234567890"
                f"&device_model=Pixel+8&device_imsi={IMSI}&device_imei={IMEI}&cell_network_mcc=510"
                "&cell_network_mnc=10&device_languages=id-ID%2Cen")


def test_https_post_form() -> None:
    message = parse_aml_https(HTTPS_SAMPLE.encode(), received_at=RECEIVED)
    location = message.location
    assert (location.lat, location.lon, location.radius_m, location.method) == (-6.17539, 106.82715, 12.5, "GPS")
    assert location.observed_at == datetime(2025, 6, 1, 7, 57, 48, tzinfo=UTC)
    assert (message.transport, message.version, message.confidence_pct) == ("https", "3", 83.0)
    assert (message.mcc, message.mnc, message.emergency_number, message.imsi) == ("510", "10", "112", IMSI)
    assert message.notes == ()
    assert parse_aml_https(HTTPS_SAMPLE + "\r\n", received_at=RECEIVED) == message  # a client's final newline


def test_https_degrades_metadata_and_rejects_bad_positions() -> None:
    message = parse_aml_https("location_latitude=-6.2&location_longitude=106.8&location_time=abc"
                              "&location_source=sonar&device_imei=x", received_at=RECEIVED)
    assert message.location.observed_at == RECEIVED
    assert message.location.method is None
    assert message.notes == ("location_time", "location_source", "device_imei")
    assert https_code_of("location_longitude=106.8") == "missing_field"
    assert https_code_of("location_latitude=-6.2&location_longitude=1e2") == "bad_coordinates"
    assert https_code_of("location_latitude=-6.2&location_longitude=106.8&location_accuracy=-1") == "bad_radius"
    assert https_code_of("location_latitude=-6.2&location_longitude=106.8&device_model=%FF") == "not_ascii"
    assert https_code_of("location_latitude=-6.2&location_longitude=106.8&device_model=a%0Ab") == "malformed"
    assert https_code_of(b"location_latitude=-6.2&location_longitude=106.8\xc3\xa9") == "not_ascii"
    assert https_code_of("x=" + "1" * MAX_HTTPS_BYTES) == "too_large"
