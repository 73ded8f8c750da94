"""Translations and dates for the web panel: Bahasa Indonesia by default, English per user.

The catalogs are gettext ``.po`` files under ``web/locale/``; they are compiled in memory at start-up
(Babel), so no binary ``.mo`` file is kept in the repository or needs a build step. Message ids are
English; the ``id`` catalog must translate every one (a test checks it against the templates).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from ec112.domain.accounts import Language
from ec112.resources import shipped_dir

WEB_DIR = Path(__file__).parent  # the sources the catalog is extracted from (tests)
LOCALE_DIR = shipped_dir("web/locale")
TEMPLATES_DIR = shipped_dir("web/templates")
STATIC_DIR = shipped_dir("web/static")
DEFAULT_LANGUAGE = Language.ID


def load_translations(language: str, locale_dir: Path = LOCALE_DIR) -> Translations:
    """The catalog of ``language``, compiled from its ``.po`` file."""
    po = locale_dir / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def pick_language(preferred: str | None, cookie: str | None) -> Language:
    """The user's own choice, else the browser's ``lang`` cookie, else Indonesian."""
    for candidate in (preferred, cookie):
        if candidate in {lang.value for lang in Language}:
            return Language(str(candidate))
    return DEFAULT_LANGUAGE


class Translator:
    """What a template needs for one request: its language's gettext and local dates."""

    def __init__(self, language: Language, translations: Translations, tz: ZoneInfo) -> None:
        self.language = language
        self._translations = translations
        self.tz = tz

    def gettext(self, message: str) -> str:
        return str(self._translations.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(self._translations.ngettext(singular, plural, n))

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return str(format_datetime(value.astimezone(self.tz), fmt, locale=self.language.value))


@pass_context
def _gettext(context: Context, message: str) -> str:
    translator: Translator = context["i18n"]
    return translator.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    translator: Translator = context["i18n"]
    return translator.ngettext(singular, plural, n)


class I18n:
    """Built once by the composition root: catalogs, the timezone, the Jinja2 environment."""

    def __init__(self, timezone: str, locale_dir: Path = LOCALE_DIR, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.tz = ZoneInfo(timezone)
        self._catalogs: Mapping[Language, Translations] = {
            lang: load_translations(lang.value, locale_dir) for lang in Language
        }
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Per-request language without shared mutable state: gettext reads the ``i18n`` context variable.
        self.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

    def translator(self, language: Language) -> Translator:
        return Translator(language, self._catalogs[language], self.tz)

    def render(self, name: str, translator: Translator, **context: Any) -> str:
        return self.env.get_template(name).render(i18n=translator, lang=translator.language.value, **context)
