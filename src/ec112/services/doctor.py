"""`ec112 doctor`: what a telephony admin must fix before 112 calls can reach ec112 (no I/O here).

The result types, the facts the adapters gather and the ports they implement. The adapters
(``ami/doctor_probe``, ``queues_conf``, ``db/schema_status``, the CLI's API probe) only gather facts;
``doctor_rules`` turns facts into a verdict with a fix in Bahasa Indonesia and English;
``doctor_run.diagnose`` runs the checks in order. Nothing changes Asterisk, the database or the daemon.

The wrap-up check reads a file, not AMI, on purpose. No AMI action reports a queue's ``wrapuptime``:
QueueStatus' QueueParams carries Max, Strategy, Calls, Holdtime, TalkTime, Completed, Abandoned,
ServiceLevel(Perf), Weight (apps/app_queue.c ``manager_queues_status``), its QueueMember rows only a
member's own override, QUEUE_VARIABLES() and ``queue show`` neither. What would show it gives far more:
GetConfig needs the ``system`` or ``config`` write class and returns any file of the config directory,
manager.conf's secrets included (main/manager.c ``action_getconfig``), Command needs ``command`` (any CLI),
and Getvar of AST_CONFIG() (func_config, not loaded here) would read any file the same way. So the doctor
reads the queues.conf Asterisk loaded when it is readable on this host (``[callcenter] queues_conf``), and
says SKIP, never FAIL, when it is not: an unknown wrap-up does not stop 112 calls. It reads the file,
not Asterisk's memory: an edit not yet followed by ``queue reload parameters`` is not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from ec112.routing.queue_plan import DEFAULT_PLAN

EXIT_OK, EXIT_PROBLEMS = 0, 1


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but look at it (e.g. nobody logged in to the queue)
    FAIL = "fail"
    SKIP = "skip"  # not verified because a check it depends on failed


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str  # one line: what was found
    fix: str = ""  # what to do, Indonesian first then English; empty when OK
    required: bool = True  # a required check that is not OK/WARN makes the exit code 1

    @property
    def ok(self) -> bool:
        return self.status in (Status.OK, Status.WARN)

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "status": self.status.value, "ok": self.ok, "required": self.required,
                "detail": self.detail, "fix": self.fix}


def exit_code(checks: Sequence[Check]) -> int:
    """0 when every required check passed (warnings allowed), 1 otherwise."""
    return EXIT_OK if all(c.ok for c in checks if c.required) else EXIT_PROBLEMS


# --- facts the adapters report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AmiLogin:
    outcome: Literal["ok", "refused", "unreachable"]
    error: str = ""  # why it is not ok (no secret in it)
    ami_version: str | None = None
    asterisk_version: str | None = None


@dataclass(frozen=True, slots=True)
class DialplanStep:
    extension: str
    priority: str
    application: str
    data: str


@dataclass(frozen=True, slots=True)
class QueueInfo:
    members: int
    paused: int
    unreachable: tuple[str, ...] = ()  # members whose phone cannot ring (Asterisk: Unavailable/Invalid)
    interfaces: tuple[str, ...] = ()  # every member's interface (PJSIP/taker07): the site check compares them


@dataclass(frozen=True, slots=True)
class QueueWrapup:
    """A queue's ``wrapuptime`` as the queues.conf Asterisk loaded says it (no AMI action reports it)."""

    source: str  # where it was read (a path), for the detail
    seconds: int | None  # None: unknown, see ``reason``
    reason: str = ""  # why unknown: not configured, unreadable, the queue is not in the file


@dataclass(frozen=True, slots=True)
class AgiProbe:
    """What the probe channel reported: Asterisk's AGISTATUS and whether ec112's ``ping`` route answered."""

    agi_status: str
    pong: bool
    recorder: bool | None = None  # app_mixmonitor loaded (112 calls recorded); None: the dialplan does not say


class ProbeRefused(Exception):
    """Asterisk refused an action the doctor needs (``Message`` from Asterisk, e.g. Permission denied)."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message


@dataclass(frozen=True, slots=True)
class SchemaState:
    state: Literal["at_head", "behind", "unknown_revision", "empty", "missing", "unreachable"]
    detail: str  # the database (without password) and what was found
    current: str | None = None
    head: str | None = None


@dataclass(frozen=True, slots=True)
class DaemonHealth:
    reachable: bool
    detail: str


class AsteriskProbe(Protocol):
    async def login(self) -> AmiLogin: ...

    async def dialplan(self, context: str) -> list[DialplanStep] | None:
        """The context's steps; None when Asterisk has no such context. May raise ``ProbeRefused``."""

    async def queue(self, name: str) -> QueueInfo | None:
        """None when Asterisk has no such queue."""

    async def probe_agi(self, context: str, timeout: float) -> AgiProbe | None:  # noqa: ASYNC109
        """Make Asterisk run ``context`` (AGI to ec112, then report); None when nothing came in time.
        Raises ``ProbeRefused`` when Asterisk refuses to originate the probe channel."""


class QueueConfigProbe(Protocol):
    async def wrapup(self, queue: str) -> QueueWrapup:
        """Never raises for a missing or unreadable file: that is an unknown ``QueueWrapup``."""


class SchemaProbe(Protocol):
    async def schema(self) -> SchemaState: ...


class DaemonProbe(Protocol):
    async def health(self) -> DaemonHealth: ...


@dataclass(frozen=True, slots=True)
class DoctorTarget:
    """What the settings say Asterisk should match."""

    ami: str  # host:port
    agi_host: str
    agi_port: int
    queue: str
    api_url: str
    wrapup_seconds: int = DEFAULT_PLAN.wrapup_seconds  # [callcenter] wrapup_seconds: Asterisk's wrapuptime should match
    probe_timeout: float = 5.0
    check_timeout: float = 15.0  # upper bound for any one check, whatever the adapter does
    # Where ec112's AMI secret came from ("[ami] secret in var/ec112.toml", "EC112_AMI__SECRET") and the
    # manager.conf holding the [ec112] account when known: a refused login's fix names both.
    secret_source: str = "[ami] secret (EC112_AMI__SECRET)"  # noqa: S105 - where a secret is set, not one
    manager_conf: str = "manager.conf"
