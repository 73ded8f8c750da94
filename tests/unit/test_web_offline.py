"""The panel fetches nothing from the internet: no script, style, font, image or tile URL of another host in
ec112's own front-end files (the vendored libraries are checked by tests/e2e/test_vendored_assets.py).
A map tile server comes only from the settings ([web] map_tile_url)."""

from __future__ import annotations

import re
from pathlib import Path

import ec112.web

WEB = Path(ec112.web.__file__).parent
URL = re.compile(r"(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _own_files() -> list[Path]:
    return [p for pattern in ("static/js/*.js", "static/css/*.css", "templates/*.html") for p in WEB.glob(pattern)]


def test_no_front_end_file_names_another_host() -> None:
    files = _own_files()
    assert any(p.name == "console_map.js" for p in files)
    found = {f"{p.relative_to(WEB)}: {m.group(0)}" for p in files for m in URL.finditer(p.read_text())}
    assert found == set()


def test_the_pattern_catches_a_cdn() -> None:
    assert URL.search('<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js">')
    assert URL.search("L.tileLayer('//tile.openstreetmap.org/{z}/{x}/{y}.png')")
    assert not URL.search('<script src="/static/vendor/leaflet.js">')
