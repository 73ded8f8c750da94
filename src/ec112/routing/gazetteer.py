"""Places by name: what a call taker types ("kel gunung setelen", "Kec. Sepaku") or a caller's phone sends as
a civic address, matched to a desa/kelurahan, kecamatan, kabupaten/kota or landmark (pure).

Names are compared in a folded form: no case, no accents, no punctuation, old spellings made modern (oe → u,
dj → j, tj → c), and the level words ("Desa", "Kel.", "Kec.", "Kab.", "Kota"…) set aside as a hint. Ranking:
an exact name, then a name that starts with the text (or has a word that does), then a close spelling
(difflib; at most a few typos), each ranked by how close; among equals a kecamatan before a desa of the same
name ("Sepaku" is both), the regency's own places before its neighbours'. ~100 names: a linear scan is fast.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import shapely

from ec112.domain.geography import AreaLevel, Jurisdiction, Place, haversine_m
from ec112.routing.areas import Boundary, Landmark, display_name, short_name

LEVEL_WORDS = {"desa": "desa", "ds": "desa", "kelurahan": "kelurahan", "kel": "kelurahan", "kec": "kecamatan",
               "kecamatan": "kecamatan", "kab": "kabupaten", "kabupaten": "kabupaten", "kota": "kabupaten"}
_SPELLING = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("nj", "ny"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")
FUZZY_MIN = 0.75  # difflib ratio under which a name is not proposed
_KIND_ORDER = {"kecamatan": 0, "kelurahan": 1, "desa": 1, "kabupaten": 2, "kota": 2, "landmark": 3}


def fold(text: str) -> str:
    """Lowercase ASCII words separated by one space, old spellings modernised."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    for old, new in _SPELLING:
        plain = plain.replace(old, new)
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def split_level(text: str) -> tuple[str, str | None]:
    """("kec sepaku" → "sepaku", "kecamatan"): the level words in front are a hint, not part of the name."""
    words, hint = fold(text).split(), None
    while len(words) > 1 and words[0] in LEVEL_WORDS:
        hint = hint or LEVEL_WORDS[words.pop(0)]
    return " ".join(words), hint


@dataclass(frozen=True, slots=True)
class _Entry:
    place: Place
    keys: tuple[str, ...]  # folded names without level words; aliases too
    level: str  # "desa" (desa and kelurahan), "kecamatan", "kabupaten", "landmark"
    parent: str | None
    own: bool  # in the regency


def _score(query: str, key: str, *, whole: bool = False) -> float:
    """3 exact, 2..2.5 prefix, 1..1.99 close spelling, 0 no match. ``whole``: the text is a whole name (a civic
    address field), not the start of one being typed."""
    q, k = query.replace(" ", ""), key.replace(" ", "")
    if q == k:
        return 3.0
    if k.startswith(q) or any(w.startswith(query) for w in key.split()):
        return 2.0 + len(q) / len(k) / 2
    ratio = SequenceMatcher(None, q, k, autojunk=False).ratio()
    if len(q) < len(k) and not whole:  # typed the start with a typo ("penajem pas")
        ratio = max(ratio, SequenceMatcher(None, q, k[: len(q)], autojunk=False).ratio() - 0.05)
    return 1.0 + ratio * 0.99 if ratio >= FUZZY_MIN and len(q) >= 3 else 0.0


def _covering_radius(geometry: object, lat: float, lon: float) -> float:
    """The radius, from (lat, lon), of a circle covering the area, rounded up to 50 m."""
    far = max((haversine_m(lat, lon, y, x) for x, y in shapely.get_coordinates(geometry)), default=0.0)
    return float(max(50, math.ceil(far / 50) * 50))


class Gazetteer:
    """Search the regency's areas and landmarks by name; place a civic address."""

    def __init__(self, boundaries: Sequence[Boundary], regency_code: str, landmarks: Sequence[Landmark] = (),
                 locate: Callable[[float, float], Jurisdiction] | None = None) -> None:
        by_code = {b.code: b for b in boundaries}
        self._entries: list[_Entry] = []
        for b in boundaries:
            lon, lat = b.label
            if not b.geometry.covers(shapely.Point(lon, lat)):
                point = b.geometry.representative_point()
                lon, lat = point.x, point.y
            chain = [by_code[c] for c in (b.parent, by_code[b.parent].parent if b.parent in by_code else None)
                     if c in by_code]
            context = ", ".join(short_name(p) for p in chain) or ("" if b.code == regency_code else "luar wilayah")
            kind = "kabupaten" if b.level is AreaLevel.KABUPATEN else b.kind
            place = Place(display_name(b), kind, round(lat, 6), round(lon, 6),
                          _covering_radius(b.geometry, lat, lon), context, b.code)
            own = b.code == regency_code or b.code.startswith(regency_code + ".")
            self._entries.append(_Entry(place, (split_level(b.name)[0],), b.level.value, b.parent, own))
        for m in landmarks:
            context = ""
            if locate is not None:
                j = locate(m.lat, m.lon)
                context = ", ".join(a.name if a.level is not AreaLevel.KECAMATAN else f"Kec. {a.name}"
                                    for a in (j.desa, j.kecamatan) if a is not None)
            keys = tuple(dict.fromkeys(split_level(n)[0] for n in (m.name, *m.aliases)))
            self._entries.append(_Entry(Place(m.name, "landmark", m.lat, m.lon, m.radius_m, context), keys,
                                        "landmark", None, True))

    def search(self, text: str, limit: int = 10) -> list[Place]:
        query, hint = split_level(text)
        if not query:
            return []
        ranked = [(self._best(e, query), e) for e in self._entries]
        ranked = [(s + (0.1 if hint and hint in (e.level, e.place.kind) else 0.0), e) for s, e in ranked if s > 0]
        ranked.sort(key=lambda se: (-se[0], not se[1].own, _KIND_ORDER.get(se[1].place.kind, 9), se[1].place.name))
        return [e.place for _, e in ranked[:limit]]

    @staticmethod
    def _best(entry: _Entry, query: str, *, whole: bool = False) -> float:
        return max(_score(query, k, whole=whole) for k in entry.keys)

    def find_civic(self, fields: Mapping[str, str]) -> Place | None:
        """A PIDF-LO civic address (RFC 5139: A2 kabupaten, A3 kecamatan, A4 desa/kelurahan, LMK landmark…) as
        the best desa within its kecamatan, else the kecamatan, else the landmark; None if nothing fits or
        A2 names another kabupaten/kota."""
        f = {k.upper(): v for k, v in fields.items() if v and v.strip()}
        if "A2" in f:
            kab = self._match("kabupaten", f["A2"])
            if kab is not None and not kab.own:
                return None
        kecamatan = self._match("kecamatan", f["A3"]) if "A3" in f else None
        if "A4" in f:
            desa = self._match("desa", f["A4"], parent=kecamatan.place.code if kecamatan else None)
            if desa is not None:
                return desa.place
        if kecamatan is not None:
            return kecamatan.place
        if "LMK" in f:
            landmark = self._match("landmark", f["LMK"])
            return landmark.place if landmark else None
        return None

    def _match(self, level: str, text: str, parent: str | None = None) -> _Entry | None:
        query = split_level(text)[0]
        if not query:
            return None
        scored = [(self._best(e, query, whole=True), e) for e in self._entries
                  if e.level == level and (parent is None or e.parent == parent)]
        # A civic field is a whole name: a prefix is not enough, a close spelling is.
        scored = [(s, e) for s, e in scored if s >= 3.0 or 1.0 < s < 2.0]
        if not scored:
            return None
        return max(scored, key=lambda se: (se[0], se[1].own))[1]
