"""Adapter: the centre's agencies file (TOML) → the category catalogue and the agency directory.

One file says which emergency categories a call taker can pick, which agencies (OPD) have authority for
each, in which order they are proposed, their posts and their responders. ec112 ships a default for the
regency (``ec112/data/agencies.toml``); a centre points ``[callcenter] agencies_file`` at its own copy.
Changing the mapping needs no code change, only ``ec112 agencies check FILE`` and a restart.

What lives where: this module is the edge — it reads the file (I/O), decodes the TOML and checks the shape of
every table (pydantic), then hands the rows as domain objects to ``ec112.routing.agencies.build_agencies``,
the pure builder that checks the tables against each other (duplicates, unknown categories and agencies,
an ``agency_order`` naming a stranger) and makes the directory; the proposal rules live there too.

Every mistake is reported at once, each with where it is (``agency #3 (dishub) → categories: …``), as an
``AgenciesFileError``: ``ec112 serve`` turns it into exit 78, ``ec112 agencies check`` into exit 1.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ec112.config.file_errors import DataFileError
from ec112.domain.agencies import Agency, AlternateContact, Post, Responder
from ec112.domain.categories import Category
from ec112.routing.agencies import Agencies, DirectoryError, build_agencies, did_you_mean

__all__ = ["BUILT_IN", "Agencies", "AgenciesFile", "AgenciesFileError", "alternate_warnings", "load_agencies",
           "parse_agencies", "read_agencies_text"]
BUILT_IN = "ec112/data/agencies.toml (built-in)"


class AgenciesFileError(DataFileError):
    """The agencies file cannot be used; ``problems`` says every reason, one line each."""

    what = "agencies file"


# --- the file's shape ----------------------------------------------------------------------------------------

def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{what} (got {value!r})")
        return value

    return AfterValidator(check)


def _webhook(value: str) -> str:
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host, or empty")  # never echoes the URL
    return value


CategoryCode = Annotated[str, _pattern(r"[a-z0-9_]{2,40}", "a category code is 2-40 of a-z, 0-9 and _")]
AgencyCode = Annotated[str, _pattern(r"[a-z0-9_-]{2,32}", "an agency code is 2-32 of a-z, 0-9, _ and -")]
Username = Annotated[str, _pattern(r"[a-z0-9][a-z0-9_.-]{1,39}", "not an ec112 username (lowercase, 2-40)")]
Phone = Annotated[str, _pattern(r"|[+(]?[0-9][0-9 ().-]{2,24}", "a phone number is digits, +, spaces, ( ) . -")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class CategoryRow(_Row):
    code: CategoryCode
    label_id: Text
    label_en: str = Field(default="", max_length=200)  # empty: the Indonesian label
    agency_order: list[AgencyCode] = Field(default_factory=list)


class PostRow(_Row):
    name: Text
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> PostRow:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class AlternateRow(_Row):
    """``[agency.alternate]``: who is told at level 2, and through which channel(s)."""

    name: Text
    phone: Phone = ""
    webhook_url: Annotated[str, AfterValidator(_webhook)] = ""  # the agency's second system
    sms_gateway_url: Annotated[str, AfterValidator(_webhook)] = ""  # sent the phone number and a short text

    @model_validator(mode="after")
    def _sms_needs_phone(self) -> AlternateRow:
        if self.sms_gateway_url and not self.phone:
            raise ValueError("sms_gateway_url needs the contact's phone (the number the SMS goes to)")
        return self


class AgencyRow(_Row):
    code: AgencyCode
    name: Text
    short_name: str = Field(default="", max_length=60)  # empty: the name
    categories: list[CategoryCode] = Field(default_factory=list)
    phone: Phone = ""
    alternate_contact: str = Field(default="", max_length=200)  # the old form: the contact's name, no channel
    alternate: AlternateRow | None = None
    webhook_url: Annotated[str, AfterValidator(_webhook)] = ""
    ack_timeout_seconds: int | None = Field(default=None, ge=1, le=86400)
    post: list[PostRow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_alternate(self) -> AgencyRow:
        if self.alternate is not None and self.alternate_contact:
            raise ValueError("give [agency.alternate] or the old alternate_contact, not both")
        return self

    def alternate_contact_of(self) -> AlternateContact | None:
        if self.alternate is not None:
            a = self.alternate
            return AlternateContact(a.name, a.phone or None, a.webhook_url or None, a.sms_gateway_url or None)
        return AlternateContact(self.alternate_contact) if self.alternate_contact else None


class ResponderRow(_Row):
    username: Username
    agency: AgencyCode
    name: Text
    phone: Phone = ""


class AgenciesFile(_Row):
    category: list[CategoryRow] = Field(min_length=1)
    agency: list[AgencyRow] = Field(min_length=1)
    responder: list[ResponderRow] = Field(default_factory=list)


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): AgenciesFile, ("category",): CategoryRow, ("agency",): AgencyRow, ("agency", "post"): PostRow,
    ("agency", "alternate"): AlternateRow, ("responder",): ResponderRow,
}


# --- loading -------------------------------------------------------------------------------------------------

def load_agencies(path: Path | None = None, *, default_ack_timeout_seconds: int = 60) -> Agencies:
    """Read ``path`` (None: the built-in default) or raise ``AgenciesFileError`` listing every mistake."""
    source = str(path) if path is not None else BUILT_IN
    return parse_agencies(read_agencies_text(path), source, default_ack_timeout_seconds=default_ack_timeout_seconds)


def read_agencies_text(path: Path | None = None) -> str:
    """The file's text (None: the built-in default), or ``AgenciesFileError`` when it cannot be read as UTF-8."""
    source = str(path) if path is not None else BUILT_IN
    try:
        raw_bytes = (path if path is not None else files("ec112").joinpath("data", "agencies.toml")).read_bytes()
    except OSError as exc:
        raise AgenciesFileError(source, [f"cannot read it: {exc.strerror or exc}"]) from exc
    try:
        return raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AgenciesFileError(source, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc


def parse_agencies(text: str, source: str, *, default_ack_timeout_seconds: int = 60) -> Agencies:
    """The one validation of an agencies document, wherever it comes from (a file, the database, the admin page,
    ``ec112 agencies import``): ``AgenciesFileError`` naming ``source`` and listing every mistake."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgenciesFileError(source, [f"not valid TOML: {exc}"]) from exc
    try:
        parsed = AgenciesFile.model_validate(raw)
    except ValidationError as exc:
        raise AgenciesFileError(source, [_describe(e, raw) for e in exc.errors()]) from exc
    try:
        return _build(parsed, default_ack_timeout_seconds)
    except DirectoryError as exc:  # the tables do not fit together (routing.agencies says every reason)
        raise AgenciesFileError(source, exc.problems) from exc


def _build(parsed: AgenciesFile, default_ack: int) -> Agencies:
    """The file's rows as domain objects, handed to the pure builder."""
    categories = [Category(c.code, c.label_id, c.label_en or c.label_id) for c in parsed.category]
    agencies = [
        Agency(a.code, a.name, a.short_name or a.name, tuple(a.categories),
               tuple(Post(p.name, p.lat, p.lon) for p in a.post), a.phone or None, a.alternate_contact_of(),
               a.webhook_url or None, a.ack_timeout_seconds)
        for a in parsed.agency
    ]
    responders = [Responder(r.username, r.agency, r.name, r.phone or None) for r in parsed.responder]
    orders = [(c.code, tuple(c.agency_order)) for c in parsed.category]
    return build_agencies(categories, agencies, responders, orders, default_ack_timeout_seconds=default_ack)


def alternate_warnings(agencies: Sequence[Agency]) -> list[str]:
    """Agencies whose alternate contact ec112 cannot reach itself (level 2 is then only shown), one line each."""
    return [f"agency {a.code!r}: the alternate contact {a.alternate_contact.name!r} has no webhook_url or "
            "sms_gateway_url: a level-2 escalation is only shown, call them yourself / kontak cadangan tanpa "
            "saluran: eskalasi tingkat 2 hanya ditampilkan"
            for a in agencies if a.alternate_contact is not None and not a.alternate_contact.reachable]


def _describe(error: Any, raw: Any) -> str:
    """One pydantic error as a person reads it: which table and item, which key, what is wrong."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind: str = error["type"]
    if kind == "extra_forbidden":
        *parent, key = loc
        model = _MODELS.get(tuple(str(p) for p in parent if isinstance(p, str)))
        hint = did_you_mean(str(key), list(model.model_fields)) if model is not None else ""
        return f"{_where(tuple(parent), raw) or 'top level'}: unknown key {key!r}{hint}"
    if kind in ("missing", "too_short") and len(loc) == 1:
        return f"no [[{loc[0]}]] table: at least one is needed"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        message = "missing (required)"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif not {"webhook_url", "sms_gateway_url"} & set(map(str, loc)) and "input" in error \
            and not isinstance(error.get("input"), dict | list) and kind not in ("value_error", "assertion_error"):
        message += f" (got {error['input']!r})"
    return f"{_where(loc, raw) or 'top level'}: {message}"


def _where(loc: tuple[str | int, ...], raw: Any) -> str:
    """``('agency', 3, 'post', 0, 'lat')`` → ``agency #4 (dinkes) → post #1 (PSC 119) → lat``."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and parts:
            node = node[key] if key < len(node) else None
            name = next((node[k] for k in ("code", "username", "name") if isinstance(node, dict)
                         and isinstance(node.get(k), str)), None)
            parts[-1] += f" #{key + 1}" + (f" ({name})" if name else "")
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return " → ".join(parts)
