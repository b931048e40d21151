"""Putting people into a drip campaign: from a selection, from an import batch, or by a
campaign's own rule when a lead or contact is created.

One enrolment per person per campaign, counted by address as well as by record (a lead
and the contact it became are one person). Who may not get recruitment mail is decided
by services/marketing_rules.py; such people are counted with the reason, not enrolled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Contact,
    DripCampaign,
    Enrolment,
    ImportBatchChange,
    Lead,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.templating import DECLARED_VARIABLES, SENSITIVE_VARIABLES
from orchid_desktop.domain.vocab import CampaignStatus, CampaignTarget
from orchid_desktop.errors import UserError, ValidationError

from . import audit, drip_exit, marketing_rules
from .drip_schedule import schedule_enrolments

OPEN_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)


@dataclass
class EnrolReport:
    campaign_name: str
    enrolled: int = 0
    already: int = 0
    refused: Counter = field(default_factory=Counter)  # plain reason → people

    def summary(self) -> str:
        parts = [f"{self.enrolled:,} enrolled in {self.campaign_name}"]
        if self.already:
            parts.append(f"{self.already:,} already enrolled")
        parts += [f"{count:,} not enrolled: {reason}" for reason, count in
                  sorted(self.refused.items(), key=lambda item: -item[1])]
        return "; ".join(parts) + "."


def open_campaign(session: Session, campaign_id: int) -> DripCampaign:
    campaign = session.get(DripCampaign, campaign_id)
    if campaign is None:
        raise UserError("That campaign no longer exists.")
    if campaign.status not in OPEN_STATUSES:
        raise UserError(f"{campaign.name} is {campaign.status.value}: nobody can join it now.")
    return campaign


def enrol(session: Session, campaign_id: int, *, lead_ids=(), contact_ids=(),
          staff_id: int | None, now: datetime | None = None,
          import_batch_id: int | None = None,
          custom_variables: dict[str, str] | None = None) -> EnrolReport:
    """Enrol these people; an active campaign plans their steps at once (a draft does so
    at launch). ``custom_variables`` override the people's own values when their emails
    are written (a coordinator's name for this group, say)."""
    now = now or utcnow()
    custom = _checked_custom_variables(custom_variables or {})
    campaign = open_campaign(session, campaign_id)
    report = EnrolReport(campaign.name)
    people = _people(session, list(lead_ids), list(contact_ids))
    blocked = marketing_rules.why_blocked(
        session, lead_ids=[i for k, i, *_ in people if k == "lead"],
        contact_ids=[i for k, i, *_ in people if k == "contact"], for_drips=True)
    taken = _enrolled_addresses(session, campaign.id)
    rows, seen = [], set()
    for kind, person_id, email, applicant_type in people:
        reason = blocked.get((kind, person_id)) or _target_mismatch(campaign, applicant_type)
        if reason:
            report.refused[reason] += 1
        elif email in taken or email in seen:
            report.already += 1
        else:
            seen.add(email)
            rows.append({"campaign_id": campaign.id, "lead_id": person_id if kind == "lead"
                         else None, "contact_id": person_id if kind == "contact" else None,
                         "enrolled_at": now, "enrolled_by_id": staff_id,
                         "import_batch_id": import_batch_id, "custom_variables": custom})
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        ids += session.scalars(insert(Enrolment).returning(Enrolment.id),
                               rows[start:start + 5000]).all()
    report.enrolled = len(ids)
    if ids and campaign.status is CampaignStatus.ACTIVE:
        schedule_enrolments(session, campaign, ids, start_at=now)
    if ids or report.refused:
        audit.record(session, staff_id=staff_id, entity_type="drip_campaign",
                     entity_id=campaign.id, action="enrolled", reason=report.summary(),
                     changes={"enrolled": report.enrolled, "import_batch_id": import_batch_id})
    return report


def enrol_import_batch(session: Session, campaign_id: int, batch_id: int, *,
                       staff_id: int | None, now: datetime | None = None) -> EnrolReport:
    """Everyone an import created or updated."""
    ids: dict[str, set[int]] = {"lead": set(), "contact": set()}
    for model, kind in ((Lead, "lead"), (Contact, "contact")):
        ids[kind].update(session.scalars(select(model.id)
                                         .where(model.import_batch_id == batch_id)))
    for kind, entity_id in session.execute(
            select(ImportBatchChange.entity_type, ImportBatchChange.entity_id)
            .where(ImportBatchChange.batch_id == batch_id)):
        ids[kind].add(entity_id)
    if not ids["lead"] and not ids["contact"]:
        raise UserError("That import added or changed nobody (or it was undone).")
    return enrol(session, campaign_id, lead_ids=sorted(ids["lead"]),
                 contact_ids=sorted(ids["contact"]), staff_id=staff_id, now=now,
                 import_batch_id=batch_id)


def apply_enrol_rules(session: Session, event: str, ids=(), *, staff_id: int | None,
                      import_batch_id: int | None = None,
                      now: datetime | None = None) -> list[EnrolReport]:
    """Active campaigns whose rule names this event ("lead_created", "contact_created")
    take the new people (``ids``, or everyone an import batch created) of the rule's
    applicant type."""
    model = Lead if event == "lead_created" else Contact
    reports = []
    for campaign in session.scalars(select(DripCampaign).where(
            DripCampaign.status == CampaignStatus.ACTIVE,
            DripCampaign.auto_enrol_rule.is_not(None)).order_by(DripCampaign.id)):
        rule = campaign.auto_enrol_rule or {}
        if rule.get("on") != event:
            continue
        query = select(model.id).where(model.import_batch_id == import_batch_id) \
            if import_batch_id is not None else select(model.id).where(model.id.in_(list(ids)))
        if rule.get("applicant_type"):
            query = query.where(model.applicant_type == rule["applicant_type"])
        matching = session.scalars(query).all()
        if matching:
            lead_ids, contact_ids = (matching, ()) if model is Lead else ((), matching)
            reports.append(enrol(
                session, campaign.id, lead_ids=lead_ids, contact_ids=contact_ids,
                staff_id=staff_id, now=now, import_batch_id=import_batch_id))
    return reports


def stop_by_hand(session: Session, enrolment_id: int, reason: str, *,
                 staff_id: int | None) -> None:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise UserError("That enrolment no longer exists.")
    reason = reason.strip() or "stopped by staff"
    if not drip_exit.stop_enrolments(session, [enrolment_id], reason):
        raise UserError(f"This enrolment is already {enrolment.status.value}.")
    audit.record(session, staff_id=staff_id, entity_type="enrolment", entity_id=enrolment_id,
                 action="stopped", reason=reason)


def _checked_custom_variables(values: dict[str, str]) -> dict[str, str]:
    problems = []
    for name in values:
        if name in SENSITIVE_VARIABLES:
            problems.append(f"{{{{ {name} }}}} is health data and never goes into an email.")
        elif name not in DECLARED_VARIABLES:
            problems.append(f"{{{{ {name} }}}} is not a template variable.")
    if problems:
        raise ValidationError(problems)
    return {name: str(value) for name, value in values.items()}


def _people(session: Session, lead_ids: list[int], contact_ids: list[int]):
    """(kind, id, address, applicant type) for each person; contacts first, so where a
    lead and its contact are both chosen the contact is the one enrolled."""
    people: list[tuple[Any, ...]] = []
    for kind, model, ids in (("contact", Contact, contact_ids), ("lead", Lead, lead_ids)):
        for start in range(0, len(ids), 5000):
            people.extend((kind, *row) for row in session.execute(
                select(model.id, model.email_normalized, model.applicant_type)
                .where(model.id.in_(ids[start:start + 5000])).order_by(model.id)))
    return people


def _enrolled_addresses(session: Session, campaign_id: int) -> set[str]:
    return set(session.scalars(
        select(Contact.email_normalized).join(Enrolment, Enrolment.contact_id == Contact.id)
        .where(Enrolment.campaign_id == campaign_id)
        .union(select(Lead.email_normalized).join(Enrolment, Enrolment.lead_id == Lead.id)
               .where(Enrolment.campaign_id == campaign_id))))


def _target_mismatch(campaign: DripCampaign, applicant_type) -> str | None:
    if campaign.target is CampaignTarget.ANY or applicant_type.value == campaign.target.value:
        return None
    return f"not a{'n' if campaign.target is CampaignTarget.EGG_DONOR else ''} " \
           f"{CampaignTarget(campaign.target).value.replace('_', ' ')}"

