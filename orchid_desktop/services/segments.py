"""Audiences for mass emails: a saved description of which leads and contacts to reach
(type, status or stage, source, dates, tags), counted live and frozen into recipients
when sending starts.

The filters reuse the Leads and Contacts lists' own (people_query.where_clause), so "egg
donors from Facebook this month" means the same here as on those tabs. Each address is
reached once: where a lead and a contact share one, the contact is the recipient.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, Lead, PersonTag, Tag
from orchid_desktop.domain.vocab import SavedViewKind

from . import marketing_rules
from .people_query import CONTACTS, LEADS, PeopleFilter, where_clause
from .template_variables import PersonKind
from .templates import PersonRef

PEOPLE_CHOICES = {"both": "Leads and contacts", "leads": "Leads only",
                  "contacts": "Contacts only"}


@dataclass(frozen=True)
class Segment:
    people: str = "both"  # a key of PEOPLE_CHOICES
    applicant_types: tuple[str, ...] = ()
    lead_statuses: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: date | None = None  # received (leads) / added (contacts), both included
    date_to: date | None = None
    tags: tuple[str, ...] = ()  # tag names; anyone with one of them

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("date_from", "date_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        converted: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                     for k, v in values.items()}
        return cls(**converted)

    def describe(self) -> str:
        parts = [PEOPLE_CHOICES.get(self.people, self.people)]
        for label, values in (("type", self.applicant_types), ("status", self.lead_statuses),
                              ("stage", self.stages), ("source", self.sources),
                              ("tag", self.tags)):
            if values:
                parts.append(f"{label}: {', '.join(v.replace('_', ' ') for v in values)}")
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'} to {self.date_to or '…'}")
        return "; ".join(parts)


@dataclass(frozen=True)
class AudienceCount:
    recipients: int  # distinct addresses that will get the email
    excluded: int  # matched but may not get marketing email (suppressed, disqualified…)


def _query(session: Session, segment: Segment, model, allowed: bool) -> Select:
    kind, statuses = (LEADS, segment.lead_statuses) if model is Lead else \
        (CONTACTS, segment.stages)
    people = PeopleFilter(applicant_types=segment.applicant_types, sources=segment.sources,
                          statuses=statuses, date_from=segment.date_from,
                          date_to=segment.date_to)
    blocked = marketing_rules.lead_blocked() if model is Lead \
        else marketing_rules.contact_blocked()
    query = select(model.email_normalized.label("email")).where(
        where_clause(kind, people, session.get_bind().dialect.name),
        model.email_normalized.is_not(None), ~blocked if allowed else blocked)
    if segment.tags:
        column = PersonTag.lead_id if model is Lead else PersonTag.contact_id
        query = query.where(exists(select(PersonTag.id).join(Tag, Tag.id == PersonTag.tag_id)
                                   .where(column == model.id, Tag.name.in_(segment.tags))))
    return query


def _models(segment: Segment):
    return {"leads": (Lead,), "contacts": (Contact,)}.get(segment.people, (Contact, Lead))


def tag_names(session: Session) -> list[str]:
    """Every tag's name, alphabetically: what an audience can be narrowed to."""
    return list(session.scalars(select(Tag.name).order_by(Tag.name)))


def count_audience(session: Session, segment: Segment) -> AudienceCount:
    def union(allowed: bool):
        queries = [_query(session, segment, m, allowed) for m in _models(segment)]
        return queries[0].union(*queries[1:]) if len(queries) > 1 else queries[0].distinct()

    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    allowed = union(True).subquery()
    blocked = union(False).subquery()
    # someone blocked as a lead but reachable as their contact is a recipient, not excluded
    return AudienceCount(count(select(allowed.c.email)), count(
        select(blocked.c.email).where(blocked.c.email.not_in(select(allowed.c.email)))))


def audience(session: Session, segment: Segment) -> list[tuple[PersonRef, str]]:
    """Each recipient once, with the normalised address; contacts win over leads."""
    chosen: dict[str, PersonRef] = {}
    for model in _models(segment):
        kind: PersonKind = "lead" if model is Lead else "contact"
        query = _query(session, segment, model, True).add_columns(model.id) \
            .order_by(model.id)
        for email, person_id in session.execute(query):
            chosen.setdefault(email, PersonRef(kind, person_id))
    return [(ref, email) for email, ref in chosen.items()]


SEGMENT_VIEW = SavedViewKind.SEGMENT
