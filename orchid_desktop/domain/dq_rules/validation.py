"""``validate``: the one check every editor of stored rule settings shares (the DQ settings
dialog, and any import or script), derived from the registry's parameter descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..vocab import ApplicantType
from .params import fmt_value
from .registry import registry_for
from .spec import Rule


def rule_problems(rule: Rule[Any], settings: Mapping[str, Any]) -> list[str]:
    """Every problem with one stored rule, without the rule's label in front."""
    found: list[str] = []
    if not isinstance(settings.get("enabled", True), bool):
        found.append("'enabled' must be on or off")
    good: dict[str, Any] = {}  # values that passed on their own, for the checks below
    for p in rule.parameters:
        if p.key not in settings:
            found.append(f"'{p.short}' is missing")
            continue
        own = p.problems(settings[p.key])
        found += own
        if not own:
            good[p.key] = settings[p.key]
    for lower, upper, strict in rule.ordered:
        if lower in good and upper in good:
            low, high = good[lower], good[upper]
            if low > high or (strict and low == high):
                found.append(f"'{rule.param(lower).short}' ({fmt_value(low)}) must be "
                             f"{'below' if strict else 'at most'} "
                             f"'{rule.param(upper).short}' ({fmt_value(high)})")
    for first, second in rule.disjoint:
        if first in good and second in good:
            labels = dict(rule.param(first).choices)
            both = [labels[v] for v in good[first] if v in good[second]]
            if both:
                found.append(f"{', '.join(both)} can't be in both '{rule.param(first).short}' "
                             f"and '{rule.param(second).short}'")
    return found


def validate(applicant_type: ApplicantType,
             rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every problem with the rule settings of one type, in plain words, all at once.
    Rules and keys the registry does not describe are not judged (a newer version may have
    written them); ``basis`` is display text only."""
    registry = registry_for(applicant_type)
    problems: list[str] = []
    for key, settings in rules.items():
        rule = registry.get(key)
        if rule is not None:
            problems += [f"{rule.label}: {problem}" for problem in rule_problems(rule, settings)]
    return problems
