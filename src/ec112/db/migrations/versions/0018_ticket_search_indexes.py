"""ticket search at a million tickets (issue 16): text and caller-number search by index, list filters by index

A search for words or part of a caller number is a contains-match (``%merdeka%``), which no B-tree can answer:
- SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34) over the searched columns, external content
  (the text stays in ``tickets``), kept in step by triggers. The update trigger fires only when a searched column
  changes, so the call's life (status, answer, end) never touches it. NOTE: a later batch-mode migration of
  ``tickets`` (which copies the table) drops these triggers: it must create them again (``_SQLITE_TRIGGERS``).
- PostgreSQL: pg_trgm GIN indexes on exactly the expressions the search compares (``lower(address)`` …).
Both: the ticket list's filters (status, classification, both) get indexes that end in ``arrived_at``, so a page
newest first, with or without a date range, is read in order from the index instead of found by scanning.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("address", "description", "caller_name", "caller_number_e164", "caller_number_raw")
_COLS = ", ".join(SEARCHED)
_NEW = ", ".join(f"new.{c}" for c in SEARCHED)
_OLD = ", ".join(f"old.{c}" for c in SEARCHED)
_SQLITE_TRIGGERS = (  # constant DDL (column names above), nothing from outside
    f"CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN "  # noqa: S608
    f"INSERT INTO tickets_fts (rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN "  # noqa: S608
    f"INSERT INTO tickets_fts (tickets_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER tickets_fts_update AFTER UPDATE OF {_COLS} ON tickets BEGIN "  # noqa: S608
    f"INSERT INTO tickets_fts (tickets_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO tickets_fts (rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
)
# The ticket list's filters, each ending in the arrival: the list reads a page newest first straight off them.
_LIST = (
    ("ix_tickets_status_arrived_at", ("status", "arrived_at")),
    ("ix_tickets_classification_arrived_at", ("classification", "arrived_at")),
    ("ix_tickets_status_classification_arrived_at", ("status", "classification", "arrived_at")),
)
# PostgreSQL: (index name, indexed expression) — the expressions db/tickets.py compares with LIKE.
_PG_TRIGRAM = (
    ("ix_tickets_address_trgm", "lower(address)"),
    ("ix_tickets_description_trgm", "lower(description)"),
    ("ix_tickets_caller_name_trgm", "lower(caller_name)"),
    ("ix_tickets_caller_number_e164_trgm", "caller_number_e164"),
    ("ix_tickets_caller_number_raw_trgm", "caller_number_raw"),
)


def upgrade() -> None:
    for name, columns in _LIST:
        op.create_index(name, "tickets", list(columns))
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE tickets_fts USING fts5({_COLS}, content='tickets', content_rowid='id', "
                   f"tokenize='trigram')")
        op.execute("INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')")  # the tickets already there
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database owner may
        for name, expression in _PG_TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON tickets USING gin ({expression} gin_trgm_ops)")
            if expression.startswith("lower("):  # finer statistics: a rare word is not taken for a common one
                op.execute(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS 1000")
        # Status and classification depend on each other (a "new" ticket has none): without these statistics the
        # planner multiplies their shares, expects thousands of "new"+"prank" tickets, and scans a million rows.
        op.execute("CREATE STATISTICS tickets_status_classification (mcv) ON status, classification FROM tickets")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for trigger in ("tickets_fts_insert", "tickets_fts_delete", "tickets_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS tickets_fts")
    else:
        op.execute("DROP STATISTICS IF EXISTS tickets_status_classification")
        for name, _expression in _PG_TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _columns in reversed(_LIST):
        op.drop_index(name, table_name="tickets")
