"""The browser harness itself: the offline guard, failure capture, and a missing browser failing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from .browser import GuardedContext, is_loopback_url
from .local_server import serve

pytestmark = pytest.mark.e2e

E2E_DIR = Path(__file__).parent
OUTSIDE = "https://cdn.example.invalid/htmx.min.js"  # RFC 2606: never resolvable, and blocked before DNS


async def _home(request: Request) -> HTMLResponse:
    return HTMLResponse('<!doctype html><html lang="id"><head><link rel="icon" href="data:,">'
                        "<title>uji</title></head><body><h1>Halo / Hello</h1></body></html>")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(Starlette(routes=[Route("/", _home)])) as base_url:
        yield base_url


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8000/x", True), ("http://127.8.9.10/", True), ("http://[::1]:80/", True),
    ("http://localhost:1/", True), ("data:text/plain,x", True), ("https://unpkg.com/htmx.org", False),
    ("http://10.0.0.1/", False), ("http://[2001:db8::1]/", False), ("ws://example.invalid/", False),
])
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_context_defaults(site: str, page: Page) -> None:
    page.goto(site + "/")
    assert page.evaluate(
        "() => [innerWidth, innerHeight, navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone]"
    ) == [1366, 768, "id-ID", "Asia/Jakarta"]


def test_offline_guard_blocks_and_records_requests_leaving_loopback(
        site: str, browser_context: GuardedContext, page: Page) -> None:
    page.goto(site + "/")
    outcome = page.evaluate("url => fetch(url).then(() => 'loaded', err => 'failed: ' + err.name)", OUTSIDE)
    assert outcome == "failed: TypeError"
    assert browser_context.blocked == [f"GET {OUTSIDE}"]
    browser_context.blocked.clear()  # seen and expected here: otherwise the teardown fails the test


def test_below_the_guard_the_browser_itself_cannot_leave_loopback(site: str, browser: Browser) -> None:
    """What the route guard does not see (WebSockets, workers) meets the browser's dead proxy."""
    raw = browser.new_context()  # deliberately without the route guard
    try:
        page = raw.new_page()
        for loopback in (site, site.replace("127.0.0.1", "localhost")):
            response = page.goto(loopback + "/", timeout=5000)
            assert response is not None, loopback
            assert response.status == 200, loopback
        with pytest.raises(PlaywrightError, match="ERR_PROXY_CONNECTION_FAILED"):
            page.goto("http://example.invalid/", timeout=5000)
    finally:
        raw.close()


def _run_inner_pytest(tmp_path: Path, test_source: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `test_source` in a child pytest with this directory's conftest (fixtures and failure hook)."""
    conftest = (E2E_DIR / "conftest.py").read_text(encoding="utf-8").replace("from .browser", "from e2e.browser")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(test_source, encoding="utf-8")
    # tests/ for `e2e.browser`, tests/integration for the lab plugin the conftest registers
    pythonpath = os.pathsep.join([str(E2E_DIR.parent), str(E2E_DIR.parent / "integration")])
    inner_env = {**os.environ, "PYTHONPATH": pythonpath, "EC112_ARTIFACTS_DIR": str(tmp_path / "artifacts"), **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
         "-q", "-rA", "test_inner.py"],
        cwd=tmp_path, env=inner_env, capture_output=True, text=True, timeout=90, check=False)


def test_a_failing_test_leaves_a_screenshot_and_its_console_log(tmp_path: Path) -> None:
    result = _run_inner_pytest(tmp_path, (
        "def test_fails(page):\n"
        "    page.set_content('<h1>Gagal / Failed</h1>')\n"
        "    page.evaluate(\"() => console.error('galat uji / test error 42')\")\n"
        "    assert page.title() == 'not this'\n"))
    assert result.returncode == 1, result.stdout + result.stderr
    failures = tmp_path / "artifacts" / "failures"
    png = failures / "test_inner.py-test_fails-desktop1-0.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    log = (failures / "test_inner.py-test_fails-desktop1.console.log").read_text(encoding="utf-8")
    assert "[error] galat uji / test error 42" in log
    assert "browser desktop1" in result.stdout
    assert "galat uji / test error 42" in result.stdout


def test_a_missing_browser_fails_instead_of_skipping(tmp_path: Path) -> None:
    result = _run_inner_pytest(tmp_path, "def test_needs_browser(page):\n    pass\n",
                               EC112_CHROMIUM=str(tmp_path / "no-chromium"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped" not in result.stdout
    assert f"Chromium not found at {tmp_path / 'no-chromium'}" in result.stdout
    assert "1 error" in result.stdout


def test_a_test_whose_page_tried_to_leave_loopback_fails_even_if_it_did_not_look(tmp_path: Path) -> None:
    result = _run_inner_pytest(tmp_path, (
        "def test_loads_from_a_cdn(page):\n"
        f"    page.set_content('<script src=\"{OUTSIDE}\"></script><h1>CDN</h1>')\n"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"the page tried to reach beyond loopback (blocked): desktop1: GET {OUTSIDE}" in result.stdout
    assert "1 passed, 1 error" in result.stdout
