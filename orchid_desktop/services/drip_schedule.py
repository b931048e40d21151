"""A drip's schedule in the database: the timing rules of domain/drip_timing.py applied
to a campaign's steps and its enrolled people.

Each enrolment gets one ``EnrolmentStep`` per email step with the moment it is due; the
campaign queue turns due ones into outbox rows. People share a plan when they share a
time zone and an enrolment moment (a selection or an import enrolled at once), so
enrolling 20,000 people plans a handful of times, not 20,000.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    AgencySettings,
    Contact,
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    Lead,
    OutboxMessage,
)
from orchid_desktop.domain.drip_timing import (
    PlannedSend,
    SendWindow,
    StepPlan,
    Timeline,
    next_window_slot,
    plan_steps,
    zone_for_state,
)
from orchid_desktop.domain.vocab import (
    EnrolmentStatus,
    EnrolmentStepStatus,
    OutboxStatus,
    StepKind,
)

END_DATE_CUT = "after the campaign's end date"  # how plan_steps words such a skip


def campaign_steps(session: Session, campaign_id: int) -> list[DripStep]:
    return list(session.scalars(select(DripStep).where(DripStep.campaign_id == campaign_id)
                                .order_by(DripStep.position)))


def window_of(campaign: DripCampaign) -> SendWindow:
    return SendWindow.from_digits(campaign.window_start, campaign.window_end,
                                  campaign.window_weekdays)


def plan_for(campaign: DripCampaign, steps: list[DripStep], zone: ZoneInfo,
             enrolled_at: datetime) -> list[PlannedSend]:
    return plan_steps(
        [StepPlan(s.kind, s.delay_days, s.delay_from, s.send_time) for s in steps],
        enrolled_at=enrolled_at, zone=zone, window=window_of(campaign),
        timeline=Timeline(campaign.starts_on, campaign.ends_on))


def agency_zone_name(session: Session) -> str:
    agency = session.get(AgencySettings, 1)
    return agency.time_zone if agency else "America/Los_Angeles"


@dataclass(frozen=True)
class EnrolledPerson:
    enrolment_id: int
    state: str | None
    enrolled_at: datetime


def enrolled_people(session: Session, enrolment_ids: Iterable[int]) -> list[EnrolledPerson]:
    """Each enrolment with the state its time zone comes from (the contact's, else the
    lead's)."""
    ids = list(enrolment_ids)
    people: list[EnrolledPerson] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        rows = session.execute(
            select(Enrolment.id, Enrolment.enrolled_at, Contact.state, Lead.state)
            .outerjoin(Contact, Contact.id == Enrolment.contact_id)
            .outerjoin(Lead, Lead.id == Enrolment.lead_id)
            .where(Enrolment.id.in_(chunk)))
        people.extend(EnrolledPerson(i, c_state or l_state, at)
                      for i, at, c_state, l_state in rows)
    return people


def schedule_enrolments(session: Session, campaign: DripCampaign,
                        enrolment_ids: Iterable[int], *, start_at: datetime) -> int:
    """Write the step records of enrolments that have none yet, planned from
    ``start_at`` or their enrolment moment, whichever is later (an enrolment made while
    the campaign was a draft starts at launch). Returns the records written."""
    steps = campaign_steps(session, campaign.id)
    email_steps = [s for s in steps if s.kind is StepKind.EMAIL]
    fallback = agency_zone_name(session)
    groups: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for person in enrolled_people(session, enrolment_ids):
        zone = zone_for_state(person.state, fallback)
        groups[(zone.key, max(person.enrolled_at, start_at))].append(person.enrolment_id)
    written = 0
    for (zone_key, begin), ids in groups.items():
        plans = plan_for(campaign, steps, ZoneInfo(zone_key), begin)
        # a plan's position is its index in ``steps``; a step's is 1-based
        by_step = {step.id: plan for step, plan in zip(steps, plans, strict=True)}
        rows: list[dict[str, Any]] = []
        for step in email_steps:
            plan = by_step[step.id]
            skipped = plan.skipped_reason is not None
            rows.extend({
                "enrolment_id": enrolment_id, "step_id": step.id,
                "status": EnrolmentStepStatus.SKIPPED if skipped else EnrolmentStepStatus.PENDING,
                "due_at": plan.due_at, "reason": plan.skipped_reason,
                "finished_at": begin if skipped else None,
            } for enrolment_id in ids)
        for start in range(0, len(rows), 5000):
            session.execute(insert(EnrolmentStep), rows[start:start + 5000])
        written += len(rows)
        if any(row["status"] is EnrolmentStepStatus.SKIPPED for row in rows):
            complete_enrolments(session, ids, start_at)  # the end date cut everything?
    return written


def pending_without_message(campaign_id: int):
    """Pending step records of a campaign's active enrolments not yet in the outbox."""
    return (select(EnrolmentStep)
            .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
            .outerjoin(OutboxMessage, OutboxMessage.enrolment_step_id == EnrolmentStep.id)
            .where(Enrolment.campaign_id == campaign_id,
                   EnrolmentStep.status == EnrolmentStepStatus.PENDING,
                   OutboxMessage.id.is_(None)))


def realign_pending(session: Session, campaign: DripCampaign, *, now: datetime) -> int:
    """After a pause or a change of window or end date: every pending step goes at a
    moment the window allows. A person whose steps fell due while the campaign was
    paused has the rest of their sequence moved on by the same amount, so its spacing
    is kept; nobody else's times change unless the window now excludes them.
    Returns the step records moved or skipped."""
    window = window_of(campaign)
    fallback = agency_zone_name(session)
    by_enrolment: dict[int, list[EnrolmentStep]] = defaultdict(list)
    for record in session.scalars(pending_without_message(campaign.id)
                                  .order_by(EnrolmentStep.enrolment_id, EnrolmentStep.due_at)):
        by_enrolment[record.enrolment_id].append(record)
    states = {p.enrolment_id: p.state for p in enrolled_people(session, by_enrolment)}
    changed = 0
    for enrolment_id, records in by_enrolment.items():
        zone = zone_for_state(states.get(enrolment_id), fallback)
        missed = [r.due_at for r in records if r.due_at is not None and r.due_at < now]
        delay = now - min(missed) if missed else None
        previous = now
        for record in records:
            if record.due_at is None:
                continue
            wanted = record.due_at + delay if delay else record.due_at
            local = next_window_slot(max(wanted, previous).astimezone(zone), window)
            if campaign.ends_on and local.date() > campaign.ends_on:
                record.status = EnrolmentStepStatus.SKIPPED
                record.reason = f"{END_DATE_CUT} ({campaign.ends_on:%d %b %Y})"
                record.finished_at, record.due_at = now, None
                changed += 1
                continue
            due = local.astimezone(record.due_at.tzinfo)
            if due != record.due_at:
                record.due_at = due
                changed += 1
            previous = due
    session.flush()
    complete_enrolments(session, by_enrolment, now)  # the end date may have cut the rest
    return changed


def revive_cut_steps(session: Session, campaign: DripCampaign) -> int:
    """After the end date moved later (or went): the steps skipped only for falling after
    the old one are planned again where the new timeline allows, moved on as much as the
    person's earlier steps were (by a pause), and their enrolments, if that finished
    them, go on. Returns the step records revived."""
    steps = campaign_steps(session, campaign.id)
    order = {step.id: number for number, step in enumerate(steps)}
    cut = exists(select(EnrolmentStep.id).where(
        EnrolmentStep.enrolment_id == Enrolment.id,
        EnrolmentStep.status == EnrolmentStepStatus.SKIPPED,
        EnrolmentStep.reason.startswith(END_DATE_CUT)))
    enrolments = {e.id: e for e in session.scalars(select(Enrolment).where(
        Enrolment.campaign_id == campaign.id, cut, or_(
            Enrolment.status == EnrolmentStatus.ACTIVE,
            and_(Enrolment.status == EnrolmentStatus.COMPLETED,
                 Enrolment.stop_reason.is_(None)))))}
    fallback = agency_zone_name(session)
    revived = 0
    for person in enrolled_people(session, enrolments):
        begin = max(person.enrolled_at, campaign.launched_at or person.enrolled_at)
        plans = {step.id: plan for step, plan in zip(steps, plan_for(
            campaign, steps, zone_for_state(person.state, fallback), begin), strict=True)}
        records = sorted(session.scalars(select(EnrolmentStep).where(
            EnrolmentStep.enrolment_id == person.enrolment_id)), key=lambda r: order[r.step_id])
        shift, before = timedelta(0), revived
        for record in records:
            planned = plans[record.step_id].due_at
            if (record.reason or "").startswith(END_DATE_CUT):
                if planned is None:
                    break
                record.status, record.due_at = EnrolmentStepStatus.PENDING, planned + shift
                record.reason = record.finished_at = None
                revived += 1
            elif record.due_at is not None and planned is not None:
                shift = max(timedelta(0), record.due_at - planned)
        enrolment = enrolments[person.enrolment_id]
        if revived > before and enrolment.status is EnrolmentStatus.COMPLETED:
            enrolment.status, enrolment.stopped_at = EnrolmentStatus.ACTIVE, None
    session.flush()
    return revived


def complete_enrolments(session: Session, enrolment_ids, now: datetime) -> None:
    """Those of ``enrolment_ids`` still active with no step left pending are complete."""
    has_pending = exists(select(EnrolmentStep.id).where(
        EnrolmentStep.enrolment_id == Enrolment.id,
        EnrolmentStep.status == EnrolmentStepStatus.PENDING))
    ids = sorted(enrolment_ids)
    for start in range(0, len(ids), 5000):
        session.execute(
            update(Enrolment)
            .where(Enrolment.id.in_(ids[start:start + 5000]),
                   Enrolment.status == EnrolmentStatus.ACTIVE, ~has_pending)
            .values(status=EnrolmentStatus.COMPLETED, stopped_at=now)
            .execution_options(synchronize_session=False))


def skip_pending(session: Session, enrolment_ids, reason: str, now: datetime) -> None:
    """Pending steps of stopped enrolments are skipped, with the reason."""
    ids = list(enrolment_ids)
    # a step whose message a sender has claimed may be with SendGrid already: the
    # sending engine settles that one
    in_flight = exists(select(OutboxMessage.id).where(
        OutboxMessage.enrolment_step_id == EnrolmentStep.id,
        OutboxMessage.status.not_in((OutboxStatus.QUEUED, OutboxStatus.CANCELLED))))
    for start in range(0, len(ids), 5000):
        session.execute(
            update(EnrolmentStep)
            .where(EnrolmentStep.enrolment_id.in_(ids[start:start + 5000]),
                   EnrolmentStep.status == EnrolmentStepStatus.PENDING, ~in_flight)
            .values(status=EnrolmentStepStatus.SKIPPED, reason=reason[:500], finished_at=now)
            .execution_options(synchronize_session=False))
