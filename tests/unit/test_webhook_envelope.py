"""The notification body: stable bytes (sorted keys, compact UTF-8), and the start-up check of webhook secrets."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from enum import StrEnum

import pytest

from ec112.domain.agencies import Agency
from ec112.services.notifications import envelope
from ec112.webhooks import WebhookConfigError, check_webhooks

AT = datetime(2026, 11, 28, 10, 14, 15, 926_000, tzinfo=timezone(timedelta(hours=7)))  # WIB


class Level(StrEnum):
    ALTERNATE = "alternate"


def test_the_body_is_compact_sorted_utf8_json() -> None:
    body = envelope(42, "dispatch.created", "damkar", AT,
                    {"ticket": "112-000042", "alamat": "Jl. Kebon Sirih, Menteng — dekat halte",
                     "agencies": ("damkar",)})
    assert body == (
        '{"agency":"damkar","data":{"agencies":["damkar"],"alamat":"Jl. Kebon Sirih, Menteng — dekat halte",'
        '"ticket":"112-000042"},"event":"dispatch.created","id":42,"sent_at":"2026-11-28T03:14:15.926Z"}'
    ).encode()


def test_the_same_data_in_another_order_gives_the_same_bytes() -> None:
    one = envelope(1, "dispatch.created", "pmi", AT, {"a": 1, "b": {"y": 2, "x": [1, 2]}})
    two = envelope(1, "dispatch.created", "pmi", AT, {"b": {"x": [1, 2], "y": 2}, "a": 1})
    assert one == two
    assert json.loads(one)["data"] == {"a": 1, "b": {"x": [1, 2], "y": 2}}


def test_times_enums_and_sets_become_plain_json() -> None:
    body = envelope(3, "dispatch.escalated.alternate", "damkar", AT,
                    {"deadline": AT + timedelta(minutes=1), "level": Level.ALTERNATE, "tags": {"b", "a"}})
    assert json.loads(body)["data"] == {"deadline": "2026-11-28T03:15:15.926Z", "level": "alternate",
                                        "tags": ["a", "b"]}


def test_what_json_cannot_say_is_refused() -> None:
    with pytest.raises(ValueError, match="Out of range"):
        envelope(1, "x", "damkar", AT, {"lat": float("nan")})
    with pytest.raises(TypeError, match="object"):
        envelope(1, "x", "damkar", AT, {"thing": object()})
    with pytest.raises(ValueError, match="timezone"):
        envelope(1, "x", "damkar", datetime(2026, 1, 1), {})


def _agency(code: str, url: str | None) -> Agency:
    return Agency(code, code.title(), code.title(), webhook_url=url)


def test_a_webhook_url_without_a_secret_is_refused_with_what_to_set() -> None:
    agencies = [_agency("damkar", "https://gw.example/damkar"), _agency("pos-sar", "https://gw.example/sar"),
                _agency("pmi", None)]
    with pytest.raises(WebhookConfigError) as refused:
        check_webhooks(agencies, {"damkar": "x" * 32})
    message = str(refused.value)
    assert "'pos-sar' has a webhook_url but no secret" in message
    assert "EC112_WEBHOOKS__SECRETS__POS_SAR" in message
    assert "damkar" not in message
    assert "pmi" not in message


def test_short_secrets_and_odd_urls_are_refused_and_secrets_never_appear() -> None:
    agencies = [_agency("damkar", "https://gw.example/damkar"), _agency("pmi", "ftp://gw.example/pmi")]
    with pytest.raises(WebhookConfigError) as refused:
        check_webhooks(agencies, {"damkar": "pendek", "pmi": "y" * 20})
    message = str(refused.value)
    assert "'damkar': the webhook secret is shorter than 16" in message
    assert "'pmi': webhook_url must be an http(s) URL" in message
    assert "pendek" not in message
    assert "y" * 20 not in message


def test_an_env_style_secret_name_serves_a_code_with_a_dash(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    check_webhooks([_agency("pos-sar", "https://gw.example/sar")], {"pos_sar": "z" * 16})
    assert "no webhook_url" not in caplog.text


def test_plain_http_to_another_machine_is_allowed_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    check_webhooks([_agency("damkar", "http://10.1.2.3/hook"), _agency("pmi", "http://127.0.0.1:9/hook")],
                   {"damkar": "a" * 16, "pmi": "b" * 16, "bpbd": "c" * 16})
    assert "damkar: its webhook is plain http" in caplog.text
    assert "pmi: its webhook" not in caplog.text
    assert "secret is set for bpbd, which has no webhook_url" in caplog.text
    assert "a" * 16 not in caplog.text
