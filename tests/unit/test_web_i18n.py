"""Every UI string is translatable and translated to Indonesian; the language choice; local dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ec112.domain.accounts import Language, Role, User
from ec112.web.i18n import LOCALE_DIR, WEB_DIR, I18n, pick_language


def _extracted() -> set[str]:
    method_map = [("templates/**.html", "jinja2"), ("pages.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB_DIR), method_map, options, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_ui_string_has_an_indonesian_translation() -> None:
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="id")
    missing = sorted(m for m in _extracted() if not (catalog.get(m) and catalog.get(m).string))
    assert len(_extracted()) > 20
    assert missing == []


def test_language_is_the_users_then_the_cookie_then_indonesian() -> None:
    assert pick_language("en", "id") is Language.EN
    assert pick_language(None, "en") is Language.EN
    assert pick_language(None, None) is Language.ID
    assert pick_language("fr", "xx") is Language.ID


def test_pages_render_in_both_languages_with_local_times() -> None:
    i18n = I18n("Asia/Jakarta")
    user = User(1, "siti", "Siti <Nurhaliza>", Role.CALL_TAKER, "taker03")
    id_html = i18n.render("home.html", i18n.translator(Language.ID), user=user, csrf_token="t0k", path="/")
    en_html = i18n.render("home.html", i18n.translator(Language.EN), user=user, csrf_token="t0k", path="/")
    assert '<html lang="id">' in id_html
    assert "Selamat datang, Siti &lt;Nurhaliza&gt;" in id_html  # translated, and the name escaped
    assert "Petugas penerima panggilan" in id_html
    assert "Keluar" in id_html
    assert "Konsol" in id_html
    assert "Welcome, Siti &lt;Nurhaliza&gt;" in en_html
    assert "Call taker" in en_html
    assert "Log out" in en_html
    assert 'name="csrf_token" value="t0k"' in id_html  # the logout form carries the CSRF token
    when = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)
    assert i18n.translator(Language.ID).datetime(when) == "28 Nov 2026 08.05.00"  # WIB is UTC+7
    assert i18n.translator(Language.EN).datetime(when).startswith("Nov 28, 2026, 8:05:00")


def test_no_compiled_catalogs_are_kept() -> None:
    assert list(Path(LOCALE_DIR).rglob("*.mo")) == []
