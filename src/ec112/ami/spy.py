"""``services.spy.SpyDialer`` over AMI: the supervisor's phone rung into, moved within and hung up from ec112-spy.

One Originate of ``PJSIP/<his endpoint>`` into ``<mode>@ec112-spy`` (asterisk-conf/extensions.conf) with the call
taker's channel in ``EC112_SPY_TARGET``: AMI names only the context, the mode's extension and the target; the
dialplan checks the target and fixes ChanSpy's options, so this account never runs an application of its choosing.
``ChannelId`` makes his channel's Uniqueid the session's id: ChanSpyStart/Stop and Hangup name it, and Redirect
and Hangup find the channel by it (Asterisk looks channels up by name or Uniqueid).
"""

from __future__ import annotations

from ec112.ami.client import AmiActionError, AmiClient, AmiError
from ec112.domain.errors import Conflict, Unavailable
from ec112.domain.spy import SpyMode, SpySession
from ec112.routing.dialplan import SPY_CONTEXT, SPY_TARGET_VARIABLE


class AmiSpyDialer:
    def __init__(self, client: AmiClient) -> None:
        self._client = client

    async def ring(self, session: SpySession, ring_seconds: int) -> None:
        fields = {
            "Channel": f"PJSIP/{session.supervisor_endpoint}",
            "Context": SPY_CONTEXT,
            "Exten": session.mode.value,
            "Priority": "1",
            "Async": "true",  # the answer comes at once; his phone rings on (ChanSpyStart says he answered)
            "Timeout": str(ring_seconds * 1000),
            "ChannelId": session.id,
            "CallerID": f"ec112 {session.mode.value} <{session.taker}>",
            "Variable": f"{SPY_TARGET_VARIABLE}={session.taker_channel}",
        }
        await self._send("Originate", fields, "ring the supervisor's phone")

    async def redirect(self, session_id: str, mode: SpyMode) -> None:
        await self._send("Redirect", {"Channel": session_id, "Context": SPY_CONTEXT, "Exten": mode.value,
                                      "Priority": "1"}, "switch the mode")

    async def hang_up(self, session_id: str) -> None:
        try:
            await self._send("Hangup", {"Channel": session_id, "Cause": "16"}, "hang up")
        except Conflict:
            return  # already gone: what was asked is done

    async def _send(self, action: str, fields: dict[str, str], what: str) -> None:
        try:
            await self._client.send(action, fields)
        except AmiActionError as exc:
            if action != "Originate" and "No such channel" in exc.message:
                raise Conflict(f"the supervisor's phone is no longer on the call ({exc.message})") from exc
            raise Unavailable(f"Asterisk refused to {what}: {exc.message}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
