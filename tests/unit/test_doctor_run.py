"""`ec112 doctor`'s run order and skips, with in-memory probes (the real ones: tests/integration)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ec112.services.doctor import (
    AgiProbe,
    AmiLogin,
    DaemonHealth,
    DialplanStep,
    DoctorTarget,
    ProbeRefused,
    QueueInfo,
    QueueWrapup,
    SchemaState,
    Status,
    exit_code,
)
from ec112.services.doctor_run import diagnose

TARGET = DoctorTarget(ami="127.0.0.1:5038", agi_host="127.0.0.1", agi_port=4573, queue="112",
                      api_url="http://127.0.0.1:8112", probe_timeout=0.2, check_timeout=0.5)
CONTEXTS = {
    "ec112-emergency": [DialplanStep("112", "5", "AGI", "agi://127.0.0.1:4573/intake"),
                        DialplanStep("112", "9", "Queue", "112,r")],
    "ec112-doctor": [DialplanStep("s", "1", "AGI", "agi://127.0.0.1:4573/ping")],
}


@dataclass
class FakeAsterisk:
    login_result: AmiLogin = field(default_factory=lambda: AmiLogin("ok", ami_version="5.0.4"))
    contexts: dict[str, list[DialplanStep]] = field(default_factory=lambda: dict(CONTEXTS))
    probe: AgiProbe | None = field(default_factory=lambda: AgiProbe("SUCCESS", pong=True))
    refuse: str = ""
    hang_in: str = ""
    calls: list[str] = field(default_factory=list)

    async def login(self) -> AmiLogin:
        self.calls.append("login")
        return self.login_result

    async def dialplan(self, context: str) -> list[DialplanStep] | None:
        self.calls.append(f"dialplan {context}")
        if self.refuse == "ShowDialPlan":
            raise ProbeRefused("ShowDialPlan", "Permission denied")
        return self.contexts.get(context)

    async def queue(self, name: str) -> QueueInfo | None:
        self.calls.append(f"queue {name}")
        if self.hang_in == "queue":
            await asyncio.sleep(10)
        return QueueInfo(members=1, paused=0) if name == "112" else None

    async def probe_agi(self, context: str, timeout: float) -> AgiProbe | None:
        self.calls.append(f"probe {context}")
        if self.refuse == "Originate":
            raise ProbeRefused("Originate", "Permission denied")
        return self.probe


@dataclass
class FakeQueuesConf:
    seconds: int | None = 5
    broken: bool = False

    async def wrapup(self, queue: str) -> QueueWrapup:
        if self.broken:
            raise OSError("disk on fire")
        return QueueWrapup("/etc/asterisk/queues.conf", self.seconds, "" if self.seconds is not None else "unreadable")


class FakeSchema:
    async def schema(self) -> SchemaState:
        return SchemaState("at_head", "sqlite", "0002", "0002")


class BrokenDaemon:
    async def health(self) -> DaemonHealth:
        raise RuntimeError("boom")


class FakeDaemon:
    async def health(self) -> DaemonHealth:
        return DaemonHealth(True, "running")


def statuses(checks: list) -> dict[str, Status]:  # type: ignore[type-arg]
    return {c.name: c.status for c in checks}


async def test_all_good_runs_every_check_in_call_order() -> None:
    asterisk = FakeAsterisk()
    checks = await diagnose(TARGET, asterisk, FakeSchema(), FakeDaemon(), FakeQueuesConf())
    assert [c.name for c in checks] == ["ami", "dialplan", "queue", "wrapup", "fastagi", "database", "daemon"]
    assert all(c.status is Status.OK for c in checks)
    assert asterisk.calls == ["login", "dialplan ec112-emergency", "dialplan ec112-doctor", "queue 112",
                              "probe ec112-doctor"]
    assert exit_code(checks) == 0


async def test_failed_login_skips_what_needs_asterisk_but_still_checks_the_database() -> None:
    asterisk = FakeAsterisk(login_result=AmiLogin("refused", "Authentication failed"))
    checks = await diagnose(TARGET, asterisk, FakeSchema(), FakeDaemon(), FakeQueuesConf())
    assert statuses(checks) == {"ami": Status.FAIL, "dialplan": Status.SKIP, "queue": Status.SKIP,
                                "wrapup": Status.OK, "fastagi": Status.SKIP, "database": Status.OK,
                                "daemon": Status.OK}  # the wrap-up is read from a file: no AMI login needed
    assert asterisk.calls == ["login"]
    assert exit_code(checks) == 1


async def test_missing_doctor_context_fails_fastagi_without_originating() -> None:
    asterisk = FakeAsterisk(contexts={"ec112-emergency": CONTEXTS["ec112-emergency"]})
    checks = await diagnose(TARGET, asterisk, FakeSchema(), FakeDaemon())
    assert statuses(checks)["fastagi"] is Status.FAIL
    assert not any(call.startswith("probe") for call in asterisk.calls)


async def test_refused_actions_become_permission_hints() -> None:
    checks = await diagnose(TARGET, FakeAsterisk(refuse="Originate"), FakeSchema(), FakeDaemon())
    fastagi = next(c for c in checks if c.name == "fastagi")
    assert fastagi.status is Status.FAIL
    assert "`originate`" in fastagi.fix

    checks = await diagnose(TARGET, FakeAsterisk(refuse="ShowDialPlan"), FakeSchema(), FakeDaemon())
    assert statuses(checks)["dialplan"] is Status.FAIL
    assert "`reporting`" in next(c for c in checks if c.name == "dialplan").fix
    assert statuses(checks)["queue"] is Status.OK  # QueueStatus needs no write class
    assert statuses(checks)["fastagi"] is Status.SKIP


async def test_a_hanging_or_crashing_probe_is_a_row_not_a_hang_or_traceback() -> None:
    checks = await diagnose(TARGET, FakeAsterisk(hang_in="queue"), FakeSchema(), BrokenDaemon())
    queue = next(c for c in checks if c.name == "queue")
    assert queue.status is Status.FAIL
    assert "0.5 s" in queue.detail
    daemon = next(c for c in checks if c.name == "daemon")
    assert daemon.status is Status.FAIL
    assert "RuntimeError: boom" in daemon.detail
    assert not daemon.required  # informational, even when broken
    assert statuses(checks)["fastagi"] is Status.OK  # the other checks still ran


async def test_wrapup_differs_warns_unknown_or_broken_is_informational() -> None:
    target = DoctorTarget(ami="127.0.0.1:5038", agi_host="127.0.0.1", agi_port=4573, queue="112",
                          api_url="http://127.0.0.1:8112", probe_timeout=0.2, check_timeout=0.5, wrapup_seconds=5)
    checks = await diagnose(target, FakeAsterisk(), FakeSchema(), FakeDaemon(), FakeQueuesConf(seconds=10))
    assert statuses(checks)["wrapup"] is Status.WARN
    assert exit_code(checks) == 0

    for config in (FakeQueuesConf(seconds=None), None):  # unreadable here, or not read at all
        checks = await diagnose(target, FakeAsterisk(), FakeSchema(), FakeDaemon(), config)
        wrapup = next(c for c in checks if c.name == "wrapup")
        assert (wrapup.status, wrapup.required) == (Status.SKIP, False)
        assert exit_code(checks) == 0

    checks = await diagnose(target, FakeAsterisk(), FakeSchema(), FakeDaemon(), FakeQueuesConf(broken=True))
    wrapup = next(c for c in checks if c.name == "wrapup")
    assert (wrapup.status, wrapup.required) == (Status.FAIL, False)
    assert "disk on fire" in wrapup.detail
    assert exit_code(checks) == 0
