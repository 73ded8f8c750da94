"""One AMI TCP connection: the object panoramisk's protocol calls back, and the actions in flight.

panoramisk's ``Manager`` is not used: it reconnects on its own ``call_later`` timer, resolves
``connect()`` before login, replays pending actions after a reconnect and runs event callbacks as
fire-and-forget tasks. A session lives for exactly one TCP connection and never outlives it; when the
connection ends every action in flight fails with ``AmiNotConnected`` (nothing is re-sent: a
``QueueAdd`` or ``Redirect`` replayed minutes later would act on a world that has moved on). The
client (``client.py``) decides what happens next.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ec112.ami.errors import AmiAuthError, AmiLoginRefused, AmiNotConnected, AmiTimeout
from ec112.ami.protocol import AmiAction, AmiEvent, AmiMessage, AmiProtocol

log = logging.getLogger(__name__)
AUTHENTICATION_FAILED = "Authentication failed"  # manager.c astman_send_error(…, "Authentication failed")


class _EveryAction:
    """panoramisk's ``forgetable_actions``: calling every action forgettable stops it queueing any for replay."""

    def __contains__(self, action_name: object) -> bool:
        return True


def _describe_loss(exc: object) -> str:
    if exc is None:
        return "connection closed by Asterisk"
    if isinstance(exc, AmiMessage):
        return "Asterisk is shutting down"
    return f"connection lost: {exc}"


class AmiSession:
    """The panoramisk ``factory`` for one connection, plus ActionID allocation and pending actions."""

    save_stream = None
    forgetable_actions = _EveryAction()

    def __init__(
        self,
        *,
        action_ids: itertools.count[int],
        action_id_prefix: str,
        ignored_events: frozenset[str],
        on_event: Callable[[AmiEvent], None],
        on_lost: Callable[[AmiSession, str], None],
    ) -> None:
        loop = asyncio.get_running_loop()
        # panoramisk appends actions to replay here; maxlen=0 throws them away (we never replay).
        self.awaiting_actions: deque[Any] = deque(maxlen=0)
        self.banner: asyncio.Future[str | None] = loop.create_future()  # None: lost before the banner
        self.lost: asyncio.Future[str] = loop.create_future()  # result: why the connection ended
        self.logged_in = False
        self.healthy = False  # answered at least one Ping: a reconnect after this starts backoff afresh
        self._action_ids = action_ids
        self._action_id_prefix = action_id_prefix
        self._ignored_events = ignored_events
        self._on_event = on_event
        self._on_lost = on_lost
        self._held_events: list[AmiEvent] = []
        self._pending: dict[str, AmiAction] = {}
        self._abort_reason: str | None = None
        self._transport: asyncio.Transport | None = None
        self._protocol: AmiProtocol | None = None

    async def login(
        self, host: str, port: int, *, username: str, secret: str, connect_timeout: float, login_timeout: float
    ) -> str:
        """Connect, read the banner, log in; returns the AMI version. Aborts the connection on any failure.

        ``AmiAuthError`` when Asterisk says "Authentication failed" (fatal for the caller); ``AmiLoginRefused``
        for any other refusal (e.g. "Asterisk is shutting down": retried).
        """
        where = f"{host}:{port}"
        logged_in = False
        try:
            try:
                async with asyncio.timeout(connect_timeout):  # on timeout asyncio closes the half-made transport
                    self._transport, self._protocol = await asyncio.get_running_loop().create_connection(
                        lambda: AmiProtocol(self, self._action_id_prefix), host, port
                    )
            except TimeoutError as exc:
                raise AmiTimeout(f"connect to {where} timed out after {connect_timeout:g}s") from exc
            try:
                async with asyncio.timeout(login_timeout):
                    version = await self.banner
                    if version is None:
                        raise AmiNotConnected(f"{where} closed before the AMI banner: {self.lost.result()}")
                    credentials = {"Username": username, "Secret": secret}
                    reply: AmiMessage = await self.request("Login", credentials, as_list=False)
            except TimeoutError as exc:
                raise AmiTimeout(f"AMI login on {where} not answered within {login_timeout:g}s") from exc
            if reply.fields.get("Response") != "Success":
                message = reply.fields.get("Message", "no reason given")
                refusal = f"Asterisk refused AMI login as {username!r} on {where}: {message}"
                # Only this answer (16 and 22: bad user, secret or ACL) is about our configuration.
                if message == AUTHENTICATION_FAILED:
                    raise AmiAuthError(refusal)
                raise AmiLoginRefused(refusal)
            logged_in = True
            return version
        finally:
            if not logged_in:  # includes cancellation: never leave a half-logged-in socket behind
                self.abort("login did not complete")

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self._transport.is_closing() and not self.lost.done()

    async def request(self, action: str, fields: Mapping[str, str], *, as_list: bool) -> Any:
        """Send one action and wait for its reply; the caller bounds the wait with a timeout."""
        if not self.usable or self._protocol is None:
            raise AmiNotConnected(f"AMI is not connected; {action} not sent")
        headers = {**fields, "Action": action, "ActionID": f"{self._action_id_prefix}{next(self._action_ids)}"}
        for key, value in headers.items():
            if "\r" in key or "\n" in key or "\r" in value or "\n" in value:
                raise ValueError(f"AMI header {key!r} contains a line break")  # header injection
        pending = AmiAction(headers, as_list=as_list)
        self._pending[pending.id] = pending
        self._protocol.send(pending, as_list=as_list)
        try:
            return await pending.future
        finally:
            # Timed out or cancelled: forget it, so that a late reply is dropped rather than leaked.
            self._pending.pop(pending.id, None)
            self._protocol.responses.pop(pending.id, None)

    def go_live(self) -> None:
        """Login succeeded and was announced: events now flow to the client, starting with those held."""
        self.logged_in = True
        held, self._held_events = self._held_events, []
        for event in held:
            self._on_event(event)

    def abort(self, reason: str) -> None:
        """Drop the connection now (no flush: a half-open peer would never drain it) and settle everything."""
        if self._abort_reason is None:
            self._abort_reason = reason
        if self._transport is not None:
            self._transport.abort()
        self.connection_lost(None)  # synchronous, so DISCONNECTED is queued before anything else happens

    # --- called by panoramisk's AMIProtocol -------------------------------------------------------

    def banner_received(self, version: str) -> None:
        if not self.banner.done():
            self.banner.set_result(version)

    def dispatch(self, message: AmiMessage) -> None:
        if self.lost.done():
            return
        if str(message.get("Event", "")) in self._ignored_events:
            return
        if self.logged_in:
            self._on_event(message.fields)
        else:  # read in the same chunk as the Login response; released after CONNECTED by go_live()
            self._held_events.append(message.fields)

    def connection_lost(self, exc: object) -> None:
        if self.lost.done():
            return
        reason = self._abort_reason or _describe_loss(exc)
        pending, self._pending = list(self._pending.values()), {}
        for action in pending:
            if not action.future.done():
                action.future.set_exception(
                    AmiNotConnected(f"AMI connection lost before {action['Action']} was answered: {reason}")
                )
        if not self.banner.done():
            self.banner.set_result(None)
        self.lost.set_result(reason)
        self._on_lost(self, reason)
