"""Demo web panel accounts of the lab (``ec112 lab run``), with generated passwords kept in var_dir.

Lab mode only: a real centre creates its accounts with ``ec112 user add``. The passwords are generated
once and kept (mode 0600) beside the database so that every ``lab run`` prints the same ones; an
account that already exists is left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from pathlib import Path
from typing import Any

from ec112.config.settings import Settings
from ec112.domain.accounts import NewUser, Role
from ec112.domain.errors import Conflict

ACCOUNTS_FILE = "lab-web-accounts.json"
# username, role, SIP endpoint (the lab's pjsip.conf), display name, agency
DEMO_ACCOUNTS: tuple[tuple[str, Role, str | None, str, str | None], ...] = (
    ("admin", Role.ADMIN, None, "Admin Lab", None),
    ("supervisor", Role.SUPERVISOR, "spv01", "Supervisor Lab", None),
    ("taker01", Role.CALL_TAKER, "taker01", "Petugas 01", None),
    ("taker02", Role.CALL_TAKER, "taker02", "Petugas 02", None),
    ("taker03", Role.CALL_TAKER, "taker03", "Petugas 03", None),
    ("officer", Role.AGENCY_OFFICER, None, "Petugas Damkar", "damkar"),
    ("responder", Role.RESPONDER, None, "Regu Damkar 1", "damkar"),
)
LAB_AGENCIES_FILE = "lab-agencies.toml"


def write_lab_agencies(var_dir: Path) -> Path:
    """The built-in agencies file plus the demo responder, so the lab's Damkar officer can assign her."""
    from importlib.resources import files

    built_in = files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8")
    path = var_dir / LAB_AGENCIES_FILE
    path.write_text(built_in + '\n# --- lab demo (ec112 lab run) ---\n[[responder]]\nusername = "responder"\n'
                    'agency = "damkar"\nname = "Regu Damkar 1"\n', encoding="utf-8")
    return path


def load_lab_accounts(var_dir: Path) -> list[dict[str, Any]]:
    try:
        saved: list[dict[str, Any]] = json.loads((var_dir / ACCOUNTS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return saved


async def _ensure(settings: Settings) -> list[dict[str, Any]]:
    from ec112.cli.users import with_admin

    saved = {a["username"]: a["password"] for a in load_lab_accounts(settings.var_dir)}
    accounts: list[dict[str, Any]] = [
        {"username": name, "password": saved.get(name) or secrets.token_urlsafe(9), "role": role.value,
         "sip_endpoint": endpoint, "display_name": display, "agency": agency}
        for name, role, endpoint, display, agency in DEMO_ACCOUNTS
    ]

    async def work(admin: Any) -> None:
        for a in accounts:
            new = NewUser(a["username"], a["display_name"], Role(a["role"]), a["sip_endpoint"], a["agency"])
            with contextlib.suppress(Conflict):  # made by an earlier lab run: left as it is
                await admin.add("lab", new, a["password"])

    await with_admin(settings, work)
    path = settings.var_dir / ACCOUNTS_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(accounts, indent=2))
    return accounts


def ensure_lab_accounts(var_dir: Path, settings_file: Path | None = None) -> list[dict[str, Any]]:
    """Create the demo accounts that are missing (in the database ``settings_file`` names, when given); return all
    of them with their passwords."""
    from ec112.config.settings import load_settings

    settings = load_settings(settings_file, lab_mode=True, var_dir=var_dir.resolve())
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_ensure(settings))


def accounts_banner(accounts: list[dict[str, Any]], web_url: str) -> str:
    lines = [f"Akun panel web / web panel accounts ({web_url}/login):"]
    for a in accounts:
        where = f" {a['sip_endpoint']}" if a["sip_endpoint"] else ""
        lines.append(f"  {a['username']:<11} {a['password']:<14} {a['role']}{where}")
    return "\n".join(lines)
