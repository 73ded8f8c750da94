"""Call-taker sign-in: a call taker's SIP endpoint joins or leaves the 112 queue."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ec112.domain.errors import InvalidRequest
from ec112.services.ports import Telephony

log = logging.getLogger(__name__)
_ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


@dataclass(frozen=True, slots=True)
class MembershipChange:
    endpoint: str
    queue: str
    changed: bool  # False when it was already so (logging in twice is not an error)


class AgentService:
    def __init__(
        self, telephony: Telephony, *, queue: str, member_interface: str, pause_reasons: Sequence[str] = ()
    ) -> None:
        self._telephony = telephony
        self._queue = queue
        self._interface = member_interface
        self.pause_reasons = tuple(pause_reasons)

    def _interface_of(self, endpoint: str) -> str:
        if not _ENDPOINT_NAME.fullmatch(endpoint):
            raise InvalidRequest(f"not a call-taker endpoint name: {endpoint!r}")
        return self._interface.format(endpoint=endpoint)

    async def login(self, endpoint: str) -> MembershipChange:
        changed = await self._telephony.queue_add(self._queue, self._interface_of(endpoint), endpoint)
        log.info("call taker %s %s queue %s", endpoint, "joined" if changed else "already in", self._queue)
        return MembershipChange(endpoint, self._queue, changed)

    async def logout(self, endpoint: str) -> MembershipChange:
        changed = await self._telephony.queue_remove(self._queue, self._interface_of(endpoint))
        log.info("call taker %s %s queue %s", endpoint, "left" if changed else "was not in", self._queue)
        return MembershipChange(endpoint, self._queue, changed)

    async def pause(self, endpoint: str, reason: str) -> None:
        """The taker is not offered calls until unpaused; the reason must be one the centre configured."""
        if reason not in self.pause_reasons:
            raise InvalidRequest(f"unknown pause reason {reason!r}; choose one of: {', '.join(self.pause_reasons)}")
        await self._telephony.queue_pause(self._queue, self._interface_of(endpoint), paused=True, reason=reason)
        log.info("call taker %s paused (%s)", endpoint, reason)

    async def unpause(self, endpoint: str) -> None:
        await self._telephony.queue_pause(self._queue, self._interface_of(endpoint), paused=False, reason="")
        log.info("call taker %s unpaused", endpoint)
