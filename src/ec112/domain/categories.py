"""Emergency categories a call taker picks when a call is a real emergency (darurat).

The default catalogue follows the regency's agencies (issue 5 maps each category to the agencies with
authority through configuration); a centre can replace it in its config file without code changes.
Codes are stable identifiers stored on tickets; labels are shown in Indonesian first, English second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CODE = re.compile(r"^[a-z0-9_]{2,40}$")


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label_id: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_id


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("kebakaran", "Kebakaran", "Fire"),
    Category("kecelakaan_lalu_lintas", "Kecelakaan lalu lintas", "Traffic accident"),
    Category("kegawatdaruratan_medis", "Kegawatdaruratan medis", "Medical emergency"),
    Category("banjir", "Bencana alam: banjir", "Natural disaster: flood"),
    Category("longsor", "Bencana alam: tanah longsor", "Natural disaster: landslide"),
    Category("gempa", "Bencana alam: gempa bumi", "Natural disaster: earthquake"),
    Category("pohon_tumbang", "Pohon tumbang", "Fallen tree"),
    Category("jalan_jembatan_rusak", "Jalan/jembatan rusak", "Damaged road or bridge"),
    Category("pencemaran_lingkungan", "Pencemaran lingkungan", "Environmental pollution"),
    Category("kekerasan_perempuan_anak", "Kekerasan terhadap perempuan dan anak",
             "Violence against women and children"),
    Category("orang_terlantar", "Orang terlantar", "Neglected or stranded person"),
    Category("gangguan_ketertiban", "Gangguan ketertiban umum", "Public order disturbance"),
    Category("hewan_liar", "Hewan liar/berbisa", "Wild or venomous animal"),
    Category("air_bersih", "Gangguan air bersih", "Clean water outage"),
    Category("lainnya", "Lainnya", "Other"),
)


class CategoryCatalogue:
    def __init__(self, categories: Iterable[Category] = DEFAULT_CATEGORIES) -> None:
        self._by_code: dict[str, Category] = {}
        for category in categories:
            if not _CODE.fullmatch(category.code):
                raise ValueError(f"category code must be a-z, 0-9 or _ (2-40): {category.code!r}")
            if category.code in self._by_code:
                raise ValueError(f"category code listed twice: {category.code!r}")
            self._by_code[category.code] = category

    @classmethod
    def from_config(cls, rows: Iterable[Mapping[str, str]]) -> CategoryCatalogue:
        return cls(Category(r["code"], r["label_id"], r.get("label_en") or r["label_id"]) for r in rows)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def all(self) -> tuple[Category, ...]:
        return tuple(self._by_code.values())

    def get(self, code: str) -> Category | None:
        return self._by_code.get(code)
