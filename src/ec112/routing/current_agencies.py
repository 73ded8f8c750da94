"""The agencies in force while the daemon runs: one immutable ``Agencies`` value, replaced whole (pure).

Why it exists: the agencies admin page (and ``ec112 agencies import``) changes the directory and the category
catalogue at run time, without a restart. The directory itself stays immutable (a frozen ``AgencyDirectory``
built and checked by ``build_agencies``); what changes is which value is current. The services that need it
(dispatch, the agencies' webhooks, the ticket desk's categories) and the web read ``current.directory`` /
``current.categories`` at the moment they use it, so a dispatch made after a change uses the new
acknowledgement time, and a dispatch already made keeps the deadline it was given.

No lock: the event loop is single-threaded and a replacement is one assignment, so a reader sees either the
old value or the new one, never a mix.
"""

from __future__ import annotations

from ec112.domain.categories import CategoryCatalogue
from ec112.routing.agencies import Agencies, AgencyDirectory


class CurrentAgencies:
    def __init__(self, agencies: Agencies) -> None:
        self._agencies = agencies

    @classmethod
    def of(cls, value: AgencyDirectory | CurrentAgencies, categories: CategoryCatalogue | None = None
           ) -> CurrentAgencies:
        """``value`` itself, or a fixed directory wrapped (tests and tools that never change agencies)."""
        if isinstance(value, CurrentAgencies):
            return value
        return cls(Agencies(categories if categories is not None else CategoryCatalogue(), value))

    @property
    def value(self) -> Agencies:
        return self._agencies

    @property
    def directory(self) -> AgencyDirectory:
        return self._agencies.directory

    @property
    def categories(self) -> CategoryCatalogue:
        return self._agencies.categories

    def replace(self, agencies: Agencies) -> None:
        """Make ``agencies`` (already validated by the one loader) the current value."""
        self._agencies = agencies
