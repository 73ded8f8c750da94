"""One pjsua2 SIP user agent in its own process, driven by JSON lines (see softphone.py, the test side).

Why a process of its own: pjsua2 owns native threads and can assert when the library is torn down; a
crash here must never take pytest down. So the agent never destroys the library: it hangs up, closes its
recorders (a WAV gets its final sizes only then), prints its last line and `os._exit`s.

Protocol: argv[1] is a JSON config; stdin carries requests {"id", "cmd", ...}; stdout carries replies
{"id", "ok", "result"|"error"} and events {"event", ...}. pjsua's own output goes to stderr and its log
file, never to the JSON channel. It runs on one thread (threadCnt 0, mainThreadOnly) polling
libHandleEvents; stdin is read with select in the same loop.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import sys
import time
from typing import Any

import pjsua2 as pj

_OUT = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # anything the C library prints lands in the agent's log, not in the JSON channel
_USER = re.compile(r"sips?:([^@;>]+)@")
_STATES = {pj.PJSIP_INV_STATE_CALLING: "calling", pj.PJSIP_INV_STATE_INCOMING: "incoming",
           pj.PJSIP_INV_STATE_EARLY: "early", pj.PJSIP_INV_STATE_CONNECTING: "connecting",
           pj.PJSIP_INV_STATE_CONFIRMED: "confirmed", pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected"}


def emit(message: dict[str, Any]) -> None:
    _OUT.write(json.dumps(message) + "\n")


def call_info(ci: Any, state: str) -> dict[str, Any]:
    user = _USER.search(ci.remoteUri)
    return {"event": "state", "state": state, "call_id": ci.id, "remote_uri": ci.remoteUri,
            "remote_contact": ci.remoteContact, "caller_id": user.group(1) if user else None,
            "status_code": ci.lastStatusCode, "reason": ci.lastReason, "at": time.time()}


def _wav_complete(path: str | None) -> bool:
    """A pjmedia WAV writer leaves the RIFF size at 0 until it is destroyed."""
    if path is None or not os.path.exists(path):
        return True
    with open(path, "rb") as wav:
        return wav.read(8)[4:8] not in (b"", b"\0\0\0\0")


class AgentCall(pj.Call):  # type: ignore[misc]
    def __init__(self, agent: Agent, acc: pj.Account, call_id: int = pj.PJSUA_INVALID_ID,
                 play: str | None = None, record: str | None = None) -> None:
        super().__init__(acc, call_id)
        self.agent, self.play, self.record = agent, play, record
        self.player: Any = None
        self.recorder: Any = None
        self.answer_at: float | None = None
        self.ended: dict[str, Any] | None = None  # the DISCONNECTED info, emitted once media is closed
        self.closed_by: float | None = None

    def onCallState(self, prm: Any) -> None:
        ci = self.getInfo()
        state = _STATES.get(ci.state, str(ci.state))
        if state == "disconnected":
            self.ended = call_info(ci, state)  # the main loop closes the WAVs first, then emits
        elif state != "incoming":
            emit(call_info(ci, state))

    def onCallMediaState(self, prm: Any) -> None:
        ci = self.getInfo()  # keep ci alive while reading ci.media (dangling entries otherwise)
        for index, media in enumerate(ci.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(index)
            if self.play and self.player is None:
                self.player = pj.AudioMediaPlayer()
                self.player.createPlayer(self.play, 0)  # 0: loop until the call ends
            if self.player is not None:
                self.player.startTransmit(audio)
            if self.record and self.recorder is None:
                self.recorder = pj.AudioMediaRecorder()
                self.recorder.createRecorder(self.record)
            if self.recorder is not None:
                audio.startTransmit(self.recorder)
            emit({"event": "media", "call_id": ci.id, "at": time.time()})

    def onDtmfDigit(self, prm: Any) -> None:
        self.agent.dtmf.append(prm.digit)
        emit({"event": "dtmf", "digit": prm.digit, "at": time.time()})

    def close_media(self) -> None:
        """Drop the player and the recorder: destroying the recorder writes the WAV's final sizes."""
        self.player = None
        self.recorder = None


class AgentAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.agent = agent

    def onRegState(self, prm: Any) -> None:
        emit({"event": "registration", "code": prm.code, "reason": prm.reason})

    def onIncomingCall(self, prm: Any) -> None:
        agent = self.agent
        call = AgentCall(agent, self, prm.callId, agent.auto.get("play"), agent.auto.get("record"))
        agent.calls.append(call)
        emit(call_info(call.getInfo(), "incoming"))
        ring = pj.CallOpParam()
        ring.statusCode = 180
        call.answer(ring)
        if agent.auto:
            call.answer_at = time.monotonic() + float(agent.auto.get("after", 0.0))

    def onInstantMessage(self, prm: Any) -> None:
        message = {"from": prm.fromUri, "to": prm.toUri, "body": prm.msgBody, "content_type": prm.contentType}
        self.agent.messages.append(message)
        emit({"event": "message", **message})

    def onInstantMessageStatus(self, prm: Any) -> None:
        pending = self.agent.pending_message
        if pending is not None:
            self.agent.pending_message = None
            emit({"id": pending[0], "ok": True, "result": {"code": prm.code, "reason": prm.reason}})


class Agent:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.calls: list[AgentCall] = []
        self.auto: dict[str, Any] = {}
        self.dtmf: list[str] = []
        self.messages: list[dict[str, str]] = []
        self.buddies: dict[str, pj.Buddy] = {}
        self.pending_message: tuple[int, float] | None = None  # (request id, deadline)
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = "ec112-test-softphone"
        cfg.logConfig.level = 4
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.filename = config["log"]
        cfg.medConfig.clockRate = 8000  # the lab's codecs are G.711: no resampling, WAVs at 8 kHz
        cfg.medConfig.sndClockRate = 8000
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        for codec in self.ep.codecEnum2():
            keep = codec.codecId.split("/")[0] in ("PCMU", "PCMA")
            self.ep.codecSetPriority(codec.codecId, 200 if keep else 0)
        tcfg = pj.TransportConfig()
        # the OS picks a free port (no race with other tests), unless the test needs a known one (the lab's
        # carrier port: where the trunk's AOR sends callbacks)
        tcfg.port = int(config.get("port") or 0)
        tcfg.boundAddress = "127.0.0.1"
        self.transport = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.ep.libStart()
        self.port = int(self.ep.transportGetInfo(self.transport).localName.rsplit(":", 1)[1])
        self.account = AgentAccount(self)
        self.account.create(self._account_config())

    def _account_config(self) -> pj.AccountConfig:
        config, acfg = self.config, pj.AccountConfig()
        acfg.idUri = f"sip:{config['user']}@127.0.0.1"
        acfg.sipConfig.transportId = self.transport
        acfg.mediaConfig.transportConfig.port = 0
        acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acfg.natConfig.contactRewriteUse = 0
        acfg.natConfig.viaRewriteUse = 0
        acfg.natConfig.sdpNatRewriteUse = 0
        acfg.natConfig.sipOutboundUse = 0
        acfg.callConfig.timerUse = pj.PJSUA_SIP_TIMER_INACTIVE
        if config.get("password"):
            acfg.regConfig.registrarUri = f"sip:127.0.0.1:{config['asterisk_port']}"
            acfg.regConfig.registerOnAdd = True
            acfg.regConfig.timeoutSec = 300
            acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", config["user"], 0, config["password"]))
        else:
            acfg.regConfig.registerOnAdd = False
        return acfg

    def target(self, to: str) -> str:
        return to if to.startswith("sip") else f"sip:{to}@127.0.0.1:{self.config['asterisk_port']}"

    def current(self) -> AgentCall:
        live = [c for c in self.calls if c.ended is None]
        if not live:
            raise RuntimeError("no call in progress")
        return live[-1]

    # --- requests ----------------------------------------------------------------------------------
    def handle(self, request: dict[str, Any]) -> Any:
        cmd = request["cmd"]
        if cmd == "call":
            call = AgentCall(self, self.account, play=request.get("play"), record=request.get("record"))
            prm = pj.CallOpParam(True)
            for name, value in (request.get("headers") or {}).items():
                header = pj.SipHeader()
                header.hName, header.hValue = name, value
                prm.txOption.headers.append(header)
            call.makeCall(self.target(request["to"]), prm)
            self.calls.append(call)
            return {"call_id": call.getId()}
        if cmd == "auto_answer":
            self.auto = {"after": request.get("after", 0.0), "play": request.get("play"),
                         "record": request.get("record")}
            return None
        if cmd == "answer":
            call = self.current()
            call.play, call.record = request.get("play") or call.play, request.get("record") or call.record
            call.answer_at = time.monotonic()
            return None
        if cmd == "dtmf":
            self.current().dialDtmf(request["digits"])
            return None
        if cmd == "hangup":
            self.current().hangup(pj.CallOpParam(True))
            return None
        if cmd == "dtmf_received":
            return "".join(self.dtmf)
        if cmd == "messages":
            return self.messages
        raise ValueError(f"unknown command {cmd!r}")

    def send_message(self, request: dict[str, Any]) -> None:
        uri = self.target(request["to"])
        buddy = self.buddies.get(uri)
        if buddy is None:
            bcfg = pj.BuddyConfig()
            bcfg.uri, bcfg.subscribe = uri, False
            buddy = pj.Buddy()
            buddy.create(self.account, bcfg)
            self.buddies[uri] = buddy
        prm = pj.SendInstantMessageParam()
        prm.content, prm.contentType = request["body"], "text/plain"
        self.pending_message = (request["id"], time.monotonic() + float(request.get("agent_timeout", 10.0)))
        buddy.sendInstantMessage(prm)

    # --- the loop ----------------------------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        for call in self.calls:
            if call.answer_at is not None and now >= call.answer_at and call.ended is None:
                call.answer_at = None
                ok = pj.CallOpParam(True)
                ok.statusCode = 200
                call.answer(ok)
            if call.ended is not None and call.ended.get("emitted") is None:
                if call.closed_by is None:
                    call.close_media()
                    call.closed_by = now + 2.0
                # the conference removes the recorder on its next clock tick, which writes the WAV's sizes
                if _wav_complete(call.record) or now > call.closed_by:
                    emit(call.ended)
                    call.ended["emitted"] = True
        if self.pending_message is not None and now > self.pending_message[1]:
            emit({"id": self.pending_message[0], "ok": False, "error": "no final response to MESSAGE"})
            self.pending_message = None

    def quit(self) -> None:
        for call in self.calls:
            if call.ended is None:
                with contextlib.suppress(Exception):  # best effort: the process ends anyway
                    call.hangup(pj.CallOpParam(True))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and any(c.ended is None for c in self.calls):
            self.ep.libHandleEvents(20)
        for call in self.calls:
            call.close_media()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not all(_wav_complete(c.record) for c in self.calls):
            self.ep.libHandleEvents(20)


def main() -> None:
    config = json.loads(sys.argv[1])
    end_by = time.monotonic() + float(config.get("lifetime", 600))
    try:
        agent = Agent(config)
    except Exception as exc:  # noqa: BLE001 - report it to the test, then leave
        emit({"event": "fatal", "error": repr(exc)})
        _OUT.flush()
        os._exit(2)
    emit({"event": "ready", "port": agent.port})
    buffer = b""
    while time.monotonic() < end_by:
        agent.ep.libHandleEvents(10)
        agent.tick()
        readable, _, _ = select.select([0], [], [], 0)
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:  # the test process is gone
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            if request["cmd"] == "quit":
                agent.quit()
                emit({"id": request["id"], "ok": True, "result": None})
                _OUT.flush()
                os._exit(0)
            try:
                if request["cmd"] == "send_message":
                    agent.send_message(request)  # replied to by onInstantMessageStatus or tick()
                    continue
                emit({"id": request["id"], "ok": True, "result": agent.handle(request)})
            except Exception as exc:  # noqa: BLE001 - a bad request fails that request only
                emit({"id": request["id"], "ok": False, "error": repr(exc)})
    agent.quit()
    _OUT.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
