"""Deciding, row by row, what an import does with each person: create them, update the
person they duplicate, or skip them — by the user's choice of skip, fill empty fields,
overwrite, or create anyway.

A row duplicates someone when they share the normalised email, or the phone unless
both have an email and the emails differ (a family's shared phone is not one person).
Names are never compared: two people may share one. The people already known are found
with one indexed look-up per chunk; people this import has already written are found
the same way (the import's transaction sees them), and the file's own earlier rows by
the keys remembered here, so a dry run counts exactly what the import would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, ImportBatchChange, Lead
from orchid_desktop.domain.person_fields import (
    CONTACTS,
    LEADS,
    columns_of,
    imported_into,
)
from orchid_desktop.domain.vocab import DuplicatePolicy, ImportTarget

from . import audit
from .import_rows import CleanChunk, required_defaults
from .import_writer import BulkWriter, model_for

LOOKUP_BATCH = 2_000  # keys per IN (…) look-up, well under every driver's limit
# The columns a row may fill or overwrite on a person it matches, from the catalogue
# (domain/person_fields.py): what the import reads and keeps, but never the lead's first
# received time.
UPDATABLE = {target: columns_of(f for f in imported_into(target) if f.import_updates)
             for target in ImportTarget}
SHARED_FIELDS = tuple(c for c in UPDATABLE[LEADS] if c in UPDATABLE[CONTACTS])
CONTACT_FIELDS = tuple(c for c in UPDATABLE[CONTACTS] if c not in SHARED_FIELDS)


@dataclass
class Known:
    """A person already in the database that rows may match."""

    id: int
    version: int
    batch_id: int | None
    values: dict[str, Any]


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


class ChunkMatcher:
    def __init__(self, session: Session, options, writer: BulkWriter | None,
                 staff_id: int | None, *, batch_id: int | None):
        self.session = session
        self.options = options
        self.policy: DuplicatePolicy = options.on_duplicate
        self.model = model_for(options.target)
        self.contacts = options.target is ImportTarget.CONTACTS
        self.fields = UPDATABLE[options.target]
        self.defaults = {key: default for key, default in required_defaults(
            options.default_applicant_type, options.default_source).items()
            if key in self.fields}
        self.writer = writer
        self.staff_id = staff_id
        self.batch_id = batch_id
        # the file's accepted rows so far: email → row, phone → (email, row)
        self.file_emails: dict[str, int] = {}
        self.file_phones: dict[str, tuple[str | None, int]] = {}
        self.changes: dict[int, ImportBatchChange] = {}
        # people this import has updated, as they are now: a dry run writes nothing, so
        # later chunks must see its updates here, and a filled-in email or phone must
        # match the file's later rows at once
        self.touched: dict[int, Known] = {}
        self._by_email: dict[str, Known] = {}
        self._by_phone: dict[str, list[Known]] = {}

    # -- one chunk ----------------------------------------------------------------------
    def take(self, clean: CleanChunk) -> Tally:
        tally = Tally()
        accepted = [i for i, reason in enumerate(clean.rejected) if reason is None]
        v = clean.values
        known_by_email, known_by_phone = self._by_email, self._by_phone = self._known(
            {v["email_normalized"][i] for i in accepted} - {None},
            {v["phone_e164"][i] for i in accepted} - {None})
        mapped = self._mapped_fields(clean)
        now = datetime.now(UTC)
        pending: list[dict] = []
        pending_by_row: dict[int, tuple[dict, dict[str, Any]]] = {}
        for i in accepted:
            row = clean.rows[i]
            values = {key: v[key][i] for key in self.fields}
            values["received_at"] = v["received_at"][i]
            email, phone = values["email_normalized"], values["phone_e164"]
            known = known_by_email.get(email) if email else None
            if known is None and phone:
                known = next((k for k in known_by_phone.get(phone, ())
                              if _same_person(email, k.values["email_normalized"])), None)
            earlier = self._earlier_row(email, phone)
            if known is None and earlier is None:
                self._remember(email, phone, row)
                self._create(values, clean.raw[i], now, pending, pending_by_row, row)
                tally.created += 1
                continue
            tally.duplicates += 1
            ours = (known is not None and self.batch_id is not None
                    and known.batch_id == self.batch_id)
            if self.policy is DuplicatePolicy.CREATE:
                if self.contacts and email and (
                        (known is not None and known.values["email_normalized"] == email)
                        or email in self.file_emails):
                    tally.refused.append((row, _contact_email_taken(known, earlier, ours)))
                    continue
                self._remember(email, phone, row)
                self._create(values, clean.raw[i], now, pending, pending_by_row, row)
                tally.created += 1
            elif self.policy is DuplicatePolicy.SKIP:
                tally.skipped += 1
            elif known is not None and not ours:
                changed = self._update(known, values, clean.raw[i], mapped, row)
                if changed:
                    tally.updated += 1
                else:
                    tally.skipped += 1
            else:
                # repeats an earlier row of this file: merged into the person it created
                tally.skipped += 1
                if known is not None:
                    self._update(known, values, clean.raw[i], mapped, row, record=False)
                elif earlier in pending_by_row:
                    target_row, target_raw = pending_by_row[earlier]
                    _merge(target_row, target_raw, values, clean.raw[i], mapped, self.policy)
                    if self.writer is not None:  # a dry run writes no rows to refresh
                        self.writer.refresh_search_text(target_row)
        if self.writer is not None:
            self.writer.insert(pending)
        return tally

    def finish(self) -> None:
        self.session.add_all(self.changes.values())
        if self.writer is not None:
            self.writer.finish()
        self.session.flush()

    # -- helpers ------------------------------------------------------------------------
    def _mapped_fields(self, clean: CleanChunk) -> set[str]:
        """Fields the file gives values for: only these may fill or overwrite."""
        return {key for key in self.fields if any(x not in (None, "") for x in clean.values[key])}

    def _earlier_row(self, email: str | None, phone: str | None) -> int | None:
        if email and email in self.file_emails:
            return self.file_emails[email]
        if phone and phone in self.file_phones:
            earlier_email, row = self.file_phones[phone]
            if _same_person(email, earlier_email):
                return row
        return None

    def _remember(self, email: str | None, phone: str | None, row: int) -> None:
        if email:
            self.file_emails.setdefault(email, row)
        if phone:
            self.file_phones.setdefault(phone, (email, row))

    def _create(self, values, raw, now, pending, pending_by_row, row) -> None:
        values = dict(values)
        for key, default in self.defaults.items():  # the file named none
            values[key] = values[key] or default.value
        if self.writer is None:
            return
        new = self.writer.new_row(values, raw, now)
        pending.append(new)
        pending_by_row[row] = (new, new["raw_form_data"] if "raw_form_data" in new
                               else new["profile"].setdefault("imported_columns", {}))

    def _known(self, emails: set[str], phones: set[str]):
        """The people the chunk's emails and phones may be: found in the database (one
        indexed look-up per thousands of keys), as this import has left them."""
        found: dict[int, Known] = {}
        model = self.model
        columns = [model.id, model.version, model.import_batch_id,
                   *(getattr(model, f) for f in self.fields)]
        if model is Lead:
            columns.append(Lead.raw_form_data)
        for key, wanted in (("email_normalized", sorted(emails)), ("phone_e164", sorted(phones))):
            for start in range(0, len(wanted), LOOKUP_BATCH):
                query = select(*columns).where(
                    getattr(model, key).in_(wanted[start:start + LOOKUP_BATCH]),
                    model.archived_at.is_(None))
                if model is Contact:
                    query = query.where(Contact.merged_into_id.is_(None))
                for row in self.session.execute(query):
                    known = Known(row.id, row.version, row.import_batch_id,
                                  {f: _plain(getattr(row, f)) for f in self.fields})
                    if model is Lead:
                        known.values["raw_form_data"] = dict(row.raw_form_data or {})
                    found.setdefault(row.id, known)
        found.update(self.touched)
        by_email: dict[str, Known] = {}
        by_phone: dict[str, list[Known]] = {}
        for known in sorted(found.values(), key=lambda k: k.id):  # the oldest first
            if known.values["email_normalized"] in emails:
                by_email.setdefault(known.values["email_normalized"], known)
            if known.values["phone_e164"] in phones:
                by_phone.setdefault(known.values["phone_e164"], []).append(known)
        return by_email, by_phone

    def _index(self, known: Known) -> None:
        """After an update: the chunk's later rows find the person by the new values."""
        self.touched[known.id] = known
        email, phone = known.values["email_normalized"], known.values["phone_e164"]
        if email:
            self._by_email.setdefault(email, known)
        if phone and known not in self._by_phone.get(phone, []):
            self._by_phone.setdefault(phone, []).append(known)

    def _update(self, known: Known, values, raw, mapped, row: int, *, record: bool = True
                ) -> bool:
        target = dict(known.values)
        target_raw = dict(target.pop("raw_form_data", {}) or {})
        new_raw = dict(target_raw)
        _merge(target, new_raw, values, raw, mapped, self.policy)
        changes = {k: target[k] for k in target if target[k] != known.values[k]}
        taken = changes.get("email_normalized")
        if taken and (taken in self.file_emails or
                      self._by_email.get(taken, known) is not known):
            # another person (or an earlier row) has that address: it is not theirs
            changes.pop("email", None)
            changes.pop("email_normalized")
        if self.model is Lead and new_raw != target_raw:
            changes["raw_form_data"] = new_raw
        if not changes:
            return False
        if self.writer is not None:
            identity = {**known.values, **changes}
            # a person this import created stays at version 1: undo knows it untouched
            self.writer.update(known.id, known.version, changes, identity, bump=record)
        before = {k: known.values.get(k) for k in changes}
        known.values.update(changes)
        known.version += 1 if record else 0
        self._index(known)
        if record:
            self._record(known, before, changes, row)
        return True

    def _record(self, known: Known, before: dict, after: dict, row: int) -> None:
        """What undo needs: each field's value before this import and the one it left,
        and the person's version before and after (undo puts the version back too, so an
        earlier import's undo still sees the person as untouched)."""
        if self.batch_id is None:
            return
        person_id = known.id
        change = self.changes.get(person_id)
        if change is None:
            change = self.changes[person_id] = ImportBatchChange(
                batch_id=self.batch_id, entity_type=self.model.__tablename__[:-1],
                entity_id=person_id, action="updated",
                previous_values={"before": {}, "after": {},
                                 "version_before": known.version - 1})
        stored = change.previous_values
        if stored is None:  # set when the change was made, above or by an earlier row
            raise RuntimeError(f"import change of #{person_id} has no recorded values")
        merged_before = {k: change_value(v) for k, v in before.items()} | stored["before"]
        change.previous_values = {
            "before": merged_before,
            "after": stored["after"] | {k: change_value(v) for k, v in after.items()},
            "version_before": stored["version_before"], "version_after": known.version}
        audit.record(self.session, staff_id=self.staff_id,
                     entity_type=self.model.__tablename__[:-1], entity_id=person_id,
                     action="import_updated",
                     changes={k: [change_value(before[k]), change_value(after[k])] for k in after},
                     reason=f"import #{self.batch_id}, row {row}")


def _merge(target: dict, target_raw: dict, values: dict, raw: dict, mapped: set[str],
           policy: DuplicatePolicy) -> None:
    """Fill empty fields (and absent raw columns) or overwrite them, with the row's
    non-empty values of the fields the file maps."""
    overwrite = policy is DuplicatePolicy.OVERWRITE
    for key in mapped:
        new = values.get(key)
        if new in (None, "") or key not in target:
            continue
        if key in ("email", "email_normalized") and target.get("email_normalized") and \
                target["email_normalized"] != values.get("email_normalized"):
            continue  # matched by phone: a different address is not theirs to take
        if overwrite or target[key] in (None, ""):
            target[key] = new
    for header, value in raw.items():
        if overwrite or header not in target_raw:
            target_raw[header] = value


def _same_person(email: str | None, other: str | None) -> bool:
    return not (email and other and email != other)


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def change_value(value: Any) -> Any:
    """A value as the change record keeps it (enums as their value, dates and decimals
    as text)."""
    value = _plain(value)
    if value is None or isinstance(value, (str, int, float, bool, dict, list)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _contact_email_taken(known: Known | None, earlier: int | None, ours: bool) -> str:
    if known is not None and not ours:
        return (f"An active contact (#{known.id}) already has this email address, and a "
                "contact is never created twice: import with Fill or Overwrite to update "
                "them.")
    return (f"This email address is on an earlier row{f' ({earlier})' if earlier else ''} "
            "of the file; a contact is never created twice.")
