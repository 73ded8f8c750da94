"""Text to 112, the pure rules: the dialplan's spool line, the sender's number, the 1 KB limit, conversations."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.errors import InvalidRequest
from ec112.domain.text_messages import (
    MAX_BODY_BYTES,
    check_reply,
    conversation_open,
    parse_spool_line,
    reply_destination,
    sender_of,
)
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def line(body: str = "Tolong | ada banjir", *, key: str = "1796190105-384743524",
         source: str = "127.0.0.1:5070", sender: str = '"Budi" <sip:081234567890@127.0.0.1>') -> str:
    return f"v1|{key}|1796190105|{source}|{b64(sender)}|{b64(body)}"


def test_a_spool_line_as_the_dialplan_writes_it() -> None:
    message = parse_spool_line(line() + "\n")
    assert message.key == "1796190105-384743524"
    assert message.received_at == datetime.fromtimestamp(1796190105, UTC)
    assert message.source == "127.0.0.1:5070"
    assert message.sender == "081234567890"
    assert message.body == "Tolong | ada banjir"  # a "|" in the body is safe: it travels as BASE64


@pytest.mark.parametrize("bad", [
    "", "v2|k|1|127.0.0.1:5070|eA==|eA==", "v1|k|1|127.0.0.1:5070|eA==", "v1|k|x|127.0.0.1:5070|eA==|eA==",
    "v1||1|127.0.0.1:5070|eA==|eA==", "v1|k k|1|127.0.0.1:5070|eA==|eA==", "v1|k|1|nowhere|eA==|eA==",
    "v1|k|1|127.0.0.1:5070|eA==|not base64!", "v1|k|1|127.0.0.1:5070|eA==|" + b64("   "),
])
def test_a_malformed_spool_line_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\w") as caught:
        parse_spool_line(bad)
    assert "banjir" not in str(caught.value)


@pytest.mark.parametrize(("header", "number"), [
    ("<sip:+6281234567890@carrier.example>", "+6281234567890"),
    ('"Siti" <sip:0812345@127.0.0.1:5070>;tag=x', "0812345"),
    ("sips:112233@host", "112233"),
    ("<sip:anonymous@anonymous.invalid>", None),
    ("garbage", None),
])
def test_the_senders_number_is_the_from_user_when_it_is_a_number(header: str, number: str | None) -> None:
    assert sender_of(header) == number


def test_an_answer_is_at_most_1024_bytes_of_utf8() -> None:
    assert check_reply("  a" * 1 + " ") == "a"
    assert check_reply("x" * MAX_BODY_BYTES) == "x" * MAX_BODY_BYTES
    with pytest.raises(InvalidRequest, match="1025 bytes"):
        check_reply("x" * (MAX_BODY_BYTES + 1))
    with pytest.raises(InvalidRequest, match="1026 bytes"):  # 513 characters, 2 bytes each
        check_reply("é" * 513)
    with pytest.raises(InvalidRequest, match="empty"):
        check_reply("   ")


def test_answers_go_back_through_the_trunk_to_where_the_message_came_from() -> None:
    assert reply_destination("trunk", "0812345", "10.0.0.5:5060") == "pjsip:trunk/sip:0812345@10.0.0.5:5060"
    with pytest.raises(InvalidRequest):
        reply_destination("trunk", "unknown", "10.0.0.5:5060")


def _ticket(status: TicketStatus = TicketStatus.NEW) -> Ticket:
    return Ticket(id=1, linkedid="text-k", uniqueid="k", channel="", caller_number_raw="0812",
                  caller_number_e164="+62812", caller_name=None, location=None, intake=IntakeChannel.TEXT,
                  status=status, arrived_at=T0)


def test_a_conversation_stays_open_until_idle_or_settled() -> None:
    idle = timedelta(minutes=30)
    assert conversation_open(_ticket(), T0, T0 + idle, idle)
    assert not conversation_open(_ticket(), T0, T0 + idle + timedelta(seconds=1), idle)
    assert conversation_open(_ticket(TicketStatus.CLASSIFIED), T0, T0, idle)
    assert not conversation_open(_ticket(TicketStatus.CLOSED), T0, T0, idle)
