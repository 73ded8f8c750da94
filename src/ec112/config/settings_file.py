"""Where ec112's settings file is, and how the lab and ``ec112 site render`` write one (issue 17).

Every command reads the same file as the daemon it talks to, so ``ec112 doctor`` right after ``make run`` checks
the lab that runs, with its secrets, not the defaults. The search order is explicit and short:

1. ``--config FILE`` (the caller passes it to ``load_settings``);
2. ``EC112_CONFIG``: a path, or the empty string for "no file at all" (the test suite sets it so that a developer's
   ``var/ec112.toml`` never leaks into a test's daemon);
3. ``./var/ec112.toml``: the lab's, written by ``ec112 lab run`` (``make run``) in the checkout it runs from;
4. ``/etc/ec112/ec112.toml``: an installed centre's (scripts/install.sh, ``ec112 site render``).

Written files hold secrets: mode 0600, replaced atomically (a reader never sees half a file).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

SETTINGS_FILE_NAME = "ec112.toml"
LAB_SETTINGS_FILE = Path("var") / SETTINGS_FILE_NAME
SYSTEM_SETTINGS_FILE = Path("/etc/ec112") / SETTINGS_FILE_NAME
CONFIG_ENV = "EC112_CONFIG"


def discover_settings_file(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The settings file to read when no ``--config`` was given (see the module docstring), or None."""
    env = os.environ if environ is None else environ
    if CONFIG_ENV in env:
        return Path(env[CONFIG_ENV]) if env[CONFIG_ENV] else None
    for candidate in ((cwd or Path.cwd()) / LAB_SETTINGS_FILE, SYSTEM_SETTINGS_FILE):
        if candidate.is_file():
            return candidate
    return None


def write_private_toml(path: Path, document: Mapping[str, Any], *, header: str = "") -> Path:
    """Write ``document`` as TOML (mode 0600, atomic replace); ``header`` lines become ``#`` comments on top.
    Values must be TOML types (``Path`` is written as its string)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    text += tomli_w.dumps(_plain(document))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except Exception:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict (``tomllib.TOMLDecodeError`` / ``OSError`` for the caller to report)."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def write_endpoint_secrets(path: Path, passwords: Mapping[str, str]) -> Path:
    """The SIP accounts' passwords (``[endpoints] taker01 = "…"``): what ``[softphones] accounts_file`` names, so
    the admin page can provision a softphone. Written by the lab and by ``ec112 site render``."""
    return write_private_toml(path, {"endpoints": dict(sorted(passwords.items()))},
                              header="ec112: SIP account passwords (generated; keep this file private).")


def read_endpoint_secrets(path: Path) -> dict[str, str]:
    """``endpoint → password`` from a file written by ``write_endpoint_secrets`` (errors left to the caller)."""
    endpoints = read_toml(path).get("endpoints", {})
    if not isinstance(endpoints, dict):
        raise ValueError(f"{path}: [endpoints] must be a table")
    return {str(name): str(password) for name, password in endpoints.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
