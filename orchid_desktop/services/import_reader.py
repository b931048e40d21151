"""Opening a spreadsheet of leads and handing out its rows as text.

Lists arrive as Facebook/Instagram lead-ad downloads (UTF-16, tab-separated), Google
Forms and CRM exports (UTF-8, often with a BOM), European Excel "CSV" (cp1252, ``;``) and
workbooks kept by hand, sometimes with a title block above the header. Nothing is asked
of the person importing: the encoding, delimiter and header row are worked out here.

Every cell is handed out as the text the person sees, never as a number, so phones such
as ``+14155550123`` and ZIP codes such as ``02134`` survive; stripping and validating are
the caller's. Rows are numbered as the spreadsheet numbers them (a quoted cell spanning
lines is one row, as in Excel), blank rows are skipped but still counted, so a message
about "row 12" points at the row the person sees. CSV is read in chunks, so a million
rows keep memory bounded; a workbook is read whole (Excel caps a sheet at ~1M rows).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from orchid_desktop.errors import UserError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
DELIMITERS = ",;\t|"
_BLOCK = 1 << 20  # bytes read at a time while checking the encoding; the first is the sample
_SEARCHED_ROWS = 30  # non-blank rows among which the header is looked for
_COMPARED_ROWS = 20  # rows below a candidate header that it is compared with
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xlsx/.ods, .xls
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_CELL_LIMIT = 1 << 30
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_MARKUP = re.compile(r"\s*<(!doctype|html|\?xml|table)", re.IGNORECASE)


class UnreadableFile(UserError):
    """The file cannot be imported; ``str()`` is one line that names the file and says why."""


@dataclass(frozen=True)
class TableSource:
    """An opened list: how it is read, its header, and its rows on demand."""

    path: Path
    kind: str  # "csv" or "excel"
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int  # 1-based row number, as Excel shows it
    headers: list[str]
    estimated_rows: int
    # A workbook is converted to text once, on opening; a CSV is read again per pass.
    _text: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def preview(self, n: int = 20) -> list[list[str]]:
        """The first ``n`` non-blank data rows, read as ``chunks`` reads them."""
        rows: list[list[str]] = []
        for chunk in self.chunks(max(n, 1000)):
            rows.extend(chunk.head(n - len(rows)).values.tolist())
            if len(rows) >= n:
                break
        return rows

    def chunks(self, size: int = 50_000) -> Iterator[pd.DataFrame]:
        """Non-blank data rows: columns 0..len(headers)-1, every value a ``str``, the index
        the spreadsheet row number."""
        if self._text is not None:
            for start in range(0, len(self._text), size):
                yield self._text.iloc[start:start + size]
            return
        width = range(len(self.headers))
        try:
            with pd.read_csv(self.path, sep=self.delimiter, encoding=self.encoding,
                             header=None, names=width, usecols=width, dtype=str,
                             keep_default_na=False, na_filter=False, skip_blank_lines=False,
                             engine="c", chunksize=size) as reader:
                for frame in reader:
                    frame.index += 1
                    frame = frame[(frame.index > self.header_row) & _filled(frame)]
                    if len(frame):
                        yield frame
        except pd.errors.ParserError as error:
            unclosed = re.search(r"EOF inside string starting at row (\d+)", str(error))
            reason = (f"a quotation mark opened on row {int(unclosed[1]) + 1} is never closed"
                      if unclosed else str(error))
            raise UnreadableFile(f"{self.path.name} could not be read: {reason}.") from error
        except OSError as error:  # moved, deleted or locked since it was opened
            raise UnreadableFile(f"{self.path.name} could not be read:"
                                 f" {error.strerror or error}.") from error


def open_table(path: str | Path) -> TableSource:
    """Open a CSV/TSV or workbook of leads, or say in one line why it cannot be imported.

    The file's content decides how it is read, so a workbook saved as "leads.csv" opens;
    a tab-separated export saved as "leads.xls" opens as text."""
    path = Path(path)
    name, suffix = path.name, path.suffix.lower()
    if path.is_dir():
        raise UnreadableFile(f"{path} is a folder, not a file: give a .csv, .tsv, .txt,"
                             " .xlsx, .xls or .ods file.")
    if not path.is_file():
        raise UnreadableFile(f"{name} could not be read: the file does not exist"
                             " (it may have been moved or renamed).")
    if suffix not in TEXT_SUFFIXES + EXCEL_SUFFIXES:
        known = ", ".join(TEXT_SUFFIXES + EXCEL_SUFFIXES[:-1]) + " and " + EXCEL_SUFFIXES[-1]
        raise UnreadableFile(f"{name} could not be read: only {known} files can be imported.")
    try:
        with path.open("rb") as file:
            magic = file.read(len(_OLE))
    except OSError as error:
        raise UnreadableFile(f"{name} could not be read: {error.strerror or error}"
                             " (if it is open in another program, close it and retry)."
                             ) from error
    if not magic:
        raise UnreadableFile(f"{name} is empty.")
    if magic.startswith(_OLE) and suffix in (".xlsx", ".xlsm"):
        raise UnreadableFile(f"{name} could not be read: it is password-protected;"
                             " remove the password in Excel, save it and import it again.")
    source = _open_excel(path) if magic.startswith((_ZIP, _OLE)) else _open_text(path)
    if not source.preview(1):
        raise UnreadableFile(f"{name} has a header row but no rows to import.")
    return source


def _open_text(path: Path) -> TableSource:
    encoding, sample, whole, lines = _detect_encoding(path)
    head = sample[:65536]
    if "\x00" in head or len(_CONTROL.findall(head)) > len(head) // 20:
        raise UnreadableFile(f"{path.name} could not be read: it is not a text file"
                             " or spreadsheet (it may be damaged or another kind of file).")
    if _MARKUP.match(sample):  # what many web apps offer as "Export to Excel"
        raise UnreadableFile(f"{path.name} could not be read: it is a web page or XML file;"
                             " open it in Excel and save it as .xlsx or .csv.")
    if not whole:  # the last line of the sample may be cut short
        sample = sample[:max(sample.rfind("\n"), sample.rfind("\r")) + 1] or sample
    delimiter = _sniff_delimiter(sample)
    # the csv module refuses cells over 128 KiB, which pandas reads: lift the limit
    # while the sample is read (a long note pasted into a cell is still a cell)
    limit = csv.field_size_limit(_CELL_LIMIT)
    try:
        rows = list(enumerate(csv.reader(io.StringIO(sample, newline=""),
                                         delimiter=delimiter), 1))
    except csv.Error as error:
        raise UnreadableFile(f"{path.name} could not be read: {error}.") from error
    finally:
        csv.field_size_limit(limit)
    if not (header := _find_header(rows)):
        raise UnreadableFile(f"{path.name} is empty.")
    header_row, headers = header
    if whole:  # exact: every row is in the sample
        estimate = sum(1 for number, cells in rows
                       if number > header_row and any(c.strip() for c in cells[:len(headers)]))
    else:
        estimate = max(lines - header_row, 0)
    return TableSource(path, "csv", encoding, delimiter, None, header_row, headers, estimate)


def _detect_encoding(path: Path) -> tuple[str, str, bool, int]:
    """The encoding, the first block decoded, whether that block is the whole file, and
    the number of line breaks (an estimate of the rows).

    A byte-order mark decides; otherwise the whole file must decode as UTF-8 (a single
    "é" a million rows down would otherwise come out garbled), else as cp1252, what
    Excel on Windows writes, else latin-1, which decodes anything."""
    with path.open("rb") as file:
        first = block = file.read(_BLOCK)
        bom = next((enc for mark, enc in _BOMS if first.startswith(mark)), None)
        decoders = {enc: codecs.getincrementaldecoder(enc)("strict")
                    for enc in ([bom] if bom else ["utf-8", "cp1252"])}
        lines = 0
        while block:
            _feed(decoders, block)
            lines += max(block.count(b"\n"), block.count(b"\r"))
            block = file.read(_BLOCK)
        whole = file.tell() == len(first)
    _feed(decoders, b"", final=True)
    if bom and not decoders:
        raise UnreadableFile(f"{path.name} could not be read: it is marked as Unicode text"
                             " but part of it is not (the file may be damaged).")
    encoding = next(iter(decoders), "latin-1")
    sample = codecs.getincrementaldecoder(encoding)().decode(first, final=whole)
    return encoding, sample, whole, lines


def _feed(decoders: dict[str, codecs.IncrementalDecoder], data: bytes, final=False) -> None:
    """Drop the encodings that cannot decode the next block of the file."""
    for encoding, decoder in list(decoders.items()):
        try:
            decoder.decode(data, final)
        except UnicodeDecodeError:
            del decoders[encoding]


def _sniff_delimiter(sample: str) -> str:
    """``csv.Sniffer`` on the first lines; when it gives up (a title block, a handful of
    rows), the delimiter whose count per line is the most consistent; "," if none."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    try:
        # Capped: the Sniffer's regular expressions slow down badly on long text.
        return csv.Sniffer().sniff("\n".join(lines)[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = Counter(line.count(delimiter) for line in lines)
        counts.pop(0, None)
        if counts:
            count, lines_agreeing = counts.most_common(1)[0]
            if (lines_agreeing, count) > best_score:
                best, best_score = delimiter, (lines_agreeing, count)
    return best


def _find_header(rows: Iterable[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The header row's number and its names: the first of the first non-blank rows that
    has two or more cells, is about as wide as the rows below it (so a one-cell title or
    a "Prepared by: …" line is passed over) and is mostly words rather than numbers.
    Failing that, the first non-blank row (a one-column list); None if all are blank."""
    filled: list[tuple[int, list[str], int]] = []
    for number, cells in rows:
        if count := sum(1 for cell in cells if cell.strip()):
            filled.append((number, cells, count))
            if len(filled) == _SEARCHED_ROWS + _COMPARED_ROWS:
                break
    if not filled:
        return None
    # a typical row's width, not the widest: one long row must not hide the header
    typical = statistics.median_high(count for _, _, count in filled)
    chosen = filled[0]
    for index, (number, cells, count) in enumerate(filled[:_SEARCHED_ROWS]):
        below = [c for _, _, c in filled[index + 1:index + 1 + _COMPARED_ROWS]]
        wide = count >= 0.6 * typical or (bool(below) and count >= statistics.median(below))
        if count >= 2 and wide and _mostly_words(cells):
            chosen = (number, cells, count)
            break
    number, cells, _ = chosen
    while not cells[-1].strip():  # trailing blank header cells name no column
        cells = cells[:-1]
    return number, _header_names(cells)


def _mostly_words(cells: list[str]) -> bool:
    values = [cell for cell in cells if cell.strip()]
    numbers = sum(1 for v in values if any(c.isdigit() for c in v)
                  and not any(c.isalpha() for c in v))
    return numbers * 2 < len(values)


def _header_names(cells: list[str]) -> list[str]:
    """Stripped; a blank one is "Column N"; a repeated one "Email (2)", so each is a key."""
    names: list[str] = []
    for index, cell in enumerate(cells, 1):
        base = cell.strip() or f"Column {index}"
        name, copy = base, 1
        while name in names:
            copy += 1
            name = f"{base} ({copy})"
        names.append(name)
    return names


def _filled(frame: pd.DataFrame) -> np.ndarray:
    """Which rows have a cell that is not empty or whitespace."""
    mask = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        mask |= (frame[column].str.strip() != "").to_numpy(dtype=bool)
    return mask


def _open_excel(path: Path) -> TableSource:
    try:
        with pd.ExcelFile(path, engine="calamine") as workbook:
            sheet = workbook.sheet_names[0]
            cells = pd.read_excel(workbook, sheet_name=0, header=None, dtype=object)
    except Exception as error:  # calamine's errors for a damaged file have no common type
        raise UnreadableFile(f"{path.name} could not be read: it is not a spreadsheet"
                             " (it may be damaged or another kind of file).") from error
    rows = ((number, [_cell_text(v) for v in row])
            for number, row in enumerate(cells.itertuples(index=False), 1))
    if not (header := _find_header(rows)):
        raise UnreadableFile(f'{path.name} is empty: its first sheet, "{sheet}", has nothing'
                             " in it (only the first sheet is imported).")
    header_row, headers = header
    # pandas numbers rows from 0 at row 1 of the sheet (it keeps leading blank rows).
    text = cells.iloc[header_row:, :len(headers)].map(_cell_text).astype(str)
    text.index += 1
    text = text[_filled(text)]
    return TableSource(path, "excel", None, None, sheet, header_row, headers, len(text), text)


def _cell_text(value: object) -> str:
    """A cell as the person sees it in Excel, without its number format: whole numbers
    without ".0" (a phone stored as a number), dates in ISO form."""
    if type(value) is str:  # most cells: answered first
        return value
    if value is None or value != value:  # NaN and NaT are not equal to themselves
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(float(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
