"""ec112's Asterisk configuration as include files: ONE template source for the lab and a real site (issue 17).

Why: the lab (``ec112.lab.render``) and ``ec112 site render`` must ship the same dialplan, queue, AMI account and
endpoints. Both describe what they want as an ``IncludePlan`` (plain values: trunks, people, transport, secrets)
and this module renders asterisk-conf/ec112/ into ``pjsip_ec112.conf``, ``extensions_ec112.conf``, … The lab's
whole files #include them; an existing Asterisk adds one ``#include`` line per file. Repeated blocks (a trunk, a
call taker) are small templates rendered once per item, because ``string.Template`` has no loops.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ec112.resources import shipped_dir
from ec112.routing.dialplan import TRUNK_CONTEXT
from ec112.routing.queue_plan import QueuePlan

INCLUDE_FILES: tuple[str, ...] = ("pjsip_ec112.conf", "extensions_ec112.conf", "queues_ec112.conf",
                                  "manager_ec112.conf", "musiconhold_ec112.conf", "geolocation_ec112.conf")
_SAFE_VALUE = re.compile(r"[^;\r\n\s]+")  # ';' starts an Asterisk comment; no value spans lines
_SAFE_TEXT = re.compile(r"[^;\r\n\"<>\\]+")  # a display name: spaces allowed, nothing that ends the quoted name


def include_templates_dir() -> Path:
    """asterisk-conf/ec112/ (the checkout's, or the installed wheel's copy)."""
    return shipped_dir("asterisk-conf") / "ec112"


@dataclass(frozen=True)
class TrunkPlan:
    """One trunk towards an operator: identified by address (``ip``) or registering to it (``register``)."""

    name: str
    kind: Literal["ip", "register"]
    match: tuple[str, ...]  # source addresses/networks/hosts that identify it (identify/match)
    numbers: tuple[str, ...]  # what the operator sends as the dialled number of a 112 call
    contact: str  # SIP URI where calls to citizens go (callbacks, text answers)
    server_uri: str = ""  # register: sip:registrar[:port]
    client_uri: str = ""  # register: sip:user@registrar
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class PersonPlan:
    """A call taker's or supervisor's SIP account."""

    name: str
    password: str
    display_name: str


@dataclass(frozen=True)
class TransportPlan:
    """ec112's own transport (``existing``: the admin's transport of that name is used and none is defined)."""

    name: str = "ec112-udp"
    protocol: Literal["udp", "tcp"] = "udp"
    bind: str = "0.0.0.0:5060"
    local_net: tuple[str, ...] = ()
    external_signaling_address: str = ""
    external_media_address: str = ""
    existing: bool = False


@dataclass(frozen=True)
class TlsPlan:
    """A TLS transport for the softphones (their endpoints use it; the trunks stay on the plain transport)."""

    bind: str
    cert_file: str
    key_file: str
    srtp: bool = True
    name: str = "ec112-tls"


@dataclass(frozen=True)
class IncludePlan:
    trunks: Sequence[TrunkPlan]
    people: Sequence[PersonPlan]
    ami_secret: str
    agi_host: str
    agi_port: int
    plan: QueuePlan
    sounds_dir: str  # as Asterisk sees it
    recordings_dir: str  # as Asterisk sees it
    callback_trunk: str  # the trunk callbacks and text answers go through
    transport: TransportPlan = field(default_factory=TransportPlan)
    tls: TlsPlan | None = None
    codecs: tuple[str, ...] = ("alaw", "ulaw")
    drill_password: str | None = None  # None: no drill account
    ami_permit: str = "127.0.0.1/255.255.255.255"
    recording_start: str = "arrival"
    asterisk_major: int = 22

    def validate(self) -> None:
        """Cross-checks the renderer relies on (ValueError naming what is wrong)."""
        if not self.trunks:
            raise ValueError("at least one trunk is needed")
        names = [t.name for t in self.trunks] + [p.name for p in self.people] + (["drill"] * bool(self.drill_password))
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"endpoint name(s) used twice: {', '.join(duplicates)}")
        if self.callback_trunk not in {t.name for t in self.trunks}:
            raise ValueError(f"callback trunk {self.callback_trunk!r} is not one of the trunks")

    def values(self) -> dict[str, str]:
        """The placeholders of the whole-file include templates (checked by ``checked``)."""
        taker_transport = self.tls.name if self.tls else self.transport.name
        return {
            **self.plan.template_values(),
            "agi_host": self.agi_host, "agi_port": str(self.agi_port),
            "sounds_dir": self.sounds_dir, "recordings_dir": self.recordings_dir,
            "recording_start": self.recording_start,
            # Queue()'s arguments after the queue name, up to its gosub (run on the call taker's channel once
            # connected: "answer" recordings start there). 16: options,URL,announceoverride,timeout,AGI,macro,gosub;
            # 21+: no macro.
            "queue_gosub_args": ("," * (6 if self.asterisk_major >= 21 else 7)) + "ec112-answered",
            "ami_secret": self.ami_secret, "ami_permit": self.ami_permit,
            "codecs": ",".join(self.codecs),
            "trunk_transport": self.transport.name, "taker_transport": taker_transport,
            "media_encryption": "sdes" if self.tls and self.tls.srtp else "no",
            # ec112-silent whispers only into a trunk's channel: PJSIP/<one of the trunks>-<8 hex>
            "trunk_channels": "(" + "|".join(t.name for t in self.trunks) + ")",
            "text_trunk": self.callback_trunk,
        }


def checked(values: Mapping[str, str], *, text_keys: frozenset[str] = frozenset()) -> dict[str, str]:
    """``values`` when none could corrupt a config line; ValueError naming the first that would."""
    for key, value in values.items():
        pattern = _SAFE_TEXT if key in text_keys else _SAFE_VALUE
        if not pattern.fullmatch(value):
            raise ValueError(f"value for {key} is empty or contains ';', a newline or other characters "
                             "that would break an Asterisk config line")
    return dict(values)


def substitute(name: str, template: str, values: Mapping[str, str]) -> str:
    """``string.Template.substitute``: a missing placeholder or a stray ``$`` is an error naming the template."""
    try:
        return string.Template(template).substitute(values)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{name}: {exc!r} (Asterisk's own ${{VAR}} must be written $${{VAR}})") from exc


class _Templates:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, name: str, values: Mapping[str, str], text_keys: frozenset[str] = frozenset()) -> str:
        path = self.directory / name
        if not path.is_file():
            raise FileNotFoundError(f"include template missing: {path}")
        return substitute(name, path.read_text(), checked(values, text_keys=text_keys))


def render_texts(plan: IncludePlan, templates_dir: Path | None = None) -> dict[str, str]:
    """File name → text of every include file (nothing written)."""
    plan.validate()
    t = _Templates(templates_dir or include_templates_dir())
    base = checked(plan.values())
    texts = {name: t(name, base) for name in INCLUDE_FILES}
    texts["pjsip_ec112.conf"] += _pjsip_blocks(plan, base, t)
    texts["extensions_ec112.conf"] += t("extensions_trunks.conf", {
        "trunks": ",".join(trunk.name for trunk in plan.trunks), "trunk_context": TRUNK_CONTEXT})
    for number in dict.fromkeys(n for trunk in plan.trunks for n in trunk.numbers):  # once each, in order
        texts["extensions_ec112.conf"] += t("extensions_number.conf", {"number": number})
    return texts


def _pjsip_blocks(plan: IncludePlan, base: Mapping[str, str], t: _Templates) -> str:
    tr = plan.transport
    text = ""
    if not tr.existing:
        text += t("pjsip_transport.conf", {"transport_name": tr.name, "transport_protocol": tr.protocol,
                                           "transport_bind": tr.bind})
        text += _nat_lines(tr, t)
    if plan.tls is not None:
        text += t("pjsip_transport.conf", {"transport_name": plan.tls.name, "transport_protocol": "tls",
                                           "transport_bind": plan.tls.bind})
        text += t("pjsip_transport_tls.conf", {"tls_cert_file": plan.tls.cert_file,
                                               "tls_key_file": plan.tls.key_file})
        text += _nat_lines(tr, t)
    for trunk in plan.trunks:
        values = {"trunk": trunk.name, "trunk_context": TRUNK_CONTEXT, "trunk_match": ",".join(trunk.match),
                  "trunk_contact": trunk.contact,
                  "trunk_transport": base["trunk_transport"]}
        if trunk.kind == "register":
            values |= {"trunk_username": trunk.username, "trunk_password": trunk.password,
                       "trunk_contact_user": trunk.numbers[0],
                       "trunk_server_uri": trunk.server_uri, "trunk_client_uri": trunk.client_uri}
        text += t(f"pjsip_trunk_{trunk.kind}.conf", values)
    for person in plan.people:
        text += t("pjsip_person.conf", {"person": person.name, "person_password": person.password,
                                        "person_display_name": person.display_name},
                  text_keys=frozenset({"person_display_name"}))
    if plan.drill_password is not None:
        text += t("pjsip_drill.conf", {"drill_password": plan.drill_password, **base})
    return text


def _nat_lines(tr: TransportPlan, t: _Templates) -> str:
    text = ""
    if tr.local_net:
        text += t("pjsip_transport_nat.conf", {"local_net": ",".join(tr.local_net)})
    if tr.external_signaling_address:
        text += t("pjsip_transport_external_signaling.conf",
                  {"external_signaling_address": tr.external_signaling_address})
    if tr.external_media_address:
        text += t("pjsip_transport_external_media.conf", {"external_media_address": tr.external_media_address})
    return text


def write_includes(plan: IncludePlan, directory: Path, templates_dir: Path | None = None) -> list[Path]:
    """Render and write every include file into ``directory`` (mode 0600: secrets inside); their paths."""
    texts = render_texts(plan, templates_dir)  # everything checked before anything is written
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    written = []
    for name, text in texts.items():
        path = directory / name
        path.write_text(text)
        path.chmod(0o600)
        written.append(path)
    return written
