"""The site's secrets: a separate TOML file (mode 0600) next to the site file, generated when missing (issue 17).

Why separate: the site file is shared, reviewed and kept in version control by an admin; the AMI secret and the
SIP passwords are not. ``ec112 site init|render`` create what is missing (``secrets.token_urlsafe``) and keep what
is there, so re-rendering never changes a phone's password. A registering trunk's password comes from the
operator: it cannot be generated, and its absence is an error naming the key to add. Nothing here is printed.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ec112.config.settings_file import read_toml, write_private_toml
from ec112.site.model import Site, SiteFileError

DRILL_ENDPOINT = "drill"


def secrets_path(site_file: Path) -> Path:
    """``/etc/ec112/site.toml`` → ``/etc/ec112/site.secrets.toml``."""
    return site_file.with_name(f"{site_file.stem}.secrets.toml")


@dataclass(frozen=True)
class SiteSecrets:
    ami_secret: str
    endpoints: dict[str, str]  # endpoint → SIP password (takers, supervisors, drill)
    trunks: dict[str, str]  # registering trunk → the password its operator gave


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return read_toml(path)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteFileError(f"{path}: {exc}") from None


def ensure_secrets(site: Site, path: Path) -> SiteSecrets:
    """The secrets of ``site``: read from ``path``, the missing ones generated and written back (0600)."""
    document = _read(path)
    ami = document.get("ami", {})
    endpoints = document.get("endpoints", {})
    trunks = document.get("trunks", {})
    if not all(isinstance(x, dict) for x in (ami, endpoints, trunks)):
        raise SiteFileError(f"{path}: [ami], [endpoints] and [trunks] must be tables")
    changed = False
    if not isinstance(ami.get("secret"), str) or len(ami["secret"]) < 16:
        ami["secret"] = secrets.token_urlsafe(24)
        changed = True
    wanted = [p.name for p in site.people()] + ([DRILL_ENDPOINT] if site.drill else [])
    for name in wanted:
        if not isinstance(endpoints.get(name), str) or not endpoints[name]:
            endpoints[name] = secrets.token_urlsafe(16)
            changed = True
    if changed or not path.exists():
        write_private_toml(path, {"ami": ami, "endpoints": endpoints, "trunks": trunks},
                           header="ec112 site secrets (generated; keep private, mode 0600). Under trunks, <name> = "
                                  "the password a registering trunk's operator gave.")
    return SiteSecrets(ami_secret=str(ami["secret"]),
                       endpoints={name: str(endpoints[name]) for name in wanted},
                       trunks={str(k): str(v) for k, v in trunks.items()})


def trunk_password(site_secrets: SiteSecrets, trunk: str, path: Path) -> str:
    password = site_secrets.trunks.get(trunk, "")
    if not password:
        raise SiteFileError(f"{path}: [trunks] {trunk} = \"…\" is missing: the password the operator gave for the "
                            f"registration of trunk {trunk} / kata sandi registrasi dari operator")
    return password
