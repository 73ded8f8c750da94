"""Which settings file the CLI and the daemon read, and the private TOML files ec112 writes (issue 17)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ec112.config.settings import load_settings
from ec112.config.settings_file import (
    discover_settings_file,
    read_endpoint_secrets,
    read_toml,
    write_endpoint_secrets,
    write_private_toml,
)


def test_env_names_the_file_and_empty_env_means_none(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "ec112.toml").write_text("log_level = 'DEBUG'\n")
    assert discover_settings_file({"EC112_CONFIG": "/x/y.toml"}, tmp_path) == Path("/x/y.toml")
    assert discover_settings_file({"EC112_CONFIG": ""}, tmp_path) is None


def test_the_labs_file_in_the_working_directory_is_found(tmp_path: Path) -> None:
    assert discover_settings_file({}, tmp_path) in (None, Path("/etc/ec112/ec112.toml"))
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "ec112.toml").write_text("log_level = 'DEBUG'\n")
    assert discover_settings_file({}, tmp_path) == tmp_path / "var" / "ec112.toml"


def test_a_discovered_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EC112_CONFIG")
    write_private_toml(tmp_path / "var" / "ec112.toml",
                       {"lab_mode": True, "ami": {"port": 5999}, "site": {"file": tmp_path / "site.toml"}})
    settings = load_settings()
    assert settings.ami.port == 5999
    assert settings.site.file == tmp_path / "site.toml"


def test_written_files_are_private_and_round_trip(tmp_path: Path) -> None:
    path = write_endpoint_secrets(tmp_path / "accounts.toml", {"taker02": "b", "taker01": "a"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_endpoint_secrets(path) == {"taker01": "a", "taker02": "b"}
    assert path.read_text().startswith("# ec112: SIP account passwords")
    write_private_toml(path, {"a": {"b": None, "c": 1}})
    assert read_toml(path) == {"a": {"c": 1}}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_the_cli_asks_the_daemon_the_settings_file_describes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ec112.cli.api_client import api_url

    monkeypatch.delenv("EC112_API_URL", raising=False)
    config = write_private_toml(tmp_path / "ec112.toml", {"lab_mode": True, "web": {"host": "0.0.0.0", "port": 9812}})
    monkeypatch.setenv("EC112_CONFIG", str(config))
    assert api_url(None) == "http://127.0.0.1:9812"
    assert api_url("http://10.0.0.5:8112/") == "http://10.0.0.5:8112"
    monkeypatch.setenv("EC112_API_URL", "http://192.168.1.9:8112")
    assert api_url(None) == "http://192.168.1.9:8112"
