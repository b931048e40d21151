"""The screening queue as SQL: which contacts wait for a screener, and the outcome groups
the Screening tab shows with their counts.

The latest rules outcome is kept on the contact row (services/screening.py), so grouping
and counting never read the evaluations; a page of the queue reads the latest evaluation
of its own rows only.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Client, Contact, ScreeningEvaluation
from orchid_desktop.domain.dq_rules import SCREENED_TYPES
from orchid_desktop.domain.vocab import PipelineStage, ScreeningOutcome

# the stages in which the rules and a screener decide (DOMAIN.md: inquiry to records)
SCREENING_STAGES = (PipelineStage.INQUIRY, PipelineStage.PRE_SCREEN,
                    PipelineStage.APPLICATION, PipelineStage.INTAKE, PipelineStage.RECORDS)


class Queue(StrEnum):
    TO_DECIDE = "to_decide"
    APPROVED = "approved"  # approved, not yet a client
    WAITING = "waiting"  # deferred, their date not reached
    CLOSED = "closed"  # rejected or disqualified

    @property
    def label(self) -> str:
        return {"to_decide": "To decide", "approved": "Approved, to convert",
                "waiting": "Deferred, waiting", "closed": "Rejected"}[self.value]


class Group(StrEnum):
    """The outcome groups of the queue. FLAGGED holds the rules' flags and the people a
    screener flagged by hand, so the groups may overlap; ALL is their union."""

    DQ = "dq"
    FLAGGED = "flagged"
    NEEDS_DATA = "needs_data"
    DEFERRED = "deferred"
    PASSED = "passed"
    UNSCREENED = "unscreened"

    @property
    def label(self) -> str:
        return {"dq": "DQ", "flagged": "Flagged", "needs_data": "Needs data",
                "deferred": "Deferred by rules", "passed": "Passed",
                "unscreened": "Not screened"}[self.value]


_GROUP_OUTCOME = {Group.DQ: ScreeningOutcome.DQ, Group.NEEDS_DATA: ScreeningOutcome.NEEDS_DATA,
                  Group.DEFERRED: ScreeningOutcome.DEFER, Group.PASSED: ScreeningOutcome.PASS}


def anyone_to_screen(session: Session) -> bool:
    """Whether any active contact is of a type the rules screen (the Screening tab shows
    its empty state otherwise)."""
    return bool(session.scalar(select(func.count()).select_from(
        select(Contact.id).where(Contact.applicant_type.in_(SCREENED_TYPES),
                                 Contact.merged_into_id.is_(None),
                                 Contact.archived_at.is_(None)).limit(1)
        .subquery())))


def queue_condition(queue: str, today: date) -> ColumnElement[bool]:
    queue = Queue(queue or Queue.TO_DECIDE)
    screened_type = Contact.applicant_type.in_(SCREENED_TYPES)
    if queue is Queue.TO_DECIDE:
        # a deferral returns to the queue by itself on its date
        due_again = and_(Contact.stage == PipelineStage.DEFERRED,
                         Contact.deferred_until <= today)
        return and_(screened_type, or_(Contact.stage.in_(SCREENING_STAGES), due_again))
    if queue is Queue.APPROVED:
        is_client = exists().where(Client.contact_id == Contact.id)
        return and_(screened_type, Contact.stage == PipelineStage.APPROVED, ~is_client)
    if queue is Queue.WAITING:
        return and_(screened_type, Contact.stage == PipelineStage.DEFERRED,
                    or_(Contact.deferred_until > today, Contact.deferred_until.is_(None)))
    return and_(screened_type, Contact.stage == PipelineStage.DISQUALIFIED)


def group_condition(groups: tuple[str, ...]) -> ColumnElement[bool]:
    if not groups:
        return true()
    return or_(*(_one_group(Group(g)) for g in groups))


def _one_group(group: Group) -> ColumnElement[bool]:
    if group is Group.FLAGGED:
        return or_(Contact.screening_outcome == ScreeningOutcome.FLAG,
                   Contact.flagged_at.is_not(None))
    if group is Group.UNSCREENED:
        return Contact.screening_outcome.is_(None)
    return Contact.screening_outcome == _GROUP_OUTCOME[group]


def group_counts(session: Session, where: ColumnElement[bool]) -> dict[Group, int]:
    """Every group's size under ``where`` (the queue and the other filters), in one
    grouped query."""
    flagged = case((Contact.flagged_at.is_not(None), 1), else_=0)
    rows = session.execute(
        select(Contact.screening_outcome, flagged, func.count())
        .where(where).group_by(Contact.screening_outcome, flagged)).all()
    counts = dict.fromkeys(Group, 0)
    for outcome, by_hand, n in rows:
        if outcome is None:
            counts[Group.UNSCREENED] += n
        elif outcome is ScreeningOutcome.FLAG:
            counts[Group.FLAGGED] += n
        else:
            counts[_group_of(outcome)] += n
        if by_hand and outcome is not ScreeningOutcome.FLAG:
            counts[Group.FLAGGED] += n
    return counts


def _group_of(outcome: ScreeningOutcome) -> Group:
    return next(g for g, o in _GROUP_OUTCOME.items() if o is outcome)


def latest_results_column() -> ColumnElement:
    """The latest evaluation's per-rule results, as a column of a queue page."""
    return (select(ScreeningEvaluation.results)
            .where(ScreeningEvaluation.contact_id == Contact.id)
            .order_by(ScreeningEvaluation.id.desc()).limit(1).scalar_subquery())


def marketing_excluded(contact=Contact) -> ColumnElement[bool]:
    """Contacts no marketing mail may reach: disqualified or rejected, withdrawn, or
    disqualified by the latest run of the rules (services/marketing_rules.py reads this;
    ``contact`` may be an alias)."""
    return or_(contact.stage.in_((PipelineStage.DISQUALIFIED, PipelineStage.WITHDRAWN)),
               contact.screening_outcome.is_not_distinct_from(ScreeningOutcome.DQ))
