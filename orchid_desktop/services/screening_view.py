"""One contact as a screener reads it: the latest evaluation rule by rule, beside the
profile answers each rule read, and where the contact stands (flag, deferral, request for
information, client and case)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, DQRuleSet, ScreeningEvaluation
from orchid_desktop.domain.application_fields import BY_KEY
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, SEVERITY, rule_label
from orchid_desktop.domain.dq_rules.wording import label_of
from orchid_desktop.domain.vocab import ApplicantType, PipelineStage, ScreeningOutcome
from orchid_desktop.errors import UserError

from .screening_decisions import (
    REJECTION_REASONS,
    Seen,
    awaiting_decision,
    client_case,
)


@dataclass(frozen=True)
class RuleLine:
    rule: str
    outcome: ScreeningOutcome
    code: str
    message: str
    eligible_on: date | None
    # (field label, value as read) for each answer the rule read
    answers: tuple[tuple[str, str], ...]


@dataclass
class ScreeningView:
    contact_id: int
    name: str
    applicant_type: ApplicantType
    stage: PipelineStage
    email: str | None
    outcome: ScreeningOutcome | None
    screened_at: datetime | None
    rule_set_version: int | None
    as_of: date | None
    eligible_on: date | None
    lines: list[RuleLine] = field(default_factory=list)
    flag_note: str | None = None
    flagged_at: datetime | None = None
    deferred_until: date | None = None
    info_requested_at: datetime | None = None
    dq_reason_code: str | None = None
    case_number: str | None = None
    awaiting: bool = False  # in the "to decide" queue: approve, reject, defer apply
    version: int = 0

    def seen(self) -> Seen:
        return Seen(self.version, self.screened_at)

    @property
    def is_screened_type(self) -> bool:
        return self.applicant_type in SCREENED_TYPES

    def fired(self) -> list[RuleLine]:
        return [line for line in self.lines if line.outcome is not ScreeningOutcome.PASS]

    def reason_choices(self) -> list[tuple[str, str]]:
        """What a rejection can be filed under: the codes the rules fired (DQ first), then
        the screener's own reasons."""
        fired = sorted((line for line in self.fired()
                        if line.outcome in (ScreeningOutcome.DQ, ScreeningOutcome.FLAG)),
                       key=lambda line: -SEVERITY[line.outcome])
        rules = [(line.code,
                  f"{rule_label(line.rule, self.applicant_type)}: {line.outcome.label} "
                  f"({line.code})")
                 for line in fired]
        return rules + list(REJECTION_REASONS)


def screening_view(session: Session, contact_id: int) -> ScreeningView:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise UserError("That contact no longer exists.")
    found = client_case(session, contact_id)
    view = ScreeningView(
        contact.id, f"{contact.first_name} {contact.last_name}".strip() or f"#{contact.id}",
        contact.applicant_type, contact.stage, contact.email, contact.screening_outcome,
        contact.screened_at, None, None, None, flag_note=contact.flag_note,
        flagged_at=contact.flagged_at, deferred_until=contact.deferred_until,
        info_requested_at=contact.info_requested_at, dq_reason_code=contact.dq_reason_code,
        case_number=found[1].case_number if found else None,
        awaiting=awaiting_decision(contact, date.today()), version=contact.version)
    row = session.execute(
        select(ScreeningEvaluation, DQRuleSet.version_number)
        .join(DQRuleSet, DQRuleSet.id == ScreeningEvaluation.rule_set_id)
        .where(ScreeningEvaluation.contact_id == contact_id)
        .order_by(ScreeningEvaluation.id.desc()).limit(1)).first()
    if row is not None:
        evaluation, view.rule_set_version = row
        view.as_of, view.eligible_on = evaluation.as_of, evaluation.eligible_on
        view.lines = [_line(result) for result in evaluation.results]
    return view


def _line(result: dict[str, Any]) -> RuleLine:
    eligible = result.get("eligible_on")
    return RuleLine(
        result["rule"], ScreeningOutcome(result["outcome"]), result["code"], result["message"],
        date.fromisoformat(eligible) if eligible else None,
        tuple((answer_label(key), answer_text(key, value))
              for key, value in (result.get("inputs") or {}).items()))


COMPUTED_LABELS = {"age": "Age", "bmi": "BMI"}  # worked out by the rules, not answered


def answer_label(key: str) -> str:
    if key in BY_KEY:
        return BY_KEY[key].label
    return COMPUTED_LABELS.get(key, key.replace("_", " ").capitalize())


def answer_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "not answered"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(answer_text(key, v) for v in value) or "none"
    if isinstance(value, str) and key in BY_KEY and BY_KEY[key].choices:
        return label_of(key, value)
    return str(value)
