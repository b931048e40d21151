"""Draft → Active → Paused → Completed → Archived, with Launch refused (every reason
listed) unless the campaign can really run; and the simulator that shows, before launch
and after, when each enrolled person gets each step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    AgencySettings,
    DripCampaign,
    Enrolment,
    EnrolmentStep,
    OutboxMessage,
    SenderIdentity,
    Template,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.drip_timing import zone_for_state
from orchid_desktop.domain.templating import MissingValue, check_template, render
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    EnrolmentStatus,
    EnrolmentStepStatus,
    OutboxStatus,
    StepKind,
)
from orchid_desktop.errors import UserError, ValidationError

from . import audit, drip_exit
from .drip_schedule import (
    agency_zone_name,
    campaign_steps,
    enrolled_people,
    plan_for,
    realign_pending,
    schedule_enrolments,
)
from .drip_simulation import SimulatedSend, simulate_sends
from .templates import PersonRef, latest_version, person_variables_bulk

# values that come from the agency's settings: one fix in Settings, not per person
AGENCY_SETTINGS = {"agency_name": "name", "agency_postal_address": "postal address",
                   "application_link": "application link"}
EXAMPLES = 3  # names quoted per launch problem; the count says the rest


class LaunchRefused(ValidationError):
    """Launch was refused; ``problems`` lists every reason."""


def _campaign(session: Session, campaign_id: int) -> DripCampaign:
    campaign = session.get(DripCampaign, campaign_id)
    if campaign is None:
        raise UserError("That campaign no longer exists.")
    return campaign


def launch_problems(session: Session, campaign_id: int, *,
                    now: datetime | None = None) -> list[str]:
    """Everything that stops this campaign from launching, in plain words."""
    now = now or utcnow()
    campaign = _campaign(session, campaign_id)
    problems: list[str] = []
    if campaign.status is not CampaignStatus.DRAFT:
        return [f"{campaign.name} is already {campaign.status.value}; only a draft launches."]
    agency = session.get(AgencySettings, 1)
    if not (agency and agency.postal_address.strip()):
        problems.append("Set the agency's postal address in Settings: the law requires it "
                        "in every marketing email.")
    sender = session.get(SenderIdentity, campaign.sender_identity_id) \
        if campaign.sender_identity_id else None
    if sender is None or not sender.is_active:
        problems.append("Choose the sender identity the campaign sends as (add one in "
                        "Settings → Sending).")
    if campaign.ends_on and campaign.ends_on < now.date():
        problems.append(f"The campaign's end date ({campaign.ends_on:%d %b %Y}) has passed.")
    steps = campaign_steps(session, campaign.id)
    email_steps = [s for s in steps if s.kind is StepKind.EMAIL]
    if not email_steps:
        problems.append("Add at least one email step.")
    enrolments = session.execute(select(Enrolment.id, Enrolment.lead_id, Enrolment.contact_id,
                                        Enrolment.custom_variables)
                                 .where(Enrolment.campaign_id == campaign.id,
                                        Enrolment.status == EnrolmentStatus.ACTIVE)).all()
    if not enrolments and not campaign.auto_enrol_rule:
        problems.append("Nobody is enrolled, and the campaign has no rule that enrols new "
                        "people: enrol people from Leads or Contacts first.")
    problems += _render_problems(session, email_steps, enrolments, agency_ok=bool(agency))
    if sender is not None and enrolments and email_steps:
        problems += _quota_problems(session, campaign, sender, [e.id for e in enrolments], now)
    return problems


def _render_problems(session: Session, email_steps, enrolments, *, agency_ok: bool) -> list[str]:
    problems: list[str] = []
    refs = [PersonRef("lead", e.lead_id) if e.lead_id else PersonRef("contact", e.contact_id)
            for e in enrolments]
    people = person_variables_bulk(session, refs) if refs else {}
    # what each enrolment renders with: the person's values, overridden by its own
    variables = {e.id: {**people[ref], **(e.custom_variables or {})}
                 for e, ref in zip(enrolments, refs, strict=True)}
    for number, step in enumerate(email_steps, start=1):
        template = session.get(Template, step.template_id)
        label = f"Email {number} (“{template.name}”)" if template else f"Email {number}"
        if template is None or template.archived_at is not None:
            problems.append(f"{label}: its template is missing or archived.")
            continue
        version = latest_version(session, template.id)
        found = check_template(version.subject, version.html_body, version.text_body)
        if found:
            problems += [f"{label}: {p}" for p in found]
            continue
        # Rendering fails only on a missing value: people missing the same values render
        # the same way, so one render per pattern of missing values, not one per person.
        missing_by_pattern: dict[frozenset, list[int]] = defaultdict(list)
        for enrolment_id, values in variables.items():
            pattern = frozenset(k for k in version.variables if not values.get(k))
            missing_by_pattern[pattern].append(enrolment_id)
        failures: Counter = Counter()
        examples: dict[str, list[str]] = defaultdict(list)
        for enrolment_ids in missing_by_pattern.values():
            sample = variables[enrolment_ids[0]]
            try:
                render(version.subject, version.html_body, version.text_body, sample)
            except MissingValue as exc:
                failures[exc.name] += len(enrolment_ids)
                examples[exc.name] += [_name(variables[p]) for p in enrolment_ids[:EXAMPLES]]
        for name, count in failures.items():
            if name in AGENCY_SETTINGS:
                problems.append(f"{label}: uses {{{{ {name} }}}}, but the agency's "
                                f"{AGENCY_SETTINGS[name]} is not set: set it in Settings, or "
                                "give the variable a default.")
                continue
            who = ", ".join(examples[name][:EXAMPLES]) + (" …" if count > EXAMPLES else "")
            have = "person has" if count == 1 else "people have"
            problems.append(f"{label}: {count:,} enrolled {have} "
                            f"no value for {{{{ {name} }}}} and the template gives no default "
                            f"({who}). Add a default, fill it in, or remove them.")
    return problems


def _name(values: dict) -> str:
    return " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v) \
        or values.get("email") or "someone"


def _quota_problems(session: Session, campaign: DripCampaign, sender: SenderIdentity,
                    enrolment_ids: list[int], now: datetime) -> list[str]:
    """The credit check: the busiest day of this campaign, plus what the sender already
    has planned that day, against the sender's daily limit."""
    per_day: Counter = Counter()
    for plan_day, count in planned_per_day(session, campaign, enrolment_ids, now).items():
        per_day[plan_day] += count
    already = session.execute(
        select(func.date(EnrolmentStep.due_at), func.count())
        .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
        .join(DripCampaign, DripCampaign.id == Enrolment.campaign_id)
        .where(DripCampaign.sender_identity_id == sender.id,
               DripCampaign.status.in_((CampaignStatus.ACTIVE, CampaignStatus.PAUSED)),
               EnrolmentStep.status == EnrolmentStepStatus.PENDING)
        .group_by(func.date(EnrolmentStep.due_at))).all()
    for day, count in already:
        per_day[date.fromisoformat(str(day)[:10])] += count
    over = [(d, n) for d, n in sorted(per_day.items()) if n > sender.daily_limit]
    if not over:
        return []
    day, count = max(over, key=lambda item: item[1])
    more = f" (and on {len(over) - 1} other day{'s' if len(over) > 2 else ''})" \
        if len(over) > 1 else ""
    return [(f"On {day:%a %d %b %Y}, {count:,} emails would go out from {sender.from_email}, "
             f"above its limit of {sender.daily_limit:,} a day{more}. Raise the limit, add "
             "a sender, or enrol fewer people at once.")]


def planned_per_day(session: Session, campaign: DripCampaign, enrolment_ids: list[int],
                    now: datetime) -> Counter:
    """Sends per UTC day if these people started now (one plan per time zone)."""
    steps = campaign_steps(session, campaign.id)
    fallback = agency_zone_name(session)
    zones = Counter(zone_for_state(p.state, fallback).key
                    for p in enrolled_people(session, enrolment_ids))
    per_day: Counter = Counter()
    for zone_key, people in zones.items():
        for plan in plan_for(campaign, steps, ZoneInfo(zone_key), now):
            if plan.due_at is not None:
                per_day[plan.due_at.date()] += people
    return per_day


def launch(session: Session, campaign_id: int, *, staff_id: int | None,
           now: datetime | None = None) -> int:
    """Start the campaign; returns the step records planned. Raises LaunchRefused."""
    now = now or utcnow()
    problems = launch_problems(session, campaign_id, now=now)
    if problems:
        raise LaunchRefused(problems)
    campaign = _campaign(session, campaign_id)
    campaign.status, campaign.launched_at = CampaignStatus.ACTIVE, now
    campaign.paused_reason, campaign.error_count = None, 0
    planned = _schedule_unplanned(session, campaign, now)
    audit.record(session, staff_id=staff_id, entity_type="drip_campaign", entity_id=campaign.id,
                 action="launched", changes={"status": ["draft", "active"]},
                 reason=f"{planned:,} sends planned")
    return planned


def pause(session: Session, campaign_id: int, *, staff_id: int | None,
          reason: str = "paused by staff") -> None:
    campaign = _campaign(session, campaign_id)
    if campaign.status is not CampaignStatus.ACTIVE:
        raise UserError(f"{campaign.name} is {campaign.status.value}, not active.")
    campaign.status, campaign.paused_reason = CampaignStatus.PAUSED, reason
    _withdraw_queued(session, campaign.id)
    audit.record(session, staff_id=staff_id, entity_type="drip_campaign", entity_id=campaign.id,
                 action="paused", changes={"status": ["active", "paused"]}, reason=reason)


def resume(session: Session, campaign_id: int, *, staff_id: int | None,
           now: datetime | None = None) -> int:
    """Sends that fell due while paused go at the next window; returns those moved."""
    now = now or utcnow()
    campaign = _campaign(session, campaign_id)
    if campaign.status is not CampaignStatus.PAUSED:
        raise UserError(f"{campaign.name} is {campaign.status.value}, not paused.")
    campaign.status, campaign.paused_reason, campaign.error_count = \
        CampaignStatus.ACTIVE, None, 0
    moved = realign_pending(session, campaign, now=now)
    _schedule_unplanned(session, campaign, now)
    audit.record(session, staff_id=staff_id, entity_type="drip_campaign", entity_id=campaign.id,
                 action="resumed", changes={"status": ["paused", "active"]},
                 reason=f"{moved:,} sends moved to fit the window")
    return moved


def archive(session: Session, campaign_id: int, *, staff_id: int | None) -> None:
    campaign = _campaign(session, campaign_id)
    if campaign.status is CampaignStatus.ACTIVE:
        raise UserError(f"{campaign.name} is sending: pause it before archiving it.")
    if campaign.status is CampaignStatus.ARCHIVED:
        return
    before = campaign.status
    _withdraw_queued(session, campaign.id)
    active = session.scalars(select(Enrolment.id).where(
        Enrolment.campaign_id == campaign.id, Enrolment.status == EnrolmentStatus.ACTIVE)).all()
    drip_exit.stop_enrolments(session, active, "campaign archived")
    campaign.status = CampaignStatus.ARCHIVED
    audit.record(session, staff_id=staff_id, entity_type="drip_campaign", entity_id=campaign.id,
                 action="archived", changes={"status": [before.value, "archived"]})


def _withdraw_queued(session: Session, campaign_id: int) -> None:
    """Messages queued but not handed to a sender go back to being pending steps (their
    step records stay pending), so a paused campaign sends nothing and resumes in order.
    A claimed or sending message is the sending engine's to settle."""
    steps = (select(EnrolmentStep.id).join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
             .where(Enrolment.campaign_id == campaign_id))
    session.execute(delete(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED,
                                                OutboxMessage.enrolment_step_id.in_(steps))
                    .execution_options(synchronize_session=False))


def _schedule_unplanned(session: Session, campaign: DripCampaign, now: datetime) -> int:
    unplanned = session.scalars(select(Enrolment.id).where(
        Enrolment.campaign_id == campaign.id, Enrolment.status == EnrolmentStatus.ACTIVE,
        ~select(EnrolmentStep.id).where(EnrolmentStep.enrolment_id == Enrolment.id).exists()
    )).all()
    return schedule_enrolments(session, campaign, unplanned, start_at=now)


def simulate(session: Session, campaign_id: int, *, now: datetime | None = None,
             limit: int = 5000) -> list[SimulatedSend]:
    """Each enrolled person's sends (see drip_simulation.py)."""
    return simulate_sends(session, _campaign(session, campaign_id), now or utcnow(), limit)
