"""The lab's settings file: what `ec112 lab run` used to pass in the environment, read back by load_settings."""

from __future__ import annotations

import stat
from pathlib import Path

from ec112.config.settings import load_settings
from ec112.config.settings_file import read_endpoint_secrets
from ec112.lab.render import LabPorts, new_lab_config
from ec112.lab.settings_doc import SIP_ACCOUNTS_FILE, write_lab_settings
from ec112.lab.state import LAB_PORTS


def test_the_lab_settings_file_gives_the_daemon_its_ports_secrets_and_accounts(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "var" / "lab", LAB_PORTS, flavor="16")
    agencies = tmp_path / "var" / "lab-agencies.toml"
    path = write_lab_settings(config, tmp_path / "var", agencies, "postgresql+asyncpg://u@127.0.0.1/ec112_lab")
    assert path == (tmp_path / "var" / "ec112.toml").resolve()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path)
    assert settings.lab_mode is True
    assert settings.var_dir == (tmp_path / "var").resolve()
    assert (settings.ami.port, settings.agi.port, settings.web.port) == (5038, 4573, 8112)
    assert settings.ami.secret.get_secret_value() == config.ami_secret
    assert settings.records.queue_log == config.queue_log
    assert settings.callcenter.queues_conf == config.queues_conf
    assert settings.callcenter.agencies_file == agencies
    assert settings.prompts.render_dir == config.directory / "rendered"
    assert settings.recording.directory == config.directory / "recordings"
    assert settings.database.url == "postgresql+asyncpg://u@127.0.0.1/ec112_lab"
    assert (settings.softphones.server, settings.softphones.transport) == ("127.0.0.1:5060", "udp")
    assert settings.softphones.accounts_file == (tmp_path / "var").resolve() / SIP_ACCOUNTS_FILE
    assert read_endpoint_secrets(settings.softphones.accounts_file) == dict(config.endpoint_passwords)


def test_sqlite_labs_keep_the_default_database_under_var_dir(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "lab", LabPorts.allocate(), flavor="16")
    settings = load_settings(write_lab_settings(config, tmp_path / "var2", tmp_path / "a.toml"))
    assert settings.database_url == f"sqlite+aiosqlite:///{(tmp_path / 'var2' / 'ec112.sqlite3').resolve()}"
    assert "[database]" not in (tmp_path / "var2" / "ec112.toml").read_text()
