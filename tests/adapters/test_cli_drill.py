"""`ec112 drill run FILE` refuses a bad scenario before any call or request: every problem named, exit 78."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ec112.cli import app

DRILLS = Path(__file__).resolve().parents[2] / "drills"


def test_a_bad_scenario_is_refused_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('queue = "real"\n[[call]]\nat_seconds = -3\ncaller = "x"\n')
    result = CliRunner().invoke(app, ["drill", "run", str(bad), "--password", "x", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 78
    for problem in ("name: required", "call 1: at_seconds", "call 1: caller", "call 1: audio",
                    "call 1: [call.expect] is required"):
        assert problem in result.output


def test_a_training_queue_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    training = tmp_path / "t.toml"
    training.write_text((DRILLS / "penajam-house-fire.toml").read_text().replace('queue = "real"', 'queue = "latih"'))
    result = CliRunner().invoke(app, ["drill", "run", str(training), "--password", "x", "--api", "http://127.0.0.1:9"])
    assert result.exit_code == 78
    assert "only 'real'" in result.output
    missing = CliRunner().invoke(app, ["drill", "run", str(tmp_path / "nope.toml"), "--password", "x"])
    assert missing.exit_code == 78
