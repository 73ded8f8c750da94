"""Settings of the caller's side: where the caller is (issue 12); prompts, silent calls, callbacks, junk calls,
known incidents, text (issue 13).

Sections of ``Settings`` (``[location]``, ``[prompts]``, ``[silent]``, ``[callbacks]``, ``[junk]``, ``[incidents]``,
``[text]``);
each feature's service gets its own section, nothing else. docs/caller-handling.md describes them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


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


class LocationSettings(BaseModel):
    """Where the caller is (issue 12): boundaries, AML intake, PIDF-LO by reference."""

    # A GeoJSON FeatureCollection of the regency's kabupaten/kecamatan/desa and its neighbours (format:
    # docs/location.md). Empty: the packaged Penajam Paser Utara boundaries (cahyadsn/wilayah_boundaries, MIT).
    boundaries_file: Path | None = None
    regency_code: str = "64.09"  # the Kemendagri code of this centre's kabupaten/kota (64.09 = PPU)
    # Extra named places for the gazetteer (landmarks): a TOML file, format in docs/location.md. Empty: none.
    landmarks_file: Path | None = None
    # AML over HTTPS (Android ELS): the shared HMAC-SHA1 key; empty = messages are taken without a MAC check.
    aml_hmac_key: SecretStr = SecretStr("")
    # AML over SMS: the bearer token the SMS gateway presents; empty = the SMS intake is closed (403).
    aml_sms_token: SecretStr = SecretStr("")
    # An AML attaches to the call of the same number that started at most this long before it arrived (and a
    # call arriving this long after an unmatched AML picks it up).
    aml_match_window_seconds: int = Field(default=600, ge=30, le=3600)
    # PIDF-LO by reference: one GET, bounded in time and size; the intake never waits for it.
    reference_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    reference_max_bytes: int = Field(default=65536, ge=1024, le=1048576)
