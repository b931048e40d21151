"""A list of leads or contacts as a table pages through it: counted, sorted and filtered
by the database, one window of rows at a time.

Pages far down a million-row list stay fast for two reasons: the page's ids are found
first on the (covering, partial) sort index and only those rows are read; and a page
nearer the end than the start is read with the order reversed, so "jump to the last
row" costs the same as the first page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from .people_query import (
    CONTACTS,
    LEADS,
    PeopleFilter,
    PeopleKind,
    order_by,
    where_clause,
)

# A search with at most this many matches (known from the count) is paged by collecting
# the matches first; with more, walking the sort index finds a page sooner.
FEW_MATCHES = 5_000


class Listing:
    def __init__(self, sessions: sessionmaker[Session], kind: PeopleKind):
        self._sessions = sessions
        self.kind = kind
        self.columns = kind.columns

    def _dialect(self, session: Session) -> str:
        return session.get_bind().dialect.name

    def count(self, people: PeopleFilter = PeopleFilter()) -> int:
        with self._sessions() as session:
            where = where_clause(self.kind, people, self._dialect(session))
            return session.scalar(
                select(func.count()).select_from(self.kind.model).where(where)) or 0

    def page(self, offset: int, limit: int, sort_index: int, descending: bool,
             people: PeopleFilter = PeopleFilter(), *, total: int | None = None,
             ) -> list[tuple[Any, ...]]:
        """Rows ``offset`` … ``offset + limit - 1``, each ``(id, *column values)``.

        ``total`` (the count the caller already has) lets a page in the second half be
        read from the other end.
        """
        if limit <= 0:
            return []
        from_end = False
        if total is not None and offset > total // 2:
            from_end = True
            end = min(offset + limit, total)
            offset, limit = total - end, end - offset
            if limit <= 0:
                return []
            descending = not descending
        few = total is not None and total <= FEW_MATCHES
        with self._sessions() as session:
            rows: list[tuple[Any, ...]] = list(session.execute(self._page_query(
                session, offset, limit, sort_index, descending, people, few)))
        return rows[::-1] if from_end else rows

    def _page_query(self, session: Session, offset: int, limit: int, sort_index: int,
                    descending: bool, people: PeopleFilter, few: bool = False,
                    ) -> Select[Any]:
        model = self.kind.model
        ordering = order_by(self.kind, sort_index, descending)
        page_ids = (select(model.id)
                    .where(where_clause(self.kind, people, self._dialect(session),
                                        few_matches=few))
                    .order_by(*ordering).offset(offset).limit(limit))
        return (select(model.id, *(c.expression for c in self.columns))
                .where(model.id.in_(page_ids)).order_by(*ordering))


def lead_listing(sessions: sessionmaker[Session]) -> Listing:
    return Listing(sessions, LEADS)


def contact_listing(sessions: sessionmaker[Session]) -> Listing:
    return Listing(sessions, CONTACTS)
