"""``WebhookNotifier``: stores each notification, then POSTs it, signed, to the agency's webhook in the background.

The delivery log is the queue. ``notify`` writes the row (status ``pending``, the exact body) and wakes the
worker; the worker (``run``, a task of the daemon's TaskGroup) sends what is due, each send a tracked task
with its own timeout, and writes the outcome of every attempt. A receiver that answers 2xx has it; anything
else is tried again after a capped, jittered exponential backoff until ``max_attempts``, then ``failed``.
After a restart the pending rows are simply due: nothing is lost. The price is *at least once*: a send cut by
a crash is sent again, with the same delivery id, which the receiver uses to drop the duplicate.

Logs carry delivery ids, agency codes, events and outcomes; never secrets, bodies (caller data) or URLs
(which may hold a gateway token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ec112.domain.agencies import Agency
from ec112.services.notifications import (
    MAX_EVENT_LENGTH,
    Channel,
    DeliveryLog,
    DeliveryStatus,
    NewDelivery,
    WebhookDelivery,
    canonical_json,
    channel_url,
    envelope,
)
from ec112.webhooks.config import channel_secret
from ec112.webhooks.retry import RetryPolicy, after_attempt
from ec112.webhooks.signing import signed_headers

log = logging.getLogger(__name__)
IDLE_RECHECK = 60.0  # seconds between looks at the log when nothing is due (a safety net, not the mechanism)
MAX_UNSAVED = 1000


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Unsaved:
    """A notification the database would not take yet (kept in memory and stored as soon as it can be)."""

    agency: Agency
    event: str
    payload: Mapping[str, Any]
    at: datetime
    channel: Channel = Channel.AGENCY


class WebhookNotifier:
    def __init__(self, deliveries: DeliveryLog, secrets: Mapping[str, str], *, timeout: float = 5.0,
                 policy: RetryPolicy | None = None, concurrency: int = 8, db_timeout: float = 5.0,
                 clock: Callable[[], datetime] = _utcnow, rand: Callable[[], float] = random.random) -> None:
        self._log = deliveries
        self._secrets = dict(secrets)
        self._timeout = timeout
        self._policy = policy or RetryPolicy()
        self._concurrency = concurrency
        self._db_timeout = db_timeout
        self._clock = clock
        self._rand = rand
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False
        self._grace = 5.0
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._unsaved: deque[_Unsaved] = deque(maxlen=MAX_UNSAVED)
        self._held: dict[int, float] = {}  # delivery id → loop time before which it is not tried again
        self._finished: set[int] = set()  # sends that ended while the log was being read (its rows are stale)

    # --- the port ---------------------------------------------------------------------------------------------
    async def notify(self, agency: Agency, event: str, payload: Mapping[str, Any],
                     channel: Channel = Channel.AGENCY) -> None:
        """Store the notification and wake the worker; never raises, never waits on the agency's server."""
        try:
            if not channel_url(agency, channel):
                return
            if not (0 < len(event) <= MAX_EVENT_LENGTH and event.isascii() and event.isprintable()):
                log.error("bad webhook event name, not sent: %r", event[:60])
                return
            # A snapshot in plain JSON types: later changes by the caller do not leak in, and a payload that
            # cannot be sent is a programming error reported here, never a poison pill for the worker.
            notification = _Unsaved(agency, event, json.loads(canonical_json(dict(payload))), self._clock(), channel)
        except Exception:
            log.exception("the %s notification for %s cannot be encoded: not sent", event, agency.code)
            return
        try:
            await self._store(notification)
        except Exception as exc:  # noqa: BLE001 - a database away must not fail the dispatch; kept for later
            log.error("cannot store the %s notification for %s (%s): kept in memory until the database is back",
                      event, agency.code, type(exc).__name__)
            if len(self._unsaved) == MAX_UNSAVED:
                log.error("%d notifications wait for the database: the oldest is dropped", MAX_UNSAVED)
            self._unsaved.append(notification)
            self._wake.set()

    async def _store(self, n: _Unsaved) -> None:
        url = channel_url(n.agency, n.channel) or ""
        secret = channel_secret(self._secrets, n.agency.code, n.channel)
        new = NewDelivery(n.agency.code, n.event, url, n.at, channel=n.channel)
        if secret is None:  # never sent unsigned; the start-up check normally refuses this configuration
            new = NewDelivery(n.agency.code, n.event, url, n.at, DeliveryStatus.FAILED,
                              f"no webhook secret for agency {n.agency.code!r}: not sent unsigned", n.channel)
            log.error("no webhook secret for agency %s: the %s notification is not sent", n.agency.code, n.event)

        def body_for(delivery_id: int) -> bytes:
            return envelope(delivery_id, n.event, n.agency.code, n.at, n.payload)

        async with asyncio.timeout(self._db_timeout):
            stored = await self._log.create(new, body_for)
        if stored.status is DeliveryStatus.PENDING:
            log.info("webhook delivery %d queued: %s for %s (%s)", stored.id, stored.event, stored.agency,
                     stored.channel.value)
            self._wake.set()

    # --- the worker -------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver until ``close``; the sends in flight are tasks of this worker's own TaskGroup."""
        self._running = True
        failures = 0
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client, \
                    asyncio.TaskGroup() as group:
                while not self._closing.is_set():
                    self._wake.clear()
                    try:
                        await self._store_unsaved()
                        wait = await self._start_due(client, group)
                        failures = 0
                    except Exception as exc:  # the database is away: look again later
                        failures += 1
                        wait = min(IDLE_RECHECK, self._policy.backoff_min * 2.0 ** min(failures, 10))
                        # Only the type at WARNING: a database error quotes its parameters (bodies: caller data).
                        log.warning("webhook worker cannot use the delivery log (%s); again in %.0f s",
                                    type(exc).__name__, wait)
                        log.debug("delivery log error", exc_info=True)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._wake.wait()
                await self._finish_inflight()
        finally:
            self._stopped.set()

    async def close(self, grace: float = 5.0) -> None:
        """Stop taking new work; sends in flight get ``grace`` seconds, the rest stay pending for the next start."""
        self._grace = grace
        self._closing.set()
        self._wake.set()
        if self._running:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace + 1.0):
                    await self._stopped.wait()

    async def _store_unsaved(self) -> None:
        while self._unsaved:
            await self._store(self._unsaved[0])
            self._unsaved.popleft()

    async def _start_due(self, client: httpx.AsyncClient, group: asyncio.TaskGroup) -> float:
        """Start the sends that are due (up to ``concurrency``); seconds until the next one is."""
        self._finished.clear()
        async with asyncio.timeout(self._db_timeout):
            pending = await self._log.pending(limit=self._concurrency * 2 + 1)
        now = self._clock()
        wait = IDLE_RECHECK
        mono = asyncio.get_running_loop().time()
        self._held = {i: until for i, until in self._held.items() if until > mono}
        for delivery in pending:
            if delivery.id in self._inflight or delivery.id in self._finished:
                continue  # a send that ended meanwhile wakes the worker to read the log again
            if delivery.id in self._held:
                wait = min(wait, self._held[delivery.id] - mono)
                continue
            due = delivery.next_attempt_at or now
            if due > now:
                wait = min(wait, (due - now).total_seconds())
                break
            if len(self._inflight) >= self._concurrency:
                break  # a finishing send wakes the worker
            self._inflight[delivery.id] = group.create_task(self._deliver(client, delivery),
                                                            name=f"webhook-{delivery.id}")
        return max(wait, 0.0)

    async def _finish_inflight(self) -> None:
        tasks = list(self._inflight.values())
        if not tasks:
            return
        _done, late = await asyncio.wait(tasks, timeout=self._grace)
        for task in late:
            task.cancel()  # its row stays pending: sent again after the restart
        if late:
            log.info("%d webhook deliveries left pending at shutdown", len(late))

    async def _deliver(self, client: httpx.AsyncClient, delivery: WebhookDelivery) -> None:
        """One attempt and its outcome in the log. Never raises (it would cancel the other sends)."""
        try:
            status_code, error = await self._attempt(client, delivery)
            result = after_attempt(delivery, status_code=status_code, error=error, at=self._clock(),
                                   policy=self._policy, rand=self._rand)
            async with asyncio.timeout(self._db_timeout):
                recorded = await self._log.record_attempt(delivery.id, result)
            if not recorded:
                log.warning("webhook delivery %d: its log row changed meanwhile; attempt %d not recorded",
                            delivery.id, result.attempts)
            elif result.status is DeliveryStatus.PENDING:
                log.info("webhook delivery %d (%s, %s): attempt %d failed (%s), again at %s", delivery.id,
                         delivery.agency, delivery.event, result.attempts, result.last_error,
                         result.next_attempt_at.isoformat(timespec="seconds") if result.next_attempt_at else "-")
            else:
                level = logging.INFO if result.status is DeliveryStatus.DELIVERED else logging.WARNING
                log.log(level, "webhook delivery %d (%s, %s): %s after %d attempt(s)%s", delivery.id,
                        delivery.agency, delivery.event, result.status.value, result.attempts,
                        f" ({result.last_error})" if result.last_error else "")
        except Exception:
            # Most likely the database went away mid-way. Held back for a while, so that a row that cannot be
            # updated is not sent again and again; it stays pending (and is resumed after a restart).
            hold = self._policy.nominal_delay(delivery.attempts + 1)
            self._held[delivery.id] = asyncio.get_running_loop().time() + hold
            log.exception("webhook delivery %d: the attempt went wrong; held back %.0f s", delivery.id, hold)
        finally:
            self._inflight.pop(delivery.id, None)
            self._finished.add(delivery.id)
            self._wake.set()

    async def _attempt(self, client: httpx.AsyncClient, delivery: WebhookDelivery) -> tuple[int | None, str | None]:
        """POST once: (status code, None) when answered, (None, what went wrong) when not."""
        secret = channel_secret(self._secrets, delivery.agency, delivery.channel)
        if secret is None:
            return None, f"no webhook secret for agency {delivery.agency!r}: not sent unsigned"
        body = delivery.body.encode("utf-8")
        headers = signed_headers(secret, event=delivery.event, delivery_id=delivery.id,
                                 timestamp=int(self._clock().timestamp()), body=body)
        try:
            async with asyncio.timeout(self._timeout), \
                    client.stream("POST", delivery.url, content=body, headers=headers) as response:
                return response.status_code, None  # the answer's body is not read: only its status counts
        except TimeoutError:
            return None, f"no answer within {self._timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return None, _describe(exc)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
