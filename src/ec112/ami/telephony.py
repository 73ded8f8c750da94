"""``services.ports.Telephony`` over AMI: queue membership and the snapshot of the queue and the live channels
(typed by ``ami.events``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ec112.ami.client import AmiActionError, AmiClient, AmiError
from ec112.ami.events import channel_rows, queue_snapshot
from ec112.domain.call_events import ChannelRow, QueueSnapshot
from ec112.domain.errors import NotFound, Unavailable


class AmiTelephony:
    def __init__(self, client: AmiClient) -> None:
        self._client = client

    async def queue_add(self, queue: str, interface: str, member_name: str) -> bool:
        fields = {"Queue": queue, "Interface": interface, "MemberName": member_name, "Paused": "false"}
        return await self._membership("QueueAdd", fields, already="already there")

    async def queue_remove(self, queue: str, interface: str) -> bool:
        return await self._membership("QueueRemove", {"Queue": queue, "Interface": interface}, already="not there")

    async def _membership(self, action: str, fields: Mapping[str, str], *, already: str) -> bool:
        """True when Asterisk changed the membership, False when it already was as asked."""
        try:
            await self._client.send(action, fields)
        except AmiActionError as exc:
            if already in exc.message.lower():
                return False
            raise Unavailable(f"Asterisk refused {action}: {exc.message}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
        return True

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        fields = {"Queue": queue, "Interface": interface, "Paused": "true" if paused else "false", "Reason": reason}
        try:
            await self._client.send("QueuePause", fields)
        except AmiActionError as exc:
            raise NotFound(f"{interface} is not a member of queue {queue}: {exc.message}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc

    async def queue_status(self, queue: str) -> QueueSnapshot:
        try:
            return queue_snapshot(await self._client.send_list("QueueStatus", {"Queue": queue}))
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc

    async def active_channels(self) -> Sequence[ChannelRow]:
        try:
            return channel_rows(await self._client.send_list("CoreShowChannels"))
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
