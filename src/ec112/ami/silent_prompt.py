"""``services.silent_calls.SilentPrompter`` over AMI: the silent-call prompt whispered to the caller.

One Originate into the locked context ``ec112-silent`` (asterisk-conf/extensions.conf): a Local channel whose one
half plays the prompt and whose other half whispers it into the caller's channel. AMI only names the context and
the target channel; the dialplan checks the target and fixes ChanSpy's options, so this account never runs an
application of its choosing. The caller's channel is never redirected: her call stays bridged to the call taker.
"""

from __future__ import annotations

from ec112.ami.client import AmiActionError, AmiClient, AmiError
from ec112.domain.errors import Unavailable
from ec112.routing.dialplan import (
    SILENT_CONTEXT,
    SILENT_LISTEN_VARIABLE,
    SILENT_PROMPT_EXTEN,
    SILENT_SPY_EXTEN,
    SILENT_TARGET_VARIABLE,
)

_RING_MS = 5000  # the Local channel answers at once (ChanSpy); Asterisk gives up on it after this


class AmiSilentPrompter:
    def __init__(self, client: AmiClient) -> None:
        self._client = client

    async def whisper(self, caller_channel: str, ticket_number: str, listen_seconds: int) -> None:
        fields = {
            "Channel": f"Local/{SILENT_SPY_EXTEN}@{SILENT_CONTEXT}/n",
            "Context": SILENT_CONTEXT,
            "Exten": SILENT_PROMPT_EXTEN,
            "Priority": "1",
            "Async": "true",  # the answer comes at once; the prompt plays on
            "Timeout": str(_RING_MS),
            "CallerID": f"ec112 silent {ticket_number}",
            # both halves of the Local channel; the dialplan checks both (a trunk channel, 1–3 digits)
            "Variable": f"__{SILENT_TARGET_VARIABLE}={caller_channel},__{SILENT_LISTEN_VARIABLE}={listen_seconds}",
        }
        try:
            await self._client.send("Originate", fields)
        except AmiActionError as exc:
            raise Unavailable(f"Asterisk refused the silent-call prompt: {exc.message}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
