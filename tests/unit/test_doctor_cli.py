"""`ec112 doctor` from a shell, without Asterisk: invalid settings and nothing listening anywhere."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_invalid_settings_exit_78_with_the_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["doctor", "--json", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 78
    [check] = json.loads(result.stdout)
    assert check["name"] == "settings"
    assert check["status"] == "fail"
    assert "nope.toml" in check["detail"]


def test_sample_secret_outside_lab_mode_is_a_settings_failure() -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 78
    assert "sample" in result.stdout
    assert "EC112_AMI__SECRET" in result.stdout


def test_nothing_running_fails_ami_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EC112_AMI__PORT", str(closed_port()))
    monkeypatch.setenv("EC112_WEB__PORT", str(closed_port()))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert list(checks) == ["settings", "ami", "dialplan", "queue", "wrapup", "fastagi", "database", "daemon",
                            "disk-recordings", "disk-database"]
    assert [checks[n]["status"] for n in ("disk-recordings", "disk-database")] == ["ok"] * 2  # measured, not made
    assert checks["ami"]["status"] == "fail"
    assert "unreachable" in checks["ami"]["detail"]
    assert [checks[n]["status"] for n in ("dialplan", "queue", "fastagi")] == ["skip"] * 3
    assert checks["wrapup"]["required"] is False  # whatever this host's /etc/asterisk/queues.conf says
    assert checks["database"]["status"] == "warn"  # not created yet; the doctor does not create it
    assert not (tmp_path / "var").exists()
    assert checks["daemon"]["status"] == "warn"
    assert checks["daemon"]["required"] is False

    table = runner.invoke(app, ["doctor"])
    assert table.exit_code == 1
    assert "Perbaikan / what to fix" in table.stdout
    assert "[ami] host/port" in table.stdout
    assert "Gagal / failed: ami, dialplan, queue, fastagi" in table.stdout
