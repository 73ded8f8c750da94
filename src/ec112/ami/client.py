"""ec112's AMI client: the lifecycle panoramisk 1.4's ``Manager`` gets wrong, owned here.

``run()`` connects (under a timeout), waits for the banner, logs in and *checks* the answer (a wrong
secret is fatal: ``AmiAuthError`` leaves ``run()`` at once, no retry storm), then pings every
``ping_interval`` and closes the connection when no Pong comes within ``pong_timeout`` (a half-open
TCP session otherwise looks healthy for hours). On loss it fails every action in flight with
``AmiNotConnected`` (never replays them), puts ``DISCONNECTED_EVENT`` on the queue and reconnects
with capped, jittered exponential backoff. After each login it puts ``CONNECTED_EVENT``: the
consumer re-synchronises (QueueStatus, CoreShowChannels) instead of trusting what it missed.

All events go through ONE ``asyncio.Queue`` in arrival order: they are put synchronously from
``data_received``, never via tasks, because order is data (Newchannel → QueueCallerJoin → Hangup).
Replies carrying one of our ActionIDs go to the waiting action, never to the queue.
Events are never logged at INFO: they carry caller numbers (UU 27/2022).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from ec112.ami.errors import AmiActionError, AmiAuthError, AmiError, AmiNotConnected, AmiTimeout
from ec112.ami.protocol import AmiEvent, AmiMessage
from ec112.ami.session import AmiSession
from ec112.ami.status import (
    CONNECTED_EVENT,
    DEFAULT_IGNORED_EVENTS,
    DISCONNECTED_EVENT,
    AmiStatus,
    backoff_delay,
    utc_now,
)

__all__ = [
    "CONNECTED_EVENT",
    "DEFAULT_IGNORED_EVENTS",
    "DISCONNECTED_EVENT",
    "AmiActionError",
    "AmiAuthError",
    "AmiClient",
    "AmiError",
    "AmiEvent",
    "AmiNotConnected",
    "AmiStatus",
    "AmiTimeout",
    "backoff_delay",
]

_OK_RESPONSES = frozenset({"Success", "Follows", "Goodbye"})

log = logging.getLogger(__name__)


class AmiClient:
    """One logical AMI connection to one Asterisk, kept alive by ``run()``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        connect_timeout: float = 3.0,
        login_timeout: float = 3.0,
        action_timeout: float = 5.0,
        ping_interval: float = 5.0,
        pong_timeout: float = 3.0,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
        events: asyncio.Queue[AmiEvent] | None = None,
        ignored_events: frozenset[str] = DEFAULT_IGNORED_EVENTS,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._secret = username, secret
        self._connect_timeout, self._login_timeout = connect_timeout, login_timeout
        self._action_timeout = action_timeout
        self._ping_interval, self._pong_timeout = ping_interval, pong_timeout
        self._reconnect_min, self._reconnect_max = reconnect_min, reconnect_max
        self._ignored_events = ignored_events
        # Unbounded by default: a full queue would force dropping events, i.e. corrupting live state.
        self.events: asyncio.Queue[AmiEvent] = events if events is not None else asyncio.Queue()
        self.status = AmiStatus(connected=False, since=utc_now())
        self._action_ids = itertools.count(1)
        self._action_id_prefix = f"ec112-{uuid.uuid4().hex[:12]}-"
        self._session: AmiSession | None = None
        self._settled = asyncio.Event()  # set while connected, or once login failed for good, or closing
        self._fatal: AmiAuthError | None = None
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._dropped_events = 0

    # --- lifecycle ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep the connection up until ``close()``; raises ``AmiAuthError`` if Asterisk refuses the login.

        The work runs in a task of our own, so that ``close()`` can stop it at any point (even inside
        a connect) without cancelling the caller's task.
        """
        if self._runner is not None and not self._runner.done():
            raise RuntimeError("AmiClient.run() is already running")
        if self._closing:
            return
        self._fatal = None
        self._runner = asyncio.create_task(self._run_forever(), name="ec112-ami-client")
        try:
            await self._runner
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._closing and current is not None and current.cancelling() == 0:
                return  # close() stopped the runner: a normal end
            raise

    async def wait_connected(self, timeout: float) -> None:  # noqa: ASYNC109 - the lead's API; applied below
        """Return once logged in; ``AmiAuthError`` if the login was refused, ``AmiTimeout`` otherwise."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if self._fatal is not None:
                        raise AmiAuthError(str(self._fatal)) from self._fatal
                    if self._closing:
                        raise AmiNotConnected("AMI client is closed")
                    if self.status.connected:
                        return
                    await self._settled.wait()
                    if not self.status.connected and self._fatal is None and not self._closing:
                        self._settled.clear()  # stale wake-up; wait for the next change
        except TimeoutError as exc:
            detail = f": {self.status.last_error}" if self.status.last_error else ""
            raise AmiTimeout(f"AMI not connected after {timeout:g}s{detail}") from exc

    async def close(self) -> None:
        """Log off politely (bounded), drop the connection and stop ``run()``; idempotent."""
        self._closing = True
        self._settled.set()
        session = self._session
        if session is not None and session.logged_in and session.usable:
            with contextlib.suppress(AmiError):  # we are leaving anyway
                await self._request("Logoff", None, as_list=False, deadline=min(1.0, self._action_timeout))
        if self._session is not None:
            self._session.abort("AMI client closed")
        runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
            await asyncio.wait({runner})

    # --- actions ------------------------------------------------------------------------------

    async def send(
        self,
        action: str,
        fields: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> AmiEvent:
        """Send a single-response action; returns the Response headers.

        Raises ``AmiActionError`` (``Response: Error``), ``AmiNotConnected`` or ``AmiTimeout``.
        """
        reply: AmiMessage = await self._request(action, fields, as_list=False, deadline=timeout)
        self._raise_for_error(action, reply)
        return reply.fields

    async def send_list(
        self,
        action: str,
        fields: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[AmiEvent]:
        """Send a list action (QueueStatus, CoreShowChannels, ...); returns the events between the
        Response and the ``...Complete`` event, both excluded. Same errors as ``send``."""
        replies: list[AmiMessage] = await self._request(action, fields, as_list=True, deadline=timeout)
        self._raise_for_error(action, replies[0])
        return [reply.fields for reply in replies[1:-1]]

    @staticmethod
    def _raise_for_error(action: str, response: AmiMessage) -> None:
        if response.fields.get("Response") not in _OK_RESPONSES:
            raise AmiActionError(action, response.fields.get("Message", ""), response.fields)

    async def _request(
        self, action: str, fields: Mapping[str, str] | None, *, as_list: bool, deadline: float | None
    ) -> Any:
        session = self._session
        if session is None or not session.logged_in:
            raise AmiNotConnected(f"AMI is not connected; {action} not sent")
        seconds = self._action_timeout if deadline is None else deadline
        try:
            async with asyncio.timeout(seconds):
                return await session.request(action, dict(fields or {}), as_list=as_list)
        except TimeoutError as exc:
            raise AmiTimeout(f"AMI action {action} not answered within {seconds:g}s") from exc

    # --- the connection loop ------------------------------------------------------------------

    async def _run_forever(self) -> None:
        attempt = 0
        try:
            while not self._closing:
                session: AmiSession | None = None
                try:
                    session = await self._connect_and_login()
                    await self._keep_alive(session)
                except AmiAuthError as exc:
                    self._fatal = exc
                    self.status.last_error = str(exc)
                    self._settled.set()
                    log.error("%s; not retrying: fix the AMI user/secret/ACL and restart", exc)
                    raise
                except (AmiError, OSError) as exc:
                    self.status.last_error = str(exc) or type(exc).__name__
                    log.warning("AMI %s:%s: %s", self._host, self._port, self.status.last_error)
                except Exception as exc:  # a bug or a surprise from the wire library: keep 112 alive
                    self.status.last_error = f"unexpected error: {exc!r}"
                    log.exception("unexpected error in the AMI connection loop")
                if session is not None and session.healthy:
                    attempt = 0  # it worked for a while: start the backoff afresh
                if self._closing:
                    break
                delay = backoff_delay(attempt, self._reconnect_min, self._reconnect_max)
                attempt += 1
                log.info("reconnecting to AMI %s:%s in %.2fs", self._host, self._port, delay)
                await asyncio.sleep(delay)
        finally:
            if self._session is not None:
                self._session.abort("AMI client stopped")

    async def _connect_and_login(self) -> AmiSession:
        session = AmiSession(
            action_ids=self._action_ids,
            action_id_prefix=self._action_id_prefix,
            ignored_events=self._ignored_events,
            on_event=self._put_event,
            on_lost=self._on_lost,
        )
        self._session = session
        version = await session.login(
            self._host,
            self._port,
            username=self._username,
            secret=self._secret,
            connect_timeout=self._connect_timeout,
            login_timeout=self._login_timeout,
        )
        if session.lost.done():
            raise AmiNotConnected(f"AMI connection lost right after login: {session.lost.result()}")
        # No await from here on: CONNECTED must precede every event read with the Login response.
        self._mark_connected(version)
        session.go_live()
        return session

    def _mark_connected(self, version: str) -> None:
        self.status = AmiStatus(connected=True, since=utc_now(), last_error=self.status.last_error, version=version)
        self._put_event({"Event": CONNECTED_EVENT, "Version": version, "Host": self._host, "Port": str(self._port)})
        self._settled.set()
        log.info("AMI connected to %s:%s (AMI version %s)", self._host, self._port, version)

    async def _keep_alive(self, session: AmiSession) -> None:
        """Ping until the connection ends; no Pong within ``pong_timeout`` closes it (half-open TCP)."""
        while True:
            done, _ = await asyncio.wait({session.lost}, timeout=self._ping_interval)
            if done:
                return
            try:
                async with asyncio.timeout(self._pong_timeout):
                    await session.request("Ping", {}, as_list=False)
            except TimeoutError:
                session.abort(f"no Pong within {self._pong_timeout:g}s (half-open connection?)")
                return
            except AmiNotConnected:
                return
            session.healthy = True

    def _on_lost(self, session: AmiSession, reason: str) -> None:
        if session is not self._session:
            return
        self._session = None
        if not session.logged_in:
            return  # never announced as connected, so nothing to announce now
        self.status = AmiStatus(connected=False, since=utc_now(), last_error=reason, version=self.status.version)
        if not self._closing:
            self._settled.clear()
        self._put_event({"Event": DISCONNECTED_EVENT, "Reason": reason})
        level = logging.INFO if self._closing else logging.WARNING
        log.log(level, "AMI disconnected from %s:%s: %s", self._host, self._port, reason)

    def _put_event(self, event: AmiEvent) -> None:
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self._dropped_events += 1
            kind, dropped = event.get("Event", "?"), self._dropped_events
            log.error("AMI event queue full: dropped a %s event (%d so far); live state is stale", kind, dropped)
