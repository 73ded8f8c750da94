"""Helpers of the wallboard / ticket page browser tests: panel accounts made with the real CLI, a login in
the browser, a logged-in HTTP session (cookie + CSRF token, as the panel's own scripts send it)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page


def add_user(daemon: Ec112Daemon, username: str, role: str, password: str, *, endpoint: str | None = None,
             name: str = "", lang: str = "id") -> None:
    """`ec112 user add` against the daemon's database, the password on stdin (as an admin would script it)."""
    args = [sys.executable, "-m", "ec112", "user", "add", username, "--role", role, "--lang", lang,
            "--password-stdin"]
    if endpoint:
        args += ["--endpoint", endpoint]
    if name:
        args += ["--name", name]
    result = subprocess.run(args, env=daemon.env, input=password + "\n", capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, f"ec112 user add {username}: {result.stdout}\n{result.stderr}"


def browser_login(page: Page, base_url: str, username: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base_url}/login?next={quote(next_path, safe='')}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(base_url + next_path) + r"(\?.*)?$"))


def api_session(base_url: str, username: str, password: str) -> tuple[httpx.Client, dict[str, str]]:
    """A client logged in through the login form, and the headers a panel page sends (its CSRF token)."""
    client = httpx.Client(base_url=base_url, timeout=10)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post("/login", data={"username": username, "password": password, "csrf_token": token[1],
                                       "next": "/"})
    assert done.status_code == 303, done.text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert meta is not None
    return client, {"X-CSRF-Token": meta[1]}


def seconds(clock: str) -> int:
    """``m:ss`` or ``h:mm:ss`` (a wallboard timer) in seconds."""
    parts = [int(p) for p in clock.strip().split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not after {timeout} s (last: {last!r})")
