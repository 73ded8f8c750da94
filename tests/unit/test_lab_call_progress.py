"""`ec112 lab call`'s progress lines: each step once, Bahasa Indonesia first, the waiting reason (pure)."""

from __future__ import annotations

from ec112.cli.call_progress import CallProgress, waiting_reason

TICKET = {"number": "112-261203-00001", "caller_number": "+6281234567890", "answered_by": None}


def test_a_call_from_placed_to_ended_shows_every_step_once() -> None:
    progress = CallProgress("http://127.0.0.1:8112")
    lines = progress.on_sipp("placed 1-123@127.0.0.1\n") + progress.on_sipp("answered\n")
    lines += progress.on_ticket(TICKET) + progress.on_ticket(TICKET)  # seen twice: said once
    lines += progress.on_agents([]) + progress.on_agents([])
    lines += progress.on_agents([{"endpoint": "taker01", "state": "available"}])
    lines += progress.on_ticket({**TICKET, "answered_by": "taker01"})
    lines += progress.on_agents([{"endpoint": "taker01", "state": "on_call"}])  # answered: no more waiting lines
    lines += progress.on_sipp("ended\n") + progress.on_exit(0, 300)
    assert lines == [
        "→ dikirim / placed: 112 dari / from +6281234567890 (SIPp, trunk)",
        "→ dijawab Asterisk / answered by Asterisk",
        "→ tiket / ticket 112-261203-00001 dibuka / opened",
        "→ menunggu / waiting: belum ada petugas masuk, jalankan `ec112 agent login taker01` / no call taker "
        "logged in, run `ec112 agent login taker01`",
        "→ menunggu / waiting: berdering di / ringing taker01",
        "→ dijawab oleh / answered by taker01",
        "→ selesai / ended: taker01 menutup / hung up",
    ]


def test_waiting_names_why_nobody_answers() -> None:
    assert "no call taker logged in, run `ec112 agent login taker01`" in waiting_reason([])
    reason = waiting_reason([{"endpoint": "taker01", "state": "paused"},
                             {"endpoint": "taker02", "state": "unreachable"}])
    assert reason == ("tidak ada petugas siap / no call taker available (taker01: dijeda / paused, "
                      "taker02: telepon tak terjangkau / phone unreachable)")


def test_an_api_that_does_not_answer_is_said_once_and_sipp_goes_on() -> None:
    progress = CallProgress("http://127.0.0.1:8112")
    progress.on_sipp("placed x")
    progress.on_sipp("answered")
    first = progress.on_api_error("ConnectError")
    assert len(first) == 1
    assert "API ec112 http://127.0.0.1:8112 tidak menjawab / does not answer (ConnectError)" in first[0]
    assert progress.on_api_error("ConnectError") == []
    assert progress.on_sipp("ended") == ["→ selesai / ended: Asterisk menutup / hung up"]
    progress.on_api_ok()
    assert len(progress.on_api_error("ReadTimeout")) == 1  # down again after it answered: said again


def test_sipp_failures_say_what_went_wrong() -> None:
    unanswered = CallProgress("u")
    unanswered.on_sipp("placed x")
    assert unanswered.on_exit(1, 300) == [
        "✗ gagal / failed: Asterisk tidak menjawab / did not answer (SIPp exit 1)"]
    waited = CallProgress("u")
    waited.on_sipp("placed x")
    waited.on_sipp("answered")
    assert waited.on_exit(1, 300) == [
        "✗ tidak dijawab petugas dalam / no call taker answered within 300 s: SIPp menutup / hung up (exit 1)"]
