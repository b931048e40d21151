"""Typed access to what a DML statement reports."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE run through ``Session.execute``. The session
    types its result as ``Result``; for DML it is a ``CursorResult``, which has the
    count."""
    return cast(CursorResult[Any], result).rowcount
