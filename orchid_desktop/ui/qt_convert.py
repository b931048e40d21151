"""Typed conversions between Qt's date and time values and Python's.

PySide6 converts these itself (``toPython()``, and a ``datetime.time`` where a ``QTime``
is expected), but its stubs type ``toPython()`` as returning ``object`` and do not accept
Python values for Qt ones; these helpers keep the real types in one place."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import cast

from PySide6.QtCore import QDate, QDateTime, QTime


def py_date(value: QDate) -> date:
    return cast(date, value.toPython())  # the stubs say ``object``


def py_time(value: QTime) -> time:
    return cast(time, value.toPython())  # the stubs say ``object``


def py_datetime(value: QDateTime) -> datetime:
    return cast(datetime, value.toPython())  # the stubs say ``object``


def qtime(value: time) -> QTime:
    """What PySide6 makes of a ``datetime.time`` (to the millisecond)."""
    return QTime(value.hour, value.minute, value.second, value.microsecond // 1000)
