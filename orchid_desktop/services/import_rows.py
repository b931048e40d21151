"""One chunk of a spreadsheet, validated: every cell read as what its column was mapped
to, a reason for every row that cannot be imported, and a note for every value that was
left out of a row that could.

Work is done a column at a time (pandas string operations, one look-up per distinct
value, the bulk email and phone checks), not a row at a time: a million rows must be
read, checked and written in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from orchid_desktop.domain.bulk_contact_points import normalize_emails, normalize_phones
from orchid_desktop.domain.import_columns import KEEP, SKIP
from orchid_desktop.domain.import_values import (
    parse_choice,
    parse_decimal,
    parse_state,
    split_full_name,
)
from orchid_desktop.domain.person_fields import BY_KEY as PERSON_FIELDS
from orchid_desktop.domain.person_fields import FIELDS, Kind, PersonField
from orchid_desktop.domain.vocab import ApplicantType, LeadSource

# Derived once from the catalogue (domain/person_fields.py): every field an import reads,
# by kind. Names and the email and phone are read together (a full name splits; a row
# needs one way to reach the person); the rest a field at a time, in catalogue order.
IMPORTED = tuple(f for f in FIELDS if f.imported)
NAME_FIELDS = tuple(f.key for f in IMPORTED if f.kind is Kind.NAME)
TEXT_FIELDS = tuple(f.key for f in IMPORTED if f.kind is Kind.TEXT)
NUMBER_FIELDS = tuple(f.key for f in IMPORTED if f.kind is Kind.NUMBER)
READ_ONE_BY_ONE = tuple(f for f in IMPORTED
                        if f.kind not in (Kind.NAME, Kind.EMAIL, Kind.PHONE))
# What the text columns hold at most (the database refuses longer values, which would
# fail the whole import instead of one row).
MAX_LENGTHS = {f.key: f.max_length for f in IMPORTED
               if f.kind in (Kind.NAME, Kind.TEXT) and f.max_length}
CHOICE_PARSERS = {f.key: partial(parse_choice, field=f)
                  for f in IMPORTED if f.kind is Kind.CHOICE}


def required_defaults(applicant_type: ApplicantType,
                      source: LeadSource) -> dict[str, StrEnum]:
    """What a new person gets where a cell names no value of a required choice: the
    import's own choice for type and source, the catalogue's default for any other."""
    return {**{f.key: f.default for f in IMPORTED if f.required and f.default},
            "applicant_type": applicant_type, "source": source}


@dataclass(frozen=True)
class RowContext:
    """What the rows are read with: the mapping and the agency's ways."""

    headers: Sequence[str]
    mapping: dict[int, str]
    phone_region: str
    time_zone: str
    default_applicant_type: ApplicantType
    default_source: LeadSource

    @property
    def day_first(self) -> bool:
        # "03/05/2026" is 5 March in the US, 3 May nearly everywhere else
        return self.phone_region not in ("US", "CA", "PH")

    @property
    def defaults(self) -> dict[str, StrEnum]:
        return required_defaults(self.default_applicant_type, self.default_source)

    def column_of(self, key: str) -> int | None:
        for index, mapped in self.mapping.items():
            if mapped == key:
                return index
        return None


@dataclass
class CleanChunk:
    """Column lists, one entry per row of the chunk, in file order."""

    rows: list[int]
    values: dict[str, list[Any]]
    raw: list[dict[str, str]]
    rejected: list[str | None]
    notes: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def clean_chunk(frame: pd.DataFrame, context: RowContext) -> CleanChunk:
    n = len(frame)
    # NUL cannot be stored (PostgreSQL refuses it in text): it is never meant, so dropped
    frame = frame.apply(lambda column: column.str.replace("\x00", "", regex=False).str.strip())
    notes: list[list[str]] = [[] for _ in range(n)]
    rejected: list[str | None] = [None] * n
    values: dict[str, list[Any]] = {}

    def column(key: str) -> pd.Series | None:
        index = context.column_of(key)
        return None if index is None else frame[index]

    _names(column, values, n)
    for key in NAME_FIELDS:
        _too_long(values[key], key, rejected)

    emails = column("email")
    email_texts = emails.tolist() if emails is not None else [""] * n
    normalized, email_errors = normalize_emails(email_texts)
    phones = column("phone")
    phone_texts = phones.tolist() if phones is not None else [""] * n
    e164, phone_errors = normalize_phones(phone_texts, context.phone_region)
    values["email"] = [text if ok else None
                       for text, ok in zip(email_texts, normalized, strict=True)]
    values["email_normalized"] = normalized
    values["phone_e164"] = e164
    for i in range(n):
        if normalized[i] or e164[i]:
            for problem in (email_errors[i], phone_errors[i]):
                if problem:
                    notes[i].append(f"{problem} It was left out; the row is kept.")
        elif rejected[i] is None:
            reasons = [p for p in (email_errors[i], phone_errors[i]) if p]
            rejected[i] = (" ".join(reasons) + " No other email or phone to reach them by."
                           if reasons else "No email address or phone number.")

    for spec in READ_ONE_BY_ONE:
        values[spec.key] = _read(spec, column(spec.key), context, notes, n)
        if spec.kind is Kind.TEXT:
            _too_long(values[spec.key], spec.key, rejected)
    for key in NUMBER_FIELDS:
        _in_range(values[key], PERSON_FIELDS[key], notes)
    return CleanChunk(frame.index.tolist(), values, _raw(frame, context), rejected, notes)


def _read(spec: PersonField, series: pd.Series | None, context: RowContext,
          notes: list[list[str]], n: int) -> list[Any]:
    """One field's column as the values it stores (None where a cell is empty, or says
    nothing the field can hold: that is noted)."""
    if spec.kind is Kind.CHOICE:
        return _choice(series, CHOICE_PARSERS[spec.key], context.defaults.get(spec.key),
                       spec.label.lower(), notes, n)
    if spec.kind is Kind.STATE:
        return _lookup(series, parse_state, "US state", notes, n)
    if series is None:
        return [None] * n
    if spec.kind is Kind.INSTANT:
        return parse_datetimes(series, context, notes)
    if spec.kind is Kind.DATE:
        return [None if v is None else v.date()
                for v in parse_datetimes(series, context, notes, naive_only=True)]
    if spec.kind is Kind.NUMBER:
        numbers = _lookup(series, parse_decimal, "number", notes, n)
        convert = UNITS.get(spec.key)
        return [convert(v) for v in numbers] if convert else numbers
    return [v or None for v in series.tolist()]


def _in_range(column: list[Decimal | None], spec: PersonField, notes: list[list[str]]) -> None:
    if spec.limits is None:
        return
    low, high = spec.limits
    for i, value in enumerate(column):
        if value is not None and not low < value < high:
            notes[i].append(f"{value} is not a possible {spec.label.lower()}; it was left out.")
            column[i] = None


def _centimetres(height: Decimal | None) -> Decimal | None:
    """Heights arrive in metres ("1,68" from European sheets), inches (65) or centimetres;
    no adult is under 3 cm or between 90 and 140 cm tall, so the size tells the unit."""
    if height is None:
        return None
    if height < 3:
        return (height * 100).quantize(Decimal("0.1"))
    if 48 <= height <= 90:
        return (height * Decimal("2.54")).quantize(Decimal("0.1"))
    return height


# Numbers whose unit an import works out from their size.
UNITS = {"height_cm": _centimetres}


def _names(column, values: dict[str, list[Any]], n: int) -> None:
    first, last, full = column("first_name"), column("last_name"), column("full_name")
    firsts = first.tolist() if first is not None else [""] * n
    lasts = last.tolist() if last is not None else [""] * n
    if full is not None:
        for i, whole in enumerate(full.tolist()):
            if whole and not firsts[i] and not lasts[i]:
                firsts[i], lasts[i] = split_full_name(whole)
    values["first_name"], values["last_name"] = firsts, lasts


def _too_long(column: list[Any], key: str, rejected: list[str | None]) -> None:
    limit = MAX_LENGTHS[key]
    label = PERSON_FIELDS[key].label
    for i, value in enumerate(column):
        if value and len(value) > limit and rejected[i] is None:
            rejected[i] = f"{label} is longer than {limit} characters."


def _lookup(series: pd.Series | None, parse, what: str, notes: list[list[str]],
            n: int) -> list[Any]:
    """Each distinct value parsed once; a value that means nothing is noted and left out."""
    if series is None:
        return [None] * n
    parsed = {text: parse(text) if text else None for text in series.unique()}
    out = []
    for i, text in enumerate(series.tolist()):
        value = parsed[text]
        if text and value is None:
            notes[i].append(f"'{text}' is not a {what}; it was left out.")
        out.append(value)
    return out


def _choice(series: pd.Series | None, parse, default, what: str, notes: list[list[str]],
            n: int) -> list[str | None]:
    """A value from a fixed list, or None where the cell names none (a required choice's
    default is applied to new people only: an update must not overwrite with a guess)."""
    if series is None:
        return [None] * n
    parsed = {text: parse(text) if text else None for text in series.unique()}
    fallback = f"{default.label} was used" if default is not None else "it was left out"
    out: list[str | None] = []
    for i, text in enumerate(series.tolist()):
        value = parsed[text]
        if value is None and text:
            notes[i].append(f"'{text}' is not a known {what}; {fallback}.")
        out.append(None if value is None else value.value)
    return out


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _formats(day_first: bool) -> tuple[str, ...]:
    d, m = ("%d", "%m") if day_first else ("%m", "%d")
    # dotted dates are day-first wherever they are written
    dated = (f"{d}/{m}/%Y", f"{d}/{m}/%y", "%d.%m.%Y", "%d.%m.%y", f"{d}-{m}-%Y",
             "%Y/%m/%d")
    times = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
    return tuple(day + t for day in dated for t in times)


_SLASHED = r"^(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}"


def _column_day_first(texts: pd.Series, default: bool) -> bool:
    """A column is written one way throughout: a first number over 12 ("25/03/2026")
    says day first, a second one over 12 ("3/25/2026") month first; else the region's
    habit decides."""
    parts = texts.str.extract(_SLASHED).dropna().astype(int)
    if parts.empty:
        return default
    if (parts[0] > 12).any() and not (parts[1] > 12).any():
        return True
    if (parts[1] > 12).any() and not (parts[0] > 12).any():
        return False
    return default


def parse_datetimes(series: pd.Series, context: RowContext, notes: list[list[str]], *,
                    naive_only: bool = False) -> list[datetime | None]:
    """Dates and times as exports write them (ISO with or without an offset, Facebook's
    ``2026-03-05T10:22:33+0000``, Google Forms' ``3/5/2026 10:22:33``, ``05.03.2026``),
    each format tried on the whole column at once. A time without an offset is the
    agency's local time; the result is UTC (or, with ``naive_only``, a plain date-time)."""
    texts = series.where(series != "", None)
    parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
    has_offset = texts.str.contains(_OFFSET, na=False) & texts.str.match(_ISO_DATE, na=False)
    if has_offset.any() and not naive_only:
        parsed[has_offset] = pd.to_datetime(texts[has_offset], format="ISO8601", utc=True,
                                            errors="coerce")
    naive = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    todo = texts.notna() & ~has_offset
    if naive_only:
        todo = texts.notna()
    iso = todo & texts.str.match(_ISO_DATE, na=False)
    if iso.any():
        naive[iso] = pd.to_datetime(texts[iso].str.replace(_OFFSET, "", regex=True),
                                    format="ISO8601", errors="coerce")
    for fmt in _formats(_column_day_first(texts, context.day_first)):
        todo = texts.notna() & naive.isna() & (naive_only | ~has_offset)
        if not todo.any():
            break
        naive[todo] = pd.to_datetime(texts[todo], format=fmt, errors="coerce")
    if naive_only:
        out = [None if pd.isna(v) else v.to_pydatetime() for v in naive]
    else:
        # a time in the hour repeated when clocks go back is taken as the first of the
        # two; one skipped when they go forward as the moment after the gap
        local = naive.dt.tz_localize(ZoneInfo(context.time_zone),
                                     ambiguous=np.ones(len(naive), dtype=bool),
                                     nonexistent="shift_forward").dt.tz_convert("UTC")
        parsed = parsed.where(parsed.notna(), local)
        out = [None if pd.isna(v) else v.to_pydatetime().astimezone(UTC)
               for v in parsed]
    for i, (text, value) in enumerate(zip(series.tolist(), out, strict=True)):
        if text and value is None:
            notes[i].append(f"'{text}' is not a date; it was left out.")
    return out


def _raw(frame: pd.DataFrame, context: RowContext) -> list[dict[str, str]]:
    """The row as it arrived, header → value, for every column not skipped."""
    kept = [(index, header) for index, header in enumerate(context.headers)
            if context.mapping.get(index, KEEP) != SKIP]
    columns = [frame[index].tolist() for index, _ in kept]
    names = [header for _, header in kept]
    return [{name: value for name, value in zip(names, row, strict=True) if value}
            for row in zip(*columns, strict=True)] if columns else [{} for _ in range(len(frame))]
