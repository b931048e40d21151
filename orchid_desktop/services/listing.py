"""Lists of leads and contacts as the tables page through them: counted and sorted by
the database, one window of rows at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import Contact, Lead


@dataclass(frozen=True)
class ListColumn:
    key: str
    header: str
    expression: ColumnElement


def _person_columns(model, *rest: ListColumn) -> tuple[ListColumn, ...]:
    """Who someone is and how to reach them come first in both lists."""
    return (
        ListColumn("name", "Name", model.first_name + " " + model.last_name),
        ListColumn("email", "Email", model.email),
        ListColumn("phone", "Phone", model.phone_e164),
        ListColumn("applicant_type", "Type", model.applicant_type),
        *rest,
    )


LEAD_COLUMNS = _person_columns(
    Lead,
    ListColumn("source", "Source", Lead.source),
    ListColumn("status", "Status", Lead.status),
    ListColumn("received_at", "Received", Lead.received_at),
)

CONTACT_COLUMNS = _person_columns(
    Contact,
    ListColumn("stage", "Stage", Contact.stage),
    ListColumn("state", "State", Contact.state),
    ListColumn("created_at", "Added", Contact.created_at),
)


class Listing:
    def __init__(self, sessions: sessionmaker[Session], entity, columns: tuple[ListColumn, ...]):
        self._sessions = sessions
        self._entity = entity
        self.columns = columns

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(self._entity)) or 0

    def page(self, offset: int, limit: int, sort_index: int, descending: bool) -> list[tuple]:
        with self._sessions() as session:
            return list(session.execute(
                self._ordered(sort_index, descending).offset(offset).limit(limit)))

    def _ordered(self, sort_index: int, descending: bool) -> Select:
        key = self.columns[sort_index].expression
        tiebreak = self._entity.id.desc() if descending else self._entity.id.asc()
        return (select(*(c.expression for c in self.columns)).select_from(self._entity)
                .order_by(key.desc() if descending else key.asc(), tiebreak))


def lead_listing(sessions: sessionmaker[Session]) -> Listing:
    return Listing(sessions, Lead, LEAD_COLUMNS)


def contact_listing(sessions: sessionmaker[Session]) -> Listing:
    return Listing(sessions, Contact, CONTACT_COLUMNS)
