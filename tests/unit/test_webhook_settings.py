"""[webhooks] settings: secrets per agency from TOML or the environment, never printed; coherent backoff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from ec112.config.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("EC112_LAB_MODE", "1")


def test_defaults() -> None:
    wh = load_settings().webhooks
    assert (wh.secrets, wh.timeout, wh.max_attempts, wh.backoff_min, wh.backoff_max) == ({}, 5.0, 8, 1.0, 300.0)


def test_secrets_from_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ec112.toml"
    config.write_text('[webhooks]\nmax_attempts = 5\n[webhooks.secrets]\ndamkar = "toml-secret-for-damkar"\n')
    monkeypatch.setenv("EC112_WEBHOOKS__SECRETS__POS_SAR", "env-secret-for-pos-sar")
    wh = load_settings(config).webhooks
    assert {code: s.get_secret_value() for code, s in wh.secrets.items()} == {
        "damkar": "toml-secret-for-damkar", "pos_sar": "env-secret-for-pos-sar"}  # merged
    assert wh.max_attempts == 5
    monkeypatch.setenv("EC112_WEBHOOKS__SECRETS__DAMKAR", "env-beats-toml-secret")
    assert load_settings(config).webhooks.secrets["damkar"].get_secret_value() == "env-beats-toml-secret"


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_WEBHOOKS__SECRETS__DAMKAR", "very-secret-value-123")
    assert "very-secret-value-123" not in repr(load_settings())


def test_incoherent_backoff_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_WEBHOOKS__BACKOFF_MIN", "600")
    with pytest.raises(ValidationError, match="backoff_min"):
        load_settings()
    monkeypatch.setenv("EC112_WEBHOOKS__BACKOFF_MIN", "1")
    monkeypatch.setenv("EC112_WEBHOOKS__MAX_ATTEMPTS", "0")
    with pytest.raises(ValidationError, match="max_attempts"):
        load_settings()
