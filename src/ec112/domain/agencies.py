"""Agencies (OPD) with authority over emergency categories, their posts and their responders (pure).

Loaded from the centre's agencies file (TOML, see ``ec112.agencies_file``) so that changing who handles
what needs no code change. The directory answers the dispatcher's first question: which agencies have
authority for this category, in the order the centre listed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_CODE = re.compile(r"^[a-z0-9_-]{2,32}$")


@dataclass(frozen=True, slots=True)
class Post:
    """Where an agency's responders start from (pos Damkar, Puskesmas, …)."""

    name: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Agency:
    code: str  # stable id, e.g. "damkar"
    name: str  # "Dinas Pemadam Kebakaran dan Penyelamatan"
    short_name: str  # "Damkar"
    categories: tuple[str, ...] = ()  # category codes it has authority for
    posts: tuple[Post, ...] = ()
    phone: str | None = None  # the agency's duty phone
    alternate_contact: str | None = None  # who is told when the agency does not acknowledge in time
    webhook_url: str | None = None  # dispatch/escalation notifications (signed), e.g. a WhatsApp gateway
    ack_timeout_seconds: int | None = None  # None: the centre's default


@dataclass(frozen=True, slots=True)
class Responder:
    username: str  # the responder's ec112 account
    agency: str
    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class AgencyDirectory:
    agencies: tuple[Agency, ...]
    responders: tuple[Responder, ...] = ()
    default_ack_timeout_seconds: int = 60  # the centre's default ([callcenter] ack_timeout_seconds)
    # Per category, the agencies proposed first when the file order does not fit (e.g. pohon_tumbang:
    # dlh before bpbd before damkar although damkar comes first for kebakaran).
    proposal_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    _by_code: dict[str, Agency] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.default_ack_timeout_seconds <= 0:
            raise ValueError(f"the default acknowledgement time must be positive: {self.default_ack_timeout_seconds}")
        by_code: dict[str, Agency] = {}
        for agency in self.agencies:
            if not _CODE.fullmatch(agency.code):
                raise ValueError(f"agency code must be a-z, 0-9, _ or - (2-32): {agency.code!r}")
            if agency.code in by_code:
                raise ValueError(f"agency listed twice: {agency.code!r}")
            by_code[agency.code] = agency
        for category, codes in self.proposal_order.items():
            for code in codes:
                if code not in by_code or category not in by_code[code].categories:
                    raise ValueError(f"{code!r} is ordered for {category!r} but has no authority for it")
        for responder in self.responders:
            if responder.agency not in by_code:
                raise ValueError(f"responder {responder.username!r} belongs to unknown agency {responder.agency!r}")
        object.__setattr__(self, "_by_code", by_code)

    def get(self, code: str) -> Agency | None:
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def with_authority(self, category: str | None) -> tuple[Agency, ...]:
        """Agencies that have authority for ``category``, in the centre's order (proposed first)."""
        if category is None:
            return ()
        rank = {code: i for i, code in enumerate(self.proposal_order.get(category, ()))}
        holders = [a for a in self.agencies if category in a.categories]
        return tuple(sorted(holders, key=lambda a: rank.get(a.code, len(rank))))  # stable: the rest in file order

    def ack_timeout_seconds(self, agency: Agency) -> int:
        """How long ``agency`` has to acknowledge a dispatch: its own time, else the centre's default."""
        return agency.ack_timeout_seconds or self.default_ack_timeout_seconds

    def responders_of(self, agency: str) -> tuple[Responder, ...]:
        return tuple(r for r in self.responders if r.agency == agency)

    def responder(self, username: str) -> Responder | None:
        return next((r for r in self.responders if r.username == username), None)

    def unknown_categories(self, known: Iterable[str]) -> set[str]:
        """Category codes the agencies claim but the catalogue does not have (a config mistake)."""
        known_set = set(known)
        return {c for a in self.agencies for c in a.categories if c not in known_set}
