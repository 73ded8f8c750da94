"""Advanced Mobile Location (ETSI TS 103 625) on a live path: the handset's HTTPS POST (Android ELS form) and
the SMS gateway's POST of an AML SMS; the unmatched ones listed for supervisors.

Machine clients, so no session and no CSRF (``web/auth.py`` leaves the two POST paths open): the HTTPS
intake is authenticated by its ``hmac`` field when ``[location] aml_hmac_key`` is set, the SMS intake by the
gateway's ``Authorization: Bearer <[location] aml_sms_token>`` (no token configured: closed, 403). Bodies are
capped before anything is parsed. A well-formed message gets 200 whether or not a call matched it (the
handset must not retry); a malformed one 400 with the parser's reason codes and a log line without personal
data; a bad MAC or token 403 and nothing stored.

HMAC (docs/location.md): neither ETSI TS 103 625 as quoted by the open implementations nor Google's ELS
HTTPS page define the MAC input, so ec112 defines it: lowercase hex HMAC-SHA1, keyed with the configured key
(UTF-8), over the raw request body with the ``hmac=…`` field removed (the other fields in the order sent,
joined by ``&``, exactly the bytes received).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ec112.domain.accounts import Permission, has_permission
from ec112.services.locations import AmlReading, LocationService
from ec112.web.auth import Auth, WebAuth, require
from ec112.web.location_json import location_json
from ec112.web.pages import _page, _translator
from ec112.web.request_body import read_capped
from ec112.web.ticket_pages import error_page

log = logging.getLogger(__name__)

MAX_HTTPS_BODY = 8 * 1024  # the parser's own cap (location/aml.py MAX_HTTPS_BYTES)
MAX_SMS_BODY = 4 * 1024  # one AML SMS is ~130 characters; a JSON/form wrapper around it stays far below


class HttpsReading(AmlReading, Protocol):
    @property
    def device_number(self) -> str | None: ...


ParseHttps = Callable[[bytes, datetime], HttpsReading]  # raises ValueError with ``code``
ParseSms = Callable[[str, datetime], AmlReading]


@dataclass(frozen=True, slots=True)
class AmlOptions:
    """The AML intakes' credentials ([location]) and parsers (``location/aml.py``, handed over by the root)."""

    parse_https: ParseHttps
    parse_sms: ParseSms
    hmac_key: str = ""
    sms_token: str = ""


def hmac_input(body: bytes) -> tuple[bytes, str | None]:
    """The body without its ``hmac`` field, and that field's value (None when absent or given twice)."""
    kept: list[bytes] = []
    macs: list[bytes] = []
    for part in body.split(b"&"):
        (macs if part.split(b"=", 1)[0] == b"hmac" else kept).append(part)
    value = macs[0].split(b"=", 1)[1] if len(macs) == 1 and b"=" in macs[0] else None
    return b"&".join(kept), value.decode("ascii", "replace") if value is not None else None


def aml_hmac(key: bytes, body_without_mac: bytes) -> str:
    return hmac.new(key, body_without_mac, hashlib.sha1).hexdigest()


def verify_hmac(key: bytes, body: bytes) -> bytes | None:
    """The body to parse (without the MAC) when its ``hmac`` is right, else None."""
    signed, sent = hmac_input(body)
    if sent is None:
        return None
    return signed if hmac.compare_digest(aml_hmac(key, signed), sent.strip().lower()) else None


def _refused(status: int, code: str, message: str, reasons: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if reasons is not None:
        body["reasons"] = reasons
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _malformed(channel: str, exc: ValueError) -> JSONResponse:
    code = str(getattr(exc, "code", None) or "malformed")
    log.info("AML %s refused: %s", channel, code)  # the code only: the text may carry a number or a position
    log.debug("AML %s refused: %s", channel, exc)
    return _refused(400, "malformed_aml", "not a well-formed AML message / pesan AML tidak valid", [code])


def aml_router(locations: LocationService, web: WebAuth, options: AmlOptions) -> APIRouter:
    router = APIRouter(tags=["aml"])
    key = options.hmac_key.encode()
    sms_token = options.sms_token
    parse_https, parse_sms = options.parse_https, options.parse_sms

    @router.post("/api/aml", responses={400: {}, 403: {}, 413: {}})
    async def aml_https(request: Request) -> Response:
        """An ELS/AML HTTPS POST (``application/x-www-form-urlencoded``)."""
        body = await read_capped(request, MAX_HTTPS_BODY)
        if body is None:
            return _refused(413, "too_large", f"at most {MAX_HTTPS_BODY} bytes")
        if key:
            signed = verify_hmac(key, body)
            if signed is None:
                log.warning("AML https refused: missing or wrong hmac")
                return _refused(403, "bad_hmac", "missing or wrong hmac")
            body = signed
        received = datetime.now(UTC)
        try:
            message = parse_https(body, received)
        except ValueError as exc:
            return _malformed("https", exc)
        ticket = await locations.receive_aml(message, channel="https", received_at=received,
                                             caller_number=message.device_number)
        return JSONResponse({"status": "matched" if ticket is not None else "kept"})

    @router.post("/api/aml/sms", responses={400: {}, 403: {}, 413: {}})
    async def aml_sms(request: Request) -> Response:
        """An AML SMS (v1 or v2) as the SMS gateway received it: form or JSON ``{from, text}``."""
        if not sms_token:
            return _refused(403, "closed", "the AML SMS intake is not configured ([location] aml_sms_token)")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), sms_token.encode()):
            log.warning("AML sms refused: missing or wrong bearer token")
            return _refused(403, "bad_token", "missing or wrong bearer token")
        body = await read_capped(request, MAX_SMS_BODY)
        if body is None:
            return _refused(413, "too_large", f"at most {MAX_SMS_BODY} bytes")
        fields = _sms_fields(request.headers.get("content-type", ""), body)
        sender, text = fields.get("from"), fields.get("text")
        if not isinstance(sender, str) or not isinstance(text, str) or not sender.strip() or not text:
            log.info("AML sms refused: missing_field")
            return _refused(400, "malformed_aml", "send the fields from and text", ["missing_field"])
        received = datetime.now(UTC)
        try:
            message = parse_sms(text, received)
        except ValueError as exc:
            return _malformed("sms", exc)
        ticket = await locations.receive_aml(message, channel="sms", received_at=received, caller_number=sender[:64])
        return JSONResponse({"status": "matched" if ticket is not None else "kept"})

    @router.get("/api/aml/unmatched", dependencies=[Depends(require(Permission.VIEW_WALLBOARD))])
    async def unmatched() -> list[dict[str, Any]]:
        """AML messages no call took (yet), newest first: a supervisor may call the number back."""
        return [{"id": a.id, "channel": a.channel, "received_at": a.received_at.isoformat(),
                 "caller_number": a.caller_number_e164 or a.caller_number_raw, "location": location_json(a.location),
                 "notes": list(a.notes)} for a in await locations.unmatched_aml()]

    @router.get("/aml", response_class=HTMLResponse, include_in_schema=False)
    async def unmatched_page(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_WALLBOARD):
            return error_page(web, request, tr, 403)
        return _page(web, request, "aml_unmatched.html", tr, messages=await locations.unmatched_aml(),
                     tz=web.i18n.tz)

    return router


def _sms_fields(content_type: str, body: bytes) -> dict[str, Any]:
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    if kind == "application/json":
        try:
            found = json.loads(text)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))
