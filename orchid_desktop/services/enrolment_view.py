"""Who is on a drip campaign and how far each person has got: one row per enrolment with
the record of each email step (sent, planned, skipped or failed, and why). Read only;
changing an enrolment is services/enrolment.py's work.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, Enrolment, EnrolmentStep, Lead, Template
from orchid_desktop.domain.drip_timing import zone_for_state
from orchid_desktop.domain.vocab import EnrolmentStatus, EnrolmentStepStatus, StepKind

from .drip_schedule import agency_zone_name, campaign_steps

DEFAULT_LIMIT = 2000
_CHUNK = 500


@dataclass(frozen=True)
class EmailStepInfo:
    step_id: int
    number: int  # the email's number in the sequence, from 1
    template: str


@dataclass(frozen=True)
class StepRecord:
    status: EnrolmentStepStatus
    due_at: datetime | None
    finished_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class EnrolmentRow:
    id: int
    person: str
    email: str
    kind: str  # "lead" or "contact"
    time_zone: str  # where their emails are timed
    status: EnrolmentStatus
    enrolled_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None
    steps: tuple[StepRecord | None, ...]  # one per email step; None: not planned yet


@dataclass(frozen=True)
class EnrolmentListing:
    email_steps: list[EmailStepInfo]
    rows: list[EnrolmentRow]
    total: int  # enrolments matching the search (rows holds at most the limit)
    by_status: dict[EnrolmentStatus, int]  # the whole campaign, whatever the search

    def summary(self) -> str:
        everyone = sum(self.by_status.values())
        if not everyone:
            return "Nobody is enrolled yet."
        parts = [f"{n:,} {status.value}" for status, n in self.by_status.items() if n]
        return f"{everyone:,} enrolled: " + ", ".join(parts) + "."


def list_enrolments(session: Session, campaign_id: int, *, search: str = "",
                    limit: int = DEFAULT_LIMIT) -> EnrolmentListing:
    """The campaign's enrolments, oldest first, with each email step's record; ``search``
    narrows by name or address."""
    # keyed by int | None: a step without a template reads as "?"
    names: dict[int | None, str] = dict(
        session.execute(select(Template.id, Template.name)).all())
    email_steps = [EmailStepInfo(s.id, n, names.get(s.template_id, "?")) for n, s in
                   enumerate((s for s in campaign_steps(session, campaign_id)
                              if s.kind is StepKind.EMAIL), start=1)]
    where = [Enrolment.campaign_id == campaign_id]
    term = search.strip().lower()
    if term:
        like = f"%{term}%"
        where.append(or_(*(func.lower(column).like(like) for column in (
            Contact.first_name, Contact.last_name, Contact.email_normalized,
            Lead.first_name, Lead.last_name, Lead.email_normalized))))
    base = (select(Enrolment.id).outerjoin(Contact, Contact.id == Enrolment.contact_id)
            .outerjoin(Lead, Lead.id == Enrolment.lead_id).where(*where))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        select(Enrolment, Contact.first_name, Contact.last_name, Contact.email, Contact.state,
               Lead.first_name, Lead.last_name, Lead.email, Lead.state)
        .outerjoin(Contact, Contact.id == Enrolment.contact_id)
        .outerjoin(Lead, Lead.id == Enrolment.lead_id)
        .where(*where).order_by(Enrolment.id).limit(limit)).all()
    records = _records(session, [row[0].id for row in rows])
    fallback = agency_zone_name(session)
    listed = []
    for enrolment, *person in rows:
        first, last, email, state = person[:4] if enrolment.contact_id else person[4:]
        mine = records.get(enrolment.id, {})
        listed.append(EnrolmentRow(
            enrolment.id, f"{first or ''} {last or ''}".strip() or (email or "—"), email or "",
            "contact" if enrolment.contact_id else "lead",
            zone_for_state(state, fallback).key, enrolment.status, enrolment.enrolled_at,
            enrolment.stopped_at, enrolment.stop_reason,
            tuple(mine.get(step.step_id) for step in email_steps)))
    counts = Counter(dict(session.execute(
        select(Enrolment.status, func.count()).where(Enrolment.campaign_id == campaign_id)
        .group_by(Enrolment.status)).all()))
    by_status = {status: counts.get(status, 0) for status in EnrolmentStatus}
    return EnrolmentListing(email_steps, listed, total, by_status)


def _records(session: Session, enrolment_ids: list[int]) -> dict[int, dict[int, StepRecord]]:
    found: dict[int, dict[int, StepRecord]] = {}
    for start in range(0, len(enrolment_ids), _CHUNK):
        for record in session.scalars(select(EnrolmentStep).where(
                EnrolmentStep.enrolment_id.in_(enrolment_ids[start:start + _CHUNK]))):
            found.setdefault(record.enrolment_id, {})[record.step_id] = StepRecord(
                record.status, record.due_at, record.finished_at, record.reason)
    return found
