"""A search over tickets, as the ticket list and the call taker's "previous calls" ask for it (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ec112.domain.errors import InvalidRequest
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import TicketStatus, parse_ticket_number

MAX_PAGE = 200
MAX_OFFSET = 2**31 - 1  # beyond any row count; larger integers overflow the database's INTEGER
# A search counts its matches up to this many past the page's offset (a text search: see count_ceiling): beyond,
# "more than" is all a list needs, and counting a million tickets would take longer than the page (issue 16).
COUNT_CAP = 1_000


@dataclass(frozen=True, slots=True)
class TicketQuery:
    text: str | None = None  # a ticket number, part of a caller number, or words of the address/description
    status: TicketStatus | None = None
    classification: Classification | None = None
    caller_e164: str | None = None  # exactly this caller (previous calls of a number)
    arrived_from: datetime | None = None  # aware; inclusive
    arrived_to: datetime | None = None  # aware; exclusive
    before_id: int | None = None  # only tickets older than this one
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidRequest(f"offset must be between 0 and {MAX_OFFSET}")
        for bound in (self.arrived_from, self.arrived_to):
            if bound is None:
                continue
            if bound.tzinfo is None:
                raise InvalidRequest("date bounds must carry a time zone")
            try:  # the store compares in UTC: 0001-01-01 at +07:00 has no UTC time
                bound.astimezone(UTC)
            except OverflowError:
                raise InvalidRequest("date out of range") from None
        if self.arrived_from and self.arrived_to and self.arrived_from >= self.arrived_to:
            raise InvalidRequest("the start of the date range must be before its end")

    @property
    def count_ceiling(self) -> int:
        """The highest total a search reports exactly; a larger one (``count_ceiling + 1``) means "more than".

        A text search counts no further than its page: its matches can only be found by reading them (a trigram
        index), so counting 1 000 of a common word would cost 20 pages' worth; the page itself says whether more
        follow."""
        return self.offset + (self.limit if self.text and self.text.strip() else COUNT_CAP)

    @property
    def ticket_id(self) -> int | None:
        """When the text is a ticket number (``112-261128-00042``), the id inside it."""
        return parse_ticket_number(self.text.strip()) if self.text else None

    @property
    def digits(self) -> str | None:
        """When the text looks like (part of) a phone number: its digits, for a contains-match."""
        if not self.text:
            return None
        stripped = self.text.strip().replace(" ", "").replace("-", "")
        body = stripped.removeprefix("+")
        return body if len(body) >= 3 and body.isdigit() else None
