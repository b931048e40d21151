"""Drip campaigns as staff edit them: the form, its checks, saving, and the list with
counts. The lifecycle (launch, pause, resume, archive) is in drip_lifecycle.py.

Steps can change only while a campaign is a draft: once people are on it, their
records point at its steps. Name, sender, window and end date can change at any time;
pending sends then move to fit (drip_schedule.realign_pending).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import case, delete, func, null, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db.models import (
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    OutboxMessage,
    SenderIdentity,
    Template,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import (
    ApplicantType,
    CampaignStatus,
    CampaignTarget,
    DelayFrom,
    EnrolmentStatus,
    EnrolmentStepStatus,
    OutboxStatus,
    StepKind,
)
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit
from .drip_schedule import realign_pending, revive_cut_steps

MAX_DELAY_DAYS = 3650
AUTO_ENROL_EVENTS = {"lead_created": "a new lead", "contact_created": "a new contact"}


@dataclass
class StepForm:
    kind: StepKind
    delay_days: int = 0
    delay_from: DelayFrom = DelayFrom.PREVIOUS_STEP
    send_time: time | None = None
    template_id: int | None = None


@dataclass
class DripForm:
    name: str
    target: CampaignTarget
    steps: list[StepForm] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    window_start: time = time(9, 0)
    window_end: time = time(17, 0)
    weekdays: str = "12345"
    sender_identity_id: int | None = None
    # e.g. {"on": "lead_created", "applicant_type": "egg_donor"}; None = by hand only
    auto_enrol_rule: dict | None = None
    version: int | None = None  # the row's version when loaded; None for a new campaign
    status: CampaignStatus = CampaignStatus.DRAFT


@dataclass(frozen=True)
class DripSummary:
    id: int
    name: str
    target: CampaignTarget
    status: CampaignStatus
    paused_reason: str | None
    enrolled: int
    active: int
    queued: int  # pending sends, whether due or not
    sent: int
    failed: int
    next_send: datetime | None


def validate(session: Session, form: DripForm, campaign_id: int | None) -> list[str]:
    problems = []
    name = form.name.strip()
    if not name:
        problems.append("Give the campaign a name.")
    elif session.scalar(select(DripCampaign.id).where(
            func.lower(DripCampaign.name) == name.lower(), DripCampaign.id != (campaign_id or 0))):
        problems.append(f"Another campaign is already called “{name}”.")
    if form.ends_on and form.starts_on and form.ends_on < form.starts_on:
        problems.append("The end date is before the start date.")
    if form.window_end <= form.window_start:
        problems.append("The sending window must end after it starts.")
    if not form.weekdays or any(d not in "1234567" for d in form.weekdays):
        problems.append("Choose at least one weekday for sending.")
    if not any(step.kind is StepKind.EMAIL for step in form.steps):
        problems.append("Add at least one email step.")
    templates = dict(session.execute(select(Template.id, Template.archived_at)).all())
    for number, step in enumerate(form.steps, start=1):
        if not 0 <= step.delay_days <= MAX_DELAY_DAYS:
            problems.append(f"Step {number}: the delay must be between 0 and "
                            f"{MAX_DELAY_DAYS:,} days.")
        if step.kind is StepKind.WAIT and step.delay_days == 0:
            problems.append(f"Step {number}: a wait step needs at least one day.")
        if step.kind is StepKind.EMAIL:
            if step.template_id is None:
                problems.append(f"Step {number}: choose the email template.")
            elif step.template_id not in templates:
                problems.append(f"Step {number}: its template no longer exists.")
            elif templates[step.template_id] is not None:
                problems.append(f"Step {number}: its template is archived.")
    if form.sender_identity_id is not None and session.get(
            SenderIdentity, form.sender_identity_id) is None:
        problems.append("The chosen sender no longer exists.")
    rule = form.auto_enrol_rule
    if rule is not None:
        if rule.get("on") not in AUTO_ENROL_EVENTS:
            problems.append("Choose when people join automatically.")
        if rule.get("applicant_type") not in (None, *[t.value for t in ApplicantType]):
            problems.append("Choose which applicants join automatically.")
    return problems


def save_drip(session: Session, campaign_id: int | None, form: DripForm, *,
              staff_id: int | None, now: datetime | None = None) -> int:
    """Create or update; returns the campaign id. Raises ValidationError, ConflictError."""
    problems = validate(session, form, campaign_id)
    campaign: DripCampaign | None = None
    if campaign_id is not None:
        campaign = session.get(DripCampaign, campaign_id)
        if campaign is None:
            raise UserError("That campaign no longer exists.")
        if campaign.version != form.version:
            raise ConflictError(f"{campaign.name} was changed on another workstation since you "
                                "opened it. Close it and open it again to see the changes.")
        if campaign.status is CampaignStatus.ARCHIVED:
            problems.append("An archived campaign cannot be changed.")
        if campaign.status is not CampaignStatus.DRAFT and _steps_changed(session, campaign,
                                                                          form.steps):
            problems.append("Steps can only be changed while the campaign is a draft. Copy "
                            "the campaign to build a changed sequence.")
    if problems:
        raise ValidationError(problems)
    is_new = campaign is None
    before = {} if campaign is None else _fields(campaign)
    if campaign is None:
        campaign = DripCampaign(created_by_id=staff_id)
        session.add(campaign)
    campaign.name, campaign.target = form.name.strip(), form.target
    campaign.starts_on, campaign.ends_on = form.starts_on, form.ends_on
    campaign.window_start, campaign.window_end = form.window_start, form.window_end
    campaign.window_weekdays = "".join(sorted(set(form.weekdays)))
    campaign.sender_identity_id = form.sender_identity_id
    # SQL NULL, not JSON null: settle() and apply_enrol_rules() ask IS NULL
    campaign.auto_enrol_rule = form.auto_enrol_rule or null()
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("The campaign was changed on another workstation; open it "
                            "again.") from None
    if campaign.status is CampaignStatus.DRAFT:
        _replace_steps(session, campaign.id, form.steps)
    after = _fields(campaign)
    changes = {k: [str(before.get(k)), str(v)] for k, v in after.items() if before.get(k) != v}
    audit.record(session, staff_id=staff_id, entity_type="drip_campaign", entity_id=campaign.id,
                 action="created" if is_new else "updated", changes=changes)
    timing = ("starts_on", "ends_on", "window_start", "window_end", "window_weekdays")
    if not is_new and campaign.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED) \
            and any(k in changes for k in timing):
        if "ends_on" in changes:
            revive_cut_steps(session, campaign)
        realign_pending(session, campaign, now=now or utcnow())
    return campaign.id


def load_drip(session: Session, campaign_id: int) -> DripForm:
    campaign = session.get(DripCampaign, campaign_id)
    if campaign is None:
        raise UserError("That campaign no longer exists.")
    steps = session.scalars(select(DripStep).where(DripStep.campaign_id == campaign_id)
                            .order_by(DripStep.position))
    return DripForm(
        campaign.name, campaign.target,
        [StepForm(s.kind, s.delay_days, s.delay_from, s.send_time, s.template_id)
         for s in steps],
        campaign.starts_on, campaign.ends_on, campaign.window_start, campaign.window_end,
        campaign.window_weekdays, campaign.sender_identity_id, campaign.auto_enrol_rule,
        campaign.version, campaign.status)


def copy_drip(session: Session, campaign_id: int, *, staff_id: int | None) -> int:
    """A draft with the same steps and settings: how a running sequence is changed."""
    form = load_drip(session, campaign_id)
    base, number = f"Copy of {form.name}", 1
    form.name = base
    while session.scalar(select(DripCampaign.id).where(DripCampaign.name == form.name)):
        number += 1
        form.name = f"{base} ({number})"
    form.version, form.status, form.auto_enrol_rule = None, CampaignStatus.DRAFT, None
    form.steps = list(form.steps)
    return save_drip(session, None, form, staff_id=staff_id)


def list_drips(session: Session, *, include_archived: bool = False) -> list[DripSummary]:
    query = select(DripCampaign).order_by(DripCampaign.name)
    if not include_archived:
        query = query.where(DripCampaign.status != CampaignStatus.ARCHIVED)
    campaigns = session.scalars(query).all()
    enrolled = dict(session.execute(
        select(Enrolment.campaign_id, func.count(),
               ).group_by(Enrolment.campaign_id)).all())
    active = dict(session.execute(
        select(Enrolment.campaign_id, func.count()).where(
            Enrolment.status == EnrolmentStatus.ACTIVE).group_by(Enrolment.campaign_id)).all())
    step_counts = {row[0]: row[1:] for row in session.execute(
        select(Enrolment.campaign_id,
               func.sum(case((EnrolmentStep.status == EnrolmentStepStatus.PENDING, 1), else_=0)),
               func.sum(case((EnrolmentStep.status == EnrolmentStepStatus.SENT, 1), else_=0)),
               func.sum(case((EnrolmentStep.status == EnrolmentStepStatus.FAILED, 1), else_=0)),
               func.min(case((EnrolmentStep.status == EnrolmentStepStatus.PENDING,
                              EnrolmentStep.due_at))))
        .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
        .group_by(Enrolment.campaign_id))}
    summaries = []
    for c in campaigns:
        pending, sent, failed, next_due = step_counts.get(c.id, (0, 0, 0, None))
        next_send = _as_utc(next_due) if c.status is CampaignStatus.ACTIVE else None
        summaries.append(DripSummary(c.id, c.name, c.target, c.status, c.paused_reason,
                                     enrolled.get(c.id, 0), active.get(c.id, 0), pending or 0,
                                     sent or 0, failed or 0, next_send))
    return summaries


def _as_utc(value):
    # min() over a CASE loses the column's type, so SQLite hands back text
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _replace_steps(session: Session, campaign_id: int, steps: list[StepForm]) -> None:
    session.execute(delete(DripStep).where(DripStep.campaign_id == campaign_id))
    for position, step in enumerate(steps, start=1):
        session.add(DripStep(
            campaign_id=campaign_id, position=position, kind=step.kind,
            delay_days=step.delay_days, delay_from=step.delay_from,
            send_time=step.send_time if step.kind is StepKind.EMAIL else None,
            template_id=step.template_id if step.kind is StepKind.EMAIL else None))
    session.flush()


def _steps_changed(session: Session, campaign: DripCampaign, steps: list[StepForm]) -> bool:
    current = [StepForm(s.kind, s.delay_days, s.delay_from, s.send_time, s.template_id)
               for s in session.scalars(select(DripStep).where(
                   DripStep.campaign_id == campaign.id).order_by(DripStep.position))]
    return current != steps


def _fields(campaign: DripCampaign) -> dict:
    return {k: getattr(campaign, k) for k in (
        "name", "target", "starts_on", "ends_on", "window_start", "window_end",
        "window_weekdays", "sender_identity_id", "auto_enrol_rule")}


def queued_messages(session: Session, campaign_id: int) -> int:
    """Messages of this campaign waiting in the outbox (due, not yet sent)."""
    return session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .join(EnrolmentStep, EnrolmentStep.id == OutboxMessage.enrolment_step_id)
        .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
        .where(Enrolment.campaign_id == campaign_id,
               OutboxMessage.status == OutboxStatus.QUEUED)) or 0
