"""Which leads or contacts a list, an export or an audience means: the two kinds of list,
their columns, and a filter turned into SQL.

Everything here is decided by the database (indexes, FTS); nothing loads a table into
Python. The UI, the exporter and the command line share these definitions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, true, type_coerce

from orchid_desktop.db import search_index
from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.db.models.base import JSONType
from orchid_desktop.domain import search_terms
from orchid_desktop.domain.vocab import (
    ApplicantType,
    LeadSource,
    LeadStatus,
    PipelineStage,
    SavedViewKind,
)

from . import screening_queue


@dataclass(frozen=True)
class ListColumn:
    key: str
    header: str
    expression: ColumnElement
    # what "sort by this column" orders by; the kind's date column and the id follow
    sort_keys: tuple[ColumnElement, ...]


@dataclass(frozen=True)
class PeopleKind:
    name: str  # "leads" / "contacts": also the command line's word
    model: type[Lead] | type[Contact]
    columns: tuple[ListColumn, ...]
    status_column: SQLColumnExpression[Any]  # lead status or contact stage
    status_values: tuple[str, ...]
    date_column: SQLColumnExpression[Any]  # received (leads) / added (contacts)
    date_label: str
    saved_view_kind: SavedViewKind
    is_queue: bool = False  # the screening queue: PeopleFilter.queue and outcome_groups apply

    @property
    def default_sort(self) -> int:
        """Newest first: the date column is last."""
        return len(self.columns) - 1

    def active(self) -> ColumnElement[bool]:
        """The rows the list shows unless asked for the archived ones; the list indexes
        are partial on exactly this condition."""
        if self.model is Contact:
            return and_(Contact.merged_into_id.is_(None), Contact.archived_at.is_(None))
        return Lead.archived_at.is_(None)

    def archived(self) -> ColumnElement[bool]:
        archived = self.model.archived_at.is_not(None)
        return and_(Contact.merged_into_id.is_(None), archived) if self.model is Contact \
            else archived


def _column(key: str, header: str, expression, *sort_keys) -> ListColumn:
    return ListColumn(key, header, expression, sort_keys or (expression,))


def _name_column(model) -> ListColumn:
    return _column("name", "Name", model.first_name + " " + model.last_name,
                   model.last_name, model.first_name)


def _person_columns(model, *rest: ListColumn) -> tuple[ListColumn, ...]:
    """Who someone is and how to reach them come first in both lists."""
    return (
        _name_column(model),
        _column("email", "Email", model.email, model.email_normalized),
        _column("phone", "Phone", model.phone_e164),
        _column("applicant_type", "Type", model.applicant_type,
                model.applicant_type, rest[-1].expression),
        *rest,
    )


LEADS = PeopleKind(
    "leads", Lead,
    _person_columns(
        Lead,
        _column("source", "Source", Lead.source, Lead.source, Lead.received_at),
        _column("status", "Status", Lead.status, Lead.status, Lead.received_at),
        _column("received_at", "Received", Lead.received_at),
    ),
    Lead.status, tuple(LeadStatus), Lead.received_at, "Received", SavedViewKind.LEAD_FILTER,
)

CONTACTS = PeopleKind(
    "contacts", Contact,
    _person_columns(
        Contact,
        _column("stage", "Stage", Contact.stage, Contact.stage, Contact.created_at),
        _column("state", "State", Contact.state, Contact.state, Contact.created_at),
        _column("created_at", "Added", Contact.created_at),
    ),
    Contact.stage, tuple(PipelineStage), Contact.created_at, "Added",
    SavedViewKind.CONTACT_FILTER,
)

SCREENING = PeopleKind(
    "screening", Contact,
    (
        _name_column(Contact),
        _column("phone", "Phone", Contact.phone_e164),
        _column("applicant_type", "Type", Contact.applicant_type, Contact.applicant_type,
                Contact.created_at),
        _column("stage", "Stage", Contact.stage, Contact.stage, Contact.created_at),
        _column("screening_outcome", "Outcome", Contact.screening_outcome,
                Contact.screening_outcome, Contact.created_at),
        _column("fired", "What the rules found",
                type_coerce(screening_queue.latest_results_column(), JSONType),
                Contact.screening_outcome, Contact.created_at),
        _column("screened_at", "Screened", Contact.screened_at),
        _column("created_at", "Added", Contact.created_at),
    ),
    # every stage: the Approved, Waiting and Rejected views list later and side stages
    Contact.stage, tuple(PipelineStage), Contact.created_at, "Added",
    SavedViewKind.CONTACT_FILTER, is_queue=True,
)

KINDS = {kind.name: kind for kind in (LEADS, CONTACTS)}


@dataclass(frozen=True)
class PeopleFilter:
    """What staff narrowed a list to. Empty tuples mean "any"; dates are the
    workstation's calendar days, both ends included."""

    search: str = ""
    applicant_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    # "the last N days" (0 = today) counted from the day the filter runs, so a saved
    # "new this week" stays this week
    last_days: int | None = None
    archived: bool = False
    ids: tuple[int, ...] = ()  # an explicit selection
    # the screening queue only (services/screening_queue.py); "" is "to decide"
    queue: str = ""
    outcome_groups: tuple[str, ...] = ()

    def is_narrowed(self) -> bool:
        return self != PeopleFilter()

    def to_json(self) -> dict[str, Any]:
        """For a saved filter; a selection is never saved."""
        data = asdict(replace(self, ids=()))
        data.pop("ids")
        for key in ("date_from", "date_to"):
            data[key] = data[key].isoformat() if data[key] else None
        for key in TUPLE_FIELDS:
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PeopleFilter:
        known = {f.name for f in fields(cls)} - {"ids"}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        for key in TUPLE_FIELDS:
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


TUPLE_FIELDS = ("applicant_types", "sources", "statuses", "outcome_groups")


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min).astimezone()


def where_clause(kind: PeopleKind, people: PeopleFilter, dialect: str, *,
                 few_matches: bool = False) -> ColumnElement[bool]:
    """``few_matches``: the caller counted the list and it is small (search_index.matches)."""
    model = kind.model
    conditions: list[ColumnElement[bool]] = [kind.archived() if people.archived
                                             else kind.active()]
    if people.ids:
        conditions.append(model.id.in_(people.ids))
    if kind.is_queue:
        conditions.append(screening_queue.queue_condition(people.queue, date.today()))
        conditions.append(screening_queue.group_condition(people.outcome_groups))
    if people.applicant_types:
        conditions.append(model.applicant_type.in_(
            [ApplicantType(v) for v in people.applicant_types]))
    if people.sources:
        conditions.append(model.source.in_([LeadSource(v) for v in people.sources]))
    if people.statuses:
        conditions.append(kind.status_column.in_(people.statuses))
    if people.last_days is not None:
        conditions.append(kind.date_column >= _local_midnight(
            date.today() - timedelta(days=people.last_days)))
    if people.date_from:
        conditions.append(kind.date_column >= _local_midnight(people.date_from))
    if people.date_to:
        conditions.append(kind.date_column < _local_midnight(people.date_to + timedelta(days=1)))
    words = search_terms.query_words(people.search)
    if words:
        query = (search_terms.fts5_query(words) if dialect == "sqlite"
                 else search_terms.tsquery(words))
        conditions.append(search_index.matches(dialect, model, query, few=few_matches))
    return and_(true(), *conditions)


def order_by(kind: PeopleKind, sort_index: int, descending: bool) -> list[ColumnElement]:
    keys = [*kind.columns[sort_index].sort_keys, kind.model.id]
    return [k.desc() if descending else k.asc() for k in keys]
