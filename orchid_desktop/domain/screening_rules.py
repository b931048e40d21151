"""The screening rules of DOMAIN.md: a profile and the rule settings in, an outcome per rule
and one overall out.

Pure domain code. Every threshold comes from the ``rules`` argument (the agency defaults of
dq_defaults.py, or a version edited in the DQ settings dialog), every date from the injected
``today``. A rule whose input is missing says so (NEEDS_DATA) instead of passing. Each result
carries a stable reason code, one plain sentence a coordinator can read to the applicant, and
the profile values it read.

The shared rules (age, BMI) and the egg-donor rules live here; the gestational-carrier rules
are in screening_rules_carrier.py, written with the helpers below.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from .application_fields import BY_KEY, EDUCATION, age_on, bmi
from .vocab import ApplicantType, ScreeningOutcome

PASS, DQ, FLAG, DEFER, NEEDS_DATA = (ScreeningOutcome.PASS, ScreeningOutcome.DQ,
                                     ScreeningOutcome.FLAG, ScreeningOutcome.DEFER,
                                     ScreeningOutcome.NEEDS_DATA)
# the overall outcome is the most severe one: DQ > DEFER > NEEDS_DATA > FLAG > PASS
SEVERITY = {PASS: 0, FLAG: 1, NEEDS_DATA: 2, DEFER: 3, DQ: 4}
DAYS_PER_CYCLE = 28
NOT_GOING_AHEAD = "we aren't able to go ahead with your application"


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: ScreeningOutcome
    code: str
    message: str
    eligible_on: date | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome.value, "code": self.code,
                "message": self.message,
                "eligible_on": self.eligible_on.isoformat() if self.eligible_on else None,
                "inputs": dict(self.inputs)}


@dataclass(frozen=True)
class Evaluation:
    outcome: ScreeningOutcome
    eligible_on: date | None
    results: tuple[RuleResult, ...]

    def fired(self) -> list[RuleResult]:
        return [r for r in self.results if r.outcome is not PASS]

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self.results]


class Finding(NamedTuple):
    """What one condition of a rule found; a rule reports its most severe finding."""
    outcome: ScreeningOutcome
    code: str
    message: str
    eligible_on: date | None = None


def add_months(day: date, months: int) -> date:
    """Calendar months. A day the target month lacks moves on to the 1st of the next month
    (29 Feb + 12 months is 1 Mar), as age_on counts birthdays, so a date is never early."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    if day.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, day.day)
    return date(year, month, 1) + timedelta(days=calendar.monthrange(year, month)[1])


# ---- reading the profile -------------------------------------------------------------

def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return float(Decimal(str(value).strip().replace(",", ".")))
    except InvalidOperation:
        return None


def _as_yes_no(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    answer = str(value).strip().lower()
    return answer if answer in ("yes", "no") else None


def _as_choice(value: Any) -> str | None:
    return str(value).strip() or None


def json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class Answers:
    """The profile as one rule reads it: typed values, a note of each value read (the
    result's inputs) and of each required answer that is missing or unreadable."""

    def __init__(self, profile: Mapping[str, Any], today: date):
        self._profile = profile
        self.today = today
        self.inputs: dict[str, Any] = {}
        self.missing: list[str] = []

    def _read(self, key: str, parse: Callable[[Any], Any], required: bool) -> Any:
        raw = self._profile.get(key)
        value = None if raw is None or (isinstance(raw, str) and not raw.strip()) else parse(raw)
        self.inputs[key] = json_safe(raw if value is None else value)
        if value is None and required and key not in self.missing:
            self.missing.append(key)
        return value

    def date(self, key: str, required: bool = True) -> date | None:
        return self._read(key, _as_date, required)

    def number(self, key: str, required: bool = True) -> int | float | None:
        return self._read(key, _as_number, required)

    def yes(self, key: str, required: bool = True) -> bool | None:
        answer = self._read(key, _as_yes_no, required)
        return None if answer is None else answer == "yes"

    def choice(self, key: str, required: bool = True) -> str | None:
        return self._read(key, _as_choice, required)

    def note(self, key: str, value: Any) -> None:
        """A value the rule computed (age, BMI), shown next to what it was computed from."""
        self.inputs[key] = json_safe(value)


Check = Callable[[dict[str, Any], Answers, ApplicantType], Iterable[Finding]]


# ---- helpers the rules share ------------------------------------------------------------

def plural(applicant_type: ApplicantType) -> str:
    return {ApplicantType.EGG_DONOR: "egg donors",
            ApplicantType.GESTATIONAL_CARRIER: "gestational carriers"}[applicant_type]


def label_of(key: str, value: str) -> str:
    """The label staff picked for a choice answer (the key itself when it is unknown)."""
    return dict(BY_KEY[key].choices).get(value, value.replace("_", " "))


def fmt(number: float) -> str:
    return f"{number:g}"


def lower_label(label: str) -> str:
    """A label inside a sentence: "Permanent resident" → "permanent resident"; words with
    capitals after the first letter ("US", "IUD") are kept."""
    return " ".join(w.lower() if w[1:] == w[1:].lower() else w for w in label.split())


def when_yes(answers: Answers, checks: Iterable[tuple[str, Finding]]) -> Iterator[Finding]:
    """Each (yes/no field, finding) pair: the finding when the answer is yes."""
    for key, finding in checks:
        if answers.yes(key):
            yield finding


def recent(answers: Answers, ever_key: str, date_key: str, months: int, *,
           within_12m_key: str | None = None) -> bool | None:
    """Whether something last happened less than ``months`` ago; None while unknown. A
    yes/no "in the last 12 months" answer settles it without a date where it can."""
    last = answers.date(date_key, required=False)
    if last is not None:
        return answers.today < add_months(last, months)
    if within_12m_key:
        in_12m = answers.yes(within_12m_key, required=False)
        if in_12m is not None and (months >= 12 if in_12m else months <= 12):
            return in_12m
    ever = answers.yes(ever_key)
    if ever:
        answers.date(date_key)  # needed now: noted as missing
        return None
    return None if ever is None else False


def _age(s: dict[str, Any], a: Answers, kind: ApplicantType) -> Iterator[Finding]:
    dob = a.date("date_of_birth")
    if dob is None:
        return
    age = age_on(dob, a.today)
    a.note("age", age)
    lo, hi = s["dq_under"], s["dq_over"]
    between = f"{plural(kind).capitalize()} need to be between {lo} and {hi}"
    if age < lo:
        yield Finding(DQ, "AGE_UNDER_MIN", f"{between}; you can apply from "
                      f"{add_months(dob, 12 * lo).isoformat()}.")
    elif age > hi:
        yield Finding(DQ, "AGE_OVER_MAX", f"{between}, so {NOT_GOING_AHEAD}.")
    elif age >= s["flag_from"]:
        yield Finding(FLAG, "AGE_FLAG", "We look personally at every application from age "
                      f"{s['flag_from']} up, so a coordinator will go over yours with you.")


def _bmi(s: dict[str, Any], a: Answers, kind: ApplicantType) -> Iterator[Finding]:
    height, weight = a.number("height_cm"), a.number("weight_kg")
    value = bmi(height, weight)
    if value is None:
        return
    a.note("bmi", value)
    lo, hi = s.get("dq_under"), s["dq_over"]
    band = f"between {fmt(lo)} and {fmt(hi)}" if lo is not None else f"of {fmt(hi)} or less"
    outside = (f"Our clinics need {plural(kind)} to have a BMI {band}, and the height and "
               f"weight you gave us work out to {fmt(value)}.")
    if lo is not None and value < lo:
        yield Finding(DQ, "BMI_UNDER_MIN", outside)
    elif value > hi:
        yield Finding(DQ, "BMI_OVER_MAX", outside)
    elif value >= s["flag_from"]:
        yield Finding(FLAG, "BMI_FLAG", f"Your BMI works out to {fmt(value)}, so a coordinator "
                      "will go over a few health questions with you.")


# ---- egg donor --------------------------------------------------------------------------

def _nicotine(s, a, kind):
    yield from when_yes(a, [("nicotine", Finding(
        DQ, "NICOTINE_USE", "Our clinics need donors to be nicotine-free, so you're welcome "
        f"to apply again once you've gone {s['reapply_after_days']} days without smoking, "
        "vaping or nicotine."))])


def _drugs(s, a, kind):
    years = s["injected_lookback_years"]
    yield from when_yes(a, [("drugs", Finding(
        DQ, "DRUGS_RECREATIONAL", "Our clinics can't accept donors who use THC or other "
        f"recreational drugs, so {NOT_GOING_AHEAD}."))])
    if recent(a, "injected_drugs", "injected_drugs_last_date", 12 * years):
        yield Finding(DQ, "DRUGS_INJECTED", "Because you told us about injecting drugs in the "
                      f"last {years} years, {NOT_GOING_AHEAD}.")


def _contraception(s, a, kind):
    method = a.choice("contraception")
    if method is None:
        return
    yours = f"your birth control ({label_of('contraception', method)})"
    if method in s["flag_methods"]:
        yield Finding(FLAG, "CONTRACEPTION_FLAG", f"A coordinator will talk with you about "
                      f"{yours} before we go further.")
    if method not in s["defer_methods"]:
        return
    cycles = s["regular_cycles_after_stopping"]
    stopped = a.date("contraception_stopped_on", required=False)
    if stopped is None:
        yield Finding(FLAG, "CONTRACEPTION_NOT_STOPPED", f"A coordinator will talk with you "
                      f"about {yours}, since donors stop it and then wait about {cycles} "
                      "regular cycles before starting.")
        return
    eligible = stopped + timedelta(days=cycles * DAYS_PER_CYCLE)
    if a.today < eligible:
        yield Finding(DEFER, "CONTRACEPTION_DEFER", f"After stopping {yours} we ask donors to "
                      f"wait about {cycles} regular cycles, so you can apply from "
                      f"{eligible.isoformat()}.", eligible)


def _cycles(s, a, kind):
    cycles = a.choice("cycles")
    if cycles in s["flag_conditions"]:
        yield Finding(FLAG, "CYCLES_FLAG", "A coordinator will go over what you told us about "
                      f"your cycles ({label_of('cycles', cycles)}) with you.")


def _prior_donations(s, a, kind):
    done, limit = a.number("prior_donation_cycles"), s["dq_at_cycles"]
    if done is not None and done >= limit:
        yield Finding(DQ, "PRIOR_DONATIONS_MAX", f"Our guidelines allow fewer than {limit} "
                      f"donation cycles in all, and you've already completed {fmt(done)}, so "
                      "we aren't able to go ahead; thank you for everything you've given.")


def _genetics(s, a, kind):
    review = "a coordinator will go over your family health history with you"
    yield from when_yes(a, [("heritable_disorder_self", Finding(
        FLAG, "GENETICS_SELF", f"Because of the inherited condition you told us about, "
                               f"{review}."))])
    adopted = a.yes("adopted")
    if adopted and not a.choice("family_medical_history", required=False):
        if s["flag_adopted_without_history"]:
            yield Finding(FLAG, "GENETICS_ADOPTED_NO_HISTORY", "Because you were adopted and "
                          f"your birth family's health history isn't known, {review}.")
        return
    yield from when_yes(a, [("heritable_disorder_family", Finding(
        FLAG, "GENETICS_FAMILY", "Because of the inherited condition in your family, "
                                 f"{review}."))])


def _psychiatric(s, a, kind):
    message = "A coordinator will talk with you about the mental-health care you told us about."
    yield from when_yes(a, [("psychiatric_treatment_now",
                             Finding(FLAG, "PSYCHIATRIC_TREATMENT", message)),
                            ("antidepressants_now",
                             Finding(FLAG, "PSYCHIATRIC_ANTIDEPRESSANTS", message))])


def _fda_risk(s, a, kind):
    months, hours = s["lookback_months"], s["jail_hours"]
    review = "a coordinator will go over a few health questions with you"
    if recent(a, "tattoo_piercing_ever", "tattoo_piercing_date", months,
              within_12m_key="tattoo_piercing_12m"):
        yield Finding(FLAG, "FDA_TATTOO_PIERCING", "Because of a tattoo or piercing in the "
                      f"last {months} months, {review}.")
    if recent(a, "sti_treated_ever", "sti_treated_date", months):
        yield Finding(FLAG, "FDA_STI_TREATED", f"Because of an STI treatment in the last "
                      f"{months} months, {review}.")
    if recent(a, "jail_ever", "jail_last_release_date", months):
        stay = a.number("jail_last_hours")
        if stay is not None and stay > hours:
            yield Finding(FLAG, "FDA_JAIL", f"Because of a stay of more than {hours} hours in "
                          f"jail in the last {months} months, {review}.")


def _education(s, a, kind):
    levels = [key for key, _ in EDUCATION]
    if s["minimum"] not in levels:
        raise ValueError(f"Unknown minimum education {s['minimum']!r}.")
    level = a.choice("education")
    if level in levels and levels.index(level) < levels.index(s["minimum"]):
        yield Finding(FLAG, "EDUCATION_BELOW_MIN", "Some clinics prefer donors whose education "
                      f"is at least {lower_label(label_of('education', s['minimum']))}, so a "
                      "coordinator will look over your application with you.")


SHARED_CHECKS: dict[str, Check] = {"age": _age, "bmi": _bmi}

EGG_DONOR_CHECKS: dict[str, Check] = {
    **SHARED_CHECKS, "nicotine": _nicotine, "drugs": _drugs, "contraception": _contraception,
    "cycles": _cycles, "prior_donations": _prior_donations, "genetics": _genetics,
    "psychiatric": _psychiatric, "fda_risk": _fda_risk, "education": _education,
}

# what each rule is about, for the sentence of a pass ("Your answers meet our … guidelines.")
TOPICS = {
    "age": "age", "bmi": "height and weight", "nicotine": "nicotine", "drugs": "drug",
    "contraception": "birth control", "cycles": "cycle", "prior_donations": "donation",
    "genetics": "family health", "psychiatric": "mental health", "fda_risk": "health risk",
    "education": "education",
}

# what a missing answer is, for the sentence of NEEDS_DATA ("We still need to know …")
QUESTIONS = {
    "date_of_birth": "your date of birth", "height_cm": "your height",
    "weight_kg": "your weight", "nicotine": "whether you smoke, vape or use nicotine",
    "drugs": "whether you use THC or other drugs",
    "injected_drugs": "whether you have ever injected drugs a doctor didn't prescribe",
    "injected_drugs_last_date": "when you last injected them",
    "contraception": "which birth control you use",
    "cycles": "how regular your cycles are",
    "prior_donation_cycles": "how many donation cycles you have done before",
    "heritable_disorder_self": "whether you have an inherited condition",
    "heritable_disorder_family": "whether a parent, brother, sister or child has an "
                                 "inherited condition",
    "adopted": "whether you were adopted",
    "psychiatric_treatment_now": "whether you are in mental-health treatment now",
    "antidepressants_now": "whether you take antidepressants now",
    "tattoo_piercing_ever": "whether you have a tattoo or piercing",
    "tattoo_piercing_date": "the date of your most recent tattoo or piercing",
    "sti_treated_ever": "whether you have ever been treated for an STI",
    "sti_treated_date": "the date of your most recent STI treatment",
    "jail_ever": "whether you have ever been held in jail",
    "jail_last_release_date": "when you were last released from jail",
    "jail_last_hours": "how long that last stay in jail was",
    "education": "your education", "state": "which state you live in",
    "residency": "your citizenship or residency",
}


@functools.cache
def _catalogue() -> tuple[dict[ApplicantType, dict[str, Check]], dict[str, str], dict[str, str]]:
    """The checks per type, and the phrases of both modules."""
    from . import screening_rules_carrier as carrier  # it builds on the helpers above

    return ({ApplicantType.EGG_DONOR: EGG_DONOR_CHECKS,
             ApplicantType.GESTATIONAL_CARRIER: carrier.CARRIER_CHECKS},
            {**QUESTIONS, **carrier.QUESTIONS}, {**TOPICS, **carrier.TOPICS})


def _needs(missing: list[str]) -> Finding:
    questions = _catalogue()[1]
    asks = [questions.get(key) or f"your answer to “{BY_KEY[key].label}”" for key in missing]
    listed = asks[0] if len(asks) == 1 else f"{', '.join(asks[:-1])} and {asks[-1]}"
    return Finding(NEEDS_DATA, f"NEEDS_{missing[0].upper()}", f"We still need to know {listed}.")


# ---- the engine -------------------------------------------------------------------------

def checks_for(applicant_type: ApplicantType) -> dict[str, Check]:
    """The rule keys this engine knows for a type (in no order: the settings order them)."""
    return _catalogue()[0].get(ApplicantType(applicant_type), {})


def _run(rule: str, check: Check, settings: dict[str, Any], profile: Mapping[str, Any],
         today: date, applicant_type: ApplicantType) -> RuleResult:
    answers = Answers(profile, today)
    findings = list(check(settings, answers, applicant_type))
    if answers.missing:
        findings.append(_needs(answers.missing))
    worst = max(findings, key=lambda f: SEVERITY[f.outcome], default=None)
    if worst is None:
        worst = Finding(PASS, f"{rule.upper()}_OK",
                        f"Your answers meet our {_catalogue()[2].get(rule, rule)} guidelines.")
    return RuleResult(rule, worst.outcome, worst.code, worst.message, worst.eligible_on,
                      answers.inputs)


def evaluate(applicant_type: ApplicantType, rules: dict[str, dict[str, Any]],
             profile: Mapping[str, Any], today: date) -> Evaluation:
    """Every enabled rule, in the order of the settings, against the profile on ``today``."""
    checks = checks_for(applicant_type)
    if not checks or not rules:
        return Evaluation(PASS, None, ())
    results = []
    for rule, settings in rules.items():
        if not settings.get("enabled", True):
            continue
        if rule not in checks:
            raise ValueError(f"There is no screening rule {rule!r} for {applicant_type}.")
        results.append(_run(rule, checks[rule], settings, profile, today, applicant_type))
    outcome = max((r.outcome for r in results), key=SEVERITY.__getitem__, default=PASS)
    eligible_on = max((r.eligible_on for r in results if r.outcome is DEFER and r.eligible_on),
                      default=None) if outcome is DEFER else None
    return Evaluation(outcome, eligible_on, tuple(results))
