"""The rules both applicant types have, age and BMI: one check and one settings class
each, declared per type with that type's defaults (a carrier's BMI has no lower limit)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..application_fields import age_on, bmi
from ..vocab import ApplicantType
from .answers import Answers, add_months
from .outcomes import DQ, FLAG, Finding
from .params import FLOAT, INT, Param
from .spec import Rule
from .wording import ASK_DATE_OF_BIRTH, ASK_HEIGHT_WEIGHT, NOT_GOING_AHEAD, fmt, plural


@dataclass(frozen=True)
class AgeSettings:
    dq_under: int
    dq_over: int
    flag_from: int


def check_age(s: AgeSettings, a: Answers, kind: ApplicantType) -> Iterator[Finding]:
    dob = a.date("date_of_birth")
    if dob is None:
        return
    age = age_on(dob, a.today)
    assert age is not None
    a.note("age", age)
    lo, hi = s.dq_under, s.dq_over
    between = f"{plural(kind).capitalize()} need to be between {lo} and {hi}"
    if age < lo:
        yield Finding(DQ, "AGE_UNDER_MIN", f"{between}; you can apply from "
                      f"{add_months(dob, 12 * lo).isoformat()}.")
    elif age > hi:
        yield Finding(DQ, "AGE_OVER_MAX", f"{between}, so {NOT_GOING_AHEAD}.")
    elif age >= s.flag_from:
        yield Finding(FLAG, "AGE_FLAG", "We look personally at every application from age "
                      f"{s.flag_from} up, so a coordinator will go over yours with you.")


def _years(key: str, label: str, name: str) -> Param:
    return Param(key, label, INT, name, 18, 60, suffix=" years")


def age_rule(defaults: AgeSettings, basis: str) -> Rule[AgeSettings]:
    return Rule(
        "age", "Age", "Outside the age range disqualifies; from the flag age up, a "
        "coordinator reviews the application.", check_age, defaults,
        topic="age", questions=ASK_DATE_OF_BIRTH, basis=basis,
        parameters=(_years("dq_under", "Disqualify under age", "disqualify under"),
                    _years("flag_from", "Flag from age", "flag from"),
                    _years("dq_over", "Disqualify over age", "disqualify over")),
        ordered=(("dq_under", "flag_from", True), ("flag_from", "dq_over", False)))


@dataclass(frozen=True)
class BmiSettings:
    dq_under: float | None  # None: no lower limit (not a parameter of the carrier rule)
    dq_over: float
    flag_from: float


def check_bmi(s: BmiSettings, a: Answers, kind: ApplicantType) -> Iterator[Finding]:
    height, weight = a.number("height_cm"), a.number("weight_kg")
    value = bmi(height, weight)
    if value is None:
        return
    a.note("bmi", value)
    lo, hi = s.dq_under, s.dq_over
    band = f"between {fmt(lo)} and {fmt(hi)}" if lo is not None else f"of {fmt(hi)} or less"
    outside = (f"Our clinics need {plural(kind)} to have a BMI {band}, and the height and "
               f"weight you gave us work out to {fmt(value)}.")
    if lo is not None and value < lo:
        yield Finding(DQ, "BMI_UNDER_MIN", outside)
    elif value > hi:
        yield Finding(DQ, "BMI_OVER_MAX", outside)
    elif value >= s.flag_from:
        yield Finding(FLAG, "BMI_FLAG", f"Your BMI works out to {fmt(value)}, so a coordinator "
                      "will go over a few health questions with you.")


def _bmi(key: str, label: str, name: str) -> Param:
    return Param(key, label, FLOAT, name, 12, 60, 0.5)


def bmi_rule(defaults: BmiSettings, basis: str) -> Rule[BmiSettings]:
    """With a lower limit when the defaults have one (egg donors), else without."""
    flag, over = (_bmi("flag_from", "Flag from BMI", "flag from"),
                  _bmi("dq_over", "Disqualify over BMI", "disqualify over"))
    if defaults.dq_under is None:
        return Rule(
            "bmi", "BMI", "Worked out from height and weight: over the limit disqualifies; "
            "from the flag value up, a coordinator reviews.", check_bmi, defaults,
            topic="height and weight", questions=ASK_HEIGHT_WEIGHT, basis=basis,
            parameters=(flag, over), ordered=(("flag_from", "dq_over", False),))
    return Rule(
        "bmi", "BMI", "Worked out from height and weight: outside the range disqualifies; "
        "from the flag value up, a coordinator reviews.", check_bmi, defaults,
        topic="height and weight", questions=ASK_HEIGHT_WEIGHT, basis=basis,
        parameters=(_bmi("dq_under", "Disqualify under BMI", "disqualify under"), flag, over),
        ordered=(("dq_under", "flag_from", True), ("flag_from", "dq_over", False)))
