"""What each DQ rule parameter means, for people: its label, its kind and limits, and for a
list the choices it may hold; plus ``validate``, the one check every editor of the rule
settings shares (the DQ settings dialog, and any import or script).

Pure domain code. The descriptions follow how screening_rules.py and
screening_rules_carrier.py read each parameter; a parameter this module does not describe
(say, one written by a newer version of the app) is left alone by every editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .application_fields import (
    ASSISTANCE,
    COMPLICATIONS,
    CONTRACEPTION,
    CYCLES,
    EDUCATION,
    RESIDENCY,
)
from .us_states import US_STATES
from .vocab import ApplicantType

INT, FLOAT, BOOL, CHOICES, CHOICE, DATE = "int", "float", "bool", "choices", "choice", "date"

# "None" / "Regular" are answers, never something to disqualify or flag on
CONTRACEPTION_METHODS = tuple(c for c in CONTRACEPTION if c[0] != "none")
CYCLE_CONDITIONS = tuple(c for c in CYCLES if c[0] != "regular")
ASSISTANCE_PROGRAMS = tuple(c for c in ASSISTANCE if c[0] != "none")
STATES = tuple((code, f"{code} — {name}") for code, name in US_STATES.items())


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str  # the form label: "Disqualify under age"
    kind: str  # INT, FLOAT, BOOL, CHOICES (a list), CHOICE (one value), DATE (ISO text)
    name: str = ""  # how a problem names it: "disqualify under" (the label when empty)
    minimum: float | None = None
    maximum: float | None = None
    step: float = 1
    suffix: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    non_empty: bool = False  # an empty list would disqualify everyone

    @property
    def short(self) -> str:
        return self.name or self.label.lower()


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    # (lower, upper, strict): the value of ``lower`` must be below (or not above) ``upper``
    ordered: tuple[tuple[str, str, bool], ...] = ()
    # lists that may not share a value (each value gets one outcome)
    disjoint: tuple[tuple[str, str], ...] = ()

    def parameter(self, key: str) -> Parameter | None:
        return next((p for p in self.parameters if p.key == key), None)


def _years(key, label, name):
    return Parameter(key, label, INT, name, 18, 60, suffix=" years")


def _bmi(key, label, name):
    return Parameter(key, label, FLOAT, name, 12, 60, 0.5)


AGE = Rule("age", "Age", "Outside the age range disqualifies; from the flag age up, a "
           "coordinator reviews the application.",
           (_years("dq_under", "Disqualify under age", "disqualify under"),
            _years("flag_from", "Flag from age", "flag from"),
            _years("dq_over", "Disqualify over age", "disqualify over")),
           ordered=(("dq_under", "flag_from", True), ("flag_from", "dq_over", False)))

EGG_DONOR_RULES = (
    AGE,
    Rule("bmi", "BMI", "Worked out from height and weight: outside the range disqualifies; "
         "from the flag value up, a coordinator reviews.",
         (_bmi("dq_under", "Disqualify under BMI", "disqualify under"),
          _bmi("flag_from", "Flag from BMI", "flag from"),
          _bmi("dq_over", "Disqualify over BMI", "disqualify over")),
         ordered=(("dq_under", "flag_from", True), ("flag_from", "dq_over", False))),
    Rule("nicotine", "Nicotine", "Any current smoking, vaping or nicotine disqualifies; the "
         "applicant is told when she may apply again.",
         (Parameter("reapply_after_days", "Re-apply after", INT, "re-apply after", 1, 730,
                    suffix=" days"),)),
    Rule("drugs", "Drugs", "THC or other recreational drugs disqualify, as does injecting "
         "drugs not prescribed by a doctor within the look-back.",
         (Parameter("injected_lookback_years", "Injected drugs: look back", INT,
                    "injected drugs look-back", 1, 20, suffix=" years"),)),
    Rule("contraception", "Birth control", "Some methods defer the application until stopped "
         "plus a few regular cycles; others go to a coordinator.",
         (Parameter("defer_methods", "Defer until stopped", CHOICES, "defer methods",
                    choices=CONTRACEPTION_METHODS),
          Parameter("regular_cycles_after_stopping", "Then wait", INT,
                    "regular cycles after stopping", 0, 12, suffix=" regular cycles"),
          Parameter("flag_methods", "Flag", CHOICES, "flag methods",
                    choices=CONTRACEPTION_METHODS)),
         disjoint=(("defer_methods", "flag_methods"),)),
    Rule("cycles", "Cycles", "The cycle answers that send an application to a coordinator.",
         (Parameter("flag_conditions", "Flag", CHOICES, "flag conditions",
                    choices=CYCLE_CONDITIONS),)),
    Rule("prior_donations", "Prior donations", "Disqualifies once this many stimulated "
         "donation cycles have been completed.",
         (Parameter("dq_at_cycles", "Disqualify at", INT, "disqualify at", 1, 20,
                    suffix=" cycles"),)),
    Rule("genetics", "Genetics", "An inherited condition in the applicant or a parent, "
         "sibling or child goes to a coordinator.",
         (Parameter("flag_adopted_without_history", "Flag adopted applicants without a "
                    "family health history", BOOL, "flag adopted without history"),)),
    Rule("psychiatric", "Mental health", "Current mental-health treatment or antidepressants "
         "go to a coordinator."),
    Rule("fda_risk", "FDA risk factors", "A recent tattoo or piercing, STI treatment or jail "
         "stay goes to a coordinator (21 CFR 1271).",
         (Parameter("lookback_months", "Look back", INT, "look back", 1, 60,
                    suffix=" months"),
          Parameter("jail_hours", "Jail stays longer than", INT, "jail stays longer than",
                    0, 8760, suffix=" hours"))),
    Rule("education", "Education", "Below the minimum goes to a coordinator; a preference "
         "some clinics have, not a requirement.",
         (Parameter("minimum", "Minimum education", CHOICE, "minimum", choices=EDUCATION),)),
)

CARRIER_RULES = (
    AGE,
    Rule("parity", "Prior births", "Without a full-term delivery of her own she is "
         "disqualified.",
         (Parameter("flag_not_raising_child", "Flag if not raising a child at home", BOOL,
                    "flag not raising a child"),)),
    Rule("deliveries", "Deliveries and C-sections", "Too many deliveries or C-sections "
         "disqualify; from the flag count, a coordinator reviews.",
         (Parameter("dq_over_deliveries", "Disqualify over", INT, "disqualify over "
                    "deliveries", 1, 15, suffix=" deliveries"),
          Parameter("flag_at_c_sections", "Flag from", INT, "flag from C-sections", 1, 10,
                    suffix=" C-sections"),
          Parameter("dq_over_c_sections", "Disqualify over", INT, "disqualify over "
                    "C-sections", 0, 10, suffix=" C-sections")),
         ordered=(("flag_at_c_sections", "dq_over_c_sections", False),)),
    Rule("complications", "Pregnancy complications", "The complications and miscarriages "
         "that send an application to a coordinator.",
         (Parameter("flag_conditions", "Flag", CHOICES, "flag conditions",
                    choices=COMPLICATIONS),
          Parameter("flag_over_miscarriages", "Flag over", INT, "flag over miscarriages", 0,
                    20, suffix=" miscarriages"))),
    Rule("bmi", "BMI", "Worked out from height and weight: over the limit disqualifies; from "
         "the flag value up, a coordinator reviews.",
         (_bmi("flag_from", "Flag from BMI", "flag from"),
          _bmi("dq_over", "Disqualify over BMI", "disqualify over")),
         ordered=(("flag_from", "dq_over", False),)),
    Rule("household_substances", "Smoke- and drug-free home", "Nicotine or drugs used by "
         "her, her partner or anyone at home disqualify."),
    Rule("assistance", "Government assistance", "Programmes that disqualify while received, "
         "and those a coordinator talks through.",
         (Parameter("dq_programs", "Disqualify", CHOICES, "disqualify programs",
                    choices=ASSISTANCE_PROGRAMS),
          Parameter("flag_programs", "Flag", CHOICES, "flag programs",
                    choices=ASSISTANCE_PROGRAMS)),
         disjoint=(("dq_programs", "flag_programs"),)),
    Rule("state", "State law", "Carriers living in a blocked state are disqualified; review "
         "the list whenever surrogacy laws change.",
         (Parameter("blocked_states", "Blocked states", CHOICES, "blocked states",
                    choices=STATES),
          Parameter("reviewed_on", "Last reviewed", DATE, "last reviewed"))),
    Rule("residency", "Citizenship / residency", "Any other status disqualifies.",
         (Parameter("allowed", "Accept", CHOICES, "accepted statuses", choices=RESIDENCY,
                    non_empty=True),)),
    Rule("postpartum", "Recovery after a birth", "Defers until enough time has passed since "
         "her last delivery.",
         (Parameter("months_after_vaginal", "After a vaginal birth", INT,
                    "months after a vaginal birth", 0, 36, suffix=" months"),
          Parameter("months_after_c_section", "After a C-section", INT,
                    "months after a C-section", 0, 36, suffix=" months"),
          Parameter("flag_breastfeeding", "Flag if breastfeeding now", BOOL,
                    "flag breastfeeding"))),
    Rule("criminal", "Background", "A felony or child-abuse finding for her or her partner: "
         "self-reported goes to a coordinator, confirmed disqualifies."),
)

RULES: dict[ApplicantType, dict[str, Rule]] = {
    ApplicantType.EGG_DONOR: {r.key: r for r in EGG_DONOR_RULES},
    ApplicantType.GESTATIONAL_CARRIER: {r.key: r for r in CARRIER_RULES},
}


def rules_for(applicant_type: ApplicantType) -> dict[str, Rule]:
    """The described rules of a type, in the order the settings page shows them."""
    return RULES.get(ApplicantType(applicant_type), {})


def describe(applicant_type: ApplicantType, rule: str) -> Rule | None:
    return rules_for(applicant_type).get(rule)


def rule_label(rule: str) -> str:
    """A rule's name as staff read it ("Birth control"), whichever type has it."""
    for rules in RULES.values():
        if rule in rules:
            return rules[rule].label
    return rule.replace("_", " ").capitalize()


# ---- validation ------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else repr(value)


def _is_number(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (kind == FLOAT and isinstance(value, float))


def _parameter_problems(p: Parameter, value: Any) -> list[str]:
    """Problems with one value on its own (cross-parameter checks come after)."""
    name = f"'{p.short}'"
    if p.kind in (INT, FLOAT):
        if not _is_number(value, p.kind):
            return [f"{name} must be a {'whole ' if p.kind == INT else ''}number"]
        if p.minimum is not None and value < p.minimum:
            return [f"{name} ({_fmt(value)}) must be at least {_fmt(p.minimum)}"]
        if p.maximum is not None and value > p.maximum:
            return [f"{name} ({_fmt(value)}) must be at most {_fmt(p.maximum)}"]
    elif p.kind == BOOL and not isinstance(value, bool):
        return [f"{name} must be on or off"]
    elif p.kind == CHOICE and value not in dict(p.choices):
        return [f"{name} ({value!r}) is not one of the choices"]
    elif p.kind == CHOICES:
        if not isinstance(value, list):
            return [f"{name} must be a list"]
        known = dict(p.choices)
        unknown = [v for v in value if v not in known]
        if unknown:
            return [f"{name} has {', '.join(map(repr, unknown))}, not among the choices"]
        if p.non_empty and not value:
            return [f"{name} needs at least one choice, or every applicant is disqualified"]
    elif p.kind == DATE:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return [f"{name} ({value!r}) is not a date"]
    return []


def validate(applicant_type: ApplicantType,
             rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every problem with the rule settings of one type, in plain words, all at once.
    Keys this module does not describe are not judged; ``basis`` is display text only."""
    problems: list[str] = []
    described = rules_for(applicant_type)
    for rule_key, settings in rules.items():
        rule = described.get(rule_key)
        if rule is None:
            continue
        found: list[str] = []
        if not isinstance(settings.get("enabled", True), bool):
            found.append("'enabled' must be on or off")
        good: dict[str, Any] = {}  # values that passed on their own, for the checks below
        for p in rule.parameters:
            if p.key not in settings:
                found.append(f"'{p.short}' is missing")
                continue
            own = _parameter_problems(p, settings[p.key])
            found += own
            if not own:
                good[p.key] = settings[p.key]
        for lower, upper, strict in rule.ordered:
            if lower in good and upper in good:
                low, high = good[lower], good[upper]
                if low > high or (strict and low == high):
                    found.append(f"'{rule.parameter(lower).short}' ({_fmt(low)}) must be "
                                 f"{'below' if strict else 'at most'} "
                                 f"'{rule.parameter(upper).short}' ({_fmt(high)})")
        for first, second in rule.disjoint:
            if first in good and second in good:
                labels = dict(rule.parameter(first).choices)
                both = [labels[v] for v in good[first] if v in good[second]]
                if both:
                    found.append(f"{', '.join(both)} can't be in both "
                                 f"'{rule.parameter(first).short}' and "
                                 f"'{rule.parameter(second).short}'")
        problems += [f"{rule.label}: {problem}" for problem in found]
    return problems
