"""From schedule to outbox: due drip steps and the recipients of a mass email whose time
has come become outbox rows — exactly one per step record and per recipient, the unique
keys of the outbox making a second one impossible. The sending engine claims those rows;
``settle`` then mirrors what happened to them back onto the drips and mass emails.

Rows are written when due (not at enrolment) so a paused campaign simply stops being
queued, and a template fixed before a step is due goes out fixed. Each row keeps the
template version and the exact variables it is rendered with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    SQLColumnExpression,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Contact,
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    Lead,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
    Template,
    TemplateVersion,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.templating import RenderCheck
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    EnrolmentStatus,
    EnrolmentStepStatus,
    MassEmailStatus,
    OutboxOrigin,
    OutboxStatus,
)

from . import marketing_rules
from .drip_exit import stop_enrolments
from .drip_schedule import complete_enrolments
from .template_variables import PersonKind
from .templates import PersonRef, latest_version, person_variables_bulk

log = logging.getLogger(__name__)

BATCH = 5000
# the status as a literal where the partial index of pending steps should answer: a
# planner can only use a partial index whose condition the query's implies, and a bound
# parameter does not (SQLite then scanned every step record: 8 ms at 1M outbox rows)
PENDING: ColumnClause[str] = literal_column(f"'{EnrolmentStepStatus.PENDING.value}'")
IN_FLIGHT = (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)
STEP_OUTCOME = {  # outbox outcome → the step record's status
    OutboxStatus.SENT: EnrolmentStepStatus.SENT,
    OutboxStatus.SAVED_LOCALLY: EnrolmentStepStatus.SENT,
    OutboxStatus.FAILED: EnrolmentStepStatus.FAILED,
    OutboxStatus.SUPPRESSED: EnrolmentStepStatus.SKIPPED,
    OutboxStatus.CANCELLED: EnrolmentStepStatus.SKIPPED,
}


@dataclass
class QueueReport:
    drip_messages: int = 0
    drip_failures: int = 0
    enrolments_stopped: int = 0
    mass_emails_started: int = 0
    mass_email_messages: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())


def queue_due(session: Session, *, now: datetime | None = None) -> QueueReport:
    """Queue everything due by ``now``; call inside one transaction per tick."""
    from .mass_email_queue import start_due_mass_emails

    now = now or utcnow()
    report = QueueReport()
    if not _take_turn(session):
        return report  # another workstation is queueing right now; the next tick follows
    settle(session, now=now)
    while _queue_due_steps(session, now, report):
        pass
    start_due_mass_emails(session, now, report)
    return report


# any fixed number: the PostgreSQL advisory lock that makes ticks take turns
QUEUE_LOCK = 0x0C41D_0001


def _take_turn(session: Session) -> bool:
    """On PostgreSQL, two workstations ticking at once would both read the same due
    steps and recipients, and the second's inserts would hit the outbox's unique keys
    (or the mass email's version) and fail its whole tick. The tick holds a lock until
    its transaction ends; a tick that cannot have it now does nothing. (SQLite lets one
    writer in at a time anyway.)"""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(QUEUE_LOCK))))


def _due_steps(now: datetime, dialect: str):
    enrolment_status: SQLColumnExpression[Any] = Enrolment.status
    campaign_status: SQLColumnExpression[Any] = DripCampaign.status
    if dialect == "sqlite":
        # "|| ''" keeps SQLite (no statistics: the app never runs ANALYZE) from starting
        # at every active enrolment through their status index; the partial index on
        # pending steps by due time leads instead (34 ms → < 0.1 ms at 1M outbox rows,
        # bench/sending.py). PostgreSQL has statistics and needs no such hint.
        enrolment_status = enrolment_status.concat(literal_column("''"))
        campaign_status = campaign_status.concat(literal_column("''"))
    return (select(EnrolmentStep, Enrolment, DripStep, DripCampaign)
            .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
            .join(DripStep, DripStep.id == EnrolmentStep.step_id)
            .join(DripCampaign, DripCampaign.id == Enrolment.campaign_id)
            .where(EnrolmentStep.status == PENDING,
                   EnrolmentStep.due_at <= now,
                   enrolment_status == EnrolmentStatus.ACTIVE,
                   campaign_status == CampaignStatus.ACTIVE,
                   ~exists(select(OutboxMessage.id).where(
                       OutboxMessage.enrolment_step_id == EnrolmentStep.id)))
            .order_by(EnrolmentStep.due_at, EnrolmentStep.id).limit(BATCH))


def _queue_due_steps(session: Session, now: datetime, report: QueueReport) -> int:
    rows = session.execute(_due_steps(now, session.get_bind().dialect.name)).all()
    if not rows:
        return 0
    _stop_leavers(session, rows, now, report)
    rows = [r for r in rows if r.Enrolment.status is EnrolmentStatus.ACTIVE]
    refs = {r.Enrolment.id: PersonRef.of(r.Enrolment) for r in rows}
    variables = person_variables_bulk(session, list(set(refs.values())))
    addresses = addresses_of(session, refs.values())
    versions: dict[int, TemplateVersion] = {}
    checks: dict[int, RenderCheck] = {}
    kinds = dict(session.execute(select(Template.id, Template.kind)).all())
    messages = []
    for record, enrolment, step, campaign in rows:
        version = versions.get(step.template_id) or latest_version(session, step.template_id)
        versions[step.template_id] = version
        values = {**variables[refs[enrolment.id]], **(enrolment.custom_variables or {})}
        status, reason = OutboxStatus.QUEUED, None
        check = checks.get(version.id) or checks.setdefault(version.id, RenderCheck(
            version.subject, version.html_body, version.text_body, version.variables))
        if (missing := check.missing(values)) is not None:
            status = OutboxStatus.FAILED
            reason = f"no value for {{{{ {missing} }}}} and the template gives no default"
            report.drip_failures += 1
        messages.append({
            "origin": OutboxOrigin.DRIP, "kind": kinds[step.template_id],
            "enrolment_step_id": record.id, "lead_id": enrolment.lead_id,
            "contact_id": enrolment.contact_id, "to_email": values.get("email") or "",
            "to_email_normalized": addresses[refs[enrolment.id]],
            "to_name": " ".join(filter(None, (values.get("first_name"),
                                              values.get("last_name")))) or None,
            "template_version_id": version.id, "render_variables": values,
            "sender_identity_id": campaign.sender_identity_id,
            "category": step_category(campaign.id, step.id), "status": status,
            "status_reason": reason,
            "due_at": record.due_at, "finished_at": now if reason else None,
        })
    if messages:
        session.execute(insert(OutboxMessage), messages)
        report.drip_messages += sum(m["status"] is OutboxStatus.QUEUED for m in messages)
    return len(rows)


def _stop_leavers(session: Session, rows, now: datetime, report: QueueReport) -> None:
    """Whoever has since unsubscribed, bounced, been disqualified, replied or become a
    client leaves the drip now, whatever hook may have missed it."""
    leads = {r.Enrolment.lead_id for r in rows if r.Enrolment.lead_id}
    contacts = {r.Enrolment.contact_id for r in rows if r.Enrolment.contact_id}
    reasons = marketing_rules.why_blocked(session, lead_ids=leads, contact_ids=contacts,
                                          for_drips=True)
    by_reason: dict[str, list[int]] = {}
    for row in rows:
        enrolment = row.Enrolment
        reason = reasons.get(("lead", enrolment.lead_id) if enrolment.lead_id
                             else ("contact", enrolment.contact_id))
        if reason:
            by_reason.setdefault(reason, []).append(enrolment.id)
    for reason, ids in by_reason.items():
        report.enrolments_stopped += stop_enrolments(session, set(ids), reason, now)
    if by_reason:
        session.expire_all()


def step_category(campaign_id: int, step_id: int) -> str:
    """SendGrid category of one drip step: stats are pulled per category, so a step's
    own figures come back as they are and a campaign's are the sum of its steps'."""
    return f"drip-{campaign_id}-step-{step_id}"


def addresses_of(session: Session, refs) -> dict[PersonRef, str]:
    """The normalised address of each person: what suppressions are matched on."""
    wanted: dict[PersonKind, set[int]] = {"lead": set(), "contact": set()}
    for ref in refs:
        wanted[ref.kind].add(ref.id)
    found: dict[PersonRef, str] = {}
    models: tuple[tuple[PersonKind, type[Lead] | type[Contact]], ...] = (
        ("lead", Lead), ("contact", Contact))
    for kind, model in models:
        ids = sorted(wanted[kind])
        for start in range(0, len(ids), BATCH):
            found.update((PersonRef(kind, i), e or "") for i, e in session.execute(
                select(model.id, model.email_normalized)
                .where(model.id.in_(ids[start:start + BATCH]))))
    return found



def settle(session: Session, *, now: datetime | None = None) -> None:
    """Mirror finished outbox rows onto step records the sending engine did not finish
    itself (rows failed while queueing, suppressed by a sync, dropped by staff), then
    finish enrolments with nothing left to send, campaigns with nobody left on them past
    their end (or with no rule enrolling more), and mass emails with nothing left in
    flight. Every query starts from what is pending or in flight, never from the whole
    outbox, so a quiet tick stays quick however much has been sent."""
    now = now or utcnow()
    enrolment_ids: set[int] = set()
    # the step's one outbox row (a unique key), looked up per due pending step: as an
    # EXISTS, PostgreSQL merge-joined over every sent drip row (627 ms → ~30 ms per
    # statement at 1M outbox rows, bench/sending.py)
    outcome_of_step = select(OutboxMessage.status).where(
        OutboxMessage.enrolment_step_id == EnrolmentStep.id).scalar_subquery()
    reason = select(OutboxMessage.status_reason).where(
        OutboxMessage.enrolment_step_id == EnrolmentStep.id).scalar_subquery()
    step_status = case(*((outcome_of_step == literal(outcome.value),
                          literal(status.value)) for outcome, status in STEP_OUTCOME.items()),
                       else_=EnrolmentStep.status)
    # one statement for every outcome; a step has an outbox row only once it was due,
    # so the partial index on pending steps by due time bounds this to what is in flight
    enrolment_ids.update(session.execute(
        update(EnrolmentStep)
        .where(EnrolmentStep.status == PENDING, EnrolmentStep.due_at <= now,
               outcome_of_step.in_([literal(o.value) for o in STEP_OUTCOME]))
        .values(status=step_status, finished_at=now, reason=reason)
        .returning(EnrolmentStep.enrolment_id)
        .execution_options(synchronize_session=False)).scalars())
    complete_enrolments(session, enrolment_ids, now)
    active_left = exists(select(Enrolment.id).where(
        Enrolment.campaign_id == DripCampaign.id, Enrolment.status == EnrolmentStatus.ACTIVE))
    anyone = exists(select(Enrolment.id).where(Enrolment.campaign_id == DripCampaign.id))
    for campaign in session.scalars(select(DripCampaign).where(
            DripCampaign.status == CampaignStatus.ACTIVE, ~active_left, anyone)):
        # a rule may still bring people until the end date; the rule is JSON (a stored
        # None is JSON null, not SQL NULL), so it is read here rather than compared in SQL
        if not campaign.auto_enrol_rule or (campaign.ends_on and campaign.ends_on < now.date()):
            campaign.status = CampaignStatus.COMPLETED
    _settle_mass_emails(session, now)


def _settle_mass_emails(session: Session, now: datetime) -> None:
    of_mass_email = and_(OutboxMessage.mass_email_recipient_id == MassEmailRecipient.id,
                         MassEmailRecipient.mass_email_id == MassEmail.id)
    served = (select(func.count()).select_from(OutboxMessage).join(
        MassEmailRecipient, MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id)
        .where(MassEmailRecipient.mass_email_id == MassEmail.id,
               OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.SAVED_LOCALLY)))
        .scalar_subquery())
    session.execute(
        update(MassEmail).where(MassEmail.status == MassEmailStatus.SENDING)
        .values(served_count=served).execution_options(synchronize_session=False))
    in_flight = exists(select(OutboxMessage.id).where(
        of_mass_email, OutboxMessage.status.in_(IN_FLIGHT)))
    unqueued = exists(select(MassEmailRecipient.id).where(
        MassEmailRecipient.mass_email_id == MassEmail.id,
        ~exists(select(OutboxMessage.id).where(
            OutboxMessage.mass_email_recipient_id == MassEmailRecipient.id))))
    session.execute(
        update(MassEmail).where(MassEmail.status == MassEmailStatus.SENDING, ~in_flight,
                                ~unqueued)
        .values(status=MassEmailStatus.SENT, finished_at=now)
        .execution_options(synchronize_session=False))


def still_wanted() -> ColumnElement[bool]:
    """For the sending engine's claim: the row's drip enrolment and campaign are still
    active, or its mass email is still sending; single messages always are."""
    # scalar subqueries on primary keys (at most one row), not EXISTS: PostgreSQL hashed
    # the EXISTS over every recipient of the mass email at each claim, and the claim can
    # stop at ``limit`` rows of the queued-rows index instead (bench/sending.py)
    drip_active = (select(EnrolmentStep.id)
                   .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
                   .join(DripCampaign, DripCampaign.id == Enrolment.campaign_id)
                   .where(EnrolmentStep.id == OutboxMessage.enrolment_step_id,
                          Enrolment.status == EnrolmentStatus.ACTIVE,
                          DripCampaign.status == CampaignStatus.ACTIVE)
                   .scalar_subquery())
    mass_sending = (select(MassEmailRecipient.id)
                    .join(MassEmail, MassEmail.id == MassEmailRecipient.mass_email_id)
                    .where(MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id,
                           MassEmail.status == MassEmailStatus.SENDING)
                    .scalar_subquery())
    return or_(OutboxMessage.origin == OutboxOrigin.SINGLE,
               and_(OutboxMessage.origin == OutboxOrigin.DRIP, drip_active.is_not(None)),
               and_(OutboxMessage.origin == OutboxOrigin.MASS_EMAIL,
                    mass_sending.is_not(None)))


def no_longer_wanted() -> ColumnElement[bool]:
    """A row that will never be sent: its drip enrolment stopped or finished, its
    campaign completed or was archived, or its mass email was cancelled. (A paused
    campaign or mass email still wants its rows: they go when it resumes.)"""
    drip_gone = exists(select(EnrolmentStep.id)
                       .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
                       .join(DripCampaign, DripCampaign.id == Enrolment.campaign_id)
                       .where(EnrolmentStep.id == OutboxMessage.enrolment_step_id,
                              or_(Enrolment.status != EnrolmentStatus.ACTIVE,
                                  DripCampaign.status.not_in((CampaignStatus.ACTIVE,
                                                              CampaignStatus.PAUSED)))))
    mass_gone = exists(select(MassEmailRecipient.id)
                       .join(MassEmail, MassEmail.id == MassEmailRecipient.mass_email_id)
                       .where(MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id,
                              MassEmail.status.not_in((MassEmailStatus.SENDING,
                                                       MassEmailStatus.PAUSED))))
    return or_(and_(OutboxMessage.origin == OutboxOrigin.DRIP, drip_gone),
               and_(OutboxMessage.origin == OutboxOrigin.MASS_EMAIL, mass_gone))
