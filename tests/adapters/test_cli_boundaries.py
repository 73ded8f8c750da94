"""`ec112 boundaries check [FILE]` works offline (0 usable, 1 mistakes), and `ec112 serve` with a bad boundary
file stops with exit 78 and the list of mistakes, never a traceback (the supervisor does not restart it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112.cli import app, boundaries

# One kabupaten without kecamatan, given [lat, lon] instead of GeoJSON's [lon, lat].
BAD = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "64.09", "name": "Penajam Paser Utara", "level": "kabupaten",
                                       "parent": None},
     "geometry": {"type": "Polygon", "coordinates": [[[-1.0, 116.0], [-1.0, 117.0], [-2.0, 117.0], [-1.0, 116.0]]]}},
]}


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("EC112_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setattr(boundaries.out, "width", 200)


def _bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "batas.geojson"
    path.write_text(json.dumps(BAD), encoding="utf-8")
    return path


def test_check_the_built_in_file() -> None:
    result = CliRunner().invoke(app, ["boundaries", "check"])
    assert result.exit_code == 0, result.stderr
    assert "OK: ec112/data/boundaries/penajam_paser_utara.geojson (built-in): 10 kabupaten, 4 kecamatan, " \
           "54 desa; regency 64.09" in result.stdout


def test_check_a_bad_file_lists_every_mistake(tmp_path: Path) -> None:
    path = _bad_file(tmp_path)
    result = CliRunner().invoke(app, ["boundaries", "check", str(path)])
    assert result.exit_code == 1
    assert f"boundaries file {path}: 2 problems" in result.stderr
    assert "feature #1 (64.09): coordinates out of range — GeoJSON is [lon, lat]" in result.stderr
    assert "the regency 64.09 ([location] regency_code) is not a kabupaten of the file" in result.stderr


def test_serve_with_a_bad_boundary_file_exits_78_without_a_traceback(tmp_path: Path) -> None:
    path = _bad_file(tmp_path)
    env = {**os.environ, "EC112_LOCATION__BOUNDARIES_FILE": str(path), "EC112_WATCHDOG__TIMEOUT": "3"}
    done = subprocess.run([sys.executable, "-m", "ec112", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 78, done.stderr
    assert f"boundaries file {path}: 2 problems" in done.stderr
    assert "feature #1 (64.09): coordinates out of range" in done.stderr
    assert "not restarting" in done.stderr
    assert "Traceback" not in done.stderr
