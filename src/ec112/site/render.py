"""A site file → ec112's Asterisk include files, its settings file and the SIP accounts file (issue 17).

Why here and not in the lab: the lab and a real site share the templates and the include renderer
(``ec112.lab.includes``); this module only translates the site file (and its secrets) into that renderer's plan
and writes what ec112 itself reads: ``ec112.toml`` (merged into an existing one: an admin's ``[database]`` and
other sections stay) and the accounts file for softphone provisioning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ec112.config.settings_file import SETTINGS_FILE_NAME, read_toml, write_endpoint_secrets, write_private_toml
from ec112.lab.includes import INCLUDE_FILES, IncludePlan, PersonPlan, TlsPlan, TransportPlan, TrunkPlan, write_includes
from ec112.routing.queue_plan import QueuePlan
from ec112.site.model import Site, SiteFileError
from ec112.site.secrets import SiteSecrets, trunk_password

ACCOUNTS_FILE_NAME = "accounts.toml"
# What ec112 needs in sections of the admin's own files (never written by ec112: they are the admin's).
GENERAL_NEEDS: tuple[tuple[str, str], ...] = (
    ("manager.conf", "[general] enabled = yes, port = {ami_port}, bindaddr = {ami_host} (or 0.0.0.0)"),
    ("queues.conf", "[general] persistentmembers = yes, autofill = yes"),
    ("pjsip.conf", "[global] endpoint_identifier_order with ip and username (Asterisk's default has both)"),
    ("modules.conf", "app_queue, app_mixmonitor + func_module (recording), app_chanspy, res_agi (after "
                     "res_speech), res_pjsip_geolocation, res_pjsip_outbound_registration, "
                     "res_pjsip_outbound_authenticator_digest, func_base64 loaded (or autoload = yes)"),
)


@dataclass(frozen=True)
class Rendered:
    include_files: list[Path]
    include_lines: list[tuple[str, str]]  # (the admin's Asterisk file, the one line to add to it)
    settings_file: Path
    accounts_file: Path


def include_plan(site: Site, site_secrets: SiteSecrets, secrets_file: Path) -> IncludePlan:
    trunks = []
    for trunk in site.trunks:
        extra: dict[str, str] = {}
        if trunk.kind == "register":
            extra = {"server_uri": f"sip:{trunk.server}", "client_uri": f"sip:{trunk.username}@{trunk.server_host}",
                     "username": trunk.username or "",
                     "password": trunk_password(site_secrets, trunk.name, secrets_file)}
        trunks.append(TrunkPlan(name=trunk.name, kind=trunk.kind, match=trunk.identify_match(),
                                numbers=tuple(trunk.numbers), contact=trunk.contact_uri(), **extra))
    people = [PersonPlan(p.name, site_secrets.endpoints[p.name], p.display_name or p.name) for p in site.people()]
    net, ast = site.network, site.asterisk
    tls = None if site.tls is None else TlsPlan(bind=f"{net.bind}:{site.tls.port}", cert_file=site.tls.cert_file,
                                                key_file=site.tls.key_file, srtp=site.tls.srtp)
    return IncludePlan(
        trunks=trunks, people=people, ami_secret=site_secrets.ami_secret, agi_host=ast.agi_host,
        agi_port=ast.agi_port, plan=QueuePlan(queue=site.queue.name, wrapup_seconds=site.queue.wrapup_seconds),
        sounds_dir=ast.sounds_dir, recordings_dir=ast.recordings_dir, callback_trunk=site.callbacks_through,
        transport=TransportPlan(name=net.transport, protocol=net.protocol, bind=f"{net.bind}:{net.port}",
                                local_net=tuple(net.local_net),
                                external_signaling_address=net.external_signaling_address or "",
                                external_media_address=net.external_media_address or "",
                                existing=net.existing_transport),
        tls=tls, codecs=tuple(site.codecs), drill_password=site_secrets.endpoints.get("drill"),
        ami_permit=ast.ami_permit, recording_start=ast.recording_start, asterisk_major=ast.version)


def render_site(site: Site, site_secrets: SiteSecrets, *, site_file: Path, secrets_file: Path, out: Path,
                asterisk_dir: str | None = None, settings_file: Path | None = None) -> Rendered:
    """Write the include files into ``out`` and ec112's settings and accounts files; ``asterisk_dir`` is ``out``
    as Asterisk sees it (a chroot, a container), used in the ``#include`` lines."""
    plan = include_plan(site, site_secrets, secrets_file)
    try:
        files = write_includes(plan, out)
    except ValueError as exc:  # a value the model let through but a config line cannot hold
        raise SiteFileError(f"{site_file}: {exc}") from None
    where = asterisk_dir or str(out.resolve())
    lines = [(name.replace("_ec112", ""), f'#include "{where}/{name}"') for name in INCLUDE_FILES]
    accounts = write_endpoint_secrets(out / ACCOUNTS_FILE_NAME, site_secrets.endpoints)
    settings = settings_file or out / SETTINGS_FILE_NAME
    write_private_toml(settings, _settings_document(site, site_secrets, settings, site_file, out, accounts),
                       header="ec112 settings written by `ec112 site render` (its sections are rewritten by the "
                              "next render; other sections are kept).")
    return Rendered(files, lines, settings, accounts)


def _settings_document(site: Site, site_secrets: SiteSecrets, settings: Path, site_file: Path, out: Path,
                       accounts: Path) -> dict[str, Any]:
    document: dict[str, Any] = read_toml(settings) if settings.exists() else {}
    net, ast = site.network, site.asterisk
    # A wildcard bind says nothing of how the phones reach Asterisk: then only softphone_server can tell.
    host = net.softphone_server or ("" if net.bind in {"0.0.0.0", "::"} else net.bind)
    if site.tls is not None:
        server, transport = (host if not host or ":" in host else f"{host}:{site.tls.port}"), "tls"
    else:
        server, transport = (host if not host or ":" in host else f"{host}:{net.port}"), net.protocol
    sections: dict[str, dict[str, Any]] = {
        "ami": {"host": ast.ami_host, "port": ast.ami_port, "username": "ec112", "secret": site_secrets.ami_secret},
        "agi": {"host": ast.agi_host, "port": ast.agi_port},
        "callcenter": {"queue": site.queue.name, "wrapup_seconds": site.queue.wrapup_seconds,
                       "queues_conf": str((out / "queues_ec112.conf").resolve())},
        "callbacks": {"trunk_endpoint": site.callbacks_through},
        "text": {"trunk_endpoint": site.callbacks_through},
        "recording": {"start": ast.recording_start, "directory": ast.recordings_dir},
        "softphones": {"server": server, "transport": transport, "srtp": bool(site.tls and site.tls.srtp),
                       "accounts_file": str(accounts.resolve())},
        "site": {"file": str(site_file.resolve()), "rendered_dir": str(out.resolve())},
    }
    for name, values in sections.items():
        current = document.get(name)
        document[name] = {**(current if isinstance(current, dict) else {}), **values}
    return document


def general_needs(site: Site) -> list[tuple[str, str]]:
    return [(file, text.format(ami_port=site.asterisk.ami_port, ami_host=site.asterisk.ami_host))
            for file, text in GENERAL_NEEDS]
