"""The one contract between ec112 and its dialplan (asterisk-conf/extensions.conf, pjsip.conf) (pure).

Every name both sides must spell the same lives here once: the contexts a 112 call passes through, the
FastAGI routes the dialplan calls, the channel variables ec112 sets or reads, and the doctor's UserEvent.
Python code imports these constants; the templates in asterisk-conf/ stay plain Asterisk syntax that a
telephony admin can read, and a unit test (tests/unit/test_dialplan_contract.py) checks that the rendered
extensions.conf really contains every name below, so the two cannot drift apart silently.

    ec112-from-trunk (pjsip.conf trunk endpoint) → ec112-emergency: AGI(agi://host:port/intake) sets EC112_TICKET;
        without it EC112_FALLBACK=1 and the call is queued anyway (fail open)
    ec112-doctor: AGI(agi://host:port/ping) sets EC112_PONG; UserEvent(EC112Doctor, Probe/AgiStatus/Pong)
    ec112-emergency, after the intake: Playback(EC112_ANNOUNCE) when ec112 set it, QUEUE_PRIO from EC112_PRIORITY
        (else NORMAL_PRIORITY), then Queue() with the music class WAITING_MUSIC_CLASS (the "stay on the line"
        prompt plays while the takers ring: it never delays a free one)
    ec112-silent, ec112-callback, ec112-text: locked contexts for AMI Originates / SIP MESSAGE (issue 13;
        docs/caller-handling.md)
"""

from __future__ import annotations

from typing import Final

# --- contexts -------------------------------------------------------------------------------------------
TRUNK_CONTEXT: Final = "ec112-from-trunk"  # pjsip.conf: the carrier trunk's context; 112 → EMERGENCY_CONTEXT
EMERGENCY_CONTEXT: Final = "ec112-emergency"  # the 112 entry: AGI intake, then Queue() (fails open)
DOCTOR_CONTEXT: Final = "ec112-doctor"  # `ec112 doctor`'s probe: AGI ping, then a UserEvent; never queued
# Where a citizen's call lives before it reaches the queue (the live view counts it as "intake"). The channel
# starts in ec112-from-trunk and jumps to ec112-emergency by Goto (no Newexten: ec112 does not read the dialplan
# event class), so Newchannel shows the trunk's context.
CALL_CONTEXTS: Final = (TRUNK_CONTEXT, EMERGENCY_CONTEXT)

# --- FastAGI routes: the path of agi://host:port/<route> -------------------------------------------------
INTAKE_ROUTE: Final = "intake"  # opens the ticket, sets TICKET_VARIABLE
PING_ROUTE: Final = "ping"  # sets PONG_VARIABLE: proof that Asterisk reaches ec112's FastAGI
TEXT_ROUTE: Final = "text"  # a SIP MESSAGE to 112 (TEXT_CONTEXT): stores it on a ticket, sets TEXT_TICKET_VARIABLE

SILENT_CONTEXT: Final = "ec112-silent"  # the "silent caller" prompt whispered to the caller (ChanSpy w)
CALLBACK_CONTEXT: Final = "ec112-callback"  # a call taker's phone first, then the citizen through the trunk
TEXT_CONTEXT: Final = "ec112-text"  # the trunk's message_context: SIP MESSAGE to 112 (text to 112)
WAITING_MUSIC_CLASS: Final = "ec112-waiting"  # musiconhold.conf: "you are connected to 112, stay on the line"

# --- channel variables ------------------------------------------------------------------------------------
TICKET_VARIABLE: Final = "EC112_TICKET"  # set by ec112's intake; the dialplan queues without it anyway
FALLBACK_VARIABLE: Final = "EC112_FALLBACK"  # set to 1 by the dialplan when it queued without a ticket
ANNOUNCE_VARIABLE: Final = "EC112_ANNOUNCE"  # Playback() argument ec112 chose (junk warning, known incident)
PRIORITY_VARIABLE: Final = "EC112_PRIORITY"  # the call's QUEUE_PRIO when ec112 lowers it (domain.call_handling)
# The silent-call prompt: ec112 originates Local/<SILENT_SPY_EXTEN>@ec112-silent/n with the caller's channel in
# SILENT_TARGET_VARIABLE; its other half enters SILENT_PROMPT_EXTEN (the prompt), this one whispers it (ChanSpy).
SILENT_TARGET_VARIABLE: Final = "EC112_TARGET"
SILENT_LISTEN_VARIABLE: Final = "EC112_LISTEN"  # seconds the spy stays on after the prompt (the keys reach ec112)
SILENT_SPY_EXTEN: Final = "spy"
SILENT_PROMPT_EXTEN: Final = "prompt"
PROBE_VARIABLE: Final = "EC112_PROBE"  # the doctor's token: from the Originate (``__``-inherited) to the UserEvent
PONG_VARIABLE: Final = "EC112_PONG"  # set to 1 by the ping route
# Text to 112: the dialplan's own copy of the message (key, source address, BASE64 From and body), read by the
# text route in one round trip; without TEXT_TICKET_VARIABLE afterwards the dialplan appends the same fields to
# TEXT_SPOOL_FILE (in Asterisk's spool directory) and sends the citizen the automatic reply.
TEXT_TICKET_VARIABLE: Final = "EC112_TEXT_TICKET"
TEXT_READ: Final = "${EC112_TEXT_KEY}|${EC112_TEXT_ADDR}|${EC112_TEXT_FROM}|${EC112_TEXT_BODY}"
TEXT_SPOOL_FILE: Final = "ec112-text.spool"
TRUNK_ENDPOINT: Final = "trunk"  # pjsip.conf: the carrier trunk's endpoint (its message_context is TEXT_CONTEXT)
# The caller's location as res_geolocation hands it to the dialplan (geolocation.conf, pjsip.conf's
# geoloc_incoming_call_profile): read by the intake as one AGI round trip.
GEOLOC_READ: Final = ("${GEOLOC_PROFILE(format)}|${GEOLOC_PROFILE(method)}|${GEOLOC_PROFILE(confidence)}"
                      "|${GEOLOC_PROFILE(location_info)}")

# --- callbacks (issue 13): AMI Originate of the taker's phone into CALLBACK_CONTEXT, extension = the task's id ------
CALLBACK_NUMBER_VARIABLE: Final = "EC112_CB_NUMBER"  # the citizen's number (digits, optional +): checked there
CALLBACK_TRUNK_VARIABLE: Final = "EC112_CB_TRUNK"  # the PJSIP endpoint that reaches citizens ([callbacks])
CALLBACK_RING_VARIABLE: Final = "EC112_CB_RING"  # seconds the citizen's phone may ring
# UserEvent(EC112Callback,Task: …,DialStatus: …,Cause: …) when the citizen's leg ended
CALLBACK_EVENT: Final = "EC112Callback"

# --- listen / whisper / barge (issue 14, docs/room.md B): Originate of the supervisor's phone into SPY_CONTEXT,
# extension = the mode (listen, whisper, barge); the call taker's channel in SPY_TARGET_VARIABLE (checked there)
SPY_CONTEXT: Final = "ec112-spy"
SPY_TARGET_VARIABLE: Final = "EC112_SPY_TARGET"

# --- the doctor's report: UserEvent(EC112Doctor,Probe: …,AgiStatus: …,Pong: …,Recorder: …) ----------------
# Recorder: IFMODULE(app_mixmonitor.so), "1" when this Asterisk can record a 112 call (the dialplan skips MixMonitor
# otherwise rather than hang the call up).
PROBE_EVENT: Final = "EC112Doctor"
PROBE_EVENT_FIELDS: Final = ("Probe", "AgiStatus", "Pong", "Recorder")


def probe_channel(context: str = DOCTOR_CONTEXT) -> str:
    """The Local channel the doctor originates: the ``s`` extension of the probe context."""
    return f"Local/s@{context}"
