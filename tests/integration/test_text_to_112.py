"""Text to 112 end to end: a citizen's SIP MESSAGE through the real Asterisk trunk to the real `ec112 serve`.

One Asterisk per test. First ec112 is down: the message is spooled by the dialplan and the citizen gets the
automatic reply; ec112 started later opens the ticket from the spool. Then, with ec112 up, a second message of
the same number joins that conversation, the call taker's answer (JSON API → AMI MessageSend) reaches the
citizen's phone, and the whole conversation is on the ticket's timeline.
"""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import httpx
import pytest
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab

pytestmark = pytest.mark.integration
NUMBER = "081298765432"


class TextCitizen:
    """A citizen's phone on the trunk, reduced to SIP MESSAGE over UDP (sends, answers 200, keeps what it got)."""

    def __init__(self, lab: Lab, number: str) -> None:
        self._lab = lab
        self.number = number
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.received: list[str] = []  # bodies of MESSAGEs that reached this phone

    def close(self) -> None:
        self._sock.close()

    def send(self, body: str, timeout: float = 5.0) -> int:
        """Send a MESSAGE to 112; the final response code."""
        data = body.encode()
        branch = f"z9hG4bK{uuid.uuid4().hex}"
        request = (f"MESSAGE sip:112@127.0.0.1:{self._lab.sip_port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch}\r\n"
                   f"From: <sip:{self.number}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
                   f"To: <sip:112@127.0.0.1>\r\nCall-ID: {uuid.uuid4().hex}@citizen\r\nCSeq: 1 MESSAGE\r\n"
                   f"Max-Forwards: 70\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode() + data
        self._sock.sendto(request, ("127.0.0.1", self._lab.sip_port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in self._read():
                if text.startswith("SIP/2.0 ") and branch in text:
                    return int(text.split()[1])
        raise AssertionError("no final response to the MESSAGE")

    def wait_message(self, predicate: Any, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [b for b in self.received if predicate(b)]
            if found:
                return found[0]
            self._read()
        raise AssertionError(f"no matching MESSAGE reached the citizen: {self.received}")

    def _read(self) -> list[str]:
        try:
            packet, _addr = self._sock.recvfrom(65535)
        except TimeoutError:
            return []
        text = packet.decode("utf-8", errors="replace")
        if text.startswith("MESSAGE "):
            head, _, body = text.partition("\r\n\r\n")
            self.received.append(body)
            keep = [line for line in head.split("\r\n")[1:]
                    if line.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
            answer = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
            self._sock.sendto(answer.encode(), ("127.0.0.1", self._lab.sip_port))
        return [text]


def _post(ec112: Ec112Daemon, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{ec112.base_url}{path}", json=body, headers=ec112.auth_headers(), timeout=10)


@pytest.mark.ec112_not_started
def test_text_to_112_spooled_while_down_then_a_conversation_with_the_call_taker(
    asterisk: Lab, ec112: Ec112Daemon
) -> None:
    citizen = TextCitizen(asterisk, NUMBER)
    try:
        # ec112 is down: Asterisk still takes the message, spools it and answers the citizen by itself.
        assert citizen.send("Tolong, rumah saya kebakaran di Jl. Merdeka 5") == 202
        auto = citizen.wait_message(lambda b: "112" in b)
        assert "Pesan Anda diterima" in auto
        assert "Your message was received" in auto
        assert (asterisk.config.directory / "spool" / "ec112-text.spool").exists()

        # ec112 starts: the spooled message opens a text ticket.
        ec112.start()
        [conversation] = ec112.wait_for("/api/texts", lambda b: len(b["conversations"]) == 1)["conversations"]
        ref = conversation["ticket"]
        ticket = ec112.get(f"/api/tickets/{ref}")
        assert ticket["intake"] == "text"
        assert ticket["caller_number"] == "+6281298765432"
        first = ec112.get(f"/api/tickets/{ref}/messages")["messages"]
        assert [(m["direction"], m["body"]) for m in first] == [("in", "Tolong, rumah saya kebakaran di Jl. Merdeka 5")]
        assert not (asterisk.config.directory / "spool" / "ec112-text.spool").exists()

        # With ec112 up, the same number's next message joins the conversation (no automatic reply this time).
        seen = len(citizen.received)
        assert citizen.send("Saya tuli, tidak bisa menelepon") == 202
        ec112.wait_for(f"/api/tickets/{ref}/messages", lambda b: len(b["messages"]) == 2)
        assert len(ec112.get("/api/texts")["conversations"]) == 1

        # The call taker answers: Asterisk sends it through the trunk to the citizen's phone.
        answer = _post(ec112, f"/api/tickets/{ref}/messages", {"body": "Damkar sedang menuju. Tetap aman. 🚒"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "sent"
        assert citizen.wait_message(lambda b: "Damkar sedang menuju" in b) == "Damkar sedang menuju. Tetap aman. 🚒"
        assert len(citizen.received) == seen + 1

        # Too long for Asterisk's 1 KB buffer: refused with a clear error, nothing sent.
        refused = _post(ec112, f"/api/tickets/{ref}/messages", {"body": "é" * 513})
        assert refused.status_code == 422
        assert "1026 bytes" in refused.json()["message"]

        timeline = ec112.get(f"/api/tickets/{ref}/timeline")
        texts = [(e["kind"], e["data"]["body"]) for e in timeline if e["kind"].startswith("text.")]
        assert texts == [("text.in", "Tolong, rumah saya kebakaran di Jl. Merdeka 5"),
                         ("text.in", "Saya tuli, tidak bisa menelepon"),
                         ("text.out", "Damkar sedang menuju. Tetap aman. 🚒")]
        assert ec112.get(f"/api/tickets/{ref}")["answered_by"] == "cli"
        # The bodies are personal data: not in ec112's log (DEBUG included, in this lab).
        assert "kebakaran" not in ec112.log_tail(10**7)
    finally:
        citizen.close()
