"""`ec112 doctor`'s run: the checks in the order a 112 call needs them, each under a deadline.

AMI login → the 112 dialplan → the queue → its wrap-up (queues.conf, informational) → Asterisk really
reaching ec112's FastAGI → the database → the running daemon (informational). What depends on a failed
AMI login is reported as SKIP, never guessed; a probe that raises or hangs becomes a FAIL row, never a
traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from ec112.routing.dialplan import DOCTOR_CONTEXT, EMERGENCY_CONTEXT
from ec112.services import doctor_rules as rules
from ec112.services.doctor import (
    AgiProbe,
    AsteriskProbe,
    Check,
    DaemonProbe,
    DialplanStep,
    DoctorTarget,
    ProbeRefused,
    QueueConfigProbe,
    QueueWrapup,
    SchemaProbe,
)
from ec112.services.doctor_site import SITE_CHECKS, SiteExpectation, SiteProbe, SiteVerdict, site_checks

log = logging.getLogger(__name__)
T = TypeVar("T")
Steps = list[DialplanStep] | None


async def diagnose(
    target: DoctorTarget, asterisk: AsteriskProbe, schema: SchemaProbe, daemon: DaemonProbe,
    queue_config: QueueConfigProbe | None = None, site: tuple[SiteExpectation, SiteProbe] | None = None,
) -> list[Check]:
    """``queue_config`` None: Asterisk's queues.conf is not readable here (the wrap-up row says unknown).
    ``site``: the site file's expectations (``[site] file``) and what reads them from Asterisk."""
    checks: list[Check] = []
    login = await _guard("ami", target, asterisk.login)
    checks.append(login if isinstance(login, Check) else rules.ami_check(target, login))
    if isinstance(login, Check) or login.outcome != "ok":
        checks.extend(rules.skipped(name) for name in ("dialplan", "queue"))
        checks.append(await _wrapup(target, queue_config))  # a file: it does not need the AMI login
        checks.append(rules.skipped("fastagi"))
    else:
        checks.extend(await _asterisk_checks(target, asterisk, queue_config))
    if site is not None:
        if isinstance(login, Check) or login.outcome != "ok":
            checks.extend(rules.skipped(name) for name in SITE_CHECKS)
        else:
            checks.extend(await _site(target, *site))

    state = await _guard("database", target, schema.schema)
    checks.append(state if isinstance(state, Check) else rules.database_check(state))
    health = await _guard("daemon", target, daemon.health)
    # informational, even when its probe broke
    checks.append(replace(health, required=False) if isinstance(health, Check) else rules.daemon_check(target, health))
    return checks


async def _asterisk_checks(
    target: DoctorTarget, asterisk: AsteriskProbe, queue_config: QueueConfigProbe | None
) -> list[Check]:
    async def contexts() -> tuple[Steps, Steps]:
        try:
            return await asterisk.dialplan(EMERGENCY_CONTEXT), await asterisk.dialplan(DOCTOR_CONTEXT)
        except ProbeRefused as exc:
            raise _Verdict(rules.refused_check("dialplan", exc)) from exc

    read = await _guard("dialplan", target, contexts)
    if isinstance(read, Check):
        return [read, await _queue(target, asterisk), await _wrapup(target, queue_config),
                rules.skipped("fastagi", because="dialplan")]
    emergency, doctor = read
    return [
        rules.dialplan_check(target, emergency),
        await _queue(target, asterisk),
        await _wrapup(target, queue_config),
        *([blocker] if (blocker := rules.probe_blocker(target, emergency, doctor)) else await _probe(target, asterisk)),
    ]


async def _queue(target: DoctorTarget, asterisk: AsteriskProbe) -> Check:
    info = await _guard("queue", target, lambda: asterisk.queue(target.queue))
    return info if isinstance(info, Check) else rules.queue_check(target, info)


async def _wrapup(target: DoctorTarget, queue_config: QueueConfigProbe | None) -> Check:
    async def read() -> QueueWrapup:
        if queue_config is None:
            return QueueWrapup("-", None, "queues.conf tidak dibaca / not read")
        return await queue_config.wrapup(target.queue)

    found = await _guard("wrapup", target, read)
    return replace(found, required=False) if isinstance(found, Check) else rules.wrapup_check(target, found)


async def _probe(target: DoctorTarget, asterisk: AsteriskProbe) -> list[Check]:
    async def probe() -> AgiProbe | None:
        try:
            return await asterisk.probe_agi(DOCTOR_CONTEXT, target.probe_timeout)
        except ProbeRefused as exc:
            raise _Verdict(rules.refused_check("fastagi", exc)) from exc

    result = await _guard("fastagi", target, probe)
    if isinstance(result, Check):
        return [result]
    recorder = rules.recorder_check(result)
    return [rules.fastagi_check(target, result), *([recorder] if recorder else [])]


async def _site(target: DoctorTarget, site: SiteExpectation, probe: SiteProbe) -> list[Check]:
    async def guard(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
        return await _guard(name, target, check)

    return await site_checks(site, probe, target.queue, guard)


class _Verdict(Exception):
    """Carries a ready-made check out of a probe (e.g. an action Asterisk refused)."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.detail)
        self.check = check


async def _guard(name: str, target: DoctorTarget, probe: Callable[[], Awaitable[T]]) -> T | Check:
    """Run one probe under the per-check deadline."""
    try:
        async with asyncio.timeout(target.check_timeout):
            return await probe()
    except (_Verdict, SiteVerdict) as verdict:
        return verdict.check
    except TimeoutError:
        return rules.unexpected_check(name, f"no result within {target.check_timeout:g} s")
    except Exception as exc:
        log.debug("doctor check %s failed", name, exc_info=exc)
        return rules.unexpected_check(name, f"{type(exc).__name__}: {exc}")
