"""The site file (TOML): what a centre's Asterisk must know of ec112, and nothing secret (issue 17).

Why a model: ``ec112 site render`` turns it into Asterisk include files, so every value that lands in a config
line is checked here first (names, numbers, addresses, URIs: no ``;``, no newline, no space), and a bad file
is reported with the field's path (``trunks[1].match[0]``), never as a traceback. Secrets live in a separate
file (``ec112.site.secrets``).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ec112.config.settings_file import read_toml

_NAME = r"^[a-z][a-z0-9_-]{0,39}$"  # a PJSIP object / dialplan context suffix: lower case, no dots
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.?)*[A-Za-z0-9]?$")
_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:]+\])(?::(?P<port>[0-9]{1,5}))?$")
_SIP_URI = re.compile(r"^sips?:[A-Za-z0-9._~+!*'()&=$-]*@?[A-Za-z0-9.\[\]:-]+(;[A-Za-z0-9=_.-]+)*$")
_TEXT = re.compile(r"^[^;\r\n\"<>\\]{1,60}$")

Name = Annotated[str, Field(pattern=_NAME)]
# What an operator sends as the dialled number of a 112 call: digits, optional leading +, or * and #.
Number = Annotated[str, Field(pattern=r"^\+?[0-9*#]{1,20}$")]
DisplayName = Annotated[str, Field(pattern=_TEXT.pattern)]
Codec = Literal["alaw", "ulaw", "g722", "gsm", "opus", "g729"]
DEFAULT_CODECS: tuple[Codec, ...] = ("alaw", "ulaw")  # G.711: what Indonesian operators' trunks carry


def _address(value: str) -> str:
    """An IP address, a network (CIDR) or a host name: what PJSIP's identify/match and local_net take."""
    try:
        ipaddress.ip_network(value, strict=False)
        return value
    except ValueError:
        if _HOST.fullmatch(value) and "." in value:
            return value
    raise ValueError(f"{value!r} is not an IP address, a network (a.b.c.d/nn) nor a host name")


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a network (a.b.c.d/nn)") from None
    return value


def _host_port(value: str) -> str:
    if not _HOST_PORT.fullmatch(value):
        raise ValueError(f"{value!r} is not host or host:port")
    return value


def _sip_uri(value: str) -> str:
    if not _SIP_URI.fullmatch(value):
        raise ValueError(f"{value!r} is not a SIP URI (sip:host[:port], no spaces)")
    return value


Address = Annotated[str, AfterValidator(_address)]
Network = Annotated[str, AfterValidator(_network)]
HostPort = Annotated[str, AfterValidator(_host_port)]
SipUri = Annotated[str, AfterValidator(_sip_uri)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trunk(_Strict):
    """A trunk towards an operator. ``ip``: its calls are recognised by source address (``match``).
    ``register``: Asterisk registers to ``server`` as ``username`` (password in the secrets file); its calls are
    recognised by the registrar's address (or ``match``) and the registration's ``;line=``."""

    name: Name
    kind: Literal["ip", "register"]
    numbers: list[Number] = Field(default_factory=lambda: ["112"], min_length=1)
    match: list[Address] = Field(default_factory=list)
    contact: SipUri | None = None  # where callbacks to citizens go; default: the first match / the registrar
    server: HostPort | None = None  # register: registrar host[:port]
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9._+-]{1,64}$")] | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Trunk:
        if self.kind == "ip" and not self.match:
            raise ValueError("an ip trunk needs match = [its operator's addresses]")
        if self.kind == "register" and not (self.server and self.username):
            raise ValueError("a register trunk needs server and username")
        if self.kind == "ip" and (self.server or self.username):
            raise ValueError("server/username belong to a register trunk (kind = \"register\")")
        return self

    @property
    def server_host(self) -> str:
        match = _HOST_PORT.fullmatch(self.server or "")
        return match.group("host") if match else ""

    def identify_match(self) -> tuple[str, ...]:
        return tuple(self.match) if self.match else (self.server_host,)

    def contact_uri(self) -> str:
        if self.contact:
            return self.contact
        if self.kind == "register":
            return f"sip:{self.server}"
        first = self.match[0].split("/")[0]
        return f"sip:{first}:5060"


class Person(_Strict):
    name: Name  # the SIP account (endpoint, auth username) and queue member PJSIP/<name>
    display_name: DisplayName | None = None


class NetworkPart(_Strict):
    bind: str = "0.0.0.0"
    port: Port = 5060
    protocol: Literal["udp", "tcp"] = "udp"
    transport: Name = "ec112-udp"  # ec112's transport's name; with existing_transport: the admin's one
    existing_transport: bool = False  # true: use the admin's transport of that name, define none
    local_net: list[Network] = Field(default_factory=list)
    external_signaling_address: Address | None = None  # NAT: the public address the operator sees
    external_media_address: Address | None = None
    softphone_server: HostPort | None = None  # how the phones reach Asterisk (provisioning); default bind:port

    @model_validator(mode="after")
    def _bind_is_an_address(self) -> NetworkPart:
        ipaddress.ip_address(self.bind)  # ValueError → a clear pydantic error on network
        return self


class TlsPart(_Strict):
    port: Port = 5061
    cert_file: Annotated[str, Field(pattern=r"^/[^;\s]+$")]
    key_file: Annotated[str, Field(pattern=r"^/[^;\s]+$")]
    srtp: bool = True  # media_encryption = sdes on the softphones' endpoints


class AsteriskPart(_Strict):
    version: Annotated[int, Field(ge=16, le=99)] = 22  # major: Queue()'s arguments differ before 21
    ami_host: str = "127.0.0.1"  # where ec112 reaches AMI (manager.conf [general] bindaddr/port are the admin's)
    ami_port: Port = 5038
    ami_permit: Annotated[str, Field(pattern=r"^[0-9.]+/[0-9.]+$")] = "127.0.0.1/255.255.255.255"
    agi_host: str = "127.0.0.1"  # where Asterisk reaches ec112's FastAGI (and ec112 listens)
    agi_port: Port = 4573
    sounds_dir: Annotated[str, Field(pattern=r"^/[^;\s]+$")] = "/var/lib/ec112/sounds"
    recordings_dir: Annotated[str, Field(pattern=r"^/[^;\s]+$")] = "/var/lib/ec112/recordings"
    recording_start: Literal["arrival", "answer", "off"] = "arrival"


class QueuePart(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "112"
    wrapup_seconds: Annotated[int, Field(ge=0, le=600)] = 5


class Site(_Strict):
    name: DisplayName = "ec112"
    trunks: list[Trunk] = Field(min_length=1)
    callback_trunk: Name | None = None  # the trunk callbacks and text answers go out through; default: the first
    takers: list[Person] = Field(default_factory=list)
    supervisors: list[Person] = Field(default_factory=list)
    drill: bool = True  # the drill account (`ec112 drill run`)
    codecs: list[Codec] = Field(default_factory=lambda: list(DEFAULT_CODECS), min_length=1)
    network: NetworkPart = Field(default_factory=NetworkPart)
    tls: TlsPart | None = None
    asterisk: AsteriskPart = Field(default_factory=AsteriskPart)
    queue: QueuePart = Field(default_factory=QueuePart)

    @model_validator(mode="after")
    def _names(self) -> Site:
        names = [t.name for t in self.trunks] + [p.name for p in self.takers + self.supervisors]
        names += ["drill"] if self.drill else []
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"name(s) used twice (trunks, takers, supervisors, drill): {', '.join(twice)}")
        if self.callback_trunk is not None and self.callback_trunk not in {t.name for t in self.trunks}:
            raise ValueError(f"callback_trunk {self.callback_trunk!r} is not one of the trunks")
        return self

    @property
    def callbacks_through(self) -> str:
        return self.callback_trunk or self.trunks[0].name

    def people(self) -> list[Person]:
        return [*self.takers, *self.supervisors]


class SiteFileError(ValueError):
    """A site file that cannot be used; the message names the file and the field."""


def load_site(path: Path) -> Site:
    try:
        document = read_toml(path)
    except FileNotFoundError:
        raise SiteFileError(f"{path}: tidak ada / not found (ec112 site init)") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteFileError(f"{path}: {exc}") from None
    try:
        return Site.model_validate(document)
    except ValidationError as exc:
        raise SiteFileError(f"{path}:\n{format_errors(exc)}") from None


def format_errors(exc: ValidationError) -> str:
    """One line per problem: ``trunks[1].match[0]: <what is wrong>``."""
    lines = []
    for error in exc.errors():
        where = ""
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  {where or '(file)'}: {message}")
    return "\n".join(lines)
