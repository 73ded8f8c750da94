"""A tiny blocking AMI client for tests: log in, send an action, read its response.

Why not ec112's own client: these tests check Asterisk itself (with ec112 absent), so they must
not depend on the code under test elsewhere. Only Getvar-style request/response is supported;
events are read and discarded while waiting for the response with our ActionID.
"""

from __future__ import annotations

import itertools
import socket
import time


class AmiError(RuntimeError):
    pass


class MiniAmi:
    def __init__(self, port: int, username: str, secret: str, *, timeout: float = 5.0) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._buffer = b""
        self._ids = itertools.count(1)
        self.banner = self._read_line()
        reply = self.action("Login", Username=username, Secret=secret)
        if reply.get("Response") != "Success":
            raise AmiError(f"AMI login failed: {reply}")

    def _read_line(self) -> str:
        while b"\r\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise AmiError("AMI connection closed")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def _read_message(self) -> dict[str, str]:
        message: dict[str, str] = {}
        while line := self._read_line():
            key, _, value = line.partition(":")
            message[key.strip()] = value.removeprefix(" ")  # values are compared exactly
        return message

    def action(self, name: str, **fields: str) -> dict[str, str]:
        action_id = f"t{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}", *(f"{k}: {v}" for k, v in fields.items())]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + (self._sock.gettimeout() or 5.0)
        while time.monotonic() < deadline:
            message = self._read_message()
            if message.get("ActionID") == action_id and "Response" in message:
                return message
        raise AmiError(f"no response to {name}")

    def getvar(self, channel: str, variable: str) -> str:
        reply = self.action("Getvar", Channel=channel, Variable=variable)
        if reply.get("Response") != "Success":
            raise AmiError(f"Getvar {variable} on {channel}: {reply}")
        return reply.get("Value", "")

    def close(self) -> None:
        self._sock.close()
