"""The ``ping`` FastAGI route: proof for `ec112 doctor` that Asterisk reaches ec112's FastAGI.

The dialplan's ``ec112-doctor`` context calls ``AGI(agi://host:port/ping)`` with the same host:port as
the 112 intake, then reports ``EC112_PONG`` in a UserEvent. Only ec112 sets it: another program on the
port, or nothing at all (``AGISTATUS=FAILURE``), leaves it empty. No ticket, no caller data.
"""

from __future__ import annotations

from ec112.agi.session import AgiSession
from ec112.routing.dialplan import PONG_VARIABLE


async def ping_route(session: AgiSession) -> None:
    """Set ``EC112_PONG=1``; the session's command timeout bounds the one round trip."""
    await session.set_variable(PONG_VARIABLE, "1")
