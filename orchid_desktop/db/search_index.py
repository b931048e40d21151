"""The full-text search indexes over ``search_text``, which the models cannot declare.

SQLite: an external-content FTS5 table per list (``fts_leads``, ``fts_contacts``) kept in
step by triggers. PostgreSQL: a stored generated column ``fts_vector`` (``to_tsvector(
'simple', search_text)``, so rows tested one by one are not re-parsed) with a GIN index.
Both are created by migration 0002, named ``fts_…`` and left out of the model comparison.

Note for later migrations: SQLite batch mode rebuilds a table by copying it, which drops
its triggers; a migration that batch-alters ``leads`` or ``contacts`` must recreate them
(``sqlite_trigger_sql``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, column, func, literal_column, select, table, text

if TYPE_CHECKING:
    from orchid_desktop.db.models import Contact, Lead

SEARCHED_TABLES = ("leads", "contacts")
PREFIX = "fts_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: the search objects are the migrations' business alone."""
    return not (name or "").startswith(PREFIX)


def sqlite_create_sql(table_name: str) -> list[str]:
    fts = PREFIX + table_name
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table_name}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
        *sqlite_trigger_sql(table_name),
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def sqlite_trigger_sql(table_name: str) -> list[str]:
    fts = PREFIX + table_name
    insert = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    delete = (f"INSERT INTO {fts}({fts}, rowid, search_text) "
              "VALUES ('delete', old.id, old.search_text);")
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table_name} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table_name} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table_name} "
        f"BEGIN {delete} {insert} END",
    ]


def sqlite_drop_sql(table_name: str) -> list[str]:
    fts = PREFIX + table_name
    return [*(f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")),
            f"DROP TABLE IF EXISTS {fts}"]


def postgresql_create_sql(table_name: str) -> list[str]:
    return [f"ALTER TABLE {table_name} ADD COLUMN {PREFIX}vector tsvector GENERATED ALWAYS "
            "AS (to_tsvector('simple', search_text)) STORED",
            f"CREATE INDEX {PREFIX}{table_name} ON {table_name} USING gin ({PREFIX}vector)"]


def postgresql_drop_sql(table_name: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS {PREFIX}{table_name}",
            f"ALTER TABLE {table_name} DROP COLUMN IF EXISTS {PREFIX}vector"]


def matches(dialect: str, model: type[Lead] | type[Contact], query: str, *,
            few: bool = False) -> ColumnElement[bool]:
    """A WHERE clause: ``model``'s row matches every word prefix of ``query`` (already
    built by domain.search_terms for the dialect).

    ``few`` (PostgreSQL): the caller knows the matches are few, so collect them through
    the GIN index first (``OFFSET 0`` keeps the planner from folding that step back in)
    rather than letting the planner walk the sort index testing row after row — 5 ms
    instead of 0.7 s for 1,000 matches in a million. For many matches the walk is the
    faster plan, and the planner picks it.
    """
    table_name = model.__tablename__
    if dialect == "sqlite":
        fts = table(PREFIX + table_name, column("rowid"))
        hits = select(fts.c.rowid).where(text(f"{PREFIX}{table_name} MATCH :fts_query")
                                         .bindparams(fts_query=query))
        return model.id.in_(hits)
    tsquery = func.to_tsquery(literal_column("'simple'"), query)
    if few:
        found = table(table_name, column("id"), column(PREFIX + "vector")).alias("hits")
        return model.id.in_(select(found.c.id).where(
            found.c[PREFIX + "vector"].bool_op("@@")(tsquery)).offset(0))
    return literal_column(f"{table_name}.{PREFIX}vector").bool_op("@@")(tsquery)



