"""The database behind each ec112 start of the benchmark: a fresh, empty one every time, on either engine.

SQLite: a new var/ directory per start (the daemon's own file). PostgreSQL: the server ec112.lab.postgres
finds (127.0.0.1:5432, EC112_TEST_PG_DSN) or starts privately for the run, and a new database per start,
dropped after it — so no step inherits another's tickets and both engines start from the same empty state.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator

from ec112.lab.postgres import PgServer, create_database, drop_database, provisioned, run_sync

ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class Databases:
    def __init__(self, server: PgServer | None) -> None:
        self.server = server

    @contextlib.contextmanager
    def fresh(self, engine: str) -> Iterator[str | None]:
        """The daemon's database URL for one start (None: SQLite under its var/)."""
        if engine == "sqlite":
            yield None
            return
        if engine != "postgresql" or self.server is None:
            raise ValueError(f"no database for engine {engine!r}")
        name = f"ec112_bench_{uuid.uuid4().hex[:12]}"
        url = run_sync(create_database(self.server, name))
        try:
            yield url
        finally:
            run_sync(drop_database(self.server, name))


@contextlib.contextmanager
def databases(engines: Iterable[str]) -> Iterator[Databases]:
    """A PostgreSQL server for the run only when an engine needs it."""
    if "postgresql" not in set(engines):
        yield Databases(None)
        return
    with provisioned() as server:
        yield Databases(server)
