"""The intake's one question before queueing a call: how should it be handled (domain.call_handling)?

Advisors answer from memory, synchronously (a supervisor's measures and the known incidents are kept in memory
by their services and reloaded when they change): the intake path gets no database round trip from this.
An advisor that fails is logged and ignored — the call then gets ordinary handling, never a block.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ec112.domain.call_handling import CallHandling
from ec112.domain.location import Location

log = logging.getLogger(__name__)


class HandlingAdvisor(Protocol):
    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling: ...


class CallHandlingPolicy:
    def __init__(self, advisors: Sequence[HandlingAdvisor] = ()) -> None:
        self._advisors = tuple(advisors)

    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling:
        handling = CallHandling()
        for advisor in self._advisors:
            try:
                handling = handling.merged(advisor.advise(caller_e164, location))
            except Exception:
                log.exception("call-handling advisor %s failed; ordinary handling", type(advisor).__name__)
        return handling
