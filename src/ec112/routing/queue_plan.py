"""The queue plan: which app_queue queue takes 112 calls, how a call taker joins it, her wrap-up (pure).

One source for both sides. ec112's settings (``[callcenter] queue``, ``member_interface``, ``wrapup_seconds``)
feed it (``CallCenterSettings.queue_plan()``) and their defaults are the ones below; the lab renders
asterisk-conf/queues.conf (``[${queue}]``, ``wrapuptime = ${wrapup_seconds}``) and the dialplan's
``Queue(${queue},r)`` from the same plan (``ec112.lab.render``). A production Asterisk is configured by its
admin, so ``ec112 doctor`` compares what it can read of that Asterisk with this plan (services/doctor_rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class QueuePlan:
    queue: str = "112"  # the app_queue queue of the 112 entry (extensions.conf Queue(), queues.conf [section])
    member_interface: str = "PJSIP/{endpoint}"  # how a call taker's SIP endpoint becomes a queue member
    # Seconds after a call before app_queue rings that taker again (queues.conf wrapuptime); ec112 shows the
    # taker in wrap-up for as long. Both must agree, or the console says "available" while Asterisk waits.
    wrapup_seconds: int = 5

    def member(self, endpoint: str) -> str:
        """The queue member interface of ``endpoint`` (``PJSIP/taker01``)."""
        return self.member_interface.format(endpoint=endpoint)

    def template_values(self) -> dict[str, str]:
        """The renderer's placeholders this plan fills (queues.conf and extensions.conf).

        Raises ValueError for a queue name that would corrupt the config (a section name and Queue() argument).
        """
        if not _QUEUE_NAME.fullmatch(self.queue):
            raise ValueError(f"queue name {self.queue!r}: use letters, digits, '_' or '-'")
        if self.wrapup_seconds < 0:
            raise ValueError(f"wrapup_seconds must not be negative: {self.wrapup_seconds}")
        return {"queue": self.queue, "wrapup_seconds": str(self.wrapup_seconds)}


DEFAULT_PLAN: Final = QueuePlan()
