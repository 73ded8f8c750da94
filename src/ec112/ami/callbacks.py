"""``services.callbacks.CallbackDialer`` over AMI: Originate the taker's own phone into ``ec112-callback``.

Her phone rings first (the Originate's channel, ``PJSIP/<her endpoint>``) showing the ticket's number and the
citizen's; when she answers, the locked dialplan context checks the variables and dials the citizen through the
trunk. The extension is the task's id, so an OriginateResponse of a phone that never answered names its task.
Async: a synchronous Originate would hold the one AMI session (and every event behind it) until she answers.
"""

from __future__ import annotations

import re

from ec112.ami.client import AmiActionError, AmiClient, AmiError
from ec112.domain.callbacks import DIALLABLE
from ec112.domain.errors import InvalidRequest, Unavailable
from ec112.routing.dialplan import (
    CALLBACK_CONTEXT,
    CALLBACK_NUMBER_VARIABLE,
    CALLBACK_RING_VARIABLE,
    CALLBACK_TRUNK_VARIABLE,
)

_ENDPOINT = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_SHOWN = re.compile(r"^[A-Za-z0-9 +_.-]{1,40}$")


class AmiCallbackDialer:
    def __init__(self, client: AmiClient, *, trunk_endpoint: str, ring_taker_seconds: int,
                 ring_citizen_seconds: int) -> None:
        self._client = client
        self._trunk = trunk_endpoint
        self._ring_taker = ring_taker_seconds
        self._ring_citizen = ring_citizen_seconds

    async def originate(self, *, task_id: int, endpoint: str, number: str, shown_name: str) -> None:
        if not _ENDPOINT.fullmatch(endpoint) or not DIALLABLE.fullmatch(number) or not _SHOWN.fullmatch(shown_name):
            raise InvalidRequest("callback refused: bad endpoint, number or name")
        variables = {CALLBACK_NUMBER_VARIABLE: number, CALLBACK_TRUNK_VARIABLE: self._trunk,
                     CALLBACK_RING_VARIABLE: str(self._ring_citizen)}
        fields = {
            "Channel": f"PJSIP/{endpoint}",
            "Context": CALLBACK_CONTEXT,
            "Exten": str(task_id),
            "Priority": "1",
            "Async": "true",
            "Timeout": str(self._ring_taker * 1000),  # her phone rings this long
            "CallerID": f'"{shown_name}" <{number}>',  # the ticket's number, the citizen's number
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
        }
        try:
            await self._client.send("Originate", fields)
        except AmiActionError as exc:
            raise Unavailable(f"Asterisk refused the callback: {exc.message}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
