"""Pure domain: calls, tickets, locations. No I/O, no framework imports."""
