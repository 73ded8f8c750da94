"""Where is the caller, in the call taker's console: a real headless Chromium against the real `ec112 serve`,
Asterisk and SIPp phones, with no map tiles and no internet.

1. A 112 call carrying a PIDF-LO circle in Kelurahan Penajam: the map draws the regency's boundaries with their
   names (no tile at all), the caller's circle and pin; the card says the kecamatan and desa; once the call is
   an emergency, each proposed agency shows its nearest post; the ticket page names the kecamatan and desa.
   Locations added by a colleague on a desa border, in Balikpapan and at sea are said so, live.
   Screenshot: artifacts/e2e/console-location-map.png.
2. A call without any location: she types "sepaku" and picks the place (keyboard only), then drops a pin on the
   map and confirms it; each becomes a location source of the ticket (list, map, the API's best one). While she
   types the description, a signed AML message from the caller's handset arrives (POST /api/aml): only the location
   section changes, announced politely; her text, her focus and the card stay. The same number calls again:
   the last location is offered as a hint with its age, and used only when she says so.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from harness import CitizenCall, PidfCircle, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import Locator, Page, expect

from .browser import GuardedContext, screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e

CALLER = "+6281234500412"
AML_HMAC_KEY = "aml-e2e-key"  # the handset's AML is signed (docs/location.md: HMAC-SHA1 over the body)
PENAJAM = (-1.256254, 116.768377)  # Kelurahan Penajam, Kecamatan Penajam (the shipped boundaries' label point)
SEPAKU = (-0.849258, 116.718974)  # Kelurahan Sepaku
ON_BORDER = (-1.284776, 116.727223)  # on the line between Nipah-Nipah and Nenang
BALIKPAPAN = (-1.156666, 116.872291)  # Kota Balikpapan, across the bay
AT_SEA = (-1.35, 117.1)  # Makassar Strait


def join_queue_and_take(page: Page, ec112: Ec112Daemon, username: str) -> None:
    add_user(ec112, username, "call_taker", endpoint="taker01")
    log_in(page, ec112, username)
    page.get_by_role("button", name="Masuk antrean").click()
    expect(page.locator("#my-state-label")).to_have_text("Tersedia")


def popped_card(page: Page) -> tuple[str, Locator]:
    card = page.locator(".cs-ticket-card:visible")
    expect(card).to_have_count(1, timeout=30_000)
    number = card.get_attribute("data-number") or ""
    return number, page.locator(f'.cs-ticket-card[data-number="{number}"]')


def inside(box: Locator, element: Locator) -> bool:
    """Is `element` drawn within `box` (the map's visible area), not only present in the page?"""
    outer, inner = box.bounding_box(), element.bounding_box()
    assert outer is not None
    assert inner is not None
    cx, cy = inner["x"] + inner["width"] / 2, inner["y"] + inner["height"] / 2
    return outer["x"] <= cx <= outer["x"] + outer["width"] and outer["y"] <= cy <= outer["y"] + outer["height"]


def locations(ec112: Ec112Daemon, number: str) -> dict[str, Any]:
    body: dict[str, Any] = ec112.get(f"/api/tickets/{number}/locations")
    return body


def test_map_without_tiles_shows_the_regency_the_circle_and_the_nearest_posts(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    browser_context: GuardedContext, page: Page,
) -> None:
    taker("taker01", ring_ms=300, talk_ms=60_000, max_calls=1)
    join_queue_and_take(page, ec112, "siti")
    call = citizen_call(caller_number=CALLER, location=PidfCircle(*PENAJAM, 150), name="located")
    number, card = popped_card(page)
    section = card.locator('[data-role="location"]')
    mapbox = card.locator(".cs-ticket-map")

    # The card says where it is: coordinates, uncertainty, source, and the kecamatan and desa.
    expect(section.locator(".cs-coords")).to_contain_text("-1.25625, 116.76838")
    expect(section.locator(".cs-coords")).to_contain_text("± 150 m")
    expect(section.locator(".cs-loc-area")).to_have_text(re.compile(r"Kecamatan Penajam · Desa/Kelurahan Penajam"))
    expect(section.locator(".cs-loc-sources li")).to_have_count(1)
    expect(section.locator(".cs-loc-sources li")).to_contain_text("Jaringan (PIDF-LO)")

    # The map, without a single tile: the caller's circle (a Leaflet path) and pin, the desa names around it.
    expect(mapbox.locator("path.cs-map-source-best")).to_have_count(1)
    expect(mapbox.locator("path.cs-map-source-best")).to_be_visible()
    expect(mapbox.locator(".leaflet-marker-icon.cs-map-best-pin")).to_be_visible()
    expect(mapbox.locator(".cs-map-legend")).to_contain_text("Jaringan (PIDF-LO)")
    desa = mapbox.locator(".cs-map-label-desa", has_text=re.compile(r"^Penajam$"))
    expect(desa).to_have_count(1)
    assert inside(mapbox, desa)
    assert mapbox.locator(".leaflet-tile").count() == 0
    mapbox.locator("path.cs-map-dot-pidf-lo").dispatch_event("click")  # each source's popup: what, how, how sure
    expect(mapbox.locator(".leaflet-popup-content")).to_contain_text("Jaringan (PIDF-LO) · terbaik")
    expect(mapbox.locator(".leaflet-popup-content")).to_contain_text("± 150 m")
    expect(mapbox.locator(".leaflet-popup-content")).to_contain_text(re.compile(r"detik yang lalu|sekarang"))
    mapbox.locator(".leaflet-popup-close-button").click()
    assert mapbox.locator("path.cs-map-desa").count() > 40  # the regency's desa outlines (54 desa/kelurahan)
    # Zoomed out: the kecamatan of the regency and the neighbouring kabupaten, named on the map itself.
    for _ in range(4):
        mapbox.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(350)
    kecamatan = mapbox.locator(".cs-map-label-kecamatan", has_text=re.compile(r"^Penajam$"))
    expect(kecamatan).to_be_visible()
    assert inside(mapbox, kecamatan)
    assert inside(mapbox, mapbox.locator(".cs-map-label-kabupaten", has_text="Kota Balikpapan"))
    expect(mapbox.locator(".cs-map-label-desa")).to_have_count(0)  # desa names only when zoomed in
    expect(mapbox.locator(".cs-map-post").first).to_be_attached()  # the agencies' posts
    expect(mapbox.locator("path.cs-map-source-best")).to_be_visible()
    screenshot(page, "console-location-map")

    # An emergency: each proposed agency with its nearest post and the distance to it.
    page.keyboard.press("Alt+1")
    card.locator("select[name=category]").select_option("kebakaran")
    page.keyboard.press("Control+Enter")
    expect(card.locator(".cs-form-message[data-role=message]")).to_have_text("Tersimpan.")
    post = card.locator(".cs-dispatch .cs-nearest-post:visible").first
    expect(post).to_have_text(re.compile(r"^Pos terdekat: .+ · \d+(,\d)? k?m$"))
    jurisdiction = locations(ec112, number)["jurisdiction"]
    assert jurisdiction["kecamatan"]["name"] == "Penajam"
    assert jurisdiction["desa"]["name"] == "Penajam"
    nearest = {p["agency"]: p["post"] for p in jurisdiction["nearest_posts"]}
    shown = post.get_attribute("data-post-for") or ""
    expect(post).to_contain_text(nearest[shown])
    screenshot(page, "console-location-dispatch")

    # The ticket's own page says where too.
    detail = page.context.new_page()
    detail.goto(f"{ec112.base_url}/tickets/{number}")
    expect(detail.locator("#ticket-area")).to_have_text(re.compile(r"^Kecamatan Penajam · Desa/Kelurahan Penajam"))
    detail.close()

    # A colleague places the caller elsewhere (another session): on a desa border, in the next kabupaten, at sea.
    area = section.locator(".cs-loc-area")
    for (lat, lon), said in ((ON_BORDER, "Desa/Kelurahan Nipah-Nipah · di perbatasan dengan Nenang"),
                             (BALIKPAPAN, "di luar kabupaten: Kota Balikpapan"),
                             (AT_SEA, "di laut / di luar wilayah yang dikenal")):
        added = httpx.post(f"{ec112.base_url}/api/tickets/{number}/locations", headers=ec112.auth_headers(),
                           json={"source": "manual", "lat": lat, "lon": lon, "radius_m": 30, "label": "rekan"},
                           timeout=5)
        assert added.status_code == 201, added.text
        expect(area).to_contain_text(said)
    expect(section.locator(".cs-loc-sources li")).to_have_count(4)
    call.stop()
    assert browser_context.blocked == []


@pytest.mark.ec112_env({"EC112_LOCATION__AML_HMAC_KEY": AML_HMAC_KEY})
def test_she_places_the_caller_by_name_and_by_pin_and_a_late_aml_fix_arrives_while_she_types(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    browser_context: GuardedContext, page: Page,
) -> None:
    taker("taker01", ring_ms=300, talk_ms=20_000, max_calls=2)
    join_queue_and_take(page, ec112, "rina")
    call = citizen_call(caller_number=CALLER, name="unlocated")
    number, card = popped_card(page)
    section = card.locator('[data-role="location"]')
    mapbox = card.locator(".cs-ticket-map")
    message = section.locator('[data-role="location-message"]')
    expect(section.locator(".cs-no-location")).to_contain_text("Jaringan tidak mengirim lokasi.")
    # No location yet: the map shows the whole regency, its four kecamatan named.
    for name in ("Penajam", "Waru", "Babulu", "Sepaku"):
        label = mapbox.locator(".cs-map-label-kecamatan", has_text=re.compile(f"^{name}$"))
        expect(label).to_be_visible()
        assert inside(mapbox, label), name

    # (b) She types a place and picks it with the keyboard (suggestions from the offline gazetteer).
    search = section.get_by_role("combobox", name="Cari tempat (desa, kecamatan, tempat terkenal)")
    search.press_sequentially("sepaku", delay=40)
    options = section.get_by_role("option")
    expect(options.first).to_contain_text("Sepaku")
    picked = options.first.locator("strong").inner_text()
    search.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    expect(message).to_have_text("Lokasi ditambahkan.")
    sources = section.locator(".cs-loc-sources li")
    expect(sources).to_have_count(1)
    expect(sources.first).to_contain_text("Tempat dipilih petugas")
    expect(sources.first).to_contain_text(picked)
    expect(section.locator(".cs-loc-area")).to_contain_text("Kecamatan Sepaku")
    expect(mapbox.locator("path.cs-map-source-gazetteer")).to_have_count(1)
    best = locations(ec112, number)["best"]
    assert (best["source"], best["label"]) == ("gazetteer", picked)
    assert search.input_value() == ""

    # (d) She drops a pin on the map, narrows its uncertainty and confirms it.
    size = mapbox.bounding_box()
    assert size is not None
    mapbox.click(position={"x": size["width"] * 0.7, "y": size["height"] * 0.35})
    pin = section.locator('[data-role="location-pin"]')
    expect(pin).to_be_visible()
    expect(mapbox.locator(".leaflet-marker-icon.cs-map-own-pin")).to_be_visible()
    pin.locator("select").select_option("25")
    pin.get_by_role("button", name="Gunakan pin ini sebagai lokasi").click()
    expect(message).to_have_text("Lokasi ditambahkan.")
    expect(pin).to_be_hidden()
    expect(sources).to_have_count(2)
    expect(section.locator(".cs-loc-source-best")).to_contain_text("Pin petugas")
    expect(section.locator(".cs-loc-source-best")).to_contain_text("± 25 m")
    expect(mapbox.locator("path.cs-map-source-manual.cs-map-source-best")).to_have_count(1)
    best = locations(ec112, number)["best"]
    assert (best["source"], best["radius_m"]) == ("manual", 25.0)

    # (c) She types the description; the caller's handset sends its AML fix meanwhile.
    description = card.locator("textarea[name=description]")
    description.click()
    description.press_sequentially("Asap tebal di belakang pasar", delay=20)
    page.evaluate("(n) => { document.querySelector(`.cs-ticket-card[data-number='${n}']`).__same = true; }", number)
    now_ms = int(time.time() * 1000)
    aml = (f"v=3&emergency_number=112&source=call&time={now_ms}&location_latitude={SEPAKU[0]}"
           f"&location_longitude={SEPAKU[1]}&location_time={now_ms}&location_accuracy=12"
           f"&location_source=gps&location_certainty=83&device_number=%2B{CALLER[1:]}").encode()
    signed = aml + b"&hmac=" + hmac.new(AML_HMAC_KEY.encode(), aml, hashlib.sha1).hexdigest().encode()
    answer = httpx.post(f"{ec112.base_url}/api/aml", content=signed, timeout=5,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200, answer.text
    expect(section.locator('[data-role="location-announce"]')).to_have_text("Lokasi baru: Ponsel (AML) ± 12 m")
    expect(section.locator(".cs-loc-source-best")).to_contain_text("Ponsel (AML)")
    expect(sources).to_have_count(3)
    expect(section.locator(".cs-coords")).to_contain_text("-0.84926, 116.71897")
    expect(section.locator(".cs-loc-area")).to_contain_text("Desa/Kelurahan Sepaku")
    expect(mapbox.locator("path.cs-map-source-aml.cs-map-source-best")).to_have_count(1)
    expect(description).to_have_value("Asap tebal di belakang pasar")
    expect(description).to_be_focused()
    assert page.evaluate("(n) => document.querySelector(`.cs-ticket-card[data-number='${n}']`).__same === true",
                         number)  # the same card element: only its location section was read again
    description.press_sequentially(" — dua rumah", delay=20)
    expect(description).to_have_value("Asap tebal di belakang pasar — dua rumah")
    screenshot(page, "console-location-live")

    # The same number calls again, without a location: the last one is offered as a hint, never used by itself.
    assert call.wait(timeout=60) == 0, call.diagnostics()
    again = citizen_call(caller_number=CALLER, name="again")
    page.wait_for_function("(n) => [...document.querySelectorAll('.cs-ticket-card')].some((c) => !c.hidden &&"
                           " c.dataset.number !== n)", arg=number, timeout=40_000)
    second, card2 = popped_card(page)
    assert second != number
    section2 = card2.locator('[data-role="location"]')
    hint = section2.locator(".cs-loc-hints li")
    expect(hint).to_have_count(1)
    expect(hint).to_contain_text("Lokasi panggilan dari nomor ini")
    expect(hint).to_contain_text(number)
    expect(hint).to_contain_text(re.compile(r"(detik|menit) yang lalu"))
    expect(hint).to_contain_text("-0.84926, 116.71897 ± 12 m")
    expect(section2.locator(".cs-no-location")).to_be_visible()
    assert locations(ec112, second)["best"] is None  # shown, not applied
    hint.get_by_role("button", name="Gunakan").click()
    expect(section2.locator(".cs-loc-source-best")).to_contain_text(f"Lokasi sebelumnya ({number})")
    best = locations(ec112, second)["best"]
    assert (best["source"], best["lat"], best["radius_m"]) == ("manual", SEPAKU[0], 12.0)
    expect(card.locator("textarea[name=description]")).to_have_value("Asap tebal di belakang pasar — dua rumah")
    again.stop()
    assert browser_context.blocked == []
