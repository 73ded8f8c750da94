"""``services.doctor.AsteriskProbe`` over AMI: what `ec112 doctor` asks the running Asterisk.

It opens its own ``AmiClient`` (never the daemon's connection) and only reads, except for one probe:
an ``Originate`` of ``Local/s@ec112-doctor``, whose dialplan calls ec112's FastAGI ``ping`` route and
reports back with ``UserEvent(EC112Doctor, Probe, AgiStatus, Pong)``. That channel never enters the
112 context, so it opens no ticket and counts as no call. Permissions it needs on the AMI account:
write ``reporting`` (ShowDialPlan, CoreSettings, PJSIPShowRegistrationsOutbound), ``call`` (Getvar of
PJSIP_ENDPOINT(), see ``ec112.services.doctor_site``) and ``originate``, read ``user`` (the UserEvent).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from ec112.ami.client import AmiActionError, AmiAuthError, AmiClient, AmiError
from ec112.routing.dialplan import PROBE_EVENT, PROBE_EVENT_FIELDS, PROBE_VARIABLE, probe_channel
from ec112.services.doctor import AgiProbe, AmiLogin, DialplanStep, ProbeRefused, QueueInfo

_NO_RETRY = 3600.0  # the doctor tries once: a reconnect loop would only hide the first error
_POLL = 0.05
_AUTH_GRACE = 0.2  # a refused login is recorded a moment before the client's task ends with AmiAuthError
_NO_CONTEXT = "did not find context"
_PHONE_GONE = frozenset({"4", "5"})  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
_TOKEN, _AGI_STATUS, _PONG, _RECORDER = PROBE_EVENT_FIELDS


class AmiDoctorProbe:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        connect_timeout: float,
        login_timeout: float,
        action_timeout: float,
    ) -> None:
        self._deadline = connect_timeout + login_timeout + 1.0
        self._client = AmiClient(
            host=host, port=port, username=username, secret=secret,
            connect_timeout=connect_timeout, login_timeout=login_timeout, action_timeout=action_timeout,
            reconnect_min=_NO_RETRY, reconnect_max=_NO_RETRY,
        )
        self._runner: asyncio.Task[None] | None = None

    async def login(self) -> AmiLogin:
        """One connect + login attempt: ``refused`` (Asterisk said no) vs ``unreachable`` (no answer)."""
        client = self._client
        runner = self._runner = asyncio.create_task(client.run(), name="ec112-doctor-ami")
        try:
            async with asyncio.timeout(self._deadline):
                # Polled: AmiClient reports a failed attempt only through ``status.last_error``.
                while not client.status.connected:
                    if runner.done() or client.status.last_error:
                        await asyncio.wait({runner}, timeout=_AUTH_GRACE)
                        return _failed_login(runner, client.status.last_error)
                    await asyncio.wait({runner}, timeout=_POLL)
        except TimeoutError:
            return AmiLogin("unreachable", f"no AMI login within {self._deadline:g} s")
        return AmiLogin("ok", ami_version=client.status.version, asterisk_version=await self._asterisk_version())

    async def _asterisk_version(self) -> str | None:
        try:
            return (await self._client.send("CoreSettings")).get("AsteriskVersion") or None
        except AmiError:
            return None  # informational; a missing `reporting` write class shows in the dialplan check

    async def dialplan(self, context: str) -> list[DialplanStep] | None:
        try:
            events = await self._client.send_list("ShowDialPlan", {"Context": context})
        except AmiActionError as exc:
            if _NO_CONTEXT in exc.message.lower():
                return None
            raise ProbeRefused("ShowDialPlan", exc.message) from exc
        return [
            DialplanStep(e.get("Extension", ""), e.get("Priority", ""), e["Application"], e.get("AppData", ""))
            for e in events
            if e.get("Event") == "ListDialplan" and e.get("Context") == context and e.get("Application")
        ]

    async def queue(self, name: str) -> QueueInfo | None:
        events = await self._client.send_list("QueueStatus", {"Queue": name})
        if not any(e.get("Event") == "QueueParams" and e.get("Queue") == name for e in events):
            return None
        members = [e for e in events if e.get("Event") == "QueueMember" and e.get("Queue") == name]
        gone = tuple(sorted(m.get("Name") or m.get("Location", "?") for m in members
                            if m.get("Status") in _PHONE_GONE))
        return QueueInfo(members=len(members), paused=sum(m.get("Paused") == "1" for m in members), unreachable=gone,
                         interfaces=tuple(sorted(m.get("Location", "?") for m in members)))

    # --- `ec112 doctor` against the site file (services.doctor_site.SiteProbe) -------------------------------

    async def dialplan_contexts(self, contexts: tuple[str, ...]) -> list[str]:
        return [context for context in contexts if await self.dialplan(context) is None]

    async def endpoint_context(self, name: str) -> str | None:
        # Channel-less Getvar of a function: Asterisk reads it on a dummy channel; an unknown endpoint is ""
        try:
            reply = await self._client.send("Getvar", {"Variable": f"PJSIP_ENDPOINT({name},context)"})
        except AmiActionError as exc:
            raise ProbeRefused("Getvar", exc.message) from exc
        return reply.get("Value") or None

    async def registrations(self) -> dict[str, str]:
        try:
            events = await self._client.send_list("PJSIPShowRegistrationsOutbound")
        except AmiActionError as exc:
            raise ProbeRefused("PJSIPShowRegistrationsOutbound", exc.message) from exc
        return {e.get("ObjectName", ""): e.get("Status", "") for e in events
                if e.get("Event") == "OutboundRegistrationDetail"}

    async def probe_agi(self, context: str, timeout: float) -> AgiProbe | None:  # noqa: ASYNC109
        token = uuid.uuid4().hex
        fields = {
            "Channel": probe_channel(context),
            "Application": "Wait",  # runs only if the probe answers; the probe itself never does
            "Data": "1",
            "Async": "true",
            "Timeout": str(max(1000, int(timeout * 1000))),  # Asterisk tears the probe down after it
            "CallerID": "ec112 doctor",
            "Variable": f"__{PROBE_VARIABLE}={token}",  # inherited by the Local channel's ;2 half
        }
        try:
            await self._client.send("Originate", fields)
        except AmiActionError as exc:
            raise ProbeRefused("Originate", exc.message) from exc
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await self._client.events.get()
                    if (event.get("Event") == "UserEvent" and event.get("UserEvent") == PROBE_EVENT
                            and event.get(_TOKEN) == token):
                        recorder = event.get(_RECORDER)  # absent: a dialplan older than the field (unknown)
                        return AgiProbe(event.get(_AGI_STATUS, ""), event.get(_PONG) == "1",
                                        None if recorder is None else recorder == "1")
        except TimeoutError:
            return None

    async def close(self) -> None:
        await self._client.close()
        runner = self._runner
        if runner is not None:
            await asyncio.wait({runner})
            if not runner.cancelled():
                with contextlib.suppress(AmiError):
                    runner.result()  # a refused login was reported by login() already


def _failed_login(runner: asyncio.Task[None], last_error: str | None) -> AmiLogin:
    error = runner.exception() if runner.done() and not runner.cancelled() else None
    if isinstance(error, AmiAuthError):
        return AmiLogin("refused", str(error))
    return AmiLogin("unreachable", last_error or str(error) or "AMI connection failed")
