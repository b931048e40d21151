"""The dry-run simulator: every enrolled person's sends, with local dates and times.

A launched campaign shows what is recorded (sent, skipped and why, planned); a draft
shows what launching now would plan; a draft with nobody enrolled shows the plan for
someone enrolled now in the agency's time zone, so a new sequence can be checked before
anyone joins it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Contact,
    DripCampaign,
    Enrolment,
    EnrolmentStep,
    Lead,
    Template,
)
from orchid_desktop.domain.drip_timing import zone_for_state
from orchid_desktop.domain.vocab import CampaignStatus, EnrolmentStepStatus, StepKind

from .drip_schedule import agency_zone_name, campaign_steps, plan_for


@dataclass(frozen=True)
class SimulatedSend:
    person: str
    email: str
    time_zone: str
    step: int  # the email's number in the sequence, from 1
    template: str
    local_due: datetime | None
    status: str  # "planned", "sent", "skipped: why", …


def simulate_sends(session: Session, campaign: DripCampaign, now: datetime,
                   limit: int) -> list[SimulatedSend]:
    steps = campaign_steps(session, campaign.id)
    # keyed by int | None: a step without a template reads as "?"
    names: dict[int | None, str] = dict(
        session.execute(select(Template.id, Template.name)).all())
    email_steps = [s for s in steps if s.kind is StepKind.EMAIL]
    numbers = {s.id: n for n, s in enumerate(email_steps, start=1)}
    fallback = agency_zone_name(session)
    people = _people(session, campaign.id, limit)
    if not people and campaign.status is CampaignStatus.DRAFT:
        people = [(0, "Someone enrolled now", "", None)]
    recorded = _recorded(session, [p[0] for p in people]) \
        if campaign.status is not CampaignStatus.DRAFT else {}
    sends: list[SimulatedSend] = []
    plans: dict[str, list] = {}
    for enrolment_id, name, email, state in people:
        zone = zone_for_state(state, fallback)
        records = recorded.get(enrolment_id)
        if records:
            for step in email_steps:
                record = records.get(step.id)
                if record is None:
                    continue
                when = record.due_at or record.finished_at
                sends.append(SimulatedSend(
                    name, email, zone.key, numbers[step.id], names.get(step.template_id, "?"),
                    when.astimezone(zone) if when else None, _status(record)))
            continue
        if zone.key not in plans:
            plans[zone.key] = plan_for(campaign, steps, ZoneInfo(zone.key), now)
        for step, plan in zip(steps, plans[zone.key], strict=True):
            if step.kind is StepKind.EMAIL:
                sends.append(SimulatedSend(
                    name, email, zone.key, numbers[step.id], names.get(step.template_id, "?"),
                    plan.local_due, f"skipped: {plan.skipped_reason}"
                    if plan.skipped_reason else "planned"))
    return sends


def _people(session: Session, campaign_id: int, limit: int):
    rows = session.execute(
        select(Enrolment.id, Contact.first_name, Contact.last_name, Contact.email,
               Contact.state, Lead.first_name, Lead.last_name, Lead.email, Lead.state)
        .outerjoin(Contact, Contact.id == Enrolment.contact_id)
        .outerjoin(Lead, Lead.id == Enrolment.lead_id)
        .where(Enrolment.campaign_id == campaign_id)
        .order_by(Enrolment.id).limit(limit))
    people = []
    for row in rows:
        first, last, email, state = row[1:5] if row[3] or row[1] or row[2] else row[5:9]
        people.append((row[0], f"{first} {last}".strip() or (email or "—"), email or "",
                       state))
    return people


def _recorded(session: Session, enrolment_ids: list[int]) -> dict[int, dict[int, EnrolmentStep]]:
    recorded: dict[int, dict[int, EnrolmentStep]] = {}
    for start in range(0, len(enrolment_ids), 5000):
        for record in session.scalars(select(EnrolmentStep).where(
                EnrolmentStep.enrolment_id.in_(enrolment_ids[start:start + 5000]))):
            recorded.setdefault(record.enrolment_id, {})[record.step_id] = record
    return recorded


def _status(record: EnrolmentStep) -> str:
    if record.status is EnrolmentStepStatus.PENDING:
        return "planned"
    if record.reason:
        return f"{record.status.value}: {record.reason}"
    return record.status.value

