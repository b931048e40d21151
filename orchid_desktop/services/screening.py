"""Running the DQ rules on contacts and keeping what they found.

Every evaluation is stored with the rule-set version it used and the day it was judged
against, so a later change to the DQ settings never rewrites history. A settings change
is a new version (the old one stays, no longer current), audited with what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, DQRuleSet, ScreeningEvaluation
from orchid_desktop.domain.application_fields import BY_KEY
from orchid_desktop.domain.dq_defaults import SCREENED_TYPES
from orchid_desktop.domain.screening_rules import Evaluation, evaluate
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.errors import UserError, ValidationError

from . import audit


def current_rule_set(session: Session, applicant_type: ApplicantType) -> DQRuleSet | None:
    return session.scalars(select(DQRuleSet).where(
        DQRuleSet.applicant_type == applicant_type, DQRuleSet.is_current)).first()


def save_rule_set(session: Session, applicant_type: ApplicantType, rules: dict[str, Any], *,
                  staff_id: int | None, note: str | None = None) -> DQRuleSet:
    """A new current version; the previous one is kept for the evaluations that used it."""
    if applicant_type not in SCREENED_TYPES:
        raise ValidationError([f"{applicant_type.label} applicants are not screened."])
    current = current_rule_set(session, applicant_type)
    if current is not None and current.rules == rules:
        return current  # nothing changed: no new version
    number = (current.version_number + 1) if current else 1
    if current is not None:
        session.execute(update(DQRuleSet).where(DQRuleSet.id == current.id)
                        .values(is_current=False))
        session.flush()
    new = DQRuleSet(applicant_type=applicant_type, version_number=number, is_current=True,
                    rules=rules, created_by_id=staff_id, change_note=note)
    session.add(new)
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="dq_rule_set", entity_id=new.id,
                 action="rules_changed", reason=note,
                 changes=_rule_changes(current.rules if current else {}, rules))
    return new


def _rule_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    changes = {}
    for rule in sorted(set(before) | set(after)):
        old, new = before.get(rule, {}), after.get(rule, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                changes[f"{rule}.{key}"] = [old.get(key), new.get(key)]
    return changes


def rule_profile(contact: Contact) -> dict[str, Any]:
    """What the rules read: every application field (columns and profile), the state and
    the applicant type. Values are passed as stored; the engine reads dates, numbers and
    yes/no answers itself."""
    profile: dict[str, Any] = dict(contact.profile or {})
    profile.pop("lead_form", None)
    for key, spec in BY_KEY.items():
        if spec.column:
            profile[key] = getattr(contact, key)
    profile["state"] = contact.state
    profile["applicant_type"] = contact.applicant_type.value
    return profile


@dataclass(frozen=True)
class Screened:
    evaluation_id: int
    rule_set_version: int
    result: Evaluation


def screen_contact(session: Session, contact_id: int, *, today: date) -> Screened | None:
    """Evaluate one contact against the current rules and store the evaluation; None for
    an applicant type that is not screened."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise UserError("That contact no longer exists.")
    rule_set = current_rule_set(session, contact.applicant_type)
    if rule_set is None:
        return None
    result = evaluate(contact.applicant_type, rule_set.rules, rule_profile(contact), today)
    stored = ScreeningEvaluation(contact_id=contact.id, rule_set_id=rule_set.id, as_of=today,
                                 outcome=result.outcome, eligible_on=result.eligible_on,
                                 results=result.to_json())
    session.add(stored)
    session.flush()
    return Screened(stored.id, rule_set.version_number, result)


def latest_evaluation(session: Session, contact_id: int) -> ScreeningEvaluation | None:
    return session.scalars(select(ScreeningEvaluation).where(
        ScreeningEvaluation.contact_id == contact_id)
        .order_by(ScreeningEvaluation.evaluated_at.desc(), ScreeningEvaluation.id.desc())
        .limit(1)).first()
