"""`ec112 agencies check [FILE]` works offline (0 usable, 1 mistakes, 78 bad settings), and `ec112 serve` with
a bad agencies file stops with exit 78 and the list of mistakes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112.cli import agencies, app

BAD = """
[[category]]
code = "kebakaran"
label_id = "Kebakaran"

[[agency]]
code = "damkar"
name = "Dinas Pemadam Kebakaran dan Penyelamatan"
categories = ["kebakaran", "pohon_tumbang"]

[[agency.post]]
name = "Mako [Damkar]"
lat = -95.0
lon = 112.0

[[responder]]
username = "budi"
agency = "bpbd"
name = "Budi"
"""


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setattr(agencies.out, "width", 200)


def _ec112(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_the_built_in_file_shows_the_mapping() -> None:
    code, out, err = _ec112("agencies", "check")
    assert code == 0, err
    assert "OK: 12 instansi, 16 kategori, 0 petugas lapangan / 12 agencies, 16 categories, 0 responders" in out
    assert "Kebakaran (kebakaran)" in out
    assert "Damkar, BPBD" in out
    assert "DLH, BPBD, Damkar" in out  # pohon_tumbang's own order
    assert "Lainnya (lainnya)" in out
    # The shipped alternate contacts are DEMO, without a channel: still usable, with one warning per agency.
    assert "PERINGATAN / WARNING: agency 'bpbd': the alternate contact 'Kepala Bidang Kedaruratan dan Logistik BPBD " \
           "(DEMO)' has no webhook_url or sms_gateway_url" in " ".join(err.split())
    assert err.count("PERINGATAN / WARNING") == 12


def test_the_agencies_table_names_each_alternate_contact_and_how_it_is_reached() -> None:
    listing = [{"code": "bpbd", "name": "BPBD", "short_name": "BPBD", "categories": [], "posts": [], "responders": [],
                "phone": None, "ack_timeout_seconds": 60, "ack_timeout_default": True, "webhook_configured": True,
                "alternate_contact": {"name": "Kalaksa BPBD", "phone": "0812 1111 2222", "webhook_configured": True,
                                      "sms_configured": True}},
               {"code": "dinsos", "name": "Dinsos", "short_name": "Dinsos", "categories": [], "posts": [],
                "responders": [], "phone": None, "ack_timeout_seconds": 60, "ack_timeout_default": True,
                "webhook_configured": False, "alternate_contact": {"name": "Kabid Linjamsos", "phone": None,
                                                                   "webhook_configured": False,
                                                                   "sms_configured": False}}]
    agencies.out.begin_capture()
    agencies.out.print(agencies.agencies_table(listing))
    text = agencies.out.end_capture()
    assert "cadangan / alternate: Kalaksa BPBD 0812 1111 2222" in text
    assert "(webhook + SMS)" in text
    assert "cadangan / alternate: Kabid Linjamsos" in text
    assert "tanpa saluran: hanya ditampilkan / no channel: only shown" in " ".join(text.split())


def test_check_a_bad_file_lists_every_mistake(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(BAD, encoding="utf-8")
    code, _out, err = _ec112("agencies", "check", str(path))
    assert code == 1
    assert "the agencies file cannot be used" in err
    assert f"agencies file {path}: 1 problem" in err
    assert "agency #1 (damkar) → post #1 (Mako [Damkar]) → lat: Input should be greater than or equal to -90" in err
    path.write_text(BAD.replace("-95.0", "-7.5"), encoding="utf-8")
    code, _out, err = _ec112("agencies", "check", str(path))
    assert code == 1
    assert "2 problems" in err
    assert "agency 'damkar': unknown category 'pohon_tumbang'" in err
    assert "responder 'budi': unknown agency 'bpbd'" in err


def test_check_without_a_file_checks_the_one_the_settings_name(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(BAD, encoding="utf-8")
    monkeypatch.setenv("EC112_CALLCENTER__AGENCIES_FILE", str(path))
    code, _out, err = _ec112("agencies", "check")
    assert code == 1
    assert str(path) in err
    monkeypatch.delenv("EC112_LAB_MODE")  # the sample AMI secret outside lab mode: the settings are invalid
    code, _out, err = _ec112("agencies", "check")
    assert code == 78
    assert "invalid settings" in err


def test_serve_with_a_bad_agencies_file_exits_78_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(BAD, encoding="utf-8")
    env = {**os.environ, "EC112_CALLCENTER__AGENCIES_FILE": str(path), "EC112_WATCHDOG__TIMEOUT": "3"}
    done = subprocess.run([sys.executable, "-m", "ec112", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 78, done.stderr
    assert f"agencies file {path}: 1 problem" in done.stderr
    assert "post #1 (Mako [Damkar]) → lat" in done.stderr
    assert "not restarting" in done.stderr  # the watchdog does not retry a configuration error
    assert "Traceback" not in done.stderr
