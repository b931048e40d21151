"""Writing an import's people in bulk, inside the import's one transaction.

New rows go in with one executemany (SQLite) or COPY (PostgreSQL) per chunk, not one ORM
object each. (Writing a chunk on a second thread while the next is read was tried and
gained nothing — 76 s against 73 s for a million rows: SQLite's executemany takes
Python's lock again for every row, so it queues behind the reading thread.) On SQLite
the full-text index is the expensive part: its per-row trigger made a 200,000-row insert
take 16 s, against 2 s for the same rows with the index filled from them in one statement
afterwards (measured). So the insert trigger is dropped for the import and each chunk's
rows are added to the index together; SQLite's DDL is transactional, so a cancelled or
failed import rolls the trigger back with everything else, and no other connection can
write meanwhile (the import holds SQLite's one write lock). PostgreSQL computes its
search vector itself (a generated column).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.db.search_index import PREFIX, sqlite_trigger_sql
from orchid_desktop.domain.person_fields import columns_of, imported_into
from orchid_desktop.domain.search_terms import search_text
from orchid_desktop.domain.vocab import ImportTarget, LeadStatus, PipelineStage
from orchid_desktop.errors import ConflictError

IDENTITY = ("first_name", "last_name", "email", "phone_e164")
# The columns an import writes for a new person, from the catalogue
# (domain/person_fields.py); a lead's received time has a fallback (new_row).
WRITTEN = {target: columns_of(imported_into(target)) for target in ImportTarget}
IMPORT_CACHE_KIB = 256 * 1024
LARGE_IMPORT_ROWS = 100_000


def _for_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value.value if isinstance(value, Enum) else value


def model_for(target: ImportTarget) -> type[Lead | Contact]:
    return Lead if target is ImportTarget.LEADS else Contact


class BulkWriter:
    def __init__(self, session: Session, target: ImportTarget, batch_id: int,
                 staff_id: int | None, *, expected_rows: int = 0):
        self.session = session
        self.target = target
        self.model = model_for(target)
        self.table = cast(Table, self.model.__table__)  # a mapped class's table
        self.batch_id = batch_id
        self.staff_id = staff_id
        self.connection = session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        self._trigger = f"{PREFIX}{self.table.name}_ai"
        self._trigger_dropped = False
        # An import at least as large as the table (and large) drops the list's sort
        # indexes on SQLite and builds them again at the end: sorting once is cheaper
        # than keeping seven indexes in order row by row (1,000,000 rows: 56 s against
        # 68 s into an empty table, 71 s against 76 s into a million; 100,000 rows into a
        # million would pay the million's rebuild). The look-up indexes (email, phone,
        # batch) stay: matching needs them.
        large = (self.sqlite and expected_rows >= LARGE_IMPORT_ROWS and expected_rows
                 >= (self.connection.scalar(select(func.count()).select_from(self.table)) or 0))
        self._rebuilt = [index for index in self.table.indexes
                         if (index.name or "").startswith(f"ix_{self.table.name}_list_")
                         ] if large else []
        self._indexes_dropped = False
        self._analyzed = False
        if self.sqlite:
            # Inserting rows in file order touches every index at random places; with
            # SQLite's default 2 MB page cache each insert rereads index pages from the
            # file (34 µs a row against 11 µs with a cache holding the indexes). The
            # cache is this connection's and given back in finish().
            self.connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")

    def new_row(self, values: dict[str, Any], raw: dict[str, str], now: datetime) -> dict:
        """The row to insert for one person (every key present: one statement serves a
        whole chunk)."""
        row = {key: values.get(key) for key in WRITTEN[self.target]}
        row.update(search_text=search_text(*(row[k] for k in IDENTITY)),
                   import_batch_id=self.batch_id, created_by_id=self.staff_id, version=1,
                   created_at=now, updated_at=now)
        if self.model is Lead:
            row.update(status=LeadStatus.NEW.value, raw_form_data=raw,
                       received_at=values.get("received_at") or now)
        else:
            row.update(stage=PipelineStage.PRE_SCREEN.value, stage_changed_at=now,
                       country="US", profile={"imported_columns": raw} if raw else {})
        return row

    def insert(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        if self.sqlite:
            # SQLAlchemy's own conversions (instants, JSON, enums), a column at a time:
            # the same stored text as Core, at a third of its per-row cost
            values = [[row[c] for row in rows] for c in columns]
            for index, column in enumerate(columns):
                convert = self.table.c[column].type._cached_bind_processor(
                    self.connection.dialect)
                if convert is not None:
                    # the chunk's own instants (created, updated) are one object: once
                    same = values[index][0]
                    once = convert(same)
                    values[index] = [once if v is same else convert(v)
                                     for v in values[index]]
            prepared: list[Any] = list(zip(*values, strict=True))
        else:
            prepared = [[_for_copy(row[c]) for c in columns] for row in rows]
        self._write(columns, prepared)

    def _write(self, columns: list[str], prepared: list) -> None:
        names = ", ".join(columns)
        driver = self.connection.connection.driver_connection
        if driver is None:  # only after the connection was closed, which a writer never does
            raise RuntimeError("the import's database connection is closed")
        cursor = driver.cursor()
        if not self.sqlite:
            # COPY: PostgreSQL's bulk path, several times faster than multi-row INSERTs
            with cursor.copy(f"COPY {self.table.name} ({names}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            if not self._analyzed:
                # The planner judges the next chunk's look-ups by the table's statistics;
                # an empty table's say "empty" and it then chose to read every row per
                # look-up (a 100,000-row import took 91 s). ANALYZE sees this
                # transaction's own rows, and once is enough: estimates grow with the
                # table's size on disk.
                cursor.execute(f"ANALYZE {self.table.name}")
                self._analyzed = True
            return
        if not self._trigger_dropped:
            self.connection.exec_driver_sql(f"DROP TRIGGER {self._trigger}")
            self._trigger_dropped = True
        if self._rebuilt and not self._indexes_dropped:
            for index in self._rebuilt:
                index.drop(self.connection)
            self._indexes_dropped = True
        before = self.connection.scalar(select(func.coalesce(func.max(self.table.c.id), 0)))
        cursor.executemany(f"INSERT INTO {self.table.name} ({names}) "
                           f"VALUES ({', '.join('?' * len(columns))})", prepared)
        # this chunk's rows into the search index, in one statement
        self.connection.execute(text(
            f"INSERT INTO {PREFIX}{self.table.name}(rowid, search_text) "
            f"SELECT id, search_text FROM {self.table.name} "
            "WHERE id > :before AND import_batch_id = :batch"),
            {"before": before, "batch": self.batch_id})

    def refresh_search_text(self, row: dict) -> None:
        """After a later row of the file was merged into a pending one."""
        row["search_text"] = search_text(*(row[k] for k in IDENTITY))

    def update(self, person_id: int, version: int, changes: dict[str, Any],
               identity: dict[str, Any], *, bump: bool = True) -> None:
        """Set ``changes`` on one person, checking nobody changed them since they were
        read (the search words follow the identity fields)."""
        values = dict(changes, version=version + (1 if bump else 0), updated_at=utcnow())
        if any(key in changes for key in IDENTITY):
            values["search_text"] = search_text(*(identity[k] for k in IDENTITY))
        done = self.connection.execute(update(self.table).where(
            self.table.c.id == person_id, self.table.c.version == version).values(values))
        if done.rowcount != 1:
            raise ConflictError("Someone changed a matching record on another workstation "
                                "while the file was being imported. Nothing was written; "
                                "import the file again.")

    def finish(self) -> None:
        if self._indexes_dropped:
            for index in self._rebuilt:
                index.create(self.connection)
            self._indexes_dropped = False
        self._analyzed = False
        if self.sqlite:
            self.connection.exec_driver_sql("PRAGMA cache_size = -2000")  # the default
        if self._trigger_dropped:
            create = next(sql for sql in sqlite_trigger_sql(self.table.name)
                          if sql.startswith(f"CREATE TRIGGER {self._trigger} "))
            self.connection.exec_driver_sql(create)
            self._trigger_dropped = False

    @staticmethod
    def created_ids(session: Session, target: ImportTarget, batch_id: int) -> list[int]:
        model = model_for(target)
        return list(session.scalars(select(model.id).where(
            model.import_batch_id == batch_id).order_by(model.id)))
