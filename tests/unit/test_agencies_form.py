"""The agency page's form → the agencies document, and the checker's messages placed next to the fields (issue 17):
only the edited agency's table changes, a value the form cannot type is reported as the loader reports it in a
file, and every message lands next to the field it names (or at the top when it names none of this agency's)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from importlib.resources import files

import pytest

from ec112.config.agencies_file import AgenciesFileError, parse_agencies
from ec112.web.agencies_form import PostInput, agency_table, edited_document, field_errors, form_of

SHIPPED = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")


def test_only_the_edited_agency_changes_and_its_place_is_kept() -> None:
    table = agency_table(SHIPPED, "dishub")
    assert table is not None
    form = replace(form_of(table), ack_timeout_seconds="90", phone="(0542) 123 456")
    edited = tomllib.loads(edited_document(SHIPPED, form))
    before = tomllib.loads(SHIPPED)
    assert [a["code"] for a in edited["agency"]] == [a["code"] for a in before["agency"]]
    for old, new in zip(before["agency"], edited["agency"], strict=True):
        if old["code"] != "dishub":
            assert new == old
    dishub = next(a for a in edited["agency"] if a["code"] == "dishub")
    assert (dishub["ack_timeout_seconds"], dishub["phone"]) == (90, "(0542) 123 456")
    assert edited["category"] == before["category"]
    assert edited.get("responder") == before.get("responder")
    loaded = parse_agencies(edited_document(SHIPPED, form), "page")
    agency = loaded.directory.get("dishub")
    assert agency is not None
    assert loaded.directory.ack_timeout_seconds(agency) == 90


def test_the_loaders_words_land_next_to_their_fields() -> None:
    table = agency_table(SHIPPED, "dinkes")
    assert table is not None
    form = replace(form_of(table), ack_timeout_seconds="satu menit", posts=(PostInput("PSC", "-1,2", ""),),
                   alt_name="", alt_phone="", alt_sms_gateway_url="https://sms.example/kirim")
    document = edited_document(SHIPPED, form)
    with pytest.raises(AgenciesFileError) as refused:
        parse_agencies(document, "page")
    placed, rest = field_errors(refused.value.problems, document, "dinkes")
    assert rest == []
    assert placed["ack_timeout_seconds"] == [
        "agency #5 (dinkes) → ack_timeout_seconds: Input should be a valid integer, unable to parse string as an "
        "integer (got 'satu menit')"]
    assert placed["post"] == ["agency #5 (dinkes) → post #1 (PSC): give both lat and lon, or neither"]
    assert any(m.startswith("agency #5 (dinkes) → alternate") for m in placed["alternate"])


def test_webhook_and_cross_table_problems_name_the_agency_by_code() -> None:
    problems = ["agency 'dinkes' has a webhook_url but no secret: set [webhooks.secrets] dinkes = \"…\"",
                "agency 'dinkes': unknown category 'banjir_bandang' (did you mean 'banjir'?)",
                "agency 'damkar' has a webhook_url but no secret", "category 'x' is listed twice"]
    placed, rest = field_errors(problems, SHIPPED, "dinkes")
    assert placed == {"webhook_url": [problems[0]], "categories": [problems[1]]}
    assert rest == problems[2:]
