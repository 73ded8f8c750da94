"""`ec112 site init|render`: a real centre's Asterisk configuration from one site file (issue 17, docs/site.md).

``init`` writes the site file from flags (and asks for what is missing when a person is at the terminal) and
creates its secrets file; ``render`` writes ec112's include files, its settings file and the accounts file, and
prints the one ``#include`` line to add to each of the admin's files. No secret is ever printed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from ec112.config.exit_codes import EX_CONFIG
from ec112.config.settings_file import write_private_toml
from ec112.site.model import Site, SiteFileError, format_errors, load_site
from ec112.site.render import general_needs, render_site
from ec112.site.secrets import ensure_secrets, secrets_path

app = typer.Typer(help="Konfigurasi Asterisk situs / a real site's Asterisk configuration (docs/site.md).",
                  no_args_is_help=True)
SiteOption = Annotated[Path, typer.Option("--site", help="Berkas situs / the site file (TOML)")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"ec112 site: {message}", err=True)
    return typer.Exit(EX_CONFIG)


def _pairs(values: list[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise _fail(f"{flag} {value!r}: expected NAME=VALUE")
        out.append((name.strip(), rest.strip()))
    return out


def _trunks(ip: list[str], register: list[str], numbers: list[str]) -> list[dict[str, Any]]:
    trunks: list[dict[str, Any]] = []
    for name, addresses in _pairs(ip, "--ip-trunk"):
        trunks.append({"name": name, "kind": "ip", "match": [a.strip() for a in addresses.split(",") if a.strip()],
                       "numbers": numbers})
    for name, account in _pairs(register, "--register-trunk"):
        username, at, server = account.rpartition("@")
        if not at:
            raise _fail(f"--register-trunk {name}={account!r}: expected NAME=USER@HOST[:PORT]")
        trunks.append({"name": name, "kind": "register", "username": username, "server": server, "numbers": numbers})
    return trunks


def _installed_asterisk_major() -> int:
    """This host's Asterisk (Queue()'s arguments differ before 21: a dialplan rendered for 22 misplaces its gosub
    on 16), else 22 with a line saying so."""
    try:
        out = subprocess.run(["asterisk", "-V"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    match = re.match(r"Asterisk (\d+)\.", out)
    if match:
        return int(match.group(1))
    typer.echo("Asterisk tidak ditemukan / not found here: the site file says version 22 (--asterisk-version)")
    return 22


def _interactive() -> bool:
    return sys.stdin.isatty()


@app.command()
def init(
    site_file: Annotated[Path, typer.Option("--site", help="Berkas yang ditulis / the site file to write")] = Path(
        "/etc/ec112/site.toml"),
    name: Annotated[str, typer.Option(help="Nama situs / the centre's name")] = "ec112",
    ip_trunk: Annotated[list[str] | None, typer.Option(
        help="NAME=ADDR[,ADDR…]: a trunk recognised by its source address(es) (repeat for several)")] = None,
    register_trunk: Annotated[list[str] | None, typer.Option(
        help="NAME=USER@HOST[:PORT]: a trunk Asterisk registers to (its password: the secrets file)")] = None,
    numbers: Annotated[str, typer.Option(help="Nomor 112 di trunk / dialled numbers meaning 112, comma separated")]
    = "112",
    callback_trunk: Annotated[str | None, typer.Option(help="Trunk for callbacks (default: the first)")] = None,
    takers: Annotated[int | None, typer.Option(min=0, max=200, help="Call takers taker01..takerNN")] = None,
    supervisors: Annotated[int, typer.Option(min=0, max=50, help="Supervisors spv01..spvNN")] = 1,
    bind: Annotated[str, typer.Option(help="Asterisk's SIP address")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Asterisk's SIP port")] = 5060,
    local_net: Annotated[list[str] | None, typer.Option(help="A LAN network (NAT), repeatable")] = None,
    external_address: Annotated[str | None, typer.Option(help="Public address (NAT): signalling and media")] = None,
    softphone_server: Annotated[str | None, typer.Option(help="host[:port] the phones use")] = None,
    codecs: Annotated[str, typer.Option(help="Codecs, comma separated")] = "alaw,ulaw",
    tls_cert: Annotated[str | None, typer.Option(help="TLS for the softphones: certificate file")] = None,
    tls_key: Annotated[str | None, typer.Option(help="TLS for the softphones: private key file")] = None,
    srtp: Annotated[bool, typer.Option(help="With TLS: require SRTP (sdes) from the softphones")] = True,
    asterisk_version: Annotated[int | None, typer.Option(
        help="Asterisk major version (16, 18, 20, 22…); default: this host's `asterisk -V`, else 22")] = None,
    ami_port: Annotated[int, typer.Option(help="AMI port (manager.conf [general] port)")] = 5038,
    agi_host: Annotated[str, typer.Option(help="Where Asterisk reaches ec112's FastAGI")] = "127.0.0.1",
    agi_port: Annotated[int, typer.Option(help="ec112's FastAGI port")] = 4573,
    sounds_dir: Annotated[str, typer.Option(help="ec112's prompts as Asterisk sees them")] = "/var/lib/ec112/sounds",
    recordings_dir: Annotated[str, typer.Option(help="Where Asterisk writes the recordings")] = (
        "/var/lib/ec112/recordings"),
    queue: Annotated[str, typer.Option(help="The 112 queue's name")] = "112",
    wrapup: Annotated[int, typer.Option(help="Wrap-up seconds after a call")] = 5,
    force: Annotated[bool, typer.Option(help="Overwrite an existing site file")] = False,
) -> None:
    """Tulis berkas situs / write the site file (and its secrets file, 0600)."""
    if site_file.exists() and not force:
        raise _fail(f"{site_file} sudah ada / exists (--force to overwrite)")
    number_list = [n.strip() for n in numbers.split(",") if n.strip()]
    ip_trunk, register_trunk = list(ip_trunk or []), list(register_trunk or [])
    if not ip_trunk and not register_trunk and _interactive():
        answer = typer.prompt("Trunk by IP, NAME=ADDR[,ADDR] (empty: a registering trunk instead)", default="")
        if answer:
            ip_trunk.append(answer)
        else:
            register_trunk.append(typer.prompt("Registering trunk, NAME=USER@HOST[:PORT]"))
    if takers is None:
        takers = typer.prompt("Jumlah call taker / number of call takers", default=17, type=int) if _interactive() \
            else 17
    document: dict[str, Any] = {
        "name": name, "trunks": _trunks(ip_trunk, register_trunk, number_list), "callback_trunk": callback_trunk,
        "takers": [{"name": f"taker{n:02d}"} for n in range(1, takers + 1)],
        "supervisors": [{"name": f"spv{n:02d}"} for n in range(1, supervisors + 1)],
        "codecs": [c.strip() for c in codecs.split(",") if c.strip()],
        "network": {"bind": bind, "port": port, "local_net": list(local_net or []),
                    "external_signaling_address": external_address, "external_media_address": external_address,
                    "softphone_server": softphone_server},
        "asterisk": {"version": asterisk_version or _installed_asterisk_major(), "ami_port": ami_port,
                     "agi_host": agi_host, "agi_port": agi_port,
                     "sounds_dir": sounds_dir, "recordings_dir": recordings_dir},
        "queue": {"name": queue, "wrapup_seconds": wrapup},
    }
    if tls_cert or tls_key:
        document["tls"] = {"cert_file": tls_cert, "key_file": tls_key, "srtp": srtp}
    try:
        site = Site.model_validate(_without_none(document))
    except ValidationError as exc:
        raise _fail(f"{site_file}:\n{format_errors(exc)}") from None
    write_private_toml(site_file, site.model_dump(mode="json", exclude_none=True),
                       header="ec112 site file (docs/site.md): edit, then `ec112 site render`. No secrets here.")
    secrets_file = secrets_path(site_file)
    ensure_secrets(site, secrets_file)
    typer.echo(f"Berkas situs / site file: {site_file}\nRahasia / secrets (0600): {secrets_file}")
    for trunk in site.trunks:
        if trunk.kind == "register":
            typer.echo(f'Tambahkan di bawah baris [trunks] / add below the [trunks] line of {secrets_file}: '
                       f'{trunk.name} = "<password from the operator>"')
    typer.echo(f"Lalu / then: ec112 site render --site {site_file} --out /etc/asterisk/ec112")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


@app.command()
def render(
    site_file: SiteOption = Path("/etc/ec112/site.toml"),
    out: Annotated[Path, typer.Option("--out", help="Directory of the include files")] = Path(
        "/etc/asterisk/ec112"),
    asterisk_dir: Annotated[str | None, typer.Option(
        help="--out as Asterisk sees it (a chroot or container), used in the #include lines")] = None,
    settings: Annotated[Path | None, typer.Option(help="ec112's settings file to write (default OUT/ec112.toml)")]
    = None,
) -> None:
    """Tulis berkas include Asterisk / write ec112's Asterisk include files, settings and accounts files."""
    try:
        site = load_site(site_file)
        secrets_file = secrets_path(site_file)
        done = render_site(site, ensure_secrets(site, secrets_file), site_file=site_file, secrets_file=secrets_file,
                           out=out, asterisk_dir=asterisk_dir, settings_file=settings)
    except SiteFileError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or out}: {exc.strerror}") from None
    typer.echo(f"Ditulis / written: {', '.join(p.name for p in done.include_files)} in {out}")
    typer.echo("Tambahkan satu baris ke tiap berkas / add one line to each of your Asterisk files:")
    for target, line in done.include_lines:
        typer.echo(f"  {target:<18} {line}")
    typer.echo("Di bagian milik Anda / in your own sections (ec112 writes none of them):")
    for target, need in general_needs(site):
        typer.echo(f"  {target:<18} {need}")
    typer.echo(f"Pengaturan ec112 / ec112 settings: {done.settings_file} (ec112 doctor --config FILE, or EC112_CONFIG)")
    typer.echo(f"Akun SIP / SIP accounts (0600): {done.accounts_file}")
    typer.echo("Lalu / then: asterisk -rx 'core reload' ; ec112 doctor")
