"""Importing a spreadsheet of leads or contacts: every row checked before anything is
written, duplicates found (within the file and against the database, by normalised
email or by phone, never by name), and everything written in one transaction as one
import batch that can be undone.

The rows stream through in chunks (memory stays bounded for a million rows): each chunk
is validated a column at a time (``import_rows``), matched against the people already
known with indexed look-ups, and its new people written in bulk (``import_writer``). A
dry run goes through the same steps and writes nothing, so the counts the wizard shows
before the user commits are the counts the import produces.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import AgencySettings, ImportBatch, ImportMapping
from orchid_desktop.domain.import_columns import (
    auto_mapping,
    header_signature,
    mapping_problems,
)
from orchid_desktop.domain.spreadsheet_safety import escape_cell
from orchid_desktop.domain.vocab import (
    ApplicantType,
    DuplicatePolicy,
    ImportTarget,
    LeadSource,
)
from orchid_desktop.errors import UserError

from . import audit, screening
from .enrolment import apply_enrol_rules
from .import_matching import ChunkMatcher
from .import_reader import TableSource
from .import_rows import RowContext, clean_chunk
from .import_writer import BulkWriter

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000


class ImportCancelled(UserError):
    def __init__(self) -> None:
        super().__init__("The import was cancelled; nothing was written.")


@dataclass(frozen=True)
class ImportOptions:
    target: ImportTarget = ImportTarget.LEADS
    on_duplicate: DuplicatePolicy = DuplicatePolicy.SKIP
    source_label: str = ""  # how the history names it, e.g. "Facebook lead ads, March"
    # used where the file has no such column, or a cell names nothing known
    default_applicant_type: ApplicantType = ApplicantType.EGG_DONOR
    default_source: LeadSource = LeadSource.IMPORT


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number, as the user sees it
    reason: str


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    duplicates: int = 0  # rows that matched someone known or an earlier row
    errors: list[RowProblem] = field(default_factory=list)  # one per rejected row
    notes: list[RowProblem] = field(default_factory=list)  # kept rows with a value left out
    rejected_cells: dict[int, list[str]] = field(default_factory=dict)  # row → cells
    headers: list[str] = field(default_factory=list)
    batch_id: int | None = None
    enrolled: list[str] = field(default_factory=list)  # drips that took the new people

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped,
                "rejected": self.rejected, "duplicates": self.duplicates,
                "errors": [{"row": p.row, "reason": p.reason} for p in self.errors],
                "notes": [{"row": p.row, "reason": p.reason} for p in self.notes],
                "batch_id": self.batch_id, "dry_run": self.dry_run,
                "enrolled": self.enrolled}

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (f"{self.file_name}: {verb} {self.created:,}, updated {self.updated:,}, "
                f"skipped {self.skipped:,} duplicates, rejected {self.rejected:,}.")


def check_mapping(mapping: dict[int, str], target: ImportTarget) -> None:
    problems = mapping_problems(mapping, target)
    if problems:
        raise UserError(" ".join(problems))


def run_import(sessions: sessionmaker[Session], source: TableSource, mapping: dict[int, str],
               options: ImportOptions, *, staff_id: int | None, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None,
               should_cancel: Callable[[], bool] | None = None) -> ImportReport:
    """Read, check, match and (unless ``dry_run``) write the whole file in one
    transaction. Cancelling or any failure writes nothing."""
    check_mapping(mapping, options.target)
    report = ImportReport(source.path.name, dry_run, headers=list(source.headers))
    with _collector_paused(), sessions.begin() as session:
        context = _row_context(session, source, mapping, options)
        batch: ImportBatch | None = None
        writer: BulkWriter | None = None
        if not dry_run:
            batch = _new_batch(session, source, mapping, options, staff_id)
            writer = BulkWriter(session, options.target, batch.id, staff_id,
                                expected_rows=source.estimated_rows)
        matcher = ChunkMatcher(session, options, writer, staff_id,
                               batch_id=batch.id if batch is not None else None)
        _run_chunks(source, context, matcher, report, progress, should_cancel)
        if should_cancel is not None and should_cancel():
            raise ImportCancelled()
        report.errors.sort(key=lambda p: p.row)
        if batch is not None:
            matcher.finish()
            _close_batch(session, batch, report, source, mapping, options, staff_id)
            report.batch_id = batch.id
            event = "lead_created" if options.target is ImportTarget.LEADS else "contact_created"
            report.enrolled = [r.summary() for r in apply_enrol_rules(
                session, event, staff_id=staff_id, import_batch_id=batch.id)]
    log.info("%s", report.summary())
    return report


@contextmanager
def _collector_paused():
    """Python's cycle collector walks every live object each time it runs, and an import
    keeps a million keys alive: it cost 15 s of a 1,000,000-row import (measured). The
    import makes no reference cycles, so the collector rests until it is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_chunks(source: TableSource, context: RowContext, matcher: ChunkMatcher,
                report: ImportReport, progress, should_cancel) -> None:
    done = 0
    for frame in source.chunks(CHUNK_ROWS):
        if should_cancel is not None and should_cancel():
            raise ImportCancelled()
        clean = clean_chunk(frame, context)
        for i, reason in enumerate(clean.rejected):
            if reason is not None:
                report.rejected += 1
                report.errors.append(RowProblem(clean.rows[i], reason))
                report.rejected_cells[clean.rows[i]] = frame.iloc[i].tolist()
            for note in clean.notes[i] if reason is None else ():
                report.notes.append(RowProblem(clean.rows[i], note))
        tally = matcher.take(clean)
        report.created += tally.created
        report.updated += tally.updated
        report.skipped += tally.skipped
        report.duplicates += tally.duplicates
        report.rejected += len(tally.refused)
        report.errors.extend(RowProblem(row, reason) for row, reason in tally.refused)
        for row, _ in tally.refused:
            report.rejected_cells[row] = frame.loc[row].tolist()
        done += len(frame)
        if progress is not None:
            progress(done, max(done, source.estimated_rows))


def _row_context(session: Session, source: TableSource, mapping: dict[int, str],
                 options: ImportOptions) -> RowContext:
    agency = session.get(AgencySettings, 1)
    return RowContext(headers=source.headers, mapping=mapping,
                      phone_region=agency.default_phone_region if agency else "US",
                      time_zone=agency.time_zone if agency else "UTC",
                      default_applicant_type=options.default_applicant_type,
                      default_source=options.default_source)


def _new_batch(session: Session, source: TableSource, mapping: dict[int, str],
               options: ImportOptions, staff_id: int | None) -> ImportBatch:
    batch = ImportBatch(file_name=source.path.name[:300], file_sha256=file_sha256(source.path),
                        source_label=(options.source_label or source.path.stem)[:200],
                        target=options.target, on_duplicate=options.on_duplicate,
                        mapping=_stored_mapping(source.headers, mapping),
                        imported_by_id=staff_id)
    session.add(batch)
    session.flush()
    return batch


def _close_batch(session: Session, batch: ImportBatch, report: ImportReport,
                 source: TableSource, mapping: dict[int, str], options: ImportOptions,
                 staff_id: int | None) -> None:
    batch.created_count, batch.updated_count = report.created, report.updated
    batch.skipped_count, batch.rejected_count = report.skipped, report.rejected
    remember_mapping(session, source.headers, mapping, options)
    if options.target is ImportTarget.CONTACTS:
        for contact_id in BulkWriter.created_ids(session, options.target, batch.id):
            screening.screen_contact(session, contact_id)
    audit.record(session, staff_id=staff_id, entity_type="import_batch", entity_id=batch.id,
                 action="imported", changes={
                     "file": batch.file_name, "target": options.target.value,
                     "created": report.created, "updated": report.updated,
                     "skipped": report.skipped, "rejected": report.rejected})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# -- remembered mappings --------------------------------------------------------------
def _stored_mapping(headers, mapping: dict[int, str]) -> dict[str, Any]:
    return {"headers": list(headers), "columns": {str(i): k for i, k in mapping.items()}}


@dataclass(frozen=True)
class MappingSuggestion:
    mapping: dict[int, str]
    remembered_from: str | None  # the source label it was last used for, if remembered


def suggest_mapping(session: Session, headers: list[str],
                    target: ImportTarget) -> MappingSuggestion:
    """The mapping used last time for a file with these columns, else one guessed from
    the header synonyms."""
    stored = session.scalar(select(ImportMapping).where(
        ImportMapping.header_signature == header_signature(headers)))
    if stored is not None:
        columns = stored.mapping.get("columns", {})
        mapping = {i: columns.get(str(i), "") for i in range(len(headers))}
        remembered_target = stored.mapping.get("target")
        if remembered_target == target.value and not mapping_problems(mapping, target):
            return MappingSuggestion(mapping, stored.source_label)
    return MappingSuggestion(auto_mapping(headers, target), None)


def remember_mapping(session: Session, headers, mapping: dict[int, str],
                     options: ImportOptions) -> None:
    signature = header_signature(headers)
    stored = session.scalar(select(ImportMapping).where(
        ImportMapping.header_signature == signature))
    value = {**_stored_mapping(headers, mapping), "target": options.target.value}
    if stored is None:
        session.add(ImportMapping(header_signature=signature, mapping=value,
                                  source_label=options.source_label[:200]))
    else:
        stored.mapping = value
        stored.source_label = options.source_label[:200] or stored.source_label


def save_rejected_rows(report: ImportReport, path: Path) -> int:
    """The rejected rows as a CSV (UTF-8 with a BOM, so Excel reads accents): their row
    number, the reason and every cell as it was read. Returns how many were written."""
    import csv

    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Row", "Reason", *report.headers])
        for problem in sorted(report.errors, key=lambda p: p.row):
            # cells that look like formulas stay text when the file is opened in Excel
            writer.writerow([problem.row, problem.reason, *map(
                escape_cell, report.rejected_cells.get(problem.row, []))])
    temporary.replace(path)
    return len(report.errors)
