"""``[softphones]`` and ``[site]``: what ec112 knows of the Asterisk site it serves (issue 17).

Both are written by ``ec112 lab run`` and ``ec112 site render`` into the settings file next to the rendered
Asterisk configuration (``ec112.config.settings_file``); a centre may also set them by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel


class SoftphoneSettings(BaseModel):
    """How a call taker's softphone reaches Asterisk: the admin page's provisioning (account text and QR code)."""

    # host[:port] as the phones on the centre's LAN reach Asterisk's SIP transport (not Asterisk's bind address).
    server: str = ""
    transport: Literal["udp", "tcp", "tls"] = "udp"
    srtp: bool = False  # media encryption the endpoints require (a TLS site)
    # The SIP accounts' passwords (TOML ``[endpoints] taker01 = "…"``, mode 0600): ``write_endpoint_secrets``.
    # None: the admin page shows the account without a password and says where it would come from.
    accounts_file: Path | None = None


class SiteSettings(BaseModel):
    """The site file this centre's Asterisk configuration was rendered from (``ec112 site init|render``)."""

    # None: no site file (a hand-written Asterisk configuration); ``ec112 doctor`` then skips the site checks.
    file: Path | None = None
    # Where ``ec112 site render`` wrote the include files (doctor names them in its hints).
    rendered_dir: Path | None = None
