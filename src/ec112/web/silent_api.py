"""Silent calls over HTTP: the console's "silent caller" (Penelepon diam) button and the ticket's silent state.

``POST /api/tickets/{ref}/silent``: the call taker on that call (or a supervisor) has the silent-call prompt
whispered to the caller; 409 when the call is not connected to a call taker (or the caller is being asked
already), 403 for anyone else, 503 when Asterisk cannot do it. ``GET`` reads the state; the live stream's
``silent`` event carries the same JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ec112.domain.silent_calls import SilentCall
from ec112.domain.tickets import Ticket
from ec112.services.silent_calls import SilentCallService
from ec112.web.auth import TicketViewer, TicketWorker
from ec112.web.schemas import ErrorOut


def silent_json(ticket: Ticket, call: SilentCall | None, prefix: str) -> dict[str, Any]:
    """A ticket's silent state (``state`` None: never prompted)."""
    return {
        "ticket": ticket.number(prefix), "ticket_id": ticket.id,
        "state": call.state.value if call else None,
        "prompted_at": call.prompted_at.isoformat() if call else None,
        "prompted_by": call.prompted_by if call else None,
        "deadline": call.deadline.isoformat() if call else None,
        "settled_at": call.settled_at.isoformat() if call and call.settled_at else None,
        "digits": call.digits if call else "",
    }


def silent_router(silent: SilentCallService, *, prefix: str) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["silent calls"])

    @router.get("/tickets/{ticket_ref}/silent", responses={404: {"model": ErrorOut}})
    async def get_silent(ticket_ref: str, _user: TicketViewer) -> dict[str, Any]:
        """``prompted`` (waiting for the caller's keys), ``confirmed``, ``no_keypress``, or null."""
        ticket, call = await silent.state(ticket_ref)
        return silent_json(ticket, call, prefix)

    @router.post("/tickets/{ticket_ref}/silent", status_code=202,
                 responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                            503: {"model": ErrorOut}})
    async def prompt_silent(ticket_ref: str, user: TicketWorker) -> dict[str, Any]:
        """Whisper "if you cannot speak, press 5 twice" to the caller; the call stays with its call taker."""
        call = await silent.prompt(ticket_ref, user)
        ticket, _ = await silent.state(ticket_ref)
        return silent_json(ticket, call, prefix)

    return router
