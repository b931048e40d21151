"""Leads or contacts, as a list's filter narrows them, written to a .csv or .xlsx file.

Rows stream from the database a chunk at a time, so a million-row export holds one chunk
in memory. The file is written beside the target and moved onto it only when complete:
a failed export never leaves half a file. A text cell a spreadsheet would run is written
with a leading apostrophe in a CSV, and as quote-prefixed text in an XLSX.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.domain.person_fields import (
    CONTACTS,
    LEADS,
    Kind,
    PersonField,
    exported_from,
)
from orchid_desktop.domain.spreadsheet_safety import FORMULA_PREFIXES, escape_cell
from orchid_desktop.domain.vocab import ImportTarget, LeadStatus, PipelineStage
from orchid_desktop.errors import UserError

from .people_query import PeopleFilter, PeopleKind, order_by, where_clause

CHUNK_ROWS = 5000
XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, the header row included

Cell = str | int | None


def _local_time(value: datetime) -> str:
    return value.astimezone().isoformat(timespec="seconds")


def _day(value: date) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class ExportColumn:
    header: str
    expression: ColumnElement[Any] | QueryableAttribute[Any]
    shown: Callable[[Any], str | int] = str  # applied to a value that is not NULL


def _status(value) -> str:
    return LeadStatus(value).value.replace("_", " ").capitalize()


def _stage(value) -> str:
    return PipelineStage(value).label


def _shown(field: PersonField) -> Callable[[Any], str | int]:
    if field.kind is Kind.CHOICE:
        return dict(field.choices()).__getitem__  # the value's label
    if field.kind is Kind.INSTANT:
        return _local_time
    if field.kind is Kind.DATE:
        return _day
    return str


def _columns(model, record: ImportTarget, own: dict[str, tuple[ExportColumn, ...]],
             last: tuple[ExportColumn, ...]) -> tuple[ExportColumn, ...]:
    """The id, then the catalogue's exported fields of the record in its order
    (domain/person_fields.py), each followed by the record's ``own`` columns placed after
    it, then ``last``. A phone is exported in E.164 as stored. It starts with "+", so it
    is escaped like any other cell that does: in a CSV "'+14155550123" (a bare +1415… is
    read as a formula, or a number that loses its "+", and exempting "+digits" would let
    "+1+cmd|…" through); in an XLSX a text cell with the quote-prefix flag."""
    columns = [ExportColumn("ID", model.id, int)]
    for field in exported_from(record):
        columns.append(ExportColumn(field.column_header, getattr(model, field.columns[0]),
                                    _shown(field)))
        columns += own.get(field.key, ())
    return (*columns, *last)


EXPORT_COLUMNS: dict[str, tuple[ExportColumn, ...]] = {
    "leads": _columns(
        Lead, LEADS, {"source": (ExportColumn("Status", Lead.status, _status),)},
        (ExportColumn("Ignore reason", Lead.ignore_reason),
         ExportColumn("Archived", Lead.archived_at, _local_time))),
    "contacts": _columns(
        Contact, CONTACTS, {"source": (ExportColumn("Stage", Contact.stage, _stage),)},
        (ExportColumn("Added", Contact.created_at, _local_time),
         ExportColumn("Stage changed", Contact.stage_changed_at, _local_time))),
}


def export_people(sessions: sessionmaker[Session], kind: PeopleKind, people: PeopleFilter,
                  path: Path, *, sort_index: int | None = None, descending: bool = True,
                  progress: Callable[[int], None] | None = None) -> int:
    """Write the rows ``people`` selects to ``path`` (.csv or .xlsx, by its extension),
    in the list's order; returns how many. ``progress(rows_done)`` follows each chunk."""
    path = Path(path)
    suffix = check_target(path)
    folder = path.parent
    columns = EXPORT_COLUMNS[kind.name]
    ordering = order_by(kind, kind.default_sort if sort_index is None else sort_index,
                        descending)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part",
                                             dir=folder)
    except OSError as error:
        raise UserError(f"Cannot export to {path}: the folder {folder} cannot be written "
                        f"to ({error.strerror}).") from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        with sessions() as session:
            query = (select(*(c.expression for c in columns))
                     .where(where_clause(kind, people, session.get_bind().dialect.name))
                     .order_by(*ordering))
            chunks = session.execute(query, execution_options={"yield_per": CHUNK_ROWS})
            rows = _cells(columns, chunks.partitions(), progress)
            headers = [c.header for c in columns]
            if suffix == ".csv":
                written = _write_csv(temp, headers, rows)
            else:
                written = _write_xlsx(temp, kind.name.capitalize(), headers, rows)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise UserError(f"Cannot export to {path}: {error.strerror or error}. If the file "
                        f"is open in another program, close it and try again.") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return written


def check_target(path: Path) -> str:
    """The export's format (".csv" or ".xlsx"), or a UserError saying what is wrong with
    ``path``; lets a caller refuse before any work."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError(f"Cannot export to {path.name}: choose a file name ending in .csv "
                        f"(text for any spreadsheet) or .xlsx (Excel workbook).")
    if not path.parent.is_dir():
        raise UserError(f"Cannot export to {path}: the folder {path.parent} does not exist.")
    return suffix


def _cells(columns: tuple[ExportColumn, ...], chunks: Iterable[Iterable[tuple]],
           progress: Callable[[int], None] | None) -> Iterator[list[Cell]]:
    done = 0
    for chunk in chunks:
        for row in chunk:
            done += 1
            yield [_cell(column, value) for column, value in zip(columns, row, strict=True)]
        if progress:
            progress(done)


def _cell(column: ExportColumn, value: Any) -> Cell:
    if value is None:
        return None
    return column.shown(value)


def _write_csv(temp: Path, headers: list[str], rows: Iterable[list[Cell]]) -> int:
    written = 0
    # the byte-order mark makes Excel read the file as UTF-8 (accents) rather than ANSI
    with open(temp, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([escape_cell(v) if isinstance(v, str) else v for v in row])
            written += 1
    return written


def _write_xlsx(temp: Path, title: str, headers: list[str],
                rows: Iterable[list[Cell]]) -> int:
    workbook = Workbook(write_only=True)  # rows go straight to disk, strings inline
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, header, bold) for header in headers])
    written = 0
    for row in rows:
        if written + 1 >= XLSX_MAX_ROWS:
            raise UserError(f"An Excel worksheet holds at most {XLSX_MAX_ROWS - 1:,} rows; "
                            f"narrow the list or export to .csv instead.")
        sheet.append([_text(sheet, value) if isinstance(value, str) else value
                      for value in row])
        written += 1
    workbook.save(temp)
    return written


def _text(sheet, value: str) -> str | WriteOnlyCell:
    """A plain string where openpyxl stores it as inert text anyway (faster than a cell
    object per value). A value a spreadsheet would run (``=``, ``+``, ``-``, ``@``…) or
    read as an error code becomes a text cell with Excel's quote-prefix flag: kept as
    text even when edited, and shown without the apostrophe a CSV needs."""
    clean = ILLEGAL_CHARACTERS_RE.sub("", value)
    if clean.startswith(FORMULA_PREFIXES) or clean in ERROR_CODES:
        cell = _text_cell(sheet, clean)
        cell.quotePrefix = True
        return cell
    return clean


def _text_cell(sheet, value: str, font: Font | None = None) -> WriteOnlyCell:
    # control characters XML cannot carry are dropped rather than failing the export
    # (and escaping looks again at what then comes first)
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # always text: never a formula or an error code like "#N/A"
    if font:
        cell.font = font
    return cell
