"""The drill's callers: one pjsua2 process that places a scenario's calls from the `drill` endpoint.

Run by ``ec112 drill run`` as ``python -m ec112.lab.drill_caller PLAN_JSON`` (a process of its own: pjsua2 owns
native threads and may assert on teardown; a crash must not take the CLI down, so it ``os._exit``s). Each call
dials 112 at Asterisk with digest auth as `drill` (whose accountcode marks it as an exercise), the scenario's
caller number as P-Asserted-Identity, its location as a carrier sends it (RFC 6442: ``Geolocation: <cid:…>`` and a
multipart/mixed body with the SDP and a PIDF-LO circle), plays its WAV into the call from the answer on and hangs
up after ``hangup_after`` seconds.
Stdout: JSON lines {"event": "placed"|"confirmed"|"ended"|"done"|"fatal", "position", "at"} for the CLI.

The plan: {"host", "port", "user", "password", "calls": [{"position", "at", "caller", "wav", "hangup_after",
"lat"?, "lon"?, "radius"?}]};
"at" is seconds from the start.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

_OUT = sys.stdout  # the JSON channel; made a copy of fd 1 when run as a program (see the end)
_PIDF = ('<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" '
         'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" '
         'xmlns:gs="http://www.opengis.net/pidflo/1.0" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
         'entity="pres:{caller}@drill.ec112"><dm:device id="drill"><gp:geopriv><gp:location-info>'
         '<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{lat} {lon}</gml:pos>'
         '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">{radius}</gs:radius></gs:Circle></gp:location-info>'
         '<gp:usage-rules><gbp:retransmission-allowed xmlns:gbp="urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy">'
         'false</gbp:retransmission-allowed></gp:usage-rules><gp:method>GPS</gp:method></gp:geopriv>'
         '<dm:timestamp>{timestamp}</dm:timestamp></dm:device></presence>')


def emit(event: str, **fields: Any) -> None:
    _OUT.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")


def main(plan: dict[str, Any]) -> int:
    import pjsua2 as pj  # imported here: `ec112 drill` without pjsua2 installed fails with a clear message first

    class DrillCall(pj.Call):  # type: ignore[misc]
        def __init__(self, account: Any, call: dict[str, Any]) -> None:
            super().__init__(account)
            self.plan, self.over = call, False
            self.player: Any = None
            self.hangup_at: float | None = None

        def onCallState(self, prm: Any) -> None:
            info = self.getInfo()
            if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
                self.hangup_at = time.monotonic() + float(self.plan["hangup_after"])
                emit("confirmed", position=self.plan["position"])
            elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self.over, self.player = True, None
                emit("ended", position=self.plan["position"], status=info.lastStatusCode)

        def onCallMediaState(self, prm: Any) -> None:
            info = self.getInfo()
            for index, media in enumerate(info.media):
                if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                    if self.player is None and self.plan.get("wav"):
                        self.player = pj.AudioMediaPlayer()
                        self.player.createPlayer(self.plan["wav"], 0)
                    if self.player is not None:
                        self.player.startTransmit(self.getAudioMedia(index))

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt, cfg.uaConfig.mainThreadOnly = 0, True
    cfg.uaConfig.userAgent = "ec112-drill"
    cfg.logConfig.level, cfg.logConfig.consoleLevel = 3, 0
    cfg.medConfig.clockRate = cfg.medConfig.sndClockRate = 8000
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    for codec in ep.codecEnum2():
        ep.codecSetPriority(codec.codecId, 200 if codec.codecId.split("/")[0] in ("PCMU", "PCMA") else 0)
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    transport = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{plan['user']}@{plan['host']}"
    acfg.sipConfig.transportId = transport
    acfg.regConfig.registerOnAdd = False  # calls only: no registration needed
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", plan["user"], 0, plan["password"]))
    acfg.natConfig.contactRewriteUse = acfg.natConfig.viaRewriteUse = acfg.natConfig.sdpNatRewriteUse = 0
    acfg.callConfig.timerUse = pj.PJSUA_SIP_TIMER_INACTIVE
    account = pj.Account()
    account.create(acfg)

    start, pending = time.monotonic(), sorted(plan["calls"], key=lambda c: c["at"])
    calls: list[DrillCall] = []
    deadline = start + max((c["at"] + c["hangup_after"] for c in pending), default=0) + 120
    while (pending or any(not c.over for c in calls)) and time.monotonic() < deadline:
        now = time.monotonic()
        while pending and now - start >= pending[0]["at"]:
            spec = pending.pop(0)
            call = DrillCall(account, spec)
            prm = pj.CallOpParam(True)
            headers = {"P-Asserted-Identity": f"<sip:{spec['caller']}@{plan['host']}>"}
            if spec.get("lat") is not None:  # by value, as the lab's carrier does (demo_locations.py)
                cid = f"drill{spec['position']}@drill.ec112"
                headers |= {"Geolocation": f"<cid:{cid}>", "Geolocation-Routing": "no"}
                prm.txOption.multipartContentType.type = "multipart"
                prm.txOption.multipartContentType.subType = "mixed"
                part = pj.SipMultipartPart()
                content_id = pj.SipHeader()
                content_id.hName, content_id.hValue = "Content-ID", f"<{cid}>"
                part.headers.append(content_id)
                part.contentType.type, part.contentType.subType = "application", "pidf+xml"
                part.body = _PIDF.format(caller=spec["caller"], lat=spec["lat"], lon=spec["lon"],
                                         radius=spec.get("radius") or 50,
                                         timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
                prm.txOption.multipartParts.append(part)
            for name, value in headers.items():
                header = pj.SipHeader()
                header.hName, header.hValue = name, value
                prm.txOption.headers.append(header)
            call.makeCall(f"sip:112@{plan['host']}:{plan['port']}", prm)
            calls.append(call)
            emit("placed", position=spec["position"])
        for call in calls:
            if not call.over and call.hangup_at is not None and now >= call.hangup_at:
                call.hangup_at = None
                call.hangup(pj.CallOpParam(True))
        ep.libHandleEvents(20)
    emit("done", unfinished=sum(1 for c in calls if not c.over) + len(pending))
    _OUT.flush()
    os._exit(0)


if __name__ == "__main__":
    _OUT = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the C library prints goes to stderr, never into the JSON channel
    try:
        sys.exit(main(json.loads(sys.argv[1])))
    except Exception as exc:  # noqa: BLE001  any failure: one clear line for the CLI, never a hang
        emit("fatal", error=f"{type(exc).__name__}: {exc}")
        _OUT.flush()
        os._exit(1)
