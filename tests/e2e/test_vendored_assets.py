"""The vendored front-end libraries work in a real headless Chromium with no internet.

A fixture page (tests/e2e/fixtures/vendored_assets.html) loads htmx, its SSE extension and
Leaflet from src/ec112/web/static/vendor/ served by a real HTTP server on loopback; every request
that would leave the machine is blocked and recorded by the harness.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .browser import GuardedContext, screenshot
from .local_server import serve, web_static_dir

pytestmark = pytest.mark.e2e

FIXTURE_PAGE = Path(__file__).parent / "fixtures" / "vendored_assets.html"
VENDOR_DIR = web_static_dir() / "vendor"
CALLER_LAT = -6.1754  # as in the fixture page
ZOOM = 16
UNCERTAINTY_M = 120
SSE_CALLS = 2
EXPECTED_ASSETS = {
    "/static/vendor/htmx.min.js",
    "/static/vendor/sse.js",
    "/static/vendor/leaflet.js",
    "/static/vendor/leaflet.css",
    "/static/vendor/images/marker-icon.png",
    "/static/vendor/images/marker-shadow.png",
}


async def _page(request: Request) -> FileResponse:
    return FileResponse(FIXTURE_PAGE, media_type="text/html")


async def _fragment(request: Request) -> HTMLResponse:
    hx = request.headers.get("hx-request", "-")
    return HTMLResponse(f'<p id="fragment-body">Fragmen dimuat / fragment loaded (HX-Request: {hx})</p>')


async def _events(request: Request) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        for n in range(1, SSE_CALLS + 1):
            yield f"event: panggilan\ndata: <li>Panggilan {n} masuk / incoming call {n}</li>\n\n"
            await asyncio.sleep(0.2)
        for _ in range(120):  # then stay open like a live feed (bounded: ~60 s)
            yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    app = Starlette(routes=[
        Route("/", _page),
        Route("/fragment", _fragment),
        Route("/events", _events),
        Mount("/static", StaticFiles(directory=web_static_dir()), name="static"),
    ])
    with serve(app) as base_url:
        yield base_url


def _open(page: Page, site: str) -> dict[str, int]:
    """Load the fixture page; returns {path: HTTP status} of everything it fetched."""
    served: dict[str, int] = {}

    def record(response: Response) -> None:
        served[response.url.removeprefix(site)] = response.status

    page.on("response", record)
    page.goto(site + "/")
    return served


def test_htmx_sse_and_leaflet_work_offline(site: str, browser_context: GuardedContext, page: Page) -> None:
    served = _open(page, site)

    # htmx: a click does an hx-get and swaps the fragment in.
    page.get_by_role("button", name="Muat / Load").click()
    expect(page.locator("#fragment-body")).to_have_text("Fragmen dimuat / fragment loaded (HX-Request: true)")

    # SSE extension: both server-sent events arrive, in order, and are swapped in.
    live = page.locator("#live li")
    expect(live).to_have_text([f"Panggilan {n} masuk / incoming call {n}" for n in range(1, SSE_CALLS + 1)])

    # Leaflet: a marker (icon found through leaflet.css) and the uncertainty circle, no tiles.
    icon = page.locator(".leaflet-marker-pane img.leaflet-marker-icon")
    expect(icon).to_have_count(1)
    expect(icon).to_have_attribute("src", re.compile(r"/static/vendor/images/marker-icon\.png$"))
    expect(icon).to_have_attribute("title", "Penelepon / Caller")
    expect(page.locator(".leaflet-shadow-pane img.leaflet-marker-shadow")).to_have_count(1)
    assert icon.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]") == [True, 25, 41]
    circle = page.locator(".leaflet-overlay-pane svg path.uncertainty")
    expect(circle).to_have_count(1)
    assert circle.get_attribute("d"), "the uncertainty circle has no SVG path data"
    expect(page.locator(".leaflet-tile")).to_have_count(0)

    # The circle has the right size on screen (Web Mercator) and the marker's tip is its centre.
    box = circle.evaluate("p => { const b = p.getBBox(); return [b.width, b.height]; }")
    metres_per_px = 40075016.686 * math.cos(math.radians(CALLER_LAT)) / (256 * 2**ZOOM)
    expected_px = 2 * UNCERTAINTY_M / metres_per_px
    assert box == pytest.approx([expected_px, expected_px], abs=1.5)
    icon_box, circle_box = icon.bounding_box(), circle.bounding_box()
    assert icon_box is not None
    assert circle_box is not None
    tip = (icon_box["x"] + 12, icon_box["y"] + 41)  # Leaflet's default iconAnchor
    centre = (circle_box["x"] + circle_box["width"] / 2, circle_box["y"] + circle_box["height"] / 2)
    assert tip == pytest.approx(centre, abs=1.5)

    # The exact pinned versions ran, every asset came from our own server, nothing else was tried.
    assert page.evaluate("() => [htmx.version, L.version]") == ["2.0.11", "1.9.4"]
    assert {path: served.get(path) for path in EXPECTED_ASSETS} == dict.fromkeys(EXPECTED_ASSETS, 200)
    screenshot(page, "vendored-assets-desktop")
    assert browser_context.blocked == []
    assert browser_context.problems == []


def test_map_on_a_phone_viewport(site: str, mobile_context: GuardedContext, mobile_page: Page) -> None:
    _open(mobile_page, site)
    assert mobile_page.evaluate("() => [innerWidth, navigator.language, 'ontouchstart' in window]") == [
        390, "id-ID", True]
    map_box = mobile_page.locator("#map").bounding_box()
    assert map_box is not None
    assert map_box["width"] <= 390
    expect(mobile_page.locator(".leaflet-marker-pane img.leaflet-marker-icon")).to_have_count(1)
    expect(mobile_page.locator(".leaflet-overlay-pane svg path.uncertainty")).to_have_count(1)
    expect(mobile_page.locator("#live li")).to_have_count(SSE_CALLS)
    screenshot(mobile_page, "vendored-assets-mobile")
    assert mobile_context.blocked == []
    assert mobile_context.problems == []


def test_vendor_readme_lists_every_file_with_its_sha256() -> None:
    rows = re.findall(r"^\| (\S+) \| (\S+) \| (\S+) \| \S+ \| (\S+) \| ([0-9a-f]{64}) \|$",
                      (VENDOR_DIR / "README.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
    listed = {name: sha for name, _package, _version, _license, sha in rows}
    on_disk = {p.relative_to(VENDOR_DIR).as_posix(): p for p in VENDOR_DIR.rglob("*") if p.is_file()}
    on_disk.pop("README.md")
    assert sorted(listed) == sorted(on_disk)
    assert {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in on_disk.items()} == listed
