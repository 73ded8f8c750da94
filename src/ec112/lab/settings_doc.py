"""The lab's settings file (``<var dir>/ec112.toml``): what ``ec112 lab run`` tells its daemon, written once for
every command.

Before issue 17 the lab passed its ports and secrets to the daemon in ``EC112_…`` variables only, so ``ec112
doctor`` in another terminal read the defaults (and the sample AMI secret). Now the lab writes the file that
discovery (``ec112.config.settings_file``) finds from the checkout, and starts its daemon with ``EC112_CONFIG``
pointing at it; environment variables still override it, as everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ec112.config.caller_settings import PromptSettings
from ec112.config.room_settings import RecordingSettings
from ec112.config.settings_file import SETTINGS_FILE_NAME, write_endpoint_secrets, write_private_toml
from ec112.lab.render import LabConfig

SIP_ACCOUNTS_FILE = "lab-sip-accounts.toml"  # [softphones] accounts_file: the endpoints' passwords (0600)
_HEADER = ("ec112: settings of the lab (`ec112 lab run`), rewritten at every start: edit asterisk-conf/ or pass\n"
           "EC112_… variables instead. Holds the AMI secret: keep it private.")


def settings_file(var_dir: Path) -> Path:
    """Where the lab of ``var_dir`` writes its settings file."""
    return var_dir.resolve() / SETTINGS_FILE_NAME


def _section(env: dict[str, str], prefix: str, model: type[BaseModel]) -> dict[str, str]:
    """``{"EC112_PROMPTS__RENDER_DIR": v}`` → ``{"render_dir": v}``: the renderer's env helpers as TOML keys, those
    ec112's settings know (the renderer also names some for other readers)."""
    section = {key.removeprefix(prefix).lower(): value for key, value in env.items() if key.startswith(prefix)}
    return {key: value for key, value in section.items() if key in model.model_fields}


def lab_settings(config: LabConfig, var_dir: Path, agencies_file: Path, accounts_file: Path,
                 database_url: str | None = None, host: str = "127.0.0.1") -> dict[str, Any]:
    """The settings document of the lab in ``config`` (the same values its daemon used to get in the environment)."""
    p = config.ports
    document: dict[str, Any] = {
        "lab_mode": True,
        "var_dir": var_dir.resolve(),
        "ami": {"host": host, "port": p.ami, "secret": config.ami_secret},
        "agi": {"port": p.agi},
        "web": {"port": p.web},
        "records": {"cdr_csv": config.cdr_csv, "queue_log": config.queue_log},  # Asterisk's records (backfill)
        # queues_conf: `ec112 doctor` compares its wrapuptime
        "callcenter": {"queues_conf": config.queues_conf, "agencies_file": agencies_file},
        # a known incident's text, rendered where Asterisk reads it; where MixMonitor writes the recordings
        "prompts": _section(config.prompts_env(), "EC112_PROMPTS__", PromptSettings),
        "recording": _section(config.recordings_env(), "EC112_RECORDING__", RecordingSettings),
        "softphones": {"server": f"{host}:{p.sip}", "transport": "udp", "accounts_file": accounts_file},
    }
    if database_url is not None:
        document["database"] = {"url": database_url}
    return document


def write_lab_settings(config: LabConfig, var_dir: Path, agencies_file: Path, database_url: str | None = None) -> Path:
    """Write the SIP accounts file and the settings file (both mode 0600) under ``var_dir``; return the latter."""
    accounts = write_endpoint_secrets(var_dir.resolve() / SIP_ACCOUNTS_FILE, config.endpoint_passwords)
    document = lab_settings(config, var_dir, agencies_file, accounts, database_url)
    return write_private_toml(settings_file(var_dir), document, header=_HEADER)
