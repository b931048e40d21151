"""Running the rules: a profile and a stored rule set in, one result per enabled rule and
the overall outcome out.

Pure domain code: every threshold comes from the ``rules`` argument (the stored rule set),
every date from the injected ``today``. A rule whose input is missing says so (NEEDS_DATA)
instead of passing. Each result carries a stable reason code, one plain sentence a
coordinator can read to the applicant, and the profile values it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..application_fields import BY_KEY
from ..vocab import ApplicantType
from .answers import Answers
from .outcomes import DEFER, FLAG, NEEDS_DATA, PASS, SEVERITY, Evaluation, Finding, RuleResult
from .registry import registry_for
from .spec import Rule


def _needs(rule: Rule[Any], missing: list[str]) -> Finding:
    asks = [rule.questions.get(key) or f"your answer to “{BY_KEY[key].label}”"
            for key in missing]
    listed = asks[0] if len(asks) == 1 else f"{', '.join(asks[:-1])} and {asks[-1]}"
    return Finding(NEEDS_DATA, f"NEEDS_{missing[0].upper()}", f"We still need to know {listed}.")


def run_rule(rule: Rule[Any], stored: Mapping[str, Any], profile: Mapping[str, Any],
             today: date, applicant_type: ApplicantType) -> RuleResult:
    """One rule on its own, whether or not it is enabled."""
    answers = Answers(profile, today)
    findings = list(rule.check(rule.settings(stored), answers, applicant_type))
    if answers.missing:
        findings.append(_needs(rule, answers.missing))
    worst = max(findings, key=lambda f: SEVERITY[f.outcome], default=None)
    if worst is None:
        worst = Finding(PASS, f"{rule.key.upper()}_OK",
                        f"Your answers meet our {rule.topic} guidelines.")
    return RuleResult(rule.key, worst.outcome, worst.code, worst.message, worst.eligible_on,
                      answers.inputs)


def _unknown_rule(key: str) -> RuleResult:
    """A rule this release does not know: on a shared database a newer workstation added
    it at start (services/screening_upgrade.py). It cannot be run here, and an unrun rule
    must never pass in silence, so a person reviews it (FLAG) until this workstation is
    updated."""
    return RuleResult(key, FLAG, "UNKNOWN_RULE",
                      f"The screening rule “{key}” comes from a newer Orchid Desktop and "
                      "was not checked on this workstation: review it by hand, or update.")


def evaluate(applicant_type: ApplicantType, rules: Mapping[str, Mapping[str, Any]],
             profile: Mapping[str, Any], today: date) -> Evaluation:
    """Every enabled rule, in the order of the stored rule set, against the profile on
    ``today``."""
    registry = registry_for(applicant_type)
    if not len(registry) or not rules:
        return Evaluation(PASS, None, ())
    results = []
    for key, stored in rules.items():
        if not stored.get("enabled", True):
            continue
        rule = registry.get(key)
        if rule is None:
            results.append(_unknown_rule(key))
            continue
        results.append(run_rule(rule, stored, profile, today, applicant_type))
    outcome = max((r.outcome for r in results), key=SEVERITY.__getitem__, default=PASS)
    eligible_on = max((r.eligible_on for r in results if r.outcome is DEFER and r.eligible_on),
                      default=None) if outcome is DEFER else None
    return Evaluation(outcome, eligible_on, tuple(results))
