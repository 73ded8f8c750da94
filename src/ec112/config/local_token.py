"""The local CLI credential: a random token the daemon writes to ``<var_dir>/cli-token`` at every start.

Whoever can read that file (mode 0600: the account that runs ec112, or root) may use the API as the
internal admin principal ``cli`` (audited as ``cli``), without a password prompt. A new token at each
start; the CLI reads the file at each request, so a watchdog restart does not break ``--watch``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

CLI_TOKEN_FILE = "cli-token"  # noqa: S105 - a file name


def write_cli_token(var_dir: Path) -> str:
    """A new token, written atomically (temp file with mode 0600, then rename)."""
    token = secrets.token_urlsafe(32)
    var_dir.mkdir(parents=True, exist_ok=True)
    target = var_dir / CLI_TOKEN_FILE
    temp = var_dir / f".{CLI_TOKEN_FILE}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)
    return token


def read_cli_token(var_dir: Path) -> str | None:
    try:
        return (var_dir / CLI_TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None
