"""Call-taker sign-in: a call taker's SIP endpoint joins or leaves the 112 queue, pauses and resumes.

Who may act on which endpoint (a call taker on her own, supervisors and admins on any) is checked here, and
every change — and every refusal — is audited here, after Asterisk has done it (a queue change cannot be
undone because the audit database hiccupped: ``AuditService.record`` never raises).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ec112.domain.accounts import User, can_act_on_endpoint
from ec112.domain.errors import Forbidden, InvalidRequest
from ec112.services.ports import AuditLog, Telephony

log = logging.getLogger(__name__)
_ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class _NoAudit:
    async def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        return None


@dataclass(frozen=True, slots=True)
class MembershipChange:
    endpoint: str
    queue: str
    changed: bool  # False when it was already so (logging in twice is not an error)


class AgentService:
    def __init__(
        self, telephony: Telephony, *, queue: str, member_interface: str, pause_reasons: Sequence[str] = (),
        audit: AuditLog | None = None,
    ) -> None:
        self._telephony = telephony
        self._queue = queue
        self._interface = member_interface
        self.pause_reasons = tuple(pause_reasons)
        self._audit: AuditLog = audit or _NoAudit()

    def _interface_of(self, endpoint: str) -> str:
        if not _ENDPOINT_NAME.fullmatch(endpoint):
            raise InvalidRequest(f"not a call-taker endpoint name: {endpoint!r}")
        return self._interface.format(endpoint=endpoint)

    async def _authorize(self, by: User | None, endpoint: str, action: str) -> str:
        """The actor's name; ``Forbidden`` (audited) when a user acts on someone else's endpoint."""
        if by is None:
            return "cli"
        if not can_act_on_endpoint(by, endpoint):
            await self._audit.record(by.username, f"{action}.denied", endpoint)
            raise Forbidden(f"{by.username} may not act on call taker {endpoint}")
        return by.username

    async def login(self, endpoint: str, by: User | None = None) -> MembershipChange:
        actor = await self._authorize(by, endpoint, "agent.login")
        changed = await self._telephony.queue_add(self._queue, self._interface_of(endpoint), endpoint)
        log.info("call taker %s %s queue %s", endpoint, "joined" if changed else "already in", self._queue)
        await self._audit.record(actor, "agent.login", endpoint, changed=changed)
        return MembershipChange(endpoint, self._queue, changed)

    async def logout(self, endpoint: str, by: User | None = None) -> MembershipChange:
        actor = await self._authorize(by, endpoint, "agent.logout")
        changed = await self._telephony.queue_remove(self._queue, self._interface_of(endpoint))
        log.info("call taker %s %s queue %s", endpoint, "left" if changed else "was not in", self._queue)
        await self._audit.record(actor, "agent.logout", endpoint, changed=changed)
        return MembershipChange(endpoint, self._queue, changed)

    async def pause(self, endpoint: str, reason: str, by: User | None = None) -> None:
        """The taker is not offered calls until unpaused; the reason must be one the centre configured."""
        actor = await self._authorize(by, endpoint, "agent.pause")
        if reason not in self.pause_reasons:
            raise InvalidRequest(f"unknown pause reason {reason!r}; choose one of: {', '.join(self.pause_reasons)}")
        await self._telephony.queue_pause(self._queue, self._interface_of(endpoint), paused=True, reason=reason)
        log.info("call taker %s paused (%s)", endpoint, reason)
        await self._audit.record(actor, "agent.pause", endpoint, reason=reason)

    async def unpause(self, endpoint: str, by: User | None = None) -> None:
        actor = await self._authorize(by, endpoint, "agent.unpause")
        await self._telephony.queue_pause(self._queue, self._interface_of(endpoint), paused=False, reason="")
        log.info("call taker %s unpaused", endpoint)
        await self._audit.record(actor, "agent.unpause", endpoint)
