"""A real SIP softphone for tests: pjsua2 (real RTP audio, DTMF, SIP MESSAGE) where SIPp has no audio.

    citizen = Softphone.citizen(lab, number="081234567890")      # calls in through the carrier trunk
    taker = Softphone.taker(lab, "taker01")                      # registered desk phone (digest auth)
    taker.auto_answer(after=0.5, play=tone_1k, record=taker_wav)
    citizen.call("112", play=tone_440, record=citizen_wav)
    citizen.wait_for("confirmed", 10); taker.wait_for("confirmed", 10)
    citizen.dtmf("55"); citizen.hangup(); citizen.wait_for("disconnected", 10)
    ...; citizen.close(); taker.close()

Each phone is a pjsua2 user agent in its own process (softphone_agent.py) on 127.0.0.1 and a free UDP
port; this class talks to it with JSON lines, and every wait has a timeout. A crashed agent raises
SoftphoneError with its log, never takes pytest down. Phones still open at the end of a test are
closed by the lab fixtures (`Softphone.close_all`).

A citizen is unregistered: Asterisk knows it as the trunk (source address 127.0.0.1); its caller id is
the From user and P-Asserted-Identity (the trunk trusts PAI). Asterisk reaches it back (callback, text
replies) at `.uri` = sip:<number>@127.0.0.1:<port>, through the trunk endpoint.

Recordings (8 kHz mono 16-bit WAV, what the phone heard) are complete once `wait_for("disconnected")`
returned: the agent closes the recorder before it reports the end of the call.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .lab_fixtures import Lab

AGENT = Path(__file__).with_name("softphone_agent.py")


class SoftphoneError(AssertionError):
    pass


class Softphone:
    _open: ClassVar[list[Softphone]] = []
    _started: ClassVar[int] = 0  # log file names stay unique when two phones share a number

    def __init__(self, name: str, user: str, asterisk_port: int, workdir: Path, *,
                 password: str | None = None, start_timeout: float = 10.0, lifetime: float = 600.0,
                 port: int = 0) -> None:
        self.name, self.user = name, user
        workdir.mkdir(parents=True, exist_ok=True)
        Softphone._started += 1
        self.log_path = workdir / f"{name}.{Softphone._started}.pjsua.log"
        self.stderr_path = workdir / f"{name}.{Softphone._started}.stderr.log"
        config = {"user": user, "password": password, "asterisk_port": asterisk_port,
                  "log": str(self.log_path), "lifetime": lifetime, "port": port}
        with self.stderr_path.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(AGENT), json.dumps(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, start_new_session=True)
        self._cond = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._seen: dict[str, int] = {}  # state -> how many of its events wait_for already returned
        self._next_id = 0
        self._dead = False
        self._reader = threading.Thread(target=self._read, name=f"softphone-{name}", daemon=True)
        self._reader.start()
        Softphone._open.append(self)
        try:
            ready = self._wait_event(lambda e: e["event"] in ("ready", "fatal"), start_timeout, "start")
            if ready["event"] == "fatal":
                raise SoftphoneError(f"{name}: agent failed to start: {ready['error']}\n{self.log_tail()}")
            self.port: int = ready["port"]
            if password:
                reg = self._wait_event(lambda e: e["event"] == "registration", start_timeout, "registration")
                if reg["code"] != 200:
                    raise SoftphoneError(f"{name}: REGISTER answered {reg['code']} {reg['reason']}")
        except Exception:  # the agent must not outlive a failed start
            self.close()
            raise
        self.uri = f"sip:{user}@127.0.0.1:{self.port}"

    # --- constructors ------------------------------------------------------------------------------
    @classmethod
    def citizen(cls, lab: Lab, number: str = "081234567890", workdir: Path | None = None, *,
                carrier: bool = False) -> Softphone:
        """An unregistered phone of the carrier network, caller id `number` (From user and PAI). `carrier`: it
        listens on the lab's carrier port, where the trunk's AOR sends calls to citizens (callbacks dial
        PJSIP/<number>@trunk); one such phone per lab at a time."""
        phone = cls(f"citizen-{number}", number, lab.sip_port, workdir or lab.workdir / "softphones",
                    port=lab.config.ports.carrier if carrier else 0)
        phone._pai = f"<sip:{number}@127.0.0.1>"
        return phone

    @classmethod
    def taker(cls, lab: Lab, endpoint: str = "taker01", workdir: Path | None = None) -> Softphone:
        """A call taker's desk phone, registered (digest auth) as `endpoint`; returns once it is registered."""
        return cls(endpoint, endpoint, lab.sip_port, workdir or lab.workdir / "softphones",
                   password=lab.config.endpoint_passwords[endpoint])

    _pai: str | None = None

    # --- the phone ---------------------------------------------------------------------------------
    def call(self, to: str, *, play: Path | str | None = None, record: Path | str | None = None,
             headers: dict[str, str] | None = None) -> int:
        """Dial `to` ("112" = the lab's Asterisk, or a full SIP URI); returns at once (wait_for the states)."""
        extra = {"P-Asserted-Identity": self._pai} if self._pai else {}
        result = self._request("call", to=to, play=_opt(play), record=_opt(record),
                               headers={**extra, **(headers or {})})
        return int(result["call_id"])

    def auto_answer(self, after: float = 0.0, *, play: Path | str | None = None,
                    record: Path | str | None = None) -> None:
        """Ring (180) at once on every incoming call, answer (200) `after` seconds later."""
        self._request("auto_answer", after=after, play=_opt(play), record=_opt(record))

    def answer(self, *, play: Path | str | None = None, record: Path | str | None = None) -> None:
        """Answer the ringing call now."""
        self._request("answer", play=_opt(play), record=_opt(record))

    def wait_for(self, state: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next call event in `state` ("incoming", "early", "confirmed", "disconnected", …) not yet
        returned: {"state", "call_id", "remote_uri", "caller_id", "status_code", "reason", "at"}."""
        with self._cond:
            skip = self._seen.get(state, 0)
        event = self._wait_event(
            lambda e: e["event"] == "state" and e["state"] == state and _nth(self._events, e, state) >= skip,
            timeout, f"call state {state}")
        with self._cond:
            self._seen[state] = skip + 1
        return event

    def dtmf(self, digits: str) -> None:
        """Send DTMF in the current call (RFC 2833 / 4733 telephone-events)."""
        self._request("dtmf", digits=digits)

    def dtmf_received(self) -> str:
        """Digits received as telephone-events so far, in order."""
        return str(self._request("dtmf_received"))

    def hangup(self) -> None:
        """End the current call (BYE, CANCEL or a 603 as the call's state asks)."""
        self._request("hangup")

    def send_message(self, to: str, body: str, timeout: float = 10.0) -> int:
        """Send an out-of-dialog SIP MESSAGE (text/plain); returns the final SIP status code."""
        result = self._request("send_message", timeout + 2.0, to=to, body=body, agent_timeout=timeout)
        return int(result["code"])

    def messages(self) -> list[dict[str, str]]:
        """MESSAGEs received so far: [{"from", "to", "body", "content_type"}]."""
        return list(self._request("messages"))

    def events(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._events)

    def close(self) -> None:
        """Hang up, finish the recordings and end the agent (killed if it does not leave within 5 s)."""
        if self in Softphone._open:
            Softphone._open.remove(self)
        if self.process.poll() is None and not self._dead:
            with contextlib.suppress(SoftphoneError, OSError, ValueError):
                self._request("quit", 5.0)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    @classmethod
    def close_all(cls) -> None:
        for phone in list(cls._open):
            phone.close()

    def __enter__(self) -> Softphone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, chars: int = 3000) -> str:
        parts = []
        for path in (self.stderr_path, self.log_path):
            if path.exists():
                parts.append(f"--- {path} ---\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    # --- plumbing ----------------------------------------------------------------------------------
    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            with self._cond:
                if "id" in message:
                    self._replies[message["id"]] = message
                else:
                    self._events.append(message)
                self._cond.notify_all()
        with self._cond:
            self._dead = True
            self._cond.notify_all()

    def _request(self, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
        with self._cond:
            self._next_id += 1
            request_id = self._next_id
        if self._dead or self.process.stdin is None:
            raise SoftphoneError(f"{self.name}: agent is gone (exit {self.process.poll()})\n{self.log_tail()}")
        try:
            self.process.stdin.write((json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n").encode())
            self.process.stdin.flush()
        except OSError as exc:
            raise SoftphoneError(f"{self.name}: agent is gone: {exc}\n{self.log_tail()}") from exc
        deadline = time.monotonic() + timeout
        with self._cond:
            while request_id not in self._replies:
                left = deadline - time.monotonic()
                if self._dead or left <= 0:
                    why = "agent died" if self._dead else f"no reply within {timeout} s"
                    raise SoftphoneError(f"{self.name}: {cmd}: {why}\n{self.log_tail()}")
                self._cond.wait(left)
            reply = self._replies.pop(request_id)
        if not reply["ok"]:
            raise SoftphoneError(f"{self.name}: {cmd} failed: {reply['error']}")
        return reply["result"]

    def _wait_event(self, match: Any, timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self._events:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if self._dead or left <= 0:
                    why = "agent died" if self._dead else f"not within {timeout} s"
                    states = [e.get("state", e["event"]) for e in self._events]
                    raise SoftphoneError(f"{self.name}: waiting for {what}: {why}; events so far: {states}\n"
                                         f"{self.log_tail()}")
                self._cond.wait(left)


def _opt(path: Path | str | None) -> str | None:
    return None if path is None else str(path)


def _nth(events: list[dict[str, Any]], event: dict[str, Any], state: str) -> int:
    """Index of `event` among the events of its state."""
    same = [e for e in events if e["event"] == "state" and e["state"] == state]
    return next(i for i, e in enumerate(same) if e is event)
