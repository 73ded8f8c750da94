"""The tickets of the calls in progress, kept in memory by the database adapter.

Why: during a call every part of ec112 reads its ticket (the call tracker at each call state, presence, callbacks,
recordings, locations…): about ten reads per call, each an ORM load and a thread hop on SQLite, were the largest
share of the worker's CPU per call (bench profile, issue 16). A call's ticket is written by this process only, so
the adapter can answer those reads from memory.

Coherence: every writer of the ``tickets`` table in the process holds the same cache and, after its commit, puts the
ticket as committed (``put``) or drops it (``forget``). A read that missed fills the cache only if no write happened
since the read began (``generation``), so a slow read cannot put back a copy older than a write that overtook it.
A writer in another process (none touches tickets while the daemon runs: the CLI goes through the API) is not seen.
"""

from __future__ import annotations

from collections import OrderedDict

from ec112.domain.tickets import Ticket

DEFAULT_SIZE = 4096  # far above the calls a centre has in progress at once


class TicketCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = max(0, size)  # 0: keeps nothing
        self._by_id: OrderedDict[int, Ticket] = OrderedDict()
        self._id_of: dict[str, int] = {}  # linkedid -> ticket id (fixed for a ticket's life)
        self._generation = 0

    @property
    def generation(self) -> int:
        """Moves at every write: take it before a read, hand it to ``fill`` after."""
        return self._generation

    def get(self, ticket_id: int) -> Ticket | None:
        ticket = self._by_id.get(ticket_id)
        if ticket is not None:
            self._by_id.move_to_end(ticket_id)
        return ticket

    def by_linkedid(self, linkedid: str) -> Ticket | None:
        ticket_id = self._id_of.get(linkedid)
        return None if ticket_id is None else self.get(ticket_id)

    def put(self, ticket: Ticket) -> None:
        """The ticket as a writer just committed it."""
        self._generation += 1
        self._store(ticket)

    def fill(self, ticket: Ticket, generation: int) -> None:
        """A ticket read from the database, kept only if nothing was written since the read began."""
        if generation == self._generation:
            self._store(ticket)

    def forget(self, ticket_id: int) -> None:
        """A writer changed the ticket in a way it does not hand back whole: the next read goes to the database."""
        self._generation += 1
        ticket = self._by_id.pop(ticket_id, None)
        if ticket is not None:
            self._id_of.pop(ticket.linkedid, None)

    def _store(self, ticket: Ticket) -> None:
        if not self._size:
            return
        self._by_id[ticket.id] = ticket
        self._by_id.move_to_end(ticket.id)
        self._id_of[ticket.linkedid] = ticket.id
        while len(self._by_id) > self._size:
            _, oldest = self._by_id.popitem(last=False)
            if self._id_of.get(oldest.linkedid) == oldest.id:
                del self._id_of[oldest.linkedid]
