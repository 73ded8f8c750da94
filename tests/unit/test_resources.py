"""ec112.resources finds a shipped directory at the top of a checkout or inside an installed package, and says
where it looked when neither has it. (The real wheel, installed in a fresh venv: tests/e2e/test_wheel_install.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ec112 import resources
from ec112.cli import app
from ec112.lab.render import default_sounds_dir, default_templates_dir
from ec112.resources import ShippedDirMissingError, checkout_root, shipped_dir

ROOT = Path(__file__).resolve().parents[2]


def _installed(tmp_path: Path) -> Path:
    """A package directory as pip lays it out: site-packages/ec112 with the wheel's _shipped copies."""
    package = tmp_path / "lib" / "python3.11" / "site-packages" / "ec112"
    for name in resources.TOP_LEVEL_DIRS:
        (package / "_shipped" / name).mkdir(parents=True)
    return package


def test_this_checkout_reads_the_top_level_directories() -> None:
    assert checkout_root() == ROOT
    assert default_templates_dir() == ROOT / "asterisk-conf"
    assert default_sounds_dir() == ROOT / "sounds"
    assert shipped_dir("drills") == ROOT / "drills"
    assert shipped_dir("web/static") == ROOT / "src" / "ec112" / "web" / "static"
    assert (shipped_dir("web/static") / "vendor" / "htmx.min.js").is_file()


def test_an_installed_package_reads_its_shipped_copies(tmp_path: Path) -> None:
    package = _installed(tmp_path)
    assert checkout_root(package) is None
    for name in resources.TOP_LEVEL_DIRS:
        assert shipped_dir(name, package) == package / "_shipped" / name
    assert shipped_dir("web/templates", package) == package / "web" / "templates"


def test_a_checkout_wins_over_a_copy_an_old_build_left_in_src(tmp_path: Path) -> None:
    package = tmp_path / "src" / "ec112"
    (package / "_shipped" / "asterisk-conf").mkdir(parents=True)
    (tmp_path / "asterisk-conf").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'ec112'\n")
    assert shipped_dir("asterisk-conf", package) == tmp_path / "asterisk-conf"


def test_a_broken_install_names_where_it_looked(tmp_path: Path) -> None:
    package = _installed(tmp_path)
    (package / "_shipped" / "sounds").rmdir()
    with pytest.raises(ShippedDirMissingError, match="sounds/ tidak ditemukan / not found") as caught:
        shipped_dir("sounds", package)
    assert str(package / "_shipped" / "sounds") in str(caught.value)


def test_drill_run_takes_the_name_of_a_shipped_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no drills/ here, as after a wheel install
    # The shipped scenario is found by its name and read: the run then stops at the (unreachable) API, where a
    # name that is no file and no shipped scenario stops at once (exit 78, "No such file").
    found = CliRunner().invoke(app, ["drill", "run", "penajam-house-fire", "--password", "x",
                                     "--api", "http://127.0.0.1:9"])
    assert "ec112 is not reachable at http://127.0.0.1:9" in found.output
    assert found.exit_code != 78
    missing = CliRunner().invoke(app, ["drill", "run", "no-such-drill", "--password", "x"])
    assert missing.exit_code == 78
    assert "no-such-drill: No such file or directory" in missing.output
