"""The Imports history: every import batch, and undoing one.

Undo removes the people the import created and puts back what it changed, but never
takes away work done since: a created person who has been edited, promoted, screened by
a person, noted or enrolled since is kept (and counted), and an updated field that has
been changed again since keeps its newer value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import (
    Client,
    Contact,
    ContactDocument,
    ContactEmail,
    ContactNote,
    Enrolment,
    ImportBatch,
    ImportBatchChange,
    Lead,
    MassEmailRecipient,
    OutboxMessage,
    ScreeningEvaluation,
    Staff,
)
from orchid_desktop.db.models.base import table_of, utcnow
from orchid_desktop.db.search_index import PREFIX, sqlite_trigger_sql
from orchid_desktop.domain.search_terms import search_text
from orchid_desktop.domain.vocab import ImportStatus, ImportTarget
from orchid_desktop.errors import UserError

from . import audit
from .import_writer import IDENTITY


@dataclass(frozen=True)
class BatchSummary:
    id: int
    imported_at: datetime
    file_name: str
    source_label: str
    target: ImportTarget
    created: int
    updated: int
    skipped: int
    rejected: int
    imported_by: str
    undone_at: datetime | None

    @property
    def can_undo(self) -> bool:
        return self.undone_at is None


def list_batches(session: Session, limit: int = 500) -> list[BatchSummary]:
    rows = session.execute(
        select(ImportBatch, Staff.display_name)
        .outerjoin(Staff, Staff.id == ImportBatch.imported_by_id)
        .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc()).limit(limit))
    return [BatchSummary(b.id, b.imported_at, b.file_name, b.source_label, b.target,
                         b.created_count, b.updated_count, b.skipped_count, b.rejected_count,
                         name or "", b.undone_at) for b, name in rows]


@dataclass(frozen=True)
class UndoResult:
    removed: int
    restored: int
    kept: int  # created people changed since, so not removed
    kept_fields: int  # updated fields changed again since, so not restored

    def summary(self) -> str:
        text_ = f"Removed {self.removed:,} and restored {self.restored:,}."
        if self.kept or self.kept_fields:
            text_ += (f" Kept {self.kept:,} people and {self.kept_fields:,} values that were "
                      "changed after the import.")
        return text_


def undo_batch(sessions: sessionmaker[Session], batch_id: int, *,
               staff_id: int | None) -> UndoResult:
    with sessions.begin() as session:
        batch = session.get(ImportBatch, batch_id, with_for_update=True)
        if batch is None:
            raise UserError("That import no longer exists.")
        if batch.undone_at is not None:
            raise UserError(f"The import of {batch.file_name} was already undone.")
        created = removed = 0
        # both kinds, whatever the batch was imported as: demo data is one batch of both
        for model in (Lead, Contact):  # leads first: a lead may point at a contact
            created += session.scalar(select(func.count()).where(
                model.import_batch_id == batch_id)) or 0
            removed += _remove(session, model, _untouched(model, batch_id))
        restored, kept_fields = _restore(session, batch_id)
        batch.status, batch.undone_at, batch.undone_by_id = (ImportStatus.UNDONE, utcnow(),
                                                             staff_id)
        result = UndoResult(removed, restored, created - removed, kept_fields)
        audit.record(session, staff_id=staff_id, entity_type="import_batch",
                     entity_id=batch_id, action="import_undone",
                     changes={"removed": removed, "restored": restored,
                              "kept": result.kept, "kept_fields": kept_fields})
        return result


def _untouched(model, batch_id: int):
    """The people this batch created that nobody has touched since."""
    conditions = [model.import_batch_id == batch_id, model.version == 1]
    key = "lead_id" if model is Lead else "contact_id"
    # enrolled, mailed or (for contacts) noted, documented, linked or made a client
    referrers = [Enrolment, MassEmailRecipient, OutboxMessage]
    if model is Lead:
        conditions.append(Lead.contact_id.is_(None))  # promoted: someone worked on it
    else:
        merged = Contact.__table__.alias("merged")
        conditions += [Contact.merged_into_id.is_(None),
                       ~exists().where(merged.c.merged_into_id == Contact.id)]
        referrers += [ContactNote, ContactEmail, ContactDocument, Lead, Client]
    for referrer in referrers:
        conditions.append(~exists().where(getattr(referrer, key) == model.id))
    return select(model.id).where(*conditions)


def _remove(session: Session, model, untouched) -> int:
    connection = session.connection()
    table = model.__table__
    if model is Contact:
        session.execute(delete(ScreeningEvaluation).where(
            ScreeningEvaluation.contact_id.in_(untouched)))
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # as on import: the search index in one statement, not a trigger per row
        connection.exec_driver_sql(f"DROP TRIGGER {PREFIX}{table.name}_ad")
        connection.execute(text(
            f"INSERT INTO {PREFIX}{table.name}({PREFIX}{table.name}, rowid, search_text) "
            f"SELECT 'delete', id, search_text FROM {table.name} WHERE id IN "
            f"({_compiled(untouched, connection)})"))
    removed = connection.execute(delete(table).where(table.c.id.in_(untouched))).rowcount
    if sqlite:
        connection.exec_driver_sql(next(sql for sql in sqlite_trigger_sql(table.name)
                                        if f"{table.name}_ad " in sql))
    session.expire_all()
    return removed


def _compiled(query, connection) -> str:
    return str(query.compile(connection, compile_kwargs={"literal_binds": True}))


def _restore(session: Session, batch_id: int) -> tuple[int, int]:
    """Put back what the import changed. A person untouched since is put back whole,
    version included; otherwise each field still as the import left it is put back, and
    one changed since keeps its newer value (as does an email or phone whose return
    would leave the person with neither)."""
    restored = kept_fields = 0
    changes = session.scalars(select(ImportBatchChange).where(
        ImportBatchChange.batch_id == batch_id, ImportBatchChange.action == "updated"))
    for change in changes:
        model: type[Lead] | type[Contact] = Lead if change.entity_type == "lead" else Contact
        person: Lead | Contact | None = session.get(Lead, change.entity_id) \
            if model is Lead else session.get(Contact, change.entity_id)
        record = change.previous_values
        if person is None or record is None:  # no record: nothing to put back
            continue
        before, after = record["before"], record["after"]
        unchanged = {key for key in before
                     if getattr(person, key) == _typed(model, key, after.get(key))}
        put_back = {key: _typed(model, key, before[key]) for key in unchanged}
        reachable = {k: put_back.get(k, getattr(person, k))
                     for k in ("email_normalized", "phone_e164")}
        if not any(reachable.values()):
            for key in ("email", "email_normalized", "phone_e164"):
                put_back.pop(key, None)
        kept_fields += len(before) - len(put_back)
        if not put_back:
            continue
        identity = {k: put_back.get(k, getattr(person, k)) for k in IDENTITY}
        values = dict(put_back, search_text=search_text(*identity.values()))
        if len(put_back) == len(before) and person.version == record.get("version_after"):
            values["version"] = record["version_before"]  # as if the import never was
        else:
            values["version"] = person.version + 1
        table = table_of(model)
        session.execute(update(table).where(table.c.id == person.id,
                                            table.c.version == person.version).values(values))
        audit.record(session, staff_id=None, entity_type=change.entity_type,
                     entity_id=person.id, action="import_update_undone",
                     changes={k: [after.get(k), before[k]] for k in put_back},
                     reason=f"import #{batch_id} undone", is_system=True)
        restored += 1
    session.flush()
    session.expire_all()
    return restored, kept_fields


def _typed(model, key: str, value):
    """A value from the change record, back in the column's own type."""
    if value is None or isinstance(value, (dict, list)):
        return value
    python_type = model.__table__.c[key].type.python_type
    if python_type is str:
        return value
    if hasattr(python_type, "fromisoformat"):
        return python_type.fromisoformat(value)
    return python_type(value)

