"""The profile as a rule reads it (``Answers``), and the date arithmetic and reading helpers
the rules of both applicant types share.

A rule never reads the profile dict itself: through ``Answers`` every value it read is
noted (the result's inputs, shown to the screener) and every required answer that is
missing is collected, so a rule whose input is missing says NEEDS_DATA instead of passing.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .outcomes import Finding


def add_months(day: date, months: int) -> date:
    """Calendar months. A day the target month lacks moves on to the 1st of the next month
    (29 Feb + 12 months is 1 Mar), as age_on counts birthdays, so a date is never early."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    if day.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, day.day)
    return date(year, month, 1) + timedelta(days=calendar.monthrange(year, month)[1])


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return float(Decimal(str(value).strip().replace(",", ".")))
    except InvalidOperation:
        return None


def _as_yes_no(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    answer = str(value).strip().lower()
    return answer if answer in ("yes", "no") else None


def _as_choice(value: Any) -> str | None:
    return str(value).strip() or None


def json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class Answers:
    """The profile as one rule reads it: typed values, a note of each value read (the
    result's inputs) and of each required answer that is missing or unreadable."""

    def __init__(self, profile: Mapping[str, Any], today: date):
        self._profile = profile
        self.today = today
        self.inputs: dict[str, Any] = {}
        self.missing: list[str] = []

    def _read(self, key: str, parse: Callable[[Any], Any], required: bool) -> Any:
        raw = self._profile.get(key)
        value = None if raw is None or (isinstance(raw, str) and not raw.strip()) else parse(raw)
        self.inputs[key] = json_safe(raw if value is None else value)
        if value is None and required and key not in self.missing:
            self.missing.append(key)
        return value

    def date(self, key: str, required: bool = True) -> date | None:
        return self._read(key, _as_date, required)

    def number(self, key: str, required: bool = True) -> int | float | None:
        return self._read(key, _as_number, required)

    def yes(self, key: str, required: bool = True) -> bool | None:
        answer = self._read(key, _as_yes_no, required)
        return None if answer is None else answer == "yes"

    def choice(self, key: str, required: bool = True) -> str | None:
        return self._read(key, _as_choice, required)

    def note(self, key: str, value: Any) -> None:
        """A value the rule computed (age, BMI), shown next to what it was computed from."""
        self.inputs[key] = json_safe(value)


def when_yes(answers: Answers, checks: Iterable[tuple[str, Finding]]) -> Iterator[Finding]:
    """Each (yes/no field, finding) pair: the finding when the answer is yes."""
    for key, finding in checks:
        if answers.yes(key):
            yield finding


def recent(answers: Answers, ever_key: str, date_key: str, months: int, *,
           within_12m_key: str | None = None) -> bool | None:
    """Whether something last happened less than ``months`` ago; None while unknown. A
    yes/no "in the last 12 months" answer settles it without a date where it can."""
    last = answers.date(date_key, required=False)
    if last is not None:
        return answers.today < add_months(last, months)
    if within_12m_key:
        in_12m = answers.yes(within_12m_key, required=False)
        if in_12m is not None and (months >= 12 if in_12m else months <= 12):
            return in_12m
    ever = answers.yes(ever_key)
    if ever:
        answers.date(date_key)  # needed now: noted as missing
        return None
    return None if ever is None else False
