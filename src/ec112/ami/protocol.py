"""AMI wire layer: panoramisk's ``AMIProtocol``/``Action``/``Message`` with a byte-safe reader.

Why subclass instead of using panoramisk as shipped (1.4, the only release ec112 can depend on):

* ``AMIProtocol.data_received`` decodes every TCP chunk on its own, as ASCII with ``errors="ignore"``.
  Every non-ASCII character (an Indonesian caller name, a queue member name) is silently dropped, and
  a UTF-8 character split across two reads would be lost even with UTF-8. Here each connection owns
  one *incremental* UTF-8 decoder (``errors="replace"``), so chunk boundaries cannot lose or corrupt
  data. The banner is read as the first line even when it arrives split, and an incomplete message is
  bounded so a broken peer cannot grow memory without limit.
* ``Action.multi`` guesses from the reply text whether more messages will follow; the guess hangs
  ``QueueAdd`` ("Added interface to queue") for ever. ``AmiAction`` is told instead: ``as_list`` is
  always given, a list ends on ``EventList: Complete`` (or an event named ``...Complete``), and a
  list action answered with an error ends at once.
* Headers are parsed here too: panoramisk's ``Message.from_line`` strips the whole message, so a last
  header with an empty value vanishes, and it folds the last header of ``Response: Fail`` into a body.
* Late replies to an action we already gave up on (timeout) are dropped, never delivered as events.

The lifecycle (connect, login, ping, reconnect) is not here: see ``session.py`` and ``client.py``.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from typing import Any, Protocol

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

AmiEvent = dict[str, str]

BANNER_PREFIX = "Asterisk Call Manager/"
END_OF_MESSAGE = "\r\n\r\n"
MAX_BANNER_CHARS = 256
# An incomplete message larger than this means a broken peer, not a big event (events are < 4 KiB).
MAX_MESSAGE_CHARS = 1024 * 1024
_LIST_RESPONSES_OK = frozenset({"success", "follows"})

log = logging.getLogger(__name__)
# Events that carry the ActionID of an action answered long before: the result of an Async Originate (a callback
# whose taker's phone did not answer). They are events for the stream, not late replies.
_LATER_RESULTS = frozenset({"OriginateResponse"})


class AmiMessage(Message):  # type: ignore[misc]  # panoramisk ships no type hints
    """A panoramisk ``Message`` that also keeps its headers as a plain, ordered ``dict``.

    ``Message`` stores an extra ``content`` key and is case-insensitive; ``fields`` is what leaves
    the adapter. A header sent several times (``ChanVariable``, ``Output``) is joined with ``\\n``.
    """

    def __init__(self, fields: AmiEvent) -> None:
        super().__init__(fields)
        self.fields: AmiEvent = fields


def parse_message(block: str) -> AmiMessage | None:
    """One AMI message (the text between two blank lines), or None when it has no Event/Response."""
    fields: AmiEvent = {}
    for raw_line in block.split("\n"):  # not splitlines(): U+2028 inside a value is not a line break
        line = raw_line.rstrip("\r")
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not key:
            continue  # blank line or a stray body line: AMI >= 2.0 has no message bodies
        value = value[1:] if value.startswith(" ") else value
        fields[key] = f"{fields[key]}\n{value}" if key in fields else value
    message = AmiMessage(fields)
    if "event" in message or "response" in message:
        return message
    return None


def is_list_end(message: AmiMessage) -> bool:
    if message.get("EventList", "").lower() == "complete":
        return True
    return "event" in message and str(message["event"]).endswith("Complete")


class AmiAction(Action):  # type: ignore[misc]
    """An action whose shape (one response, or a list of events) is declared by the caller.

    The future resolves to the response ``AmiMessage`` (single) or to the list
    ``[response, event..., complete]``; a list action answered with an error resolves to ``[response]``.
    """

    def add_message(self, message: AmiMessage) -> bool:
        """Record one reply; True when the action is complete (panoramisk then forgets it)."""
        self.responses.append(message)
        if self.future.done():  # the caller gave up (timeout/cancel); just let it be forgotten
            return True
        if not self.as_list:
            self.future.set_result(message)
            return True
        first: AmiMessage = self.responses[0]
        failed = str(first.get("Response", "")).lower() not in _LIST_RESPONSES_OK
        if (len(self.responses) == 1 and failed) or (len(self.responses) > 1 and is_list_end(message)):
            self.future.set_result(list(self.responses))
            return True
        return False


class AmiFactory(Protocol):
    """What ``AmiProtocol`` needs from its owner (panoramisk calls it the ``factory``)."""

    save_stream: None
    forgetable_actions: Any
    awaiting_actions: Any

    def dispatch(self, message: AmiMessage) -> None: ...

    def connection_lost(self, exc: object) -> None: ...

    def banner_received(self, version: str) -> None: ...

    def abort(self, reason: str) -> None: ...


class AmiProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol with an incremental decoder, a bounded buffer and strict action matching."""

    def __init__(self, owner: AmiFactory, action_id_prefix: str) -> None:
        super().__init__()
        self._owner = owner
        self._action_id_prefix = action_id_prefix
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # Set here, not after create_connection() returns: data may arrive before our coroutine resumes.
        self.factory = self._owner
        self.encoding = "utf-8"  # AMIProtocol.send encodes with it (default: ascii)

    def data_received(self, data: bytes) -> None:
        scan_from = max(0, len(self._buffer) - len(END_OF_MESSAGE) + 1)
        self._buffer += self._decoder.decode(data)
        if self.version is None:
            if not self._read_banner():
                return
            scan_from = 0
        if END_OF_MESSAGE not in self._buffer[scan_from:]:
            if len(self._buffer) > MAX_MESSAGE_CHARS:
                self._owner.abort(f"AMI message larger than {MAX_MESSAGE_CHARS} characters")
            return
        *blocks, self._buffer = self._buffer.split(END_OF_MESSAGE)
        for block in blocks:
            if self.transport.is_closing():
                return  # aborted by a previous message (Shutdown); nothing after it counts
            message = parse_message(block)
            if message is not None:
                self.handle_message(message)

    def _read_banner(self) -> bool:
        line, newline, rest = self._buffer.partition("\n")
        if not newline:
            if len(self._buffer) > MAX_BANNER_CHARS:
                self._owner.abort("no AMI banner: is this an Asterisk manager port?")
            return False
        line = line.rstrip("\r")
        if not line.startswith(BANNER_PREFIX):
            self._owner.abort(f"not an AMI banner: {line[:80]!r}")
            return False
        self.version = line[len(BANNER_PREFIX) :].strip()
        self._buffer = rest
        self._owner.banner_received(self.version)
        return True

    def handle_message(self, message: AmiMessage) -> None:
        action = self.responses.get(message.id)
        if action is None and message.action_id:
            action = self.responses.get(message.action_id)
        if action is not None:
            if action.add_message(message):
                self.responses.pop(action.id, None)
                self.responses.pop(action.action_id, None)
            return
        if (message.action_id or "").startswith(self._action_id_prefix) and \
                str(message.get("Event", "")) not in _LATER_RESULTS:
            log.debug("dropping a late AMI reply to an action that was given up")
            return
        if "event" not in message:
            log.debug("dropping an AMI response that matches no action")
            return
        self._owner.dispatch(message)
        if str(message["event"]).lower() == "shutdown":
            self._owner.abort("Asterisk is shutting down")
