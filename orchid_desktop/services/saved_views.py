"""Saved filters of the Leads and Contacts lists, shared by every workstation."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import SavedView
from orchid_desktop.domain.vocab import SavedViewKind
from orchid_desktop.errors import ValidationError

from .people_query import PeopleFilter


def list_filters(session: Session, kind: SavedViewKind) -> list[tuple[str, PeopleFilter]]:
    rows = session.scalars(select(SavedView).where(SavedView.kind == kind)
                           .order_by(SavedView.name))
    return [(row.name, PeopleFilter.from_json(row.definition)) for row in rows]


def save_filter(session: Session, kind: SavedViewKind, name: str, people: PeopleFilter, *,
                staff_id: int | None) -> None:
    """Create, or replace the filter of the same name."""
    name = name.strip()
    if not name:
        raise ValidationError(["Give the filter a name."])
    if not people.is_narrowed():
        raise ValidationError(["Nothing is filtered yet: choose a search or a filter first."])
    row = session.scalars(select(SavedView).where(SavedView.kind == kind,
                                                  SavedView.name == name)).first()
    if row is None:
        session.add(SavedView(kind=kind, name=name, definition=people.to_json(),
                              owner_id=staff_id))
    else:
        row.definition = people.to_json()
    session.flush()


def delete_filter(session: Session, kind: SavedViewKind, name: str) -> None:
    session.execute(delete(SavedView).where(SavedView.kind == kind, SavedView.name == name))
