"""`ec112 user …` and `ec112 audit …` on a temp SQLite database (typer's CliRunner, real argon2id)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from ec112 import wiring
from ec112.cli import app, users
from ec112.cli.api_client import api_token
from ec112.config.exit_codes import EX_CONFIG
from ec112.config.local_token import write_cli_token
from ec112.config.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"EC112_LAB_MODE": "1", "EC112_VAR_DIR": str(tmp_path / "var"), "EC112_CONFIG": ""}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EC112_DATABASE__URL", raising=False)
    monkeypatch.delenv("EC112_API_TOKEN", raising=False)
    monkeypatch.setattr(users.out, "width", 200)  # a supervisor's terminal, not CliRunner's 80 columns
    return values


def _ec112(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_user_add_list_passwd_disable(env: dict[str, str]) -> None:
    code, out, err = _ec112("user", "add", "Siti", "--role", "call_taker", "--endpoint", "taker03",
                            "--name", "Siti Aminah", "--lang", "en", "--password-stdin", input="kata-sandi-siti\n")
    assert code == 0, out + err
    assert "siti" in out
    assert "taker03" in out
    code, out, err = _ec112("user", "add", "andi", "--role", "supervisor", input="sandi-andi-123\nsandi-andi-123\n")
    assert code == 0, out + err  # the password asked twice, not echoed

    code, _out, err = _ec112("user", "add", "budi", "--role", "call_taker", "--password-stdin", input="sandi-budi-1\n")
    assert code == 5
    assert "SIP endpoint" in err
    code, _out, err = _ec112("user", "add", "siti", "--role", "admin", "--password-stdin", input="sandi-lain-12\n")
    assert code == 5
    assert "taken" in err
    code, _out, err = _ec112("user", "add", "dewi", "--role", "admin", "--password-stdin", input="pendek\n")
    assert code == 5
    assert "too short" in err

    code, out, _err = _ec112("user", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"username": "andi", "display_name": "andi", "role": "supervisor", "sip_endpoint": None, "agency": None,
         "language": "id", "disabled": False},
        {"username": "siti", "display_name": "Siti Aminah", "role": "call_taker", "sip_endpoint": "taker03",
         "agency": None, "language": "en", "disabled": False},
    ]
    code, out, _err = _ec112("user", "list")
    assert code == 0
    assert "Siti Aminah" in out
    assert "call_taker" in out

    assert _ec112("user", "passwd", "siti", "--password-stdin", input="sandi-baru-siti\n")[0] == 0
    code, out, _err = _ec112("user", "disable", "siti")
    assert code == 0
    assert "disabled" in out
    assert json.loads(_ec112("user", "list", "--json")[1])[1]["disabled"] is True
    assert _ec112("user", "disable", "nobody")[0] == 4
    assert _ec112("user", "enable", "siti")[0] == 0

    code, out, err = _ec112("user", "token", "andi", "--name", "prometheus")
    assert code == 0
    assert out.strip().startswith("ec112_")
    assert "not shown again" in err

    code, out, _err = _ec112("audit", "list", "--json")
    actions = [(e["actor"], e["action"], e["target"]) for e in reversed(json.loads(out))]
    assert actions == [("cli", "user.add", "siti"), ("cli", "user.add", "andi"), ("cli", "user.passwd", "siti"),
                       ("cli", "user.disable", "siti"), ("cli", "user.enable", "siti"),
                       ("cli", "token.create", "andi")]
    assert "sandi" not in out  # no password, no hash in the audit log


def test_audit_verify_detects_a_tampered_row(env: dict[str, str]) -> None:
    for name in ("ani", "bayu", "citra"):
        assert _ec112("user", "add", name, "--role", "admin", "--password-stdin", input=f"{name}-sandi-123\n")[0] == 0
    code, out, _err = _ec112("audit", "verify")
    assert code == 0
    assert "intact: 3 entries" in out

    db = sqlite3.connect(Path(env["EC112_VAR_DIR"]) / "ec112.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET target = 'eve' WHERE id = 2")
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET target = 'eve' WHERE id = 2")
    db.commit()
    db.close()

    code, _out, err = _ec112("audit", "verify")
    assert code == 8
    assert "TAMPERED at entry 2" in err
    code, out, _err = _ec112("audit", "verify", "--json")
    assert code == 8
    assert json.loads(out) == {"ok": False, "checked": 1, "bad_id": 2,
                               "reason": "content does not match its hash (row changed)", "unsigned": 0,
                               "anchors": 0, "head_id": 0}


def test_user_and_audit_commands_open_the_database_through_the_daemons_factory(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "ec112.sqlite3"  # a temp SQLite file of its own, created on the first command
    monkeypatch.setenv("EC112_DATABASE__URL", f"sqlite+aiosqlite:///{db}")
    engines: list[AsyncEngine] = []
    factory = wiring.open_stores

    @contextlib.asynccontextmanager
    async def spy(settings: Settings) -> AsyncIterator[wiring.Stores]:
        async with factory(settings) as stores:
            engines.append(stores.engine)
            yield stores

    monkeypatch.setattr(wiring, "open_stores", spy)
    code, out, err = _ec112("user", "add", "siti", "--role", "admin", "--password-stdin", input="kata-sandi-siti\n")
    assert code == 0, out + err
    code, out, err = _ec112("audit", "list", "--json")
    assert code == 0, out + err
    assert [(e["actor"], e["action"], e["target"]) for e in json.loads(out)] == [("cli", "user.add", "siti")]
    assert _ec112("audit", "verify")[0] == 0
    assert _ec112("user", "list", "--json")[0] == 0

    assert len(engines) == 4  # one per command, each from the factory
    assert all(engine.sync_engine.pool.checkedin() == 0 for engine in engines)  # type: ignore[attr-defined]
    assert db.is_file()
    assert not (Path(env["EC112_VAR_DIR"]) / "ec112.sqlite3").exists()


@pytest.mark.parametrize("args", [("user", "list"), ("user", "disable", "siti"), ("audit", "list"),
                                  ("audit", "verify")])
def test_invalid_settings_exit_ex_config(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          args: tuple[str, ...]) -> None:
    monkeypatch.setenv("EC112_CONFIG", str(tmp_path / "missing.toml"))
    code, _out, err = _ec112(*args)
    assert code == EX_CONFIG == 78
    assert "invalid settings" in err
    assert "missing.toml" in err


def test_cli_token_file_is_private_and_read_by_the_api_client(env: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    var_dir = Path(env["EC112_VAR_DIR"])
    first = write_cli_token(var_dir)
    second = write_cli_token(var_dir)  # a new one at each daemon start
    assert first != second
    token_file = var_dir / "cli-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [p.name for p in var_dir.iterdir()] == ["cli-token"]  # no temp file left behind
    assert api_token() == second
    monkeypatch.setenv("EC112_API_TOKEN", "ec112_from_env")
    assert api_token() == "ec112_from_env"
