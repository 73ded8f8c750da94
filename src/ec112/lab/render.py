"""Render asterisk-conf/ templates into a private lab directory with its own ports and secrets.

Why: every test session, lab run and benchmark gets its own Asterisk config on free loopback
ports, with generated passwords, so instances never clash and no sample secret is reused.
Templates use `string.Template` placeholders (`${sip_port}`); Asterisk's own `${VAR}` / `$[...]`
are written `$${VAR}` / `$$[...]` there. `substitute()` is strict: a missing value or a stray
single `$` fails the render instead of producing a silently broken dialplan.
"""

from __future__ import annotations

import random
import re
import secrets
import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ec112.lab.asterisk import AsteriskFlavor
from ec112.lab.includes import IncludePlan, PersonPlan, TransportPlan, TrunkPlan, checked, substitute, write_includes
from ec112.resources import shipped_dir
from ec112.routing.queue_plan import DEFAULT_PLAN, QueuePlan

INCLUDE_DIR = "ec112"  # <lab>/etc/ec112/: the include files, #included by the lab's whole files (relative path)
TAKER_NAMES: tuple[str, ...] = tuple(f"taker{n:02d}" for n in range(1, 18))
SUPERVISOR_NAMES: tuple[str, ...] = ("spv01",)
DRILL_NAMES: tuple[str, ...] = ("drill",)  # issue 14: the drill callers' endpoint (accountcode ec112-exercise)
ENDPOINT_NAMES: tuple[str, ...] = TAKER_NAMES + SUPERVISOR_NAMES + DRILL_NAMES
AMI_USERNAME = "ec112"  # the one [ec112] account in manager.conf
TRUNK_ENDPOINT = "trunk"
RUNTIME_DIRS = ("etc", "varlib/agi-bin", "varlib/cache", "db", "spool", "run", "log", "log/cdr-custom", "recordings")
_IF_INSTALLED = re.compile(r"^\s*load\s*=>\s*(\S+\.so)\s*;\s*if-installed\b")
_MAX_UNIX_SOCKET_PATH = 107  # sun_path is 108 bytes with the NUL: astrundir/asterisk.ctl must fit


def default_templates_dir() -> Path:
    """The project's asterisk-conf/: at the top of a checkout, or the installed wheel's copy."""
    return shipped_dir("asterisk-conf")


def default_sounds_dir() -> Path:
    """The project's sounds/ (ec112's prompts, issue 13): at the top of a checkout, or the installed wheel's copy."""
    return shipped_dir("sounds")


def free_port(kind: Literal["tcp", "udp"] = "tcp", host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out as free (bind to 0, read it, release it)."""
    sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LabPorts:
    """Ports of one lab: SIP (UDP), AMI (TCP), ec112's FastAGI and web (TCP), RTP range (UDP)."""

    sip: int
    ami: int
    agi: int
    web: int
    rtp_start: int
    rtp_end: int
    carrier: int = 5070  # UDP: where the trunk's AOR sends calls to citizens (callbacks): the test citizens' port

    @classmethod
    def allocate(cls, rtp_ports: int = 200) -> LabPorts:
        """Distinct free ports; the RTP range lies below the kernel's ephemeral range (32768+)."""
        used: set[int] = set()

        def pick(kind: Literal["tcp", "udp"]) -> int:
            while (port := free_port(kind)) in used:
                pass
            used.add(port)
            return port

        sip, ami, agi, web, carrier = pick("udp"), pick("tcp"), pick("tcp"), pick("tcp"), pick("udp")
        start = random.randrange(10000, 32000 - rtp_ports, 2)  # even: RTP even, RTCP odd
        return cls(sip=sip, ami=ami, agi=agi, web=web, rtp_start=start, rtp_end=start + rtp_ports - 1,
                   carrier=carrier)


@dataclass(frozen=True)
class LabConfig:
    """Everything the templates need. `directory` is a host path; inside a chroot it must lie
    under `chroot_root`, and the config files then name it as Asterisk sees it."""

    directory: Path
    ports: LabPorts
    ami_secret: str
    endpoint_passwords: Mapping[str, str]
    modules_dir: str
    chroot_root: Path | None = None
    trunk_match: str = "127.0.0.1"
    carrier_host: str = "127.0.0.1"  # the trunk's AOR contact host: callbacks reach citizens there
    agi_host: str = "127.0.0.1"
    plan: QueuePlan = DEFAULT_PLAN  # the queue, its wrapuptime: the same plan ec112's settings default to
    system_name: str = "ec112lab"
    extra: Mapping[str, str] = field(default_factory=dict)  # more placeholders for local templates
    recording_start: str = "arrival"  # [recording] start as the dialplan does it: arrival|answer|off (issue 14)
    asterisk_major: int = 16  # Queue()'s gosub argument is the 8th up to Asterisk 20 (macro before it), then 7th

    @property
    def queue(self) -> str:
        return self.plan.queue

    @property
    def wrapup_seconds(self) -> int:
        return self.plan.wrapup_seconds

    @property
    def queues_conf(self) -> Path:
        """The rendered queues.conf (host path): settings ``[callcenter] queues_conf`` (`ec112 doctor`)."""
        return self.directory / "etc" / "queues.conf"

    @property
    def asterisk_dir(self) -> str:
        """The lab directory as Asterisk sees it."""
        if self.chroot_root is None:
            return str(self.directory)
        try:
            return "/" + str(self.directory.resolve().relative_to(self.chroot_root.resolve()))
        except ValueError:
            raise ValueError(f"lab directory {self.directory} must lie inside the chroot "
                             f"{self.chroot_root}") from None

    @property
    def asterisk_conf(self) -> Path:
        return self.directory / "etc" / "asterisk.conf"

    @property
    def messages_log(self) -> Path:
        return self.directory / "log" / "messages.log"

    @property
    def modules_host_dir(self) -> Path:
        """Asterisk's module directory as this host sees it (inside the chroot for the 22 flavor)."""
        return (self.chroot_root or Path("/")) / self.modules_dir.lstrip("/")

    @property
    def cdr_csv(self) -> Path:
        """cdr_custom.conf's CSV (host path): ec112's backfill reads it (settings ``[records] cdr_csv``)."""
        return self.directory / "log" / "cdr-custom" / "ec112-cdr.csv"

    @property
    def queue_log(self) -> Path:
        """app_queue's queue_log (logger.conf; host path): settings ``[records] queue_log``."""
        return self.directory / "log" / "queue_log"

    def prompts_env(self) -> dict[str, str]:
        """ec112's settings for the prompts it renders itself (a known incident's text): a directory inside the lab,
        so Asterisk (16 on the host, 22 in its chroot) plays what ec112 wrote there."""
        return {"EC112_PROMPTS__RENDER_DIR": str(self.directory / "rendered"),
                "EC112_PROMPTS__RENDER_DIR_IN_ASTERISK": f"{self.asterisk_dir}/rendered"}

    def recordings_env(self) -> dict[str, str]:
        """ec112's ``[recording]`` settings for this lab: the directory MixMonitor writes (inside the lab, so
        Asterisk 22's chroot sees it too) and the start mode the dialplan was rendered with."""
        return {"EC112_RECORDING__DIRECTORY": str(self.directory / "recordings"),
                "EC112_RECORDING__DIRECTORY_IN_ASTERISK": f"{self.asterisk_dir}/recordings",
                "EC112_RECORDING__START": self.recording_start}

    def include_plan(self) -> IncludePlan:
        """The lab as a site like any other: one loopback trunk by IP, 17 takers, spv01, drill, the lab's ports."""
        missing = [name for name in ENDPOINT_NAMES if name not in self.endpoint_passwords]
        if missing:
            raise ValueError(f"no password for endpoint(s) {', '.join(missing)}")
        trunk = TrunkPlan(name=TRUNK_ENDPOINT, kind="ip", match=(self.trunk_match,), numbers=("112",),
                          contact=f"sip:{self.carrier_host}:{self.ports.carrier}")
        people = [PersonPlan(name, self.endpoint_passwords[name], name) for name in TAKER_NAMES + SUPERVISOR_NAMES]
        return IncludePlan(
            trunks=[trunk], people=people, ami_secret=self.ami_secret, agi_host=self.agi_host,
            agi_port=self.ports.agi, plan=self.plan, sounds_dir=f"{self.asterisk_dir}/sounds",
            recordings_dir=f"{self.asterisk_dir}/recordings", callback_trunk=TRUNK_ENDPOINT,
            transport=TransportPlan(name="transport-udp", bind=f"127.0.0.1:{self.ports.sip}"),
            drill_password=self.endpoint_passwords["drill"], recording_start=self.recording_start,
            asterisk_major=self.asterisk_major)

    def placeholders(self) -> dict[str, str]:
        """Validated values of the lab's whole files; raises ValueError for values that would corrupt a config."""
        ctl = f"{self.asterisk_dir}/run/asterisk.ctl"
        if len(ctl.encode()) > _MAX_UNIX_SOCKET_PATH:
            raise ValueError(f"lab directory path too long for Asterisk's control socket: {ctl}")
        values = {
            **self.include_plan().values(),  # the include files' values (queue, agi, …) for appendices too
            "lab_dir": self.asterisk_dir,
            "modules_dir": self.modules_dir,
            "system_name": self.system_name,
            "sip_port": str(self.ports.sip),
            "ami_port": str(self.ports.ami),
            "rtp_start": str(self.ports.rtp_start),
            "rtp_end": str(self.ports.rtp_end),
            **self.extra,
        }
        return checked(values)


def new_lab_config(directory: Path, ports: LabPorts | None = None, *,
                   flavor: AsteriskFlavor | str = "16") -> LabConfig:
    """A LabConfig with fresh random secrets (and free ports unless given). For flavor 22 the
    directory must lie inside the chroot. Change other fields with dataclasses.replace()."""
    resolved = flavor if isinstance(flavor, AsteriskFlavor) else AsteriskFlavor.by_name(flavor)
    return LabConfig(
        directory=directory,
        ports=ports or LabPorts.allocate(),
        ami_secret=secrets.token_urlsafe(24),
        endpoint_passwords={name: secrets.token_urlsafe(16) for name in ENDPOINT_NAMES},
        modules_dir=resolved.modules_dir,
        asterisk_major=int(resolved.name),
        chroot_root=resolved.chroot_root,
    )


def render(config: LabConfig, templates_dir: Path | None = None, *,
           appendices: Mapping[str, str] | None = None, sounds: Path | None = None) -> Path:
    """Write etc/*.conf (whole files that #include etc/ec112/*_ec112.conf, ``ec112.lab.includes``), the runtime
    dirs, copy the prompts (``sounds``, default the project's sounds/) to ``<lab>/sounds`` (``${sounds_dir}``,
    where musiconhold.conf and the intake find them); return asterisk.conf's host path (for `-C`).

    ``appendices`` maps a rendered file name ("extensions.conf") to template text appended to it, with the
    same placeholders: bench-only contexts and endpoints (bench/) without touching the production templates.
    """
    source = templates_dir or default_templates_dir()
    templates = sorted(source.glob("*.conf"))
    if not templates:
        raise FileNotFoundError(f"no *.conf templates in {source}")
    extra = dict(appendices or {})
    unknown = sorted(set(extra) - {t.name for t in templates})
    if unknown:
        raise ValueError(f"appendices for files that are not rendered: {', '.join(unknown)}")
    values = config.placeholders()
    for sub in RUNTIME_DIRS:
        (config.directory / sub).mkdir(parents=True, exist_ok=True)
    etc = config.directory / "etc"
    etc.chmod(0o700)  # holds the AMI secret and SIP passwords
    # ec112's own objects: the include files a real site gets from `ec112 site render`, from the same templates
    write_includes(config.include_plan(), etc / INCLUDE_DIR, source / INCLUDE_DIR)
    for template in templates:
        text = substitute(template.name, template.read_text(), values)
        if template.name in extra:
            text += "\n" + substitute(f"{template.name} (appendix)", extra[template.name], values)
        if template.name == "modules.conf":
            text = _drop_absent_modules(text, config.modules_host_dir)
        target = etc / template.name
        target.write_text(text)
        target.chmod(0o600)
    _copy_sounds(sounds or default_sounds_dir(), config.directory / "sounds")
    return config.asterisk_conf


def _copy_sounds(source: Path, target: Path) -> None:
    """The lab's own copy of the prompts: inside the lab directory, so Asterisk 22's chroot sees it too."""
    if not (source / "id").is_dir():
        raise FileNotFoundError(f"no prompts in {source} (expected sounds/id/, made by scripts/make_prompts.py)")
    shutil.copytree(source, target, dirs_exist_ok=True)


def _drop_absent_modules(text: str, modules_dir: Path) -> str:
    """Comment out ``load => x.so  ; if-installed`` when x.so is not in this Asterisk (16 vs 22 modules)."""
    lines = []
    for line in text.splitlines(keepends=True):
        match = _IF_INSTALLED.match(line)
        if match and not (modules_dir / match.group(1)).exists():
            line = f"; not installed in this Asterisk: {line.lstrip()}"
        lines.append(line)
    return "".join(lines)
