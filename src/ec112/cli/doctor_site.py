"""`ec112 doctor`'s site rows: what the site file (``[site] file``) says the running Asterisk must have.

Why a module: it reads the site file and ec112's shipped extensions template (the contexts ``site render`` writes),
so the service (``ec112.services.doctor_site``) compares plain values and stays free of files.
"""

from __future__ import annotations

import re
from pathlib import Path

from ec112.config.site_settings import SiteSettings
from ec112.lab.includes import include_templates_dir
from ec112.routing.dialplan import TRUNK_CONTEXT
from ec112.services.doctor import Check, Status
from ec112.services.doctor_site import SiteExpectation, SiteTrunk
from ec112.site.model import SiteFileError, load_site

TAKER_CONTEXT = "ec112-from-takers"  # asterisk-conf/ec112/pjsip_ec112.conf [ec112-taker-endpoint]
DRILL_CONTEXT = "ec112-drill"  # asterisk-conf/ec112/pjsip_drill.conf
_CONTEXT = re.compile(r"^\[(ec112-[A-Za-z0-9_-]+)\]", re.M)


def ec112_contexts() -> tuple[str, ...]:
    """Every context of extensions_ec112.conf (the template's sections) and the trunks' context."""
    text = (include_templates_dir() / "extensions_ec112.conf").read_text()
    return (TRUNK_CONTEXT, *dict.fromkeys(_CONTEXT.findall(text)))


def site_expectation(settings: SiteSettings) -> SiteExpectation | Check | None:
    """None: no ``[site] file`` (a hand-written configuration); a FAIL row when the site file cannot be read."""
    path = settings.file
    if path is None:
        return None
    try:
        site = load_site(path)
    except SiteFileError as exc:
        return Check("site", Status.FAIL, " ".join(str(exc).split()),
                     "Perbaiki [site] file di ec112.toml atau berkas situsnya (`ec112 site render` menulisnya) / fix "
                     "[site] file in ec112.toml or the site file it names")
    endpoints = {person.name: TAKER_CONTEXT for person in site.people()}
    if site.drill:
        endpoints["drill"] = DRILL_CONTEXT
    rendered = settings.rendered_dir or Path("<dir of ec112 site render --out>")
    return SiteExpectation(
        site_file=str(path), rendered_dir=str(rendered), contexts=ec112_contexts(), endpoints=endpoints,
        trunks=tuple(SiteTrunk(t.name, t.kind == "register") for t in site.trunks), trunk_context=TRUNK_CONTEXT)
