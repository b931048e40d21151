"""The rule registries of the screened applicant types, and what is derived from them for
the rest of the app: the defaults a new database stores, and rule labels."""

from __future__ import annotations

from typing import Any

from ..vocab import ApplicantType
from . import carrier, egg_donor
from .spec import RuleRegistry

REGISTRIES: dict[ApplicantType, RuleRegistry] = {
    registry.applicant_type: registry for registry in (egg_donor.RULES, carrier.RULES)}

# the applicant types that are screened (intended parents, "other", are not)
SCREENED_TYPES = tuple(REGISTRIES)


def registry_for(applicant_type: ApplicantType) -> RuleRegistry:
    """The rules of a type; an empty registry for a type that is not screened."""
    kind = ApplicantType(applicant_type)
    return REGISTRIES.get(kind) or RuleRegistry(kind)


def default_rules(applicant_type: ApplicantType) -> dict[str, dict[str, Any]]:
    """The agency defaults of a type as a rule set is stored (a fresh copy)."""
    return registry_for(applicant_type).defaults()


def rule_label(rule: str, applicant_type: ApplicantType | None = None) -> str:
    """A rule's name as staff read it ("Birth control"), from the given type or else
    whichever type has it; a rule no registry knows gets its key made readable."""
    registries = [registry_for(applicant_type)] if applicant_type else []
    for registry in registries + list(REGISTRIES.values()):
        found = registry.get(rule)
        if found is not None:
            return found.label
    return rule.replace("_", " ").capitalize()
