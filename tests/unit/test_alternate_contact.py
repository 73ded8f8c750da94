"""The alternate contact in the agencies file and the webhook start-up check: `[agency.alternate]` with its
channels, the old `alternate_contact = "…"` string, the mistakes named, and no alternate channel without a secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ec112.config.agencies_file import AgenciesFileError, alternate_warnings, load_agencies
from ec112.domain.agencies import Agency, AlternateContact
from ec112.services.notifications import Channel
from ec112.webhooks import WebhookConfigError, check_webhooks
from ec112.webhooks.config import channel_secret

FILE = """
[[category]]
code = "banjir"
label_id = "Banjir"

[[agency]]
code = "bpbd"
name = "Badan Penanggulangan Bencana Daerah"
categories = ["banjir"]
webhook_url = "https://sistem-bpbd.example/hook"

[agency.alternate]
name = "Kalaksa BPBD"
phone = "0812 1111 2222"
webhook_url = "https://cadangan-bpbd.example/hook"
sms_gateway_url = "https://sms.example/send?token=rahasia"

[[agency]]
code = "dinsos"
name = "Dinas Sosial"
categories = ["banjir"]
alternate_contact = "Kabid Linjamsos"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agencies.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_table_and_the_old_string_both_load(tmp_path: Path) -> None:
    loaded = load_agencies(_write(tmp_path, FILE))
    bpbd, dinsos = loaded.directory.agencies
    assert bpbd.alternate_contact == AlternateContact("Kalaksa BPBD", "0812 1111 2222",
                                                      "https://cadangan-bpbd.example/hook",
                                                      "https://sms.example/send?token=rahasia")
    assert bpbd.alternate_contact.reachable
    assert dinsos.alternate_contact == AlternateContact("Kabid Linjamsos")  # the name, no channel
    assert not dinsos.alternate_contact.reachable
    assert alternate_warnings(loaded.directory.agencies) == [
        "agency 'dinsos': the alternate contact 'Kabid Linjamsos' has no webhook_url or sms_gateway_url: a level-2 "
        "escalation is only shown, call them yourself / kontak cadangan tanpa saluran: eskalasi tingkat 2 hanya "
        "ditampilkan"]


def test_the_shipped_file_has_a_demo_alternate_for_every_agency_and_warns_that_none_is_reachable() -> None:
    agencies = load_agencies().directory.agencies
    contacts = [a.alternate_contact for a in agencies]
    assert all(c is not None and c.name.endswith("(DEMO)") and c.phone and c.phone.startswith("0000 ")
               for c in contacts), contacts
    assert len(alternate_warnings(agencies)) == len(agencies)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('name = "Kalaksa BPBD"\n', "", "agency #1 (bpbd) → alternate → name: missing (required)"),
    ('phone = "0812 1111 2222"\n', "",
     "agency #1 (bpbd) → alternate: sms_gateway_url needs the contact's phone (the number the SMS goes to)"),
    ('sms_gateway_url = "https://sms.example/send?token=rahasia"', 'sms_gateway_url = "sms.example/send?token=rahasia"',
     "agency #1 (bpbd) → alternate → sms_gateway_url: must be an http:// or https:// URL with a host, or empty"),
    ('phone = "0812 1111 2222"', 'phone = "kalaksa"', "agency #1 (bpbd) → alternate → phone: a phone number is"),
    ('phone = "0812 1111 2222"', 'telepon = "0812"', "agency #1 (bpbd) → alternate: unknown key 'telepon'"),
    ('categories = ["banjir"]\nwebhook_url', 'categories = ["banjir"]\nalternate_contact = "X"\nwebhook_url',
     "agency #1 (bpbd): give [agency.alternate] or the old alternate_contact, not both"),
])
def test_mistakes_in_the_alternate_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in FILE
    with pytest.raises(AgenciesFileError) as caught:
        load_agencies(_write(tmp_path, FILE.replace(old, new, 1)))
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    assert "rahasia" not in str(caught.value)  # a gateway token in a URL is never echoed


def _bpbd(**contact: str) -> Agency:
    return Agency("bpbd", "BPBD", "BPBD", alternate_contact=AlternateContact("Kalaksa", "0812 1111 2222", **contact))


def test_an_alternate_channel_without_a_secret_is_refused_like_a_webhook_url() -> None:
    with pytest.raises(WebhookConfigError) as refused:
        check_webhooks([_bpbd(sms_gateway_url="https://sms.example/send")], {})
    assert "agency 'bpbd' has an alternate.sms_gateway_url but no secret: set [webhooks.secrets] bpbd = \"…\" or " \
           "bpbd-alternate = \"…\"" in str(refused.value)
    with pytest.raises(WebhookConfigError, match=r"secret for its alternate\.webhook_url is shorter than 16"):
        check_webhooks([_bpbd(webhook_url="https://cadangan.example/hook")], {"bpbd-alternate": "pendek"})


def test_the_alternate_is_signed_with_its_own_secret_else_the_agencys(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    own, alternate = "a" * 20, "b" * 20
    check_webhooks([_bpbd(webhook_url="https://cadangan.example/hook")], {"bpbd": own})  # the agency's own serves
    check_webhooks([_bpbd(webhook_url="https://cadangan.example/hook")], {"bpbd_alternate": alternate})
    assert "a webhook secret is set" not in caplog.text  # neither is unused
    assert channel_secret({"bpbd": own}, "bpbd", Channel.SMS) == own
    assert channel_secret({"bpbd": own, "bpbd-alternate": alternate}, "bpbd", Channel.ALTERNATE) == alternate
    assert channel_secret({"bpbd": own, "bpbd_alternate": alternate}, "bpbd", Channel.SMS) == alternate
    assert channel_secret({"bpbd": own, "bpbd-alternate": alternate}, "bpbd", Channel.AGENCY) == own


def test_an_unreachable_alternate_is_a_start_up_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    check_webhooks([_bpbd(), Agency("dinsos", "Dinsos", "Dinsos")], {})
    assert "alternate contacts without a webhook_url or sms_gateway_url (level-2 escalation only shown): bpbd" \
        in caplog.text
