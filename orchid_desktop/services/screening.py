"""Running the DQ rules on contacts and keeping what they found.

Every evaluation is stored with the rule-set version it used and the day it was judged
against, so a later change to the DQ settings never rewrites history. A settings change
is a new version (the old one stays, no longer current), audited with what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from orchid_desktop.db.models import Contact, DQRuleSet, ScreeningEvaluation
from orchid_desktop.domain.application_fields import BY_KEY
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, SEVERITY, Evaluation, evaluate
from orchid_desktop.domain.vocab import OUTCOME_LABELS, ApplicantType, ScreeningOutcome
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit
from .drip_exit import leave_drips

RESCREEN_BATCH = 200
# any fixed number: the PostgreSQL advisory lock that makes writers of rule sets take turns
RULE_SETS_LOCK = 0x0C41D_0002


def current_rule_set(session: Session, applicant_type: ApplicantType, *,
                     for_update: bool = False) -> DQRuleSet | None:
    query = select(DQRuleSet).where(DQRuleSet.applicant_type == applicant_type,
                                    DQRuleSet.is_current)
    return session.scalars(query.with_for_update() if for_update else query).first()


def lock_rule_sets(session: Session) -> None:
    """Writers of rule sets (a Save in the DQ settings, the upgrade at start) take turns on
    PostgreSQL, until the transaction ends: the current version one of them reads stays
    current until it commits. Without it a writer that waited on the row lock found no
    current row once the other had committed, and then collided on version numbers.
    (SQLite lets one writer in at a time.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(RULE_SETS_LOCK)))


def save_rule_set(session: Session, applicant_type: ApplicantType, rules: dict[str, Any], *,
                  staff_id: int | None, note: str | None = None,
                  expected_version: int | None = None, is_system: bool = False) -> DQRuleSet:
    """A new current version; the previous one is kept for the evaluations that used it.
    ``expected_version``: the version the caller's rules were built on; if another is
    current by the time the lock is held, nothing is saved (ConflictError)."""
    if applicant_type not in SCREENED_TYPES:
        raise ValidationError([f"{applicant_type.label} applicants are not screened."])
    lock_rule_sets(session)
    current = current_rule_set(session, applicant_type, for_update=True)
    if expected_version is not None and (
            current is None or current.version_number != expected_version):
        raise ConflictError(f"The {applicant_type.label.lower()} rules were changed on another "
                            "workstation meanwhile; nothing was saved.")
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
                 action="rules_changed", reason=note, is_system=is_system,
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


def screen_contact(session: Session, contact_id: int, *,
                   today: date | None = None) -> Screened | None:
    """Evaluate one contact against the current rules, store the evaluation and put its
    outcome on the contact row; None for an applicant type that is not screened.

    The row is updated without a version bump: a re-screen is not an edit, and must not
    make a coordinator's open window report a conflict."""
    today = today or date.today()
    # locked (PostgreSQL) so an edit committed meanwhile is read, not overwritten by an
    # outcome computed from the answers before it
    contact = session.get(Contact, contact_id, with_for_update=True, populate_existing=True)
    if contact is None:
        raise UserError("That contact no longer exists.")
    rule_set = current_rule_set(session, contact.applicant_type)
    if rule_set is None:
        if contact.screening_outcome is not None:
            _set_outcome(session, contact, None)
        return None
    result = evaluate(contact.applicant_type, rule_set.rules, rule_profile(contact), today)
    stored = ScreeningEvaluation(contact_id=contact.id, rule_set_id=rule_set.id, as_of=today,
                                 outcome=result.outcome, eligible_on=result.eligible_on,
                                 results=result.to_json())
    session.add(stored)
    session.flush()
    _set_outcome(session, contact, result.outcome, stored.evaluated_at)
    if result.outcome is ScreeningOutcome.DQ:
        # disqualified by the rules: out of every drip and all marketing mail at once; the
        # screener confirms (Reject, with the notice) or overrules (Approve)
        leave_drips(session, contact.id, "disqualified by the screening rules")
    return Screened(stored.id, rule_set.version_number, result)


def _set_outcome(session: Session, contact: Contact, outcome: ScreeningOutcome | None,
                 at: datetime | None = None) -> None:
    session.execute(update(Contact).where(Contact.id == contact.id)
                    .values(screening_outcome=outcome, screened_at=at)
                    .execution_options(synchronize_session=False))
    # keep the loaded object in step without marking it changed
    set_committed_value(contact, "screening_outcome", outcome)
    set_committed_value(contact, "screened_at", at)


def screen_contacts(sessions: sessionmaker[Session], contact_ids: Iterable[int] | None, *,
                    today: date | None = None,
                    progress: Callable[[int, int], bool] | None = None) -> RescreenTally:
    """Re-screen a selection (or, with None, every active contact of a screened type) in
    batches, each its own transaction, so a long run keeps what it has done if stopped.
    ``progress(done, total)`` is told after every batch; returning False stops the run."""
    today = today or date.today()
    with sessions() as session:
        if contact_ids is None:
            ids = list(session.scalars(select(Contact.id).where(
                Contact.merged_into_id.is_(None), Contact.archived_at.is_(None),
                Contact.applicant_type.in_(SCREENED_TYPES)).order_by(Contact.id)))
        else:
            ids = list(contact_ids)
    tally = RescreenTally(total=len(ids))
    for start in range(0, len(ids), RESCREEN_BATCH):
        with sessions.begin() as session:
            for contact_id in ids[start:start + RESCREEN_BATCH]:
                screened = screen_contact(session, contact_id, today=today)
                if screened is not None:
                    tally.count(screened.result.outcome)
        tally.done = min(start + RESCREEN_BATCH, len(ids))
        if progress is not None and progress(tally.done, tally.total) is False:
            tally.stopped = True
            break
    return tally


@dataclass
class RescreenTally:
    total: int
    done: int = 0
    stopped: bool = False
    outcomes: dict[ScreeningOutcome, int] = field(default_factory=dict)

    def count(self, outcome: ScreeningOutcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> str:
        found = ", ".join(f"{n:,} {_lower(OUTCOME_LABELS[o])}"
                          for o, n in sorted(self.outcomes.items(),
                                             key=lambda item: -SEVERITY[item[0]]))
        text = f"Screened {self.done:,} of {self.total:,} contacts"
        if self.stopped:
            text += " (stopped)"
        return text + (f": {found}." if found else ".")


def latest_evaluation(session: Session, contact_id: int) -> ScreeningEvaluation | None:
    return session.scalars(select(ScreeningEvaluation).where(
        ScreeningEvaluation.contact_id == contact_id)
        .order_by(ScreeningEvaluation.evaluated_at.desc(), ScreeningEvaluation.id.desc())
        .limit(1)).first()


def _lower(label: str) -> str:
    return label if label.isupper() else label.lower()  # "DQ" stays "DQ"
