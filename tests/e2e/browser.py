"""Headless-Chromium harness for tests/e2e: fixtures, an offline guard, screenshots, failure capture.

Playwright's sync API drives Debian's own Chromium (`executable_path`, no `playwright install`).
E2E tests are plain (sync) test functions, like the integration fixtures they will combine with.

Fixtures (tests/e2e/conftest.py re-exports them):
  chromium_path    EC112_CHROMIUM or /usr/bin/chromium; absent or unusable -> the test FAILS
  browser          one headless Chromium for the session
  new_context      factory: new_context(mobile=False, **playwright_context_options) -> GuardedContext
  browser_context  a desktop GuardedContext (1366×768, id-ID, Asia/Jakarta); `page` is a page in it
  mobile_context   a 390×844 touch GuardedContext; `mobile_page` is a page in it
Helpers: screenshot(page, name) -> PNG path under artifacts_dir() (EC112_ARTIFACTS_DIR, default
<repo>/artifacts/e2e); is_loopback_url(url).

Offline guard: the browser sends every non-loopback connection to a dead proxy (so nothing leaves
the machine, WebSockets included), and every context aborts non-loopback requests and records them
in `GuardedContext.blocked`; a test that caused one fails at teardown even if it did not look.
When a test fails, every open page of its contexts is screenshotted and its console log saved
(artifacts_dir()/failures/), and the log is added to the pytest report.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ProxySettings,
    Request,
    Response,
    Route,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DESKTOP_VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
MOBILE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
DEFAULT_TIMEOUT_MS = 10_000
# Every non-loopback connection goes to this proxy, where nothing listens (TCP port 1): it fails
# before any DNS lookup or packet leaves. Playwright proxies loopback too unless bypassed (the same
# set as is_loopback_url).
_DEAD_PROXY: ProxySettings = {"server": "http://127.0.0.1:1", "bypass": "127.0.0.0/8,[::1],localhost,*.localhost"}
_NEVER_LEAVE = {"data", "blob", "about", "chrome-error"}


def artifacts_dir() -> Path:
    """Where screenshots and failure logs go (git-ignored); created on demand."""
    path = Path(os.environ.get("EC112_ARTIFACTS_DIR") or REPO_DIR / "artifacts" / "e2e")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:150] or "page"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of `page` as <artifacts>/<name>.png and return its path."""
    path = artifacts_dir() / f"{_safe_name(name)}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def is_loopback_url(url: str) -> bool:
    """True for URLs that cannot leave this machine (127.0.0.0/8, ::1, localhost, data:, blob:…)."""
    parts = urlsplit(url)
    if parts.scheme in _NEVER_LEAVE:
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class GuardedContext:
    """A Playwright BrowserContext with the offline guard and a record of what its pages said."""

    context: BrowserContext
    label: str
    blocked: list[str] = field(default_factory=list)  # "GET https://…" requests the guard aborted
    console: list[str] = field(default_factory=list)  # every console message and page error
    problems: list[str] = field(default_factory=list)  # console errors, page errors, failed/4xx/5xx requests

    def new_page(self) -> Page:
        return self.context.new_page()

    def attach(self) -> None:
        self.context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.context.route("**/*", self._guard)
        self.context.on("console", self._on_console)
        self.context.on("weberror", lambda err: self._problem(f"[pageerror] {err.error}"))
        self.context.on("requestfailed", self._on_request_failed)
        self.context.on("response", self._on_response)

    def _guard(self, route: Route) -> None:
        request = route.request
        if is_loopback_url(request.url):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url}")
            route.abort("blockedbyclient")

    def _problem(self, line: str) -> None:
        self.console.append(line)
        self.problems.append(line)

    def _on_console(self, msg: ConsoleMessage) -> None:
        where = msg.location
        line = f"[{msg.type}] {msg.text} ({where.get('url', '')}:{where.get('lineNumber', '')})"
        self.console.append(line)
        if msg.type == "error":
            self.problems.append(line)

    def _on_request_failed(self, request: Request) -> None:
        if is_loopback_url(request.url):  # blocked ones are already in self.blocked
            self._problem(f"[requestfailed] {request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self._problem(f"[http {response.status}] {response.request.method} {response.url}")

    def capture_failure(self, stem: str) -> str:
        """Screenshot every open page and write the console log; returns a summary for the report."""
        out = artifacts_dir() / "failures"
        out.mkdir(parents=True, exist_ok=True)
        lines = [f"context {self.label}"]
        for i, page in enumerate(self.context.pages):
            png = out / f"{stem}-{self.label}-{i}.png"
            try:
                page.screenshot(path=png, full_page=True)
                lines.append(f"  page {i} {page.url}\n  screenshot: {png}")
            except PlaywrightError as exc:
                lines.append(f"  page {i} {page.url}\n  screenshot failed: {exc}")
        log = out / f"{stem}-{self.label}.console.log"
        log.write_text("\n".join(self.console) + "\n", encoding="utf-8")
        lines.append(f"  console log: {log}")
        lines.extend(f"  blocked (non-loopback): {b}" for b in self.blocked)
        lines.extend(f"  {c}" for c in self.console[-50:])
        return "\n".join(lines)


_CONTEXTS = pytest.StashKey[list[GuardedContext]]()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("EC112_CHROMIUM") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"Chromium not found at {path} (EC112_CHROMIUM): browser tests need a real browser; "
                    "install it with `sudo scripts/install.sh --chromium` (or `make install-all`)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_path: str) -> Iterator[Browser]:
    try:
        chromium = playwright_driver.chromium.launch(executable_path=chromium_path, headless=True,
                                                     proxy=_DEAD_PROXY)
    except PlaywrightError as exc:
        pytest.fail(f"cannot start Chromium {chromium_path}: {exc}", pytrace=False)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., GuardedContext]]:
    """new_context(mobile=False, **options): a guarded context, closed (and checked) after the test."""
    made = request.node.stash.setdefault(_CONTEXTS, [])

    def make(*, mobile: bool = False, **options: Any) -> GuardedContext:
        settings: dict[str, Any] = {"locale": "id-ID", "timezone_id": "Asia/Jakarta",
                                    "viewport": MOBILE_VIEWPORT if mobile else DESKTOP_VIEWPORT}
        if mobile:
            settings.update(is_mobile=True, has_touch=True, device_scale_factor=3)
        settings.update(options)
        guarded = GuardedContext(browser.new_context(**settings),
                                 label=f"{'mobile' if mobile else 'desktop'}{len(made) + 1}")
        guarded.attach()
        made.append(guarded)
        return guarded

    yield make
    leaks = [f"{g.label}: {b}" for g in made for b in g.blocked]
    for guarded in made:
        guarded.context.close()
    if leaks:
        pytest.fail("the page tried to reach beyond loopback (blocked): " + "; ".join(leaks), pytrace=False)


@pytest.fixture
def browser_context(new_context: Callable[..., GuardedContext]) -> GuardedContext:
    return new_context()


@pytest.fixture
def page(browser_context: GuardedContext) -> Page:
    return browser_context.new_page()


@pytest.fixture
def mobile_context(new_context: Callable[..., GuardedContext]) -> GuardedContext:
    return new_context(mobile=True)


@pytest.fixture
def mobile_page(mobile_context: GuardedContext) -> Page:
    return mobile_context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    contexts = item.stash.get(_CONTEXTS, [])
    if report.failed and report.when in ("setup", "call") and contexts:
        stem = _safe_name(item.nodeid.removeprefix("tests/e2e/").replace("::", "-"))
        for guarded in contexts:
            try:
                summary = guarded.capture_failure(stem)
            except (PlaywrightError, OSError) as exc:  # a crashed browser must not hide the test's failure
                summary = f"context {guarded.label}: capture failed: {exc!r}"
            report.sections.append((f"browser {guarded.label}", summary))
    return report
