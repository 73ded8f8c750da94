"""Who gets an incident: the agency directory and the proposal rules (pure).

What lives where:

- ``ec112.domain.agencies``: the entities — ``Agency`` (OPD), its ``Post``\\ s, its ``Responder``\\ s.
- here: the directory (which agencies have authority for a category, in the order the centre proposes them),
  ``build_agencies`` (the directory and the category catalogue from the agencies file's rows, with every
  mistake between them reported at once), and the rules the dispatch service and the call taker's card share:
  what is proposed for a ticket, when a ticket may be dispatched or closed, an agency's acknowledgement time.
- ``ec112.config.agencies_file``: the adapter at the edge. It reads the TOML file (I/O), checks its shape and
  hands the rows to ``build_agencies``.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from ec112.domain.agencies import Agency, Responder
from ec112.domain.categories import Category, CategoryCatalogue
from ec112.domain.dispatch import Dispatch, DispatchStatus, can_dispatch
from ec112.domain.errors import InvalidRequest
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import Ticket, TicketStatus

_CODE = re.compile(r"^[a-z0-9_-]{2,32}$")
_FINISHED = frozenset({TicketStatus.CLOSED, TicketStatus.CANCELLED})


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
        return round(ack_timeout_of(agency, timedelta(seconds=self.default_ack_timeout_seconds)).total_seconds())

    def responders_of(self, agency: str) -> tuple[Responder, ...]:
        return tuple(r for r in self.responders if r.agency == agency)

    def responder(self, username: str) -> Responder | None:
        return next((r for r in self.responders if r.username == username), None)

    def unknown_categories(self, known: Iterable[str]) -> set[str]:
        """Category codes the agencies claim but the catalogue does not have (a config mistake)."""
        known_set = set(known)
        return {c for a in self.agencies for c in a.categories if c not in known_set}


# --- the proposal rules --------------------------------------------------------------------------------------


def ack_timeout_of(agency: Agency | None, default: timedelta) -> timedelta:
    """How long an agency has to acknowledge a dispatch before it escalates: its own time, else ``default``."""
    own = agency.ack_timeout_seconds if agency is not None else None
    return timedelta(seconds=own) if own else default


def agencies_to_dispatch(directory: AgencyDirectory, requested: Sequence[str]) -> tuple[str, ...]:
    """The agencies a dispatch goes to, each once in the order asked; ``InvalidRequest`` for an unknown one."""
    unknown = [a for a in requested if a not in directory]
    if unknown:
        raise InvalidRequest(f"unknown agency: {', '.join(unknown)}")
    return tuple(dict.fromkeys(requested))


def dispatchable(ticket: Ticket) -> bool:
    """Only a real emergency (darurat) is dispatched, and more agencies may join until the ticket is closed."""
    return ticket.classification == Classification.EMERGENCY.value and can_dispatch(ticket.status)


def finished(ticket: Ticket) -> bool:
    return ticket.status in _FINISHED


def closable(ticket: Ticket, dispatches: Iterable[Dispatch]) -> bool:
    """The card offers "close" once it was dispatched and every agency is done (resolved, or cancelled)."""
    dispatches = list(dispatches)
    live = [d for d in dispatches if d.status is not DispatchStatus.CANCELLED]
    return bool(live) and not any(d.open for d in dispatches) and not finished(ticket)


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    """What the call taker may do about a ticket's agencies: proposed first, the others on request."""

    dispatchable: bool
    finished: bool
    proposed: tuple[Agency, ...]  # with authority for the ticket's category, in the centre's order
    others: tuple[Agency, ...]  # every other agency, in file order
    open_codes: frozenset[str]  # agencies with an open dispatch: not offered again
    closable: bool


def dispatch_options(ticket: Ticket, dispatches: Sequence[Dispatch], directory: AgencyDirectory) -> DispatchOptions:
    proposed = directory.with_authority(ticket.category)
    codes = {a.code for a in proposed}
    return DispatchOptions(
        dispatchable=dispatchable(ticket),
        finished=finished(ticket),
        proposed=proposed,
        others=tuple(a for a in directory.agencies if a.code not in codes),
        open_codes=frozenset(d.agency for d in dispatches if d.open),
        closable=closable(ticket, dispatches),
    )


# --- building the directory from the agencies file's rows ----------------------------------------------------


class Agencies(NamedTuple):
    categories: CategoryCatalogue
    directory: AgencyDirectory

    def unassigned_categories(self) -> list[str]:
        """Categories no agency has authority for (the call taker then picks agencies by hand)."""
        return [c.code for c in self.categories.all() if not self.directory.with_authority(c.code)]


class DirectoryError(ValueError):
    """The rows do not make one directory; ``problems`` says every reason, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def build_agencies(
    categories: Sequence[Category],
    agencies: Sequence[Agency],
    responders: Sequence[Responder] = (),
    orders: Sequence[tuple[str, Sequence[str]]] = (),
    *,
    default_ack_timeout_seconds: int = 60,
) -> Agencies:
    """The catalogue and the directory, or ``DirectoryError`` listing every mistake between the rows.

    ``orders``: per category, its ``agency_order`` (the agencies proposed first), as the file lists them.
    """
    problems = directory_problems(categories, agencies, responders, orders)
    if problems:
        raise DirectoryError(problems)
    order = {category: tuple(codes) for category, codes in orders if codes}
    try:
        return Agencies(CategoryCatalogue(categories),
                        AgencyDirectory(tuple(agencies), tuple(responders), default_ack_timeout_seconds, order))
    except ValueError as exc:  # the directory's own checks; the cross-check should have said it first
        raise DirectoryError([str(exc)]) from exc


def directory_problems(
    categories: Sequence[Category],
    agencies: Sequence[Agency],
    responders: Sequence[Responder],
    orders: Sequence[tuple[str, Sequence[str]]],
) -> list[str]:
    """Mistakes between the tables: duplicates, unknown categories/agencies, an order that names a stranger."""
    problems = [f"category {c!r} is listed twice" for c in _twice(c.code for c in categories)]
    problems += [f"agency {a!r} is listed twice" for a in _twice(a.code for a in agencies)]
    problems += [f"responder {r!r} is listed twice" for r in _twice(r.username for r in responders)]
    known = [c.code for c in categories]
    authority = {a.code: set(a.categories) for a in agencies}
    for a in agencies:
        where = f"agency {a.code!r}"
        problems += [f"{where}: unknown category {c!r}{did_you_mean(c, known)}" for c in dict.fromkeys(a.categories)
                     if c not in known]
        problems += [f"{where}: category {c!r} is listed twice" for c in _twice(a.categories)]
    for category, codes in orders:
        for code in codes:
            if code not in authority:
                problems.append(f"category {category!r}: agency_order names unknown agency {code!r}"
                                f"{did_you_mean(code, list(authority))}")
            elif category not in authority[code]:
                problems.append(f"category {category!r}: agency_order names {code!r}, which has no authority for "
                                f"it (add {category!r} to that agency's categories)")
        problems += [f"category {category!r}: agency_order lists {a!r} twice" for a in _twice(codes)]
    for r in responders:
        if r.agency not in authority:
            problems.append(f"responder {r.username!r}: unknown agency {r.agency!r}"
                            f"{did_you_mean(r.agency, list(authority))}")
    return problems


def _twice(values: Iterable[str]) -> list[str]:
    return [v for v, n in Counter(values).items() if n > 1]


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``value``, else empty."""
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
