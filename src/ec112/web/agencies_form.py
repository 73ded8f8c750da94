"""The agency page's form ↔ the agencies document (TOML), and the checker's messages placed next to the fields.

Why here: the page never validates by itself. It writes the form's values into a copy of the whole document in
force (the agency's table replaced, every other table kept) and hands that document to the admin service, which
checks it with the one loader ``ec112 agencies check`` uses. A value the form cannot type (``abc`` as seconds) is
written as text, so the loader says what it says of the same mistake in a file. Its messages, one line each, are
then shown next to the field they name (``agency #4 (dinkes) → post #1 (PSC 119) → lat: …`` goes to the posts),
word for word; a message that names no field of this agency is shown at the top.

Comments of the TOML file are not kept once the page has saved a version (the download gives the document as
stored); the TOML upload keeps a file exactly as written.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomli_w

FIELDS = ("name", "short_name", "categories", "phone", "post", "alternate", "webhook_url", "ack_timeout_seconds")
_NEW_POST_ROWS = 2  # empty rows the page offers for new posts


@dataclass(frozen=True, slots=True)
class PostInput:
    name: str = ""
    lat: str = ""
    lon: str = ""


@dataclass(frozen=True, slots=True)
class AgencyForm:
    """What the agency page posts, as typed (strings): shown again as typed when the document is refused."""

    code: str
    name: str = ""
    short_name: str = ""
    categories: tuple[str, ...] = ()
    phone: str = ""
    posts: tuple[PostInput, ...] = ()
    ack_timeout_seconds: str = ""  # empty: the centre's default
    webhook_url: str = ""
    alt_name: str = ""
    alt_phone: str = ""
    alt_webhook_url: str = ""
    alt_sms_gateway_url: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys the page does not edit, kept as they were

    def with_blank_posts(self) -> tuple[PostInput, ...]:
        return (*self.posts, *([PostInput()] * _NEW_POST_ROWS))


def agency_table(text: str, code: str) -> dict[str, Any] | None:
    """The ``[[agency]]`` table of ``code`` in the document, or None."""
    return next((a for a in tomllib.loads(text).get("agency", []) if a.get("code") == code), None)


def form_of(table: Mapping[str, Any]) -> AgencyForm:
    """The form as the page first shows it, from the agency's table in the document."""
    alternate = table.get("alternate") or {}
    return AgencyForm(
        code=str(table["code"]), name=str(table.get("name", "")), short_name=str(table.get("short_name", "")),
        categories=tuple(map(str, table.get("categories", []))), phone=str(table.get("phone", "")),
        posts=tuple(PostInput(str(p.get("name", "")), _text(p.get("lat")), _text(p.get("lon")))
                    for p in table.get("post", [])),
        ack_timeout_seconds=_text(table.get("ack_timeout_seconds")), webhook_url=str(table.get("webhook_url", "")),
        alt_name=str(alternate.get("name", "") or table.get("alternate_contact", "")),
        alt_phone=str(alternate.get("phone", "")), alt_webhook_url=str(alternate.get("webhook_url", "")),
        alt_sms_gateway_url=str(alternate.get("sms_gateway_url", "")),
        extra={k: v for k, v in table.items() if k not in (*FIELDS, "code", "alternate_contact")})


def edited_document(text: str, form: AgencyForm) -> str:
    """The whole document with ``form.code``'s table replaced by the form's values (its place kept: the order of
    the agencies is the proposal order)."""
    document = tomllib.loads(text)
    agencies = document.get("agency", [])
    index = next(i for i, a in enumerate(agencies) if a.get("code") == form.code)
    agencies[index] = _table(form)
    return tomli_w.dumps(document)


def _table(form: AgencyForm) -> dict[str, Any]:
    table: dict[str, Any] = {"code": form.code, "name": form.name.strip()}
    optional = {"short_name": form.short_name.strip(), "phone": form.phone.strip(),
                "webhook_url": form.webhook_url.strip()}
    table.update({k: v for k, v in optional.items() if v})
    table["categories"] = list(form.categories)
    if form.ack_timeout_seconds.strip():
        table["ack_timeout_seconds"] = _number(form.ack_timeout_seconds, int)
    table.update(form.extra)
    alternate = {"name": form.alt_name.strip(), "phone": form.alt_phone.strip(),
                 "webhook_url": form.alt_webhook_url.strip(), "sms_gateway_url": form.alt_sms_gateway_url.strip()}
    if any(alternate.values()):
        table["alternate"] = {k: v for k, v in alternate.items() if v or k == "name"}
    posts = []
    for post in form.posts:
        if not (post.name.strip() or post.lat.strip() or post.lon.strip()):
            continue  # an empty row: no post
        row: dict[str, Any] = {"name": post.name.strip()}
        if post.lat.strip():
            row["lat"] = _number(post.lat, float)
        if post.lon.strip():
            row["lon"] = _number(post.lon, float)
        posts.append(row)
    if posts:
        table["post"] = posts
    return table


def _number(value: str, kind: type[int] | type[float]) -> int | float | str:
    """The typed number, or the text as typed (the loader then reports it as it would in a file)."""
    try:
        return kind(value.strip().replace(",", ".") if kind is float else value.strip())
    except ValueError:
        return value.strip()


def _text(value: object) -> str:
    return "" if value is None else str(value)


_ITEM = re.compile(r"^agency #(\d+)(?: \(([^)]*)\))? → (\w+)")


def field_errors(problems: Sequence[str], text: str, code: str) -> tuple[dict[str, list[str]], list[str]]:
    """The problems placed: ``{field: [messages]}`` for this agency's fields, and the rest (shown at the top)."""
    agencies = tomllib.loads(text).get("agency", [])
    position = next((i + 1 for i, a in enumerate(agencies) if a.get("code") == code), None)
    placed: dict[str, list[str]] = {}
    rest: list[str] = []
    for problem in problems:
        where = _field_of(problem, code, position)
        (placed.setdefault(where, []) if where else rest).append(problem)
    return placed, rest


def _field_of(problem: str, code: str, position: int | None) -> str | None:
    found = _ITEM.match(problem)
    if found:  # the file's shape: "agency #3 (dishub) → post #1 (…) → lat: …"
        key = found.group(3)
        return key if int(found.group(1)) == position and key in FIELDS else None
    if f"agency {code!r}" not in problem:
        return None  # cross-table and webhook problems name the agency by its code
    if "category" in problem:
        return "categories"
    for key in ("alternate", "webhook", "ack_timeout_seconds"):
        if key in problem:
            return "webhook_url" if key == "webhook" else key
    return None
