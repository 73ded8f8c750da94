"""Text to 112 end to end: a pjsua2 citizen's SIP MESSAGE through the real Asterisk trunk to the real `ec112 serve`.

One Asterisk per test. First ec112 is down: the message is spooled by the dialplan and the citizen gets the
automatic reply; ec112 started later opens the ticket from the spool. Then, with ec112 up, a second message of
the same number joins that conversation, the call taker's answer (JSON API → AMI MessageSend) reaches the
citizen's phone, and the whole conversation is on the ticket's timeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

pytestmark = pytest.mark.integration
NUMBER = "081298765432"


def _bodies(phone: Softphone) -> list[str]:
    return [m["body"] for m in phone.messages()]


def _wait_body(phone: Softphone, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [b for b in _bodies(phone) if predicate(b)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no matching MESSAGE reached the citizen's phone: {phone.messages()}")


def _post(ec112: Ec112Daemon, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{ec112.base_url}{path}", json=body, headers=ec112.auth_headers(), timeout=10)


@pytest.mark.ec112_not_started
def test_text_to_112_spooled_while_down_then_a_conversation_with_the_call_taker(
    asterisk: Lab, ec112: Ec112Daemon
) -> None:
    citizen = Softphone.citizen(asterisk, number=NUMBER)  # pjsua2 on the trunk
    try:
        # ec112 is down: Asterisk still takes the message, spools it and answers the citizen by itself.
        assert citizen.send_message("112", "Tolong, rumah saya kebakaran di Jl. Merdeka 5") == 202
        auto = _wait_body(citizen, lambda b: "112" in b)
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
        seen = len(citizen.messages())
        assert citizen.send_message("112", "Saya tuli, tidak bisa menelepon") == 202
        ec112.wait_for(f"/api/tickets/{ref}/messages", lambda b: len(b["messages"]) == 2)
        assert len(ec112.get("/api/texts")["conversations"]) == 1

        # The call taker answers: Asterisk sends it through the trunk to the citizen's phone.
        answer = _post(ec112, f"/api/tickets/{ref}/messages", {"body": "Damkar sedang menuju. Tetap aman. 🚒"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "sent"
        assert _wait_body(citizen, lambda b: "Damkar" in b) == "Damkar sedang menuju. Tetap aman. 🚒"
        assert len(citizen.messages()) == seen + 1  # the automatic reply only while ec112 was down

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
