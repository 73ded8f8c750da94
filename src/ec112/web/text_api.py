"""Text to 112 on the panel: a ticket's conversation (JSON API and page), the console's list of open conversations,
and the call taker's answer (AMI MessageSend through the trunk, at most 1 KB of UTF-8 text/plain).

The live stream's ``text`` event (web/live_feed.py) tells the pages a message came in or went out; they refetch
``GET /api/tickets/{ref}/messages``. An answer Asterisk refused is stored with ``status: failed`` and its reason,
and shown as such: it is on the timeline too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from ec112.domain.accounts import Permission, has_permission
from ec112.domain.errors import NotFound
from ec112.domain.text_messages import MAX_BODY_BYTES, TextMessage
from ec112.domain.tickets import IntakeChannel, Ticket
from ec112.services.text_to_112 import TextService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, TicketViewer, TicketWorker, WebAuth
from ec112.web.pages import _page, _translator
from ec112.web.schemas import ErrorOut
from ec112.web.ticket_pages import error_page


class MessageIn(BaseModel):
    # Characters here, bytes (UTF-8) in the service: a 4-byte character counts 4 towards the 1 KB limit.
    body: str = Field(min_length=1, max_length=4 * MAX_BODY_BYTES)


def message_json(m: TextMessage) -> dict[str, Any]:
    return {"id": m.id, "direction": m.direction.value, "at": m.at.isoformat(), "author": m.author, "body": m.body,
            "status": m.status.value, "error": m.error, "bytes": len(m.body.encode("utf-8"))}


def text_router(web: WebAuth, texts: TextService, desk: TicketDesk, *, prefix: str) -> APIRouter:
    router = APIRouter(tags=["text to 112"])

    async def text_ticket(ref: str) -> Ticket:
        ticket = await desk.find(ref)
        if ticket.intake is not IntakeChannel.TEXT:
            raise NotFound(f"ticket {ref} has no text conversation")
        return ticket

    def summary(ticket: Ticket) -> dict[str, Any]:
        return {"ticket": ticket.number(prefix), "ticket_id": ticket.id, "caller": ticket.caller_number_raw,
                "status": ticket.status.value, "arrived_at": ticket.arrived_at.isoformat()}

    @router.get("/api/tickets/{ticket_ref}/messages", responses={404: {"model": ErrorOut}})
    async def get_messages(ticket_ref: str, _user: TicketViewer) -> dict[str, Any]:
        """The conversation of a text-to-112 ticket, oldest message first."""
        ticket = await text_ticket(ticket_ref)
        return {**summary(ticket), "max_bytes": MAX_BODY_BYTES,
                "messages": [message_json(m) for m in await texts.messages(ticket)]}

    @router.post("/api/tickets/{ticket_ref}/messages", status_code=201,
                 responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    async def post_message(ticket_ref: str, data: MessageIn, user: TicketWorker) -> dict[str, Any]:
        """Answer the citizen. 201 with ``status: sent`` (Asterisk took it) or ``failed`` (and ``error``)."""
        ticket = await text_ticket(ticket_ref)
        return message_json(await texts.reply(ticket, data.body, actor=user.username))

    @router.get("/api/texts")
    async def open_conversations(_user: TicketViewer) -> dict[str, Any]:
        """Text conversations still open (a message within the idle limit, ticket not settled), newest first."""
        return {"conversations": [{**summary(c.ticket), "last_at": c.last_at.isoformat()}
                                  for c in await texts.conversations()]}

    @router.get("/console/texts", response_class=HTMLResponse, include_in_schema=False)
    async def console_texts(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_TICKETS):
            return error_page(web, request, tr, 403)
        html = web.i18n.render("console_text.html", tr, conversations=await texts.conversations(),
                               number=lambda t: t.number(prefix))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @router.get("/texts/{ticket_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def conversation_page(ticket_ref: str, request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_TICKETS):
            return error_page(web, request, tr, 403)
        try:
            ticket = await text_ticket(ticket_ref)
        except NotFound:
            return error_page(web, request, tr, 404)
        return _page(web, request, "text_conversation.html", tr, ticket=ticket, number=ticket.number(prefix),
                     messages=await texts.messages(ticket), max_bytes=MAX_BODY_BYTES,
                     may_answer=has_permission(who.user, Permission.WORK_TICKETS))

    return router
