"""Settings of the caller's side (issue 13): prompts, silent calls, callbacks, junk calls, known incidents, text.

Sections of ``Settings`` (``[prompts]``, ``[silent]``, ``[callbacks]``, ``[junk]``, ``[incidents]``, ``[text]``);
each feature's service gets its own section, nothing else. docs/caller-handling.md describes them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class PromptSettings(BaseModel):
    # Where ec112 writes prompts it renders itself (a known incident's own text, espeak-ng); None: shipped only.
    render_dir: Path | None = None
    # The same directory as Asterisk sees it (Asterisk in a chroot or a container); None: ``render_dir`` itself.
    render_dir_in_asterisk: str | None = None
    espeak_binary: str = "espeak-ng"
    sox_binary: str = "sox"
    render_timeout_seconds: float = Field(10.0, gt=0)


class SilentCallSettings(BaseModel):
    confirm_digits: str = Field("55", pattern=r"^[0-9*#]{1,4}$")  # what the prompt asks the caller to press
    answer_window_seconds: int = Field(30, ge=5, le=300)  # after the prompt: no keypress → "silent, no keypress"


class CallbackSettings(BaseModel):
    # A task not called back by then escalates to the supervisor. As low as 5 s only for tests and drills: a real
    # room wants minutes (EENA: call back within 2 minutes).
    deadline_seconds: int = Field(120, ge=5, le=3600)
    trunk_endpoint: str = Field("trunk", pattern=r"^[A-Za-z0-9_-]{1,40}$")  # the PJSIP endpoint towards citizens
    ring_taker_seconds: int = Field(20, ge=5, le=120)
    ring_citizen_seconds: int = Field(45, ge=10, le=180)
    escalation_check_seconds: float = Field(1.0, gt=0, le=30)  # how often the deadlines are checked


class JunkCallSettings(BaseModel):
    history_days: int = Field(30, ge=1, le=365)  # the repeat score looks this far back
    max_measure_hours: int = Field(24 * 7, ge=1, le=24 * 30)  # every measure expires; the longest one allowed
    wave_window_seconds: int = Field(300, ge=60, le=3600)  # a pocket-dial wave: many numbers, same pattern, within
    wave_min_numbers: int = Field(5, ge=2, le=1000)


class IncidentSettings(BaseModel):
    max_hours: int = Field(24, ge=1, le=24 * 7)  # a known incident always ends; the longest one allowed


class TextSettings(BaseModel):
    conversation_idle_minutes: int = Field(30, ge=1, le=24 * 60)  # a later message joins the open conversation
    # Asterisk's spool directory (asterisk.conf astspooldir, as this host sees it): the dialplan appends the
    # messages ec112 could not take to ec112-text.spool there; ec112 reads them back at start and every
    # spool_poll_seconds (it renames the file, so it needs write access to the directory). None: no read-back.
    spool_dir: Path | None = None
    spool_poll_seconds: float = Field(5.0, ge=0.5, le=300)
    trunk_endpoint: str = Field("trunk", pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # pjsip.conf: answers go out through it
    reply_from: str = Field("sip:112@ec112", pattern=r"^sips?:[^\s<>\"]{1,120}$")  # the From of call takers' answers
