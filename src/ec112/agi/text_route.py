"""The ``text`` FastAGI route: a SIP MESSAGE to 112, run by the dialplan on Asterisk's message pseudo-channel.

One read (the dialplan's key, source address and BASE64 From/body: ``routing.dialplan.TEXT_READ``), the message
stored on its conversation's ticket, then ``EC112_TEXT_TICKET`` set. Under a deadline; on any failure the route
returns without the variable and the dialplan spools the message and sends the citizen the automatic reply, so a
message is never lost because ec112 was slow or broken (the spool's read-back stores it later, once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from ec112.agi.protocol import AgiError
from ec112.agi.session import AgiSession
from ec112.domain.text_messages import IncomingText, incoming
from ec112.domain.tickets import Ticket
from ec112.routing.dialplan import TEXT_READ, TEXT_TICKET_VARIABLE

log = logging.getLogger(__name__)


class TextRoute:
    def __init__(self, receive: Callable[[IncomingText], Awaitable[Ticket]], number: Callable[[Ticket], str], *,
                 deadline: float) -> None:
        self._receive = receive
        self._number = number
        self._deadline = deadline

    async def __call__(self, session: AgiSession) -> None:
        try:
            async with asyncio.timeout(self._deadline):
                await self._run(session)
        except TimeoutError:
            log.warning("text intake exceeded %.1f s; the dialplan spools the message", self._deadline)
        except AgiError as exc:
            log.warning("text intake AGI failed (%s); the dialplan spools the message", type(exc).__name__)
        except Exception as exc:  # a locked database, …: the dialplan spools it, the read-back retries
            log.warning("text intake could not store the message (%s); the dialplan spools it", type(exc).__name__)
            log.debug("text intake failure detail", exc_info=exc)  # may carry the body: DEBUG only

    async def _run(self, session: AgiSession) -> None:
        raw = await session.get_full_variable(TEXT_READ) or ""
        fields = raw.split("|")
        if len(fields) != 4:
            log.warning("text intake: the dialplan handed over %d fields, not 4", len(fields))
            return
        try:
            key, source, from_b64, body_b64 = fields
            message = incoming(key, source, from_b64, body_b64, datetime.now(UTC))
        except ValueError as exc:
            # Nothing to store (e.g. an empty body): confirm it so the dialplan does not spool it either.
            log.warning("text intake: message refused (%s)", exc)
            await session.set_variable(TEXT_TICKET_VARIABLE, "refused")
            return
        ticket = await self._receive(message)
        if not session.hung_up:
            await session.set_variable(TEXT_TICKET_VARIABLE, self._number(ticket))
