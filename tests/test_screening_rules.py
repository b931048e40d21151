"""The screening rules engine (domain/dq_rules): every default rule of DOMAIN.md
for both applicant types at its boundaries, missing data, disabled rules, thresholds read
from the settings, the overall outcome and its eligible date, and the JSON form.

Everything runs against a fixed TODAY; profiles start from one that passes every rule and
change only what a case is about. Heights are 100 cm so that the BMI equals the weight."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from orchid_desktop.domain.application_fields import BY_KEY, COMPLICATIONS
from orchid_desktop.domain.dq_rules import (
    NO_SETTINGS,
    Evaluation,
    Finding,
    Rule,
    RuleResult,
    add_months,
    default_rules,
    evaluate,
    registry_for,
)
from orchid_desktop.domain.vocab import ApplicantType, ScreeningOutcome

DONOR, CARRIER = ApplicantType.EGG_DONOR, ApplicantType.GESTATIONAL_CARRIER
PASS, DQ, FLAG, DEFER, NEEDS = (ScreeningOutcome.PASS, ScreeningOutcome.DQ,
                                ScreeningOutcome.FLAG, ScreeningOutcome.DEFER,
                                ScreeningOutcome.NEEDS_DATA)
TODAY = date(2026, 5, 17)
DAY = timedelta(days=1)


def months_ago(months: int) -> date:
    return add_months(TODAY, -months)


def born(age: int) -> date:
    """The date of birth of someone whose birthday of ``age`` is TODAY."""
    return months_ago(12 * age)


DONOR_OK = {
    "applicant_type": "egg_donor", "state": "CA", "date_of_birth": born(25),
    "height_cm": 100, "weight_kg": 22, "nicotine": "no", "drugs": "no",
    "injected_drugs": "no", "contraception": "none", "cycles": "regular",
    "prior_donation_cycles": 0, "heritable_disorder_self": "no",
    "heritable_disorder_family": "no", "adopted": "no", "psychiatric_treatment_now": "no",
    "antidepressants_now": "no", "tattoo_piercing_ever": "no", "sti_treated_ever": "no",
    "jail_ever": "no", "education": "some_college",
}
CARRIER_OK = {
    "applicant_type": "gestational_carrier", "state": "TX", "date_of_birth": born(30),
    "height_cm": 100, "weight_kg": 25, "term_deliveries": 2, "children_at_home": "yes",
    "vaginal_deliveries": 2, "c_sections": 0, "miscarriages": 0,
    **{f"complication_{key}": "no" for key, _ in COMPLICATIONS},
    "nicotine": "no", "drugs": "no", "partner_drug_use": "no",
    "government_assistance": "none", "residency": "us_citizen",
    "last_delivery_date": months_ago(24), "last_delivery_type": "vaginal",
    "breastfeeding": "no", "criminal_record": "none", "partner_criminal_record": "none",
}
BASE = {DONOR: DONOR_OK, CARRIER: CARRIER_OK}


def run(kind: ApplicantType, changes: dict | None = None, rules: dict | None = None,
        today: date = TODAY) -> Evaluation:
    profile = {**BASE[kind], **(changes or {})}
    return evaluate(kind, default_rules(kind) if rules is None else rules, profile, today)


def result(kind: ApplicantType, rule: str, changes: dict | None = None,
           rules: dict | None = None, today: date = TODAY) -> RuleResult:
    found = [r for r in run(kind, changes, rules, today).results if r.rule == rule]
    assert len(found) == 1, f"{rule}: {len(found)} results"
    return found[0]


def with_settings(kind: ApplicantType, rule: str, **changes) -> dict:
    rules = default_rules(kind)
    rules[rule].update(changes)
    return rules


def case(kind, rule, changes, outcome, code, *, id):
    return pytest.param(kind, rule, changes, outcome, code, id=f"{kind.value}-{rule}-{id}")


CASES = [
    # -- egg donor: age 21–34, FLAG from 31 -------------------------------------------
    case(DONOR, "age", {"date_of_birth": born(21)}, PASS, "AGE_OK", id="21st-birthday"),
    case(DONOR, "age", {"date_of_birth": born(21) + DAY}, DQ, "AGE_UNDER_MIN", id="day-before-21"),
    case(DONOR, "age", {"date_of_birth": born(31) + DAY}, PASS, "AGE_OK", id="30"),
    case(DONOR, "age", {"date_of_birth": born(31)}, FLAG, "AGE_FLAG", id="31"),
    case(DONOR, "age", {"date_of_birth": born(35) + DAY}, FLAG, "AGE_FLAG", id="34"),
    case(DONOR, "age", {"date_of_birth": born(35)}, DQ, "AGE_OVER_MAX", id="35"),
    case(DONOR, "age", {"date_of_birth": None}, NEEDS, "NEEDS_DATE_OF_BIRTH", id="missing"),
    case(DONOR, "age", {"date_of_birth": ""}, NEEDS, "NEEDS_DATE_OF_BIRTH", id="blank"),
    case(DONOR, "age", {"date_of_birth": born(25).isoformat()}, PASS, "AGE_OK", id="iso-text"),
    # -- egg donor: BMI 18.5–30, FLAG from 28 -------------------------------------------
    case(DONOR, "bmi", {"weight_kg": 18.4}, DQ, "BMI_UNDER_MIN", id="18.4"),
    case(DONOR, "bmi", {"weight_kg": 18.5}, PASS, "BMI_OK", id="18.5"),
    case(DONOR, "bmi", {"weight_kg": 27.9}, PASS, "BMI_OK", id="27.9"),
    case(DONOR, "bmi", {"weight_kg": 28}, FLAG, "BMI_FLAG", id="28"),
    case(DONOR, "bmi", {"weight_kg": 30}, FLAG, "BMI_FLAG", id="30"),
    case(DONOR, "bmi", {"weight_kg": Decimal("30.1")}, DQ, "BMI_OVER_MAX", id="30.1-decimal"),
    case(DONOR, "bmi", {"height_cm": None}, NEEDS, "NEEDS_HEIGHT_CM", id="no-height"),
    case(DONOR, "bmi", {"weight_kg": ""}, NEEDS, "NEEDS_WEIGHT_KG", id="no-weight"),
    # -- egg donor: nicotine -------------------------------------------------------------
    case(DONOR, "nicotine", {"nicotine": "yes"}, DQ, "NICOTINE_USE", id="yes"),
    case(DONOR, "nicotine", {"nicotine": "no"}, PASS, "NICOTINE_OK", id="no"),
    case(DONOR, "nicotine", {"nicotine": None}, NEEDS, "NEEDS_NICOTINE", id="missing"),
    # -- egg donor: drugs (THC; injected within 5 years) ---------------------------------
    case(DONOR, "drugs", {"drugs": "yes"}, DQ, "DRUGS_RECREATIONAL", id="thc"),
    case(DONOR, "drugs", {"injected_drugs": "yes", "injected_drugs_last_date": months_ago(60)},
         PASS, "DRUGS_OK", id="injected-5-years-ago"),
    case(DONOR, "drugs", {"injected_drugs": "yes",
                          "injected_drugs_last_date": months_ago(60) + DAY},
         DQ, "DRUGS_INJECTED", id="injected-within-5-years"),
    case(DONOR, "drugs", {"injected_drugs": "yes"}, NEEDS, "NEEDS_INJECTED_DRUGS_LAST_DATE",
         id="injected-no-date"),
    case(DONOR, "drugs", {"injected_drugs": None}, NEEDS, "NEEDS_INJECTED_DRUGS",
         id="injected-missing"),
    case(DONOR, "drugs", {"drugs": None}, NEEDS, "NEEDS_DRUGS", id="missing"),
    case(DONOR, "drugs", {"drugs": "yes", "injected_drugs": None}, DQ, "DRUGS_RECREATIONAL",
         id="dq-beats-missing"),
    # -- egg donor: contraception --------------------------------------------------------
    case(DONOR, "contraception", {"contraception": "pill"}, PASS, "CONTRACEPTION_OK", id="pill"),
    case(DONOR, "contraception", {"contraception": "hormonal_iud"}, FLAG, "CONTRACEPTION_FLAG",
         id="hormonal-iud"),
    case(DONOR, "contraception", {"contraception": "depo_provera"}, FLAG,
         "CONTRACEPTION_NOT_STOPPED", id="depo-not-stopped"),
    case(DONOR, "contraception", {"contraception": "arm_implant",
                                  "contraception_stopped_on": TODAY - 83 * DAY},
         DEFER, "CONTRACEPTION_DEFER", id="implant-83-days-ago"),
    case(DONOR, "contraception", {"contraception": "arm_implant",
                                  "contraception_stopped_on": TODAY - 84 * DAY},
         PASS, "CONTRACEPTION_OK", id="implant-3-cycles-ago"),
    case(DONOR, "contraception", {"contraception": None}, NEEDS, "NEEDS_CONTRACEPTION",
         id="missing"),
    # -- egg donor: cycles ---------------------------------------------------------------
    case(DONOR, "cycles", {"cycles": "regular"}, PASS, "CYCLES_OK", id="regular"),
    *(case(DONOR, "cycles", {"cycles": c}, FLAG, "CYCLES_FLAG", id=c)
      for c in ("irregular", "pcos", "endometriosis")),
    case(DONOR, "cycles", {"cycles": None}, NEEDS, "NEEDS_CYCLES", id="missing"),
    # -- egg donor: prior donations (6 or more → DQ) -------------------------------------
    case(DONOR, "prior_donations", {"prior_donation_cycles": 5}, PASS, "PRIOR_DONATIONS_OK",
         id="5"),
    case(DONOR, "prior_donations", {"prior_donation_cycles": 6}, DQ, "PRIOR_DONATIONS_MAX",
         id="6"),
    case(DONOR, "prior_donations", {"prior_donation_cycles": None}, NEEDS,
         "NEEDS_PRIOR_DONATION_CYCLES", id="missing"),
    # -- egg donor: genetics -------------------------------------------------------------
    case(DONOR, "genetics", {"heritable_disorder_self": "yes"}, FLAG, "GENETICS_SELF",
         id="self"),
    case(DONOR, "genetics", {"heritable_disorder_family": "yes"}, FLAG, "GENETICS_FAMILY",
         id="first-degree-relative"),
    case(DONOR, "genetics", {"adopted": "yes", "heritable_disorder_family": None}, FLAG,
         "GENETICS_ADOPTED_NO_HISTORY", id="adopted-without-history"),
    case(DONOR, "genetics", {"adopted": "yes", "family_medical_history": "Known: none"}, PASS,
         "GENETICS_OK", id="adopted-with-history"),
    case(DONOR, "genetics", {"heritable_disorder_self": None}, NEEDS,
         "NEEDS_HERITABLE_DISORDER_SELF", id="missing"),
    case(DONOR, "genetics", {"heritable_disorder_family": None}, NEEDS,
         "NEEDS_HERITABLE_DISORDER_FAMILY", id="family-missing"),
    # -- egg donor: psychiatric ----------------------------------------------------------
    case(DONOR, "psychiatric", {"psychiatric_treatment_now": "yes"}, FLAG,
         "PSYCHIATRIC_TREATMENT", id="treatment"),
    case(DONOR, "psychiatric", {"antidepressants_now": "yes"}, FLAG,
         "PSYCHIATRIC_ANTIDEPRESSANTS", id="antidepressants"),
    case(DONOR, "psychiatric", {"antidepressants_now": None}, NEEDS,
         "NEEDS_ANTIDEPRESSANTS_NOW", id="missing"),
    # -- egg donor: FDA risk factors (12 months; jail over 72 hours) ---------------------
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": "yes",
                             "tattoo_piercing_date": months_ago(12)},
         PASS, "FDA_RISK_OK", id="tattoo-12-months-ago"),
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": "yes",
                             "tattoo_piercing_date": months_ago(12) + DAY},
         FLAG, "FDA_TATTOO_PIERCING", id="tattoo-within-12-months"),
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": "yes"}, NEEDS,
         "NEEDS_TATTOO_PIERCING_DATE", id="tattoo-no-date"),
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": None, "tattoo_piercing_12m": "yes"},
         FLAG, "FDA_TATTOO_PIERCING", id="tattoo-last-12-months-answer"),
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": "yes", "tattoo_piercing_12m": "no"},
         PASS, "FDA_RISK_OK", id="tattoo-not-in-12-months-answer"),
    case(DONOR, "fda_risk", {"tattoo_piercing_ever": None}, NEEDS,
         "NEEDS_TATTOO_PIERCING_EVER", id="tattoo-missing"),
    case(DONOR, "fda_risk", {"sti_treated_ever": "yes", "sti_treated_date": months_ago(12)},
         PASS, "FDA_RISK_OK", id="sti-12-months-ago"),
    case(DONOR, "fda_risk", {"sti_treated_ever": "yes",
                             "sti_treated_date": months_ago(12) + DAY},
         FLAG, "FDA_STI_TREATED", id="sti-within-12-months"),
    case(DONOR, "fda_risk", {"sti_treated_ever": None}, NEEDS, "NEEDS_STI_TREATED_EVER",
         id="sti-missing"),
    case(DONOR, "fda_risk", {"jail_ever": "yes", "jail_last_release_date": TODAY - DAY,
                             "jail_last_hours": 72},
         PASS, "FDA_RISK_OK", id="jail-72-hours"),
    case(DONOR, "fda_risk", {"jail_ever": "yes", "jail_last_release_date": TODAY - DAY,
                             "jail_last_hours": 73},
         FLAG, "FDA_JAIL", id="jail-73-hours"),
    case(DONOR, "fda_risk", {"jail_ever": "yes", "jail_last_release_date": months_ago(12),
                             "jail_last_hours": 500},
         PASS, "FDA_RISK_OK", id="jail-12-months-ago"),
    case(DONOR, "fda_risk", {"jail_ever": "yes", "jail_last_release_date": TODAY - DAY},
         NEEDS, "NEEDS_JAIL_LAST_HOURS", id="jail-hours-missing"),
    case(DONOR, "fda_risk", {"jail_ever": None}, NEEDS, "NEEDS_JAIL_EVER", id="jail-missing"),
    # -- gestational carrier: age 21–45, FLAG from 40 ------------------------------------
    case(CARRIER, "age", {"date_of_birth": born(21)}, PASS, "AGE_OK", id="21st-birthday"),
    case(CARRIER, "age", {"date_of_birth": born(21) + DAY}, DQ, "AGE_UNDER_MIN",
         id="day-before-21"),
    case(CARRIER, "age", {"date_of_birth": born(40) + DAY}, PASS, "AGE_OK", id="39"),
    case(CARRIER, "age", {"date_of_birth": born(40)}, FLAG, "AGE_FLAG", id="40"),
    case(CARRIER, "age", {"date_of_birth": born(46) + DAY}, FLAG, "AGE_FLAG", id="45"),
    case(CARRIER, "age", {"date_of_birth": born(46)}, DQ, "AGE_OVER_MAX", id="46"),
    case(CARRIER, "age", {"date_of_birth": None}, NEEDS, "NEEDS_DATE_OF_BIRTH", id="missing"),
    # -- gestational carrier: parity -----------------------------------------------------
    case(CARRIER, "parity", {"term_deliveries": 0}, DQ, "PARITY_NO_TERM_DELIVERY", id="none"),
    case(CARRIER, "parity", {"term_deliveries": 1}, PASS, "PARITY_OK", id="one"),
    case(CARRIER, "parity", {"children_at_home": "no"}, FLAG, "PARITY_NOT_RAISING_CHILD",
         id="not-raising-child"),
    case(CARRIER, "parity", {"term_deliveries": None}, NEEDS, "NEEDS_TERM_DELIVERIES",
         id="missing"),
    case(CARRIER, "parity", {"children_at_home": None}, NEEDS, "NEEDS_CHILDREN_AT_HOME",
         id="children-missing"),
    # -- gestational carrier: deliveries (over 5 → DQ; over 3 C-sections → DQ; 3 → FLAG) -
    case(CARRIER, "deliveries", {"vaginal_deliveries": 3, "c_sections": 2}, PASS,
         "DELIVERIES_OK", id="5-deliveries-2-c-sections"),
    case(CARRIER, "deliveries", {"vaginal_deliveries": 4, "c_sections": 2}, DQ,
         "DELIVERIES_OVER_MAX", id="6-deliveries"),
    case(CARRIER, "deliveries", {"vaginal_deliveries": 0, "c_sections": 3}, FLAG,
         "C_SECTIONS_FLAG", id="3-c-sections"),
    case(CARRIER, "deliveries", {"vaginal_deliveries": 0, "c_sections": 4}, DQ,
         "C_SECTIONS_OVER_MAX", id="4-c-sections"),
    case(CARRIER, "deliveries", {"c_sections": None}, NEEDS, "NEEDS_C_SECTIONS", id="missing"),
    case(CARRIER, "deliveries", {"vaginal_deliveries": None, "c_sections": 4}, DQ,
         "C_SECTIONS_OVER_MAX", id="dq-beats-missing"),
    # -- gestational carrier: complications ----------------------------------------------
    *(case(CARRIER, "complications", {f"complication_{c}": "yes"}, FLAG,
           f"COMPLICATION_{c.upper()}", id=c) for c, _ in COMPLICATIONS),
    case(CARRIER, "complications", {"miscarriages": 2}, PASS, "COMPLICATIONS_OK",
         id="2-miscarriages"),
    case(CARRIER, "complications", {"miscarriages": 3}, FLAG, "MISCARRIAGES_FLAG",
         id="3-miscarriages"),
    case(CARRIER, "complications", {"complication_preeclampsia": None}, NEEDS,
         "NEEDS_COMPLICATION_PREECLAMPSIA", id="missing"),
    case(CARRIER, "complications", {"miscarriages": None}, NEEDS, "NEEDS_MISCARRIAGES",
         id="miscarriages-missing"),
    # -- gestational carrier: BMI up to 33, FLAG from 30 ---------------------------------
    case(CARRIER, "bmi", {"weight_kg": 16}, PASS, "BMI_OK", id="16-no-lower-limit"),
    case(CARRIER, "bmi", {"weight_kg": 29.9}, PASS, "BMI_OK", id="29.9"),
    case(CARRIER, "bmi", {"weight_kg": 30}, FLAG, "BMI_FLAG", id="30"),
    case(CARRIER, "bmi", {"weight_kg": 33}, FLAG, "BMI_FLAG", id="33"),
    case(CARRIER, "bmi", {"weight_kg": 33.1}, DQ, "BMI_OVER_MAX", id="33.1"),
    case(CARRIER, "bmi", {"weight_kg": None}, NEEDS, "NEEDS_WEIGHT_KG", id="missing"),
    # -- gestational carrier: nicotine and drugs in the household ------------------------
    case(CARRIER, "household_substances", {"nicotine": "yes"}, DQ, "HOUSEHOLD_NICOTINE",
         id="she-smokes"),
    case(CARRIER, "household_substances", {"drugs": "yes"}, DQ, "HOUSEHOLD_DRUGS",
         id="she-uses-thc"),
    case(CARRIER, "household_substances", {"partner_drug_use": "yes"}, DQ,
         "HOUSEHOLD_PARTNER_SUBSTANCES", id="partner-or-household"),
    case(CARRIER, "household_substances", {"partner_drug_use": None}, NEEDS,
         "NEEDS_PARTNER_DRUG_USE", id="missing"),
    # -- gestational carrier: assistance -------------------------------------------------
    case(CARRIER, "assistance", {"government_assistance": "none"}, PASS, "ASSISTANCE_OK",
         id="none"),
    *(case(CARRIER, "assistance", {"government_assistance": p}, DQ, "ASSISTANCE_DQ", id=p)
      for p in ("cash_assistance", "welfare", "public_housing", "section_8")),
    *(case(CARRIER, "assistance", {"government_assistance": p}, FLAG, "ASSISTANCE_FLAG", id=p)
      for p in ("medicaid", "snap", "wic")),
    case(CARRIER, "assistance", {"government_assistance": None}, NEEDS,
         "NEEDS_GOVERNMENT_ASSISTANCE", id="missing"),
    # -- gestational carrier: blocked states, residency ----------------------------------
    *(case(CARRIER, "state", {"state": s}, DQ, "STATE_BLOCKED", id=s) for s in ("LA", "NE", "ne")),
    case(CARRIER, "state", {"state": "TX"}, PASS, "STATE_OK", id="TX"),
    case(CARRIER, "state", {"state": ""}, NEEDS, "NEEDS_STATE", id="missing"),
    *(case(CARRIER, "residency", {"residency": r}, PASS, "RESIDENCY_OK", id=r)
      for r in ("us_citizen", "permanent_resident")),
    *(case(CARRIER, "residency", {"residency": r}, DQ, "RESIDENCY_NOT_ALLOWED", id=r)
      for r in ("visa", "other")),
    case(CARRIER, "residency", {"residency": None}, NEEDS, "NEEDS_RESIDENCY", id="missing"),
    # -- gestational carrier: postpartum (6 months vaginal, 12 C-section; breastfeeding) -
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(6)}, PASS, "POSTPARTUM_OK",
         id="vaginal-6-months"),
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(6) + DAY}, DEFER,
         "POSTPARTUM_DEFER", id="vaginal-day-before-6-months"),
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(12),
                                 "last_delivery_type": "c_section"},
         PASS, "POSTPARTUM_OK", id="c-section-12-months"),
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(12) + DAY,
                                 "last_delivery_type": "c_section"},
         DEFER, "POSTPARTUM_DEFER", id="c-section-day-before-12-months"),
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(8),
                                 "last_delivery_type": None},
         NEEDS, "NEEDS_LAST_DELIVERY_TYPE", id="type-needed-within-12-months"),
    case(CARRIER, "postpartum", {"last_delivery_date": months_ago(12),
                                 "last_delivery_type": None},
         PASS, "POSTPARTUM_OK", id="type-not-needed-after-12-months"),
    case(CARRIER, "postpartum", {"breastfeeding": "yes"}, FLAG, "BREASTFEEDING",
         id="breastfeeding"),
    case(CARRIER, "postpartum", {"breastfeeding": "yes", "last_delivery_date": months_ago(3)},
         DEFER, "POSTPARTUM_DEFER", id="defer-beats-flag"),
    case(CARRIER, "postpartum", {"last_delivery_date": None}, NEEDS,
         "NEEDS_LAST_DELIVERY_DATE", id="missing"),
    # -- gestational carrier: criminal history -------------------------------------------
    case(CARRIER, "criminal", {"criminal_record": "self_reported"}, FLAG,
         "CRIMINAL_SELF_REPORTED", id="self-reported"),
    case(CARRIER, "criminal", {"criminal_record": "confirmed"}, DQ, "CRIMINAL_CONFIRMED",
         id="confirmed"),
    case(CARRIER, "criminal", {"partner_criminal_record": "self_reported"}, FLAG,
         "PARTNER_CRIMINAL_SELF_REPORTED", id="partner-self-reported"),
    case(CARRIER, "criminal", {"partner_criminal_record": "confirmed"}, DQ,
         "PARTNER_CRIMINAL_CONFIRMED", id="partner-confirmed"),
    case(CARRIER, "criminal", {"partner_criminal_record": "no_partner"}, PASS, "CRIMINAL_OK",
         id="no-partner"),
    case(CARRIER, "criminal", {"partner_criminal_record": None}, NEEDS,
         "NEEDS_PARTNER_CRIMINAL_RECORD", id="missing"),
]


@pytest.mark.parametrize(("kind", "rule", "changes", "outcome", "code"), CASES)
def test_rule_boundaries(kind, rule, changes, outcome, code):
    got = result(kind, rule, changes)
    assert (got.outcome, got.code) == (outcome, code), got.message
    # one plain sentence, read to the applicant
    assert got.message[0].isupper() and got.message.endswith(".")
    assert not re.search(r"[.!?]\s", got.message), got.message


@pytest.mark.parametrize("kind", [DONOR, CARRIER])
def test_a_complete_profile_passes_every_enabled_rule(kind):
    evaluation = run(kind)
    assert evaluation.outcome is PASS and evaluation.eligible_on is None
    assert [r.rule for r in evaluation.results] == \
        [key for key, s in default_rules(kind).items() if s["enabled"]]
    assert evaluation.fired() == []
    assert all(r.code == f"{r.rule.upper()}_OK" for r in evaluation.results)


@pytest.mark.parametrize("kind", [DONOR, CARRIER])
def test_an_empty_profile_needs_data_for_every_rule(kind):
    evaluation = evaluate(kind, default_rules(kind), {}, TODAY)
    assert evaluation.outcome is NEEDS
    assert {r.outcome for r in evaluation.results} == {NEEDS}
    assert all(r.message.startswith("We still need to know ") and r.code.startswith("NEEDS_")
               for r in evaluation.results)


def test_needs_data_says_everything_that_is_missing():
    got = result(DONOR, "bmi", {"height_cm": None, "weight_kg": None})
    assert got.message == "We still need to know your height and your weight."
    assert got.inputs == {"height_cm": None, "weight_kg": None}


@pytest.mark.parametrize(("kind", "rule"), [(k, r) for k in (DONOR, CARRIER)
                                            for r in default_rules(k)])
def test_a_disabled_rule_gives_no_result(kind, rule):
    rules = with_settings(kind, rule, enabled=False)
    # even with nothing filled in, the disabled rule stays silent
    evaluation = evaluate(kind, rules, {}, TODAY)
    assert rule not in [r.rule for r in evaluation.results]
    assert len(evaluation.results) == sum(s["enabled"] for s in rules.values())


# (kind, rule, changed setting, profile change, outcome with the defaults, outcome after)
THRESHOLDS = [
    (DONOR, "age", {"dq_under": 22}, {"date_of_birth": born(21)}, PASS, DQ),
    (DONOR, "age", {"dq_over": 35}, {"date_of_birth": born(35)}, DQ, FLAG),
    (DONOR, "age", {"flag_from": 29}, {"date_of_birth": born(30)}, PASS, FLAG),
    (DONOR, "bmi", {"dq_over": 29.0}, {"weight_kg": 29.5}, FLAG, DQ),
    (DONOR, "bmi", {"dq_under": 19.0}, {"weight_kg": 18.7}, PASS, DQ),
    (DONOR, "bmi", {"flag_from": 29.0}, {"weight_kg": 28.5}, FLAG, PASS),
    (DONOR, "drugs", {"injected_lookback_years": 6},
     {"injected_drugs": "yes", "injected_drugs_last_date": months_ago(66)}, PASS, DQ),
    (DONOR, "contraception", {"flag_methods": ["copper_iud"]}, {"contraception": "copper_iud"},
     PASS, FLAG),
    (DONOR, "contraception", {"defer_methods": ["pill"]}, {"contraception": "pill"},
     PASS, FLAG),
    (DONOR, "contraception", {"regular_cycles_after_stopping": 4},
     {"contraception": "depo_provera", "contraception_stopped_on": TODAY - 100 * DAY},
     PASS, DEFER),
    (DONOR, "cycles", {"flag_conditions": ["pcos"]}, {"cycles": "irregular"}, FLAG, PASS),
    (DONOR, "prior_donations", {"dq_at_cycles": 5}, {"prior_donation_cycles": 5}, PASS, DQ),
    (DONOR, "genetics", {"flag_adopted_without_history": False}, {"adopted": "yes"},
     FLAG, PASS),
    (DONOR, "fda_risk", {"lookback_months": 6},
     {"sti_treated_ever": "yes", "sti_treated_date": months_ago(8)}, FLAG, PASS),
    (DONOR, "fda_risk", {"lookback_months": 24},
     {"tattoo_piercing_ever": "yes", "tattoo_piercing_date": months_ago(18)}, PASS, FLAG),
    (DONOR, "fda_risk", {"jail_hours": 24},
     {"jail_ever": "yes", "jail_last_release_date": TODAY, "jail_last_hours": 48}, PASS, FLAG),
    (CARRIER, "age", {"dq_over": 44}, {"date_of_birth": born(45)}, FLAG, DQ),
    (CARRIER, "parity", {"flag_not_raising_child": False}, {"children_at_home": "no"},
     FLAG, PASS),
    (CARRIER, "deliveries", {"dq_over_deliveries": 4},
     {"vaginal_deliveries": 5, "c_sections": 0}, PASS, DQ),
    (CARRIER, "deliveries", {"dq_over_c_sections": 2, "flag_at_c_sections": 2},
     {"vaginal_deliveries": 0, "c_sections": 3}, FLAG, DQ),
    (CARRIER, "deliveries", {"flag_at_c_sections": 2},
     {"vaginal_deliveries": 0, "c_sections": 2}, PASS, FLAG),
    (CARRIER, "complications", {"flag_conditions": ["hypertension"]},
     {"complication_preeclampsia": "yes"}, FLAG, PASS),
    (CARRIER, "complications", {"flag_over_miscarriages": 1}, {"miscarriages": 2}, PASS, FLAG),
    (CARRIER, "bmi", {"dq_over": 35.0}, {"weight_kg": 34}, DQ, FLAG),
    (CARRIER, "bmi", {"flag_from": 32.0}, {"weight_kg": 31}, FLAG, PASS),
    (CARRIER, "assistance", {"dq_programs": ["medicaid"], "flag_programs": []},
     {"government_assistance": "medicaid"}, FLAG, DQ),
    (CARRIER, "assistance", {"dq_programs": [], "flag_programs": ["section_8"]},
     {"government_assistance": "section_8"}, DQ, FLAG),
    (CARRIER, "state", {"blocked_states": ["LA", "NE", "TX"]}, {"state": "TX"}, PASS, DQ),
    (CARRIER, "state", {"blocked_states": ["NE"]}, {"state": "LA"}, DQ, PASS),
    (CARRIER, "residency", {"allowed": ["us_citizen"]}, {"residency": "permanent_resident"},
     PASS, DQ),
    (CARRIER, "postpartum", {"months_after_vaginal": 3}, {"last_delivery_date": months_ago(4)},
     DEFER, PASS),
    (CARRIER, "postpartum", {"months_after_c_section": 18},
     {"last_delivery_date": months_ago(15), "last_delivery_type": "c_section"}, PASS, DEFER),
    (CARRIER, "postpartum", {"flag_breastfeeding": False}, {"breastfeeding": "yes"},
     FLAG, PASS),
]


@pytest.mark.parametrize(("kind", "rule", "setting", "changes", "before", "after"), THRESHOLDS,
                         ids=lambda v: "-".join(v) if isinstance(v, dict) else None)
def test_thresholds_are_read_from_the_settings(kind, rule, setting, changes, before, after):
    assert result(kind, rule, changes).outcome is before
    assert result(kind, rule, changes, with_settings(kind, rule, **setting)).outcome is after


def test_messages_use_the_settings():
    assert "30 days" in result(DONOR, "nicotine", {"nicotine": "yes"},
                               with_settings(DONOR, "nicotine", reapply_after_days=30)).message
    assert "Texas" in result(CARRIER, "state", {"state": "TX"},
                             with_settings(CARRIER, "state", blocked_states=["TX"])).message


def test_education_is_off_by_default_and_flags_below_the_minimum_when_on():
    assert "education" not in [r.rule for r in run(DONOR).results]
    on = with_settings(DONOR, "education", enabled=True)
    rows = [("below_high_school", FLAG, "EDUCATION_BELOW_MIN"), ("high_school", PASS,
            "EDUCATION_OK"), (None, NEEDS, "NEEDS_EDUCATION")]
    for level, outcome, code in rows:
        got = result(DONOR, "education", {"education": level}, on)
        assert (got.outcome, got.code) == (outcome, code)
    raised = with_settings(DONOR, "education", enabled=True, minimum="bachelor")
    assert result(DONOR, "education", {"education": "some_college"}, raised).outcome is FLAG


def test_age_message_gives_the_day_of_the_21st_birthday():
    got = result(DONOR, "age", {"date_of_birth": date(2006, 5, 17)}, today=date(2027, 5, 16))
    assert got.message == ("Egg donors need to be between 21 and 34; "
                           "you can apply from 2027-05-17.")
    assert got.inputs == {"date_of_birth": "2006-05-17", "age": 20}


@pytest.mark.parametrize(("today", "outcome"), [(date(2025, 2, 28), DQ),
                                                (date(2025, 3, 1), PASS),
                                                (date(2028, 2, 28), PASS)])
def test_a_leap_day_birthday_counts_from_1_march_in_common_years(today, outcome):
    got = result(DONOR, "age", {"date_of_birth": date(2004, 2, 29)}, today=today)
    assert got.outcome is outcome
    if outcome is DQ:
        assert got.message.endswith("you can apply from 2025-03-01.")


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 15), 6, date(2026, 7, 15)),
    (date(2025, 8, 31), 6, date(2026, 3, 1)),     # no 31 February: the next day
    (date(2024, 2, 29), 12, date(2025, 3, 1)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2026, 5, 17), -6, date(2025, 11, 17)),
    (date(2026, 12, 1), 1, date(2027, 1, 1)),
])
def test_add_months_counts_calendar_months(start, months, expected):
    assert add_months(start, months) == expected


def test_postpartum_defers_to_the_eligible_day_in_calendar_months():
    rules = default_rules(CARRIER)
    born_on = {"last_delivery_date": date(2025, 8, 31), "last_delivery_type": "vaginal"}
    deferred = run(CARRIER, born_on, rules, today=date(2026, 2, 28))
    assert deferred.outcome is DEFER and deferred.eligible_on == date(2026, 3, 1)
    assert result(CARRIER, "postpartum", born_on, today=date(2026, 3, 1)).outcome is PASS
    c_section = result(CARRIER, "postpartum", {"last_delivery_date": date(2026, 1, 10),
                                               "last_delivery_type": "c_section"})
    assert c_section.eligible_on == date(2027, 1, 10)
    assert c_section.message == ("Carriers need at least 12 months to recover after a "
                                 "C-section, so you can apply from 2027-01-10.")


def test_contraception_defers_regular_cycles_after_stopping():
    stopped = date(2026, 5, 1)
    got = run(DONOR, {"contraception": "depo_provera", "contraception_stopped_on": stopped})
    assert got.outcome is DEFER
    assert got.eligible_on == stopped + timedelta(days=3 * 28) == date(2026, 7, 24)
    assert got.fired()[0].message.endswith("so you can apply from 2026-07-24.")


@pytest.mark.parametrize(("kind", "changes", "outcome"), [
    # DQ > DEFER > NEEDS_DATA > FLAG > PASS
    (CARRIER, {"state": "LA", "last_delivery_date": months_ago(1), "nicotine": None,
               "breastfeeding": "yes"}, DQ),
    (CARRIER, {"last_delivery_date": months_ago(1), "nicotine": None, "miscarriages": 5}, DEFER),
    (CARRIER, {"nicotine": None, "miscarriages": 5}, NEEDS),
    (CARRIER, {"miscarriages": 5}, FLAG),
    (DONOR, {"contraception": "arm_implant", "contraception_stopped_on": TODAY,
             "cycles": None, "nicotine": "yes"}, DQ),
    (DONOR, {"contraception": "arm_implant", "contraception_stopped_on": TODAY,
             "cycles": None}, DEFER),
    (DONOR, {"cycles": None, "weight_kg": 29}, NEEDS),
    (DONOR, {"weight_kg": 29}, FLAG),
    (DONOR, {}, PASS),
])
def test_overall_outcome_takes_the_most_severe_rule(kind, changes, outcome):
    evaluation = run(kind, changes)
    assert evaluation.outcome is outcome
    assert (evaluation.eligible_on is not None) == (outcome is DEFER)
    assert len(evaluation.fired()) == sum(r.outcome is not PASS for r in evaluation.results)


def test_overall_eligible_on_is_the_latest_deferral():
    later = TODAY + timedelta(days=400)
    waiting_list = Rule("waiting_list", "Waiting list", "Everyone waits.", lambda s, a, kind: [
        Finding(DEFER, "WAIT", "You can apply from later.", later)], NO_SETTINGS,
        topic="waiting", questions={})
    rules = {**default_rules(CARRIER), "waiting_list": {"enabled": True}}
    with registry_for(CARRIER).temporarily(waiting_list):
        evaluation = run(CARRIER, {"last_delivery_date": months_ago(1)}, rules)
    assert evaluation.outcome is DEFER
    assert [r.eligible_on for r in evaluation.fired()] == [add_months(months_ago(1), 6), later]
    assert evaluation.eligible_on == later


def test_to_json_is_json_safe_and_keeps_dates_as_iso_strings():
    evaluation = run(CARRIER, {"last_delivery_date": date(2026, 3, 2),
                               "weight_kg": Decimal("31.5")})
    data = json.loads(json.dumps(evaluation.to_json()))
    assert data == evaluation.to_json()
    postpartum = next(r for r in data if r["rule"] == "postpartum")
    assert postpartum == {
        "rule": "postpartum", "outcome": "defer", "code": "POSTPARTUM_DEFER",
        "message": postpartum["message"], "eligible_on": "2026-09-02",
        "inputs": {"breastfeeding": "no", "last_delivery_date": "2026-03-02",
                   "last_delivery_type": "vaginal"}}
    assert date.fromisoformat(postpartum["eligible_on"]) == evaluation.eligible_on
    bmi_row = next(r for r in data if r["rule"] == "bmi")
    assert bmi_row["inputs"] == {"height_cm": 100, "weight_kg": 31.5, "bmi": 31.5}
    assert bmi_row["outcome"] == "flag" and bmi_row["eligible_on"] is None


@pytest.mark.parametrize(("kind", "rules"), [
    (ApplicantType.OTHER, default_rules(DONOR)),
    (ApplicantType.OTHER, {}),
    (DONOR, {}),
])
def test_types_that_are_not_screened_pass_with_no_results(kind, rules):
    assert evaluate(kind, rules, {}, TODAY) == Evaluation(PASS, None, ())


def test_a_rule_from_a_newer_release_is_flagged_for_review_not_passed_or_crashed():
    """A newer workstation on the same shared database added a rule this one lacks."""
    evaluation = evaluate(DONOR, {**default_rules(DONOR), "zika": {"enabled": True}},
                          DONOR_OK, TODAY)
    unknown = next(r for r in evaluation.results if r.rule == "zika")
    assert (unknown.outcome, unknown.code) == (ScreeningOutcome.FLAG, "UNKNOWN_RULE")
    assert "newer Orchid Desktop" in unknown.message
    assert evaluation.outcome is ScreeningOutcome.FLAG
    switched_off = evaluate(DONOR, {**default_rules(DONOR), "zika": {"enabled": False}},
                            DONOR_OK, TODAY)
    assert switched_off.outcome is PASS


def test_every_field_a_rule_reads_is_in_the_catalogue_for_its_type():
    for kind, rule, changes, _, _ in (p.values for p in CASES):
        for key in result(kind, rule, changes).inputs:
            assert key in ("state", "age", "bmi") or BY_KEY[key].applies(kind), (rule, key)
    for key in ("contraception_stopped_on", "criminal_record", "partner_criminal_record",
                "jail_last_hours", "heritable_disorder_family", "last_delivery_type"):
        assert BY_KEY[key].sensitive
