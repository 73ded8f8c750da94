"""Settings: env over TOML over defaults; the sample AMI secret is refused outside lab mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ec112.config.settings import SAMPLE_AMI_SECRET, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)


def test_sample_secret_is_refused_outside_lab_mode() -> None:
    with pytest.raises(ValidationError, match="sample"):
        load_settings()


def test_lab_mode_accepts_the_sample_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    assert load_settings().ami.secret.get_secret_value() == SAMPLE_AMI_SECRET


def test_env_beats_toml_beats_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ec112.toml"
    config.write_text('[ami]\nsecret = "from-toml"\nport = 6038\n[agi]\nport = 4600\n')
    monkeypatch.setenv("EC112_AMI__PORT", "7038")
    settings = load_settings(config)
    assert settings.ami.secret.get_secret_value() == "from-toml"
    assert settings.ami.port == 7038  # env wins
    assert settings.agi.port == 4600  # TOML wins over the default
    assert settings.web.port == 8112  # default


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.toml"):
        load_settings(tmp_path / "nope.toml")


def test_relative_sqlite_lands_under_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    assert load_settings().database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'ec112.sqlite3'}"
    monkeypatch.setenv("EC112_DATABASE__URL", "postgresql+asyncpg://ec112@db/ec112")
    assert load_settings().database_url == "postgresql+asyncpg://ec112@db/ec112"


def test_secret_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_AMI__SECRET", "s3cr3t-value")
    assert "s3cr3t-value" not in repr(load_settings())


def test_tls_certificate_and_key_go_together(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    assert (load_settings().web.tls_certificate, load_settings().web.tls_key) == (None, None)
    monkeypatch.setenv("EC112_WEB__TLS_CERTIFICATE", str(tmp_path / "cert.pem"))
    with pytest.raises(ValidationError, match="both or neither"):
        load_settings()
    monkeypatch.setenv("EC112_WEB__TLS_KEY", str(tmp_path / "key.pem"))
    assert load_settings().web.tls_key == tmp_path / "key.pem"
    monkeypatch.setenv("EC112_WEB__TLS_CERTIFICATE", "")
    monkeypatch.setenv("EC112_WEB__TLS_KEY", " ")
    assert load_settings().web.tls_certificate is None
