"""Text to 112: SIP MESSAGE conversations of deaf and hard-of-hearing citizens, kept on tickets (pure).

A message to 112 opens a ticket like a call (``IntakeChannel.TEXT``, a synthetic ``text-<key>`` Linkedid, since
there is no channel); later messages of the same number join that ticket while its conversation is open (the last
message is younger than the idle limit and the ticket is not settled). Each message, in and out, is also a
timeline event (``text.in`` / ``text.out``). Bodies are personal data: they never go to logs at INFO.

The dialplan hands a message over as BASE64 (From and body), with the address it came from and a key it made
(``${EPOCH}-${RAND()}``) that is the message's identity: the FastAGI route and the spool read-back may both see
the same message, and storing it twice is a no-op.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ec112.domain.errors import InvalidRequest
from ec112.domain.events import DomainEvent
from ec112.domain.tickets import Ticket, TicketStatus

# res_pjsip_messaging (16 and 22) copies an out-of-call body into a 1024-byte buffer, text/plain only.
MAX_BODY_BYTES = 1024
SPOOL_VERSION = "v1"
TEXT_IN = "text.in"  # timeline kinds (docs/caller-handling.md)
TEXT_OUT = "text.out"
LINKEDID_PREFIX = "text-"

_KEY = re.compile(r"[0-9A-Za-z._-]{1,40}")
_ADDR = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):[0-9]{1,5}")
_USER = re.compile(r"sips?:([^@;>\s]+)@", re.IGNORECASE)
_NUMBER = re.compile(r"\+?[0-9]{2,20}")
_SETTLED = {TicketStatus.CLOSED, TicketStatus.CANCELLED, TicketStatus.RESOLVED}


class TextDirection(StrEnum):
    IN = "in"  # from the citizen
    OUT = "out"  # from a call taker


class TextStatus(StrEnum):
    RECEIVED = "received"
    SENDING = "sending"
    SENT = "sent"  # Asterisk took it (MessageSend Success); the citizen's phone may still not get it
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class IncomingText:
    """A message to 112 as the dialplan handed it over (FastAGI read or a spool line)."""

    key: str
    received_at: datetime
    source: str  # host:port the MESSAGE came from (the carrier; the citizen's phone in the lab)
    sender: str | None  # the From user part: the citizen's number as the network gave it
    body: str


@dataclass(frozen=True, slots=True)
class TextMessage:
    id: int
    ticket_id: int
    key: str
    direction: TextDirection
    at: datetime
    author: str  # the citizen's number (in) or the call taker's user name (out)
    body: str
    status: TextStatus
    source: str | None = None  # in: where it came from, hence where answers go
    error: str | None = None  # out: why it failed


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessageAdded(DomainEvent):
    """A message in or out on a ticket's conversation, or the delivery status of one changed (SSE ``text``)."""

    ticket: Ticket
    message: TextMessage
    opened: bool = False  # this message opened the ticket


def linkedid_for(key: str) -> str:
    return LINKEDID_PREFIX + key


def sender_of(from_header: str) -> str | None:
    """The user part of a From header / URI when it looks like a phone number (``+62…`` or digits)."""
    match = _USER.search(from_header)
    user = match.group(1) if match else None
    return user if user and _NUMBER.fullmatch(user) else None


def decode_field(value: str, name: str) -> str:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not BASE64") from None
    return raw.decode("utf-8", errors="replace")


def incoming(key: str, source: str, from_b64: str, body_b64: str, received_at: datetime) -> IncomingText:
    """The dialplan's fields → a message; ValueError (naming the field, never its content) when one is unusable."""
    if not _KEY.fullmatch(key):
        raise ValueError("key missing or malformed")
    if not _ADDR.fullmatch(source):
        raise ValueError("source address missing or malformed")
    body = decode_field(body_b64, "body")
    if not body.strip():
        raise ValueError("empty body")
    return IncomingText(key, received_at, source, sender_of(decode_field(from_b64, "from")), body)


def parse_spool_line(line: str) -> IncomingText:
    """``v1|key|epoch|host:port|BASE64(from)|BASE64(body)`` (extensions.conf, ec112-text); ValueError otherwise."""
    parts = line.strip().split("|")
    if len(parts) != 6 or parts[0] != SPOOL_VERSION:
        raise ValueError(f"not a {SPOOL_VERSION} spool line of 6 fields")
    _version, key, epoch, source, from_b64, body_b64 = parts
    if not epoch.isascii() or not epoch.isdigit():
        raise ValueError("epoch is not a number")
    received_at = datetime.fromtimestamp(int(epoch), UTC)
    return incoming(key, source, from_b64, body_b64, received_at)


def check_reply(body: str) -> str:
    """A call taker's answer, trimmed; InvalidRequest when empty or over the 1 KB text/plain limit (UTF-8)."""
    text = body.strip()
    if not text:
        raise InvalidRequest("the message is empty / pesan kosong")
    size = len(text.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise InvalidRequest(f"the message is {size} bytes; at most {MAX_BODY_BYTES} bytes (UTF-8) can be sent "
                             f"/ pesan {size} byte, maksimal {MAX_BODY_BYTES} byte")
    return text


def reply_destination(trunk: str, number: str, source: str) -> str:
    """MessageSend's destination: the citizen's number at the address the message came from, via the trunk."""
    if not _NUMBER.fullmatch(number) or not _ADDR.fullmatch(source):
        raise InvalidRequest("no address to answer this conversation / alamat balasan tidak ada")
    return f"pjsip:{trunk}/sip:{number}@{source}"


def conversation_open(ticket: Ticket, last_message_at: datetime, now: datetime, idle: timedelta) -> bool:
    """Whether a new message of the same number joins this ticket rather than opening a new one."""
    return ticket.status not in _SETTLED and now - last_message_at <= idle
