"""The gestational-carrier rules of DOMAIN.md ("Default DQ rules: gestational carrier"),
each declared once: its settings, its check, how staff and applicants read it, and its
agency defaults.

The order of ``RULES`` is the order first run stores them and the engine runs them. A rule
added here reaches existing databases at their next start (services/screening_upgrade.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..application_fields import ASSISTANCE, COMPLICATIONS, RESIDENCY
from ..us_states import US_STATES
from ..vocab import ApplicantType
from .answers import Answers, add_months, when_yes
from .outcomes import DEFER, DQ, FLAG, Finding
from .params import BOOL, CHOICES, DATE, INT, Param
from .shared import AgeSettings, BmiSettings, age_rule, bmi_rule
from .spec import NO_SETTINGS, NoSettings, Rule, RuleRegistry
from .wording import ASK_DRUGS, ASK_NICOTINE, NOT_GOING_AHEAD, fmt, label_of, lower_label

Kind = ApplicantType
PREGNANCY_REVIEW = "a coordinator will go over your pregnancy history with you"
ASSISTANCE_PROGRAMS = tuple(c for c in ASSISTANCE if c[0] != "none")  # "None" is an answer
STATES = tuple((code, f"{code} — {name}") for code, name in US_STATES.items())


# ---- pregnancies --------------------------------------------------------------------------

@dataclass(frozen=True)
class ParitySettings:
    flag_not_raising_child: bool


def check_parity(s: ParitySettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    term = a.number("term_deliveries")
    if term is not None and term < 1:
        yield Finding(DQ, "PARITY_NO_TERM_DELIVERY", "Carriers need to have given birth to at "
                      f"least one full-term baby of their own, so {NOT_GOING_AHEAD}.")
    if s.flag_not_raising_child and a.yes("children_at_home") is False:
        yield Finding(FLAG, "PARITY_NOT_RAISING_CHILD", "A coordinator will talk with you about "
                      "your family, as we usually work with carriers who are raising a child.")


@dataclass(frozen=True)
class DeliveriesSettings:
    dq_over_deliveries: int
    dq_over_c_sections: int
    flag_at_c_sections: int


def check_deliveries(s: DeliveriesSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    vaginal, c_sections = a.number("vaginal_deliveries"), a.number("c_sections")
    if c_sections is None:
        return
    most, most_c = s.dq_over_deliveries, s.dq_over_c_sections
    if vaginal is not None and vaginal + c_sections > most:
        yield Finding(DQ, "DELIVERIES_OVER_MAX", "For your own health, our clinics work with "
                      f"carriers who have had no more than {most} deliveries, so "
                      f"{NOT_GOING_AHEAD}.")
    if c_sections > most_c:
        yield Finding(DQ, "C_SECTIONS_OVER_MAX", "For your own health, our clinics work with "
                      f"carriers who have had no more than {most_c} C-sections, so "
                      f"{NOT_GOING_AHEAD}.")
    elif c_sections >= s.flag_at_c_sections:
        yield Finding(FLAG, "C_SECTIONS_FLAG", f"Because you've had {fmt(c_sections)} "
                      f"C-sections, {PREGNANCY_REVIEW}.")


@dataclass(frozen=True)
class ComplicationsSettings:
    flag_conditions: tuple[str, ...]
    flag_over_miscarriages: int


def check_complications(s: ComplicationsSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    names = dict(COMPLICATIONS)
    unknown = [c for c in s.flag_conditions if c not in names]
    if unknown:
        raise ValueError(f"Unknown pregnancy complications in the settings: {unknown}.")
    yield from when_yes(a, [(f"complication_{c}", Finding(
        FLAG, f"COMPLICATION_{c.upper()}", f"Because of the {lower_label(names[c])} you told us "
        f"about, {PREGNANCY_REVIEW}.")) for c in s.flag_conditions])
    miscarriages = a.number("miscarriages")
    if miscarriages is not None and miscarriages > s.flag_over_miscarriages:
        yield Finding(FLAG, "MISCARRIAGES_FLAG", "We're sorry for the losses you told us about; "
                      f"{PREGNANCY_REVIEW}.")


@dataclass(frozen=True)
class PostpartumSettings:
    months_after_vaginal: int
    months_after_c_section: int
    flag_breastfeeding: bool


def check_postpartum(s: PostpartumSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    if s.flag_breastfeeding and a.yes("breastfeeding"):
        yield Finding(FLAG, "BREASTFEEDING", "A coordinator will talk with you about timing, "
                      "since carriers need to have finished breastfeeding before starting.")
    last = a.date("last_delivery_date")
    if last is None:
        return
    months = {"vaginal": s.months_after_vaginal, "c_section": s.months_after_c_section}
    # the kind of delivery matters only while the longer wait is still running
    kind_needed = a.today < add_months(last, max(months.values()))
    delivery = a.choice("last_delivery_type", required=kind_needed)
    if kind_needed and delivery in months:
        eligible = add_months(last, months[delivery])
        if a.today < eligible:
            after = "a vaginal birth" if delivery == "vaginal" else "a C-section"
            yield Finding(DEFER, "POSTPARTUM_DEFER", f"Carriers need at least "
                          f"{months[delivery]} months to recover after {after}, so you can "
                          f"apply from {eligible.isoformat()}.", eligible)


# ---- household, finances, where she lives, background -------------------------------------

def check_household_substances(s: NoSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    message = ("For the baby's health, carriers and everyone they live with need to be free "
               f"of nicotine and drugs, so {NOT_GOING_AHEAD}.")
    yield from when_yes(a, [(key, Finding(DQ, code, message)) for key, code in (
        ("nicotine", "HOUSEHOLD_NICOTINE"), ("drugs", "HOUSEHOLD_DRUGS"),
        ("partner_drug_use", "HOUSEHOLD_PARTNER_SUBSTANCES"))])


@dataclass(frozen=True)
class AssistanceSettings:
    dq_programs: tuple[str, ...]
    flag_programs: tuple[str, ...]


def check_assistance(s: AssistanceSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    program = a.choice("government_assistance")
    if program is None:
        return
    name = label_of("government_assistance", program)
    if program in s.dq_programs:
        yield Finding(DQ, "ASSISTANCE_DQ", "Our guidelines ask that carriers not be receiving "
                      f"this kind of government assistance ({name}) during a journey, so "
                      f"{NOT_GOING_AHEAD} right now.")
    elif program in s.flag_programs:
        yield Finding(FLAG, "ASSISTANCE_FLAG", "A coordinator will talk with you about the "
                      f"government assistance you receive ({name}), since it can affect how a "
                      "journey is set up.")


@dataclass(frozen=True)
class StateSettings:
    blocked_states: tuple[str, ...]
    reviewed_on: str  # ISO date: when someone last checked the list against the laws


def check_state(s: StateSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    state = (a.choice("state") or "").upper()
    if state and state in {code.upper() for code in s.blocked_states}:
        yield Finding(DQ, "STATE_BLOCKED", f"Because of {US_STATES.get(state, state)}'s "
                      "surrogacy laws, we aren't able to work with carriers who live there.")


@dataclass(frozen=True)
class ResidencySettings:
    allowed: tuple[str, ...]


def check_residency(s: ResidencySettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    status = a.choice("residency")
    if status is not None and status not in s.allowed:
        allowed = " or a ".join(lower_label(label_of("residency", k)) for k in s.allowed)
        yield Finding(DQ, "RESIDENCY_NOT_ALLOWED", f"Carriers need to be a {allowed}, so "
                      f"{NOT_GOING_AHEAD}.")


def check_criminal(s: NoSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    for key, code, whose in (("criminal_record", "CRIMINAL", "your"),
                             ("partner_criminal_record", "PARTNER_CRIMINAL", "your partner's")):
        status = a.choice(key)
        if status == "confirmed":
            yield Finding(DQ, f"{code}_CONFIRMED", f"Because of what {whose} background check "
                          f"showed, {NOT_GOING_AHEAD}.")
        elif status == "self_reported":
            yield Finding(FLAG, f"{code}_SELF_REPORTED", "A coordinator will talk with you "
                          f"about {whose} answer to the background question.")


# ---- the rules ------------------------------------------------------------------------------

COMPLICATION_QUESTIONS = {
    "complication_preterm_birth": "whether you've had a preterm birth",
    "complication_preeclampsia": "whether you've had preeclampsia",
    "complication_gestational_diabetes": "whether you've had gestational diabetes",
    "complication_hypertension": "whether you've had high blood pressure in pregnancy",
}

RULES = RuleRegistry(ApplicantType.GESTATIONAL_CARRIER, [
    age_rule(AgeSettings(dq_under=21, dq_over=45, flag_from=40),
             "ASRM gestational-carrier recommendations (2022) give 21–45"),
    Rule("parity", "Prior births", "Without a full-term delivery of her own she is "
         "disqualified.", check_parity, ParitySettings(flag_not_raising_child=True),
         topic="pregnancy", questions={
             "term_deliveries": "how many full-term births you've had",
             "children_at_home": "whether you are raising a child at home"},
         parameters=(Param("flag_not_raising_child", "Flag if not raising a child at home",
                           BOOL, "flag not raising a child"),),
         basis="ASRM 2022: at least one prior term delivery"),
    Rule("deliveries", "Deliveries and C-sections", "Too many deliveries or C-sections "
         "disqualify; from the flag count, a coordinator reviews.", check_deliveries,
         DeliveriesSettings(dq_over_deliveries=5, dq_over_c_sections=3, flag_at_c_sections=3),
         topic="delivery", questions={
             "vaginal_deliveries": "how many vaginal deliveries you've had",
             "c_sections": "how many C-sections you've had"},
         parameters=(Param("dq_over_deliveries", "Disqualify over", INT,
                           "disqualify over deliveries", 1, 15, suffix=" deliveries"),
                     Param("flag_at_c_sections", "Flag from", INT, "flag from C-sections",
                           1, 10, suffix=" C-sections"),
                     Param("dq_over_c_sections", "Disqualify over", INT,
                           "disqualify over C-sections", 0, 10, suffix=" C-sections")),
         ordered=(("flag_at_c_sections", "dq_over_c_sections", False),),
         basis="ASRM 2022; clinics often cap C-sections at 2"),
    Rule("complications", "Pregnancy complications", "The complications and miscarriages "
         "that send an application to a coordinator.", check_complications,
         ComplicationsSettings(flag_conditions=("preterm_birth", "preeclampsia",
                                                "gestational_diabetes", "hypertension"),
                               flag_over_miscarriages=2),
         topic="pregnancy health", questions={
             **COMPLICATION_QUESTIONS, "miscarriages": "how many miscarriages you've had"},
         parameters=(Param("flag_conditions", "Flag", CHOICES, "flag conditions",
                           choices=COMPLICATIONS),
                     Param("flag_over_miscarriages", "Flag over", INT,
                           "flag over miscarriages", 0, 20, suffix=" miscarriages")),
         basis="agency practice"),
    bmi_rule(BmiSettings(dq_under=None, dq_over=33.0, flag_from=30.0),
             "agency caps range 30–35"),
    Rule("household_substances", "Smoke- and drug-free home", "Nicotine or drugs used by "
         "her, her partner or anyone at home disqualify.", check_household_substances,
         NO_SETTINGS, topic="smoke- and drug-free home", questions={
             **ASK_NICOTINE, **ASK_DRUGS,
             "partner_drug_use": "whether your partner or anyone at home uses nicotine or "
                                 "drugs"},
         basis="ASRM summary; agency practice (she, partner or household)"),
    Rule("assistance", "Government assistance", "Programmes that disqualify while received, "
         "and those a coordinator talks through.", check_assistance,
         AssistanceSettings(dq_programs=("cash_assistance", "welfare", "public_housing",
                                         "section_8"),
                            flag_programs=("medicaid", "snap", "wic")),
         topic="household finance", questions={
             "government_assistance": "whether you receive government assistance"},
         parameters=(Param("dq_programs", "Disqualify", CHOICES, "disqualify programs",
                           choices=ASSISTANCE_PROGRAMS),
                     Param("flag_programs", "Flag", CHOICES, "flag programs",
                           choices=ASSISTANCE_PROGRAMS)),
         disjoint=(("dq_programs", "flag_programs"),), basis="agency practice"),
    Rule("state", "State law", "Carriers living in a blocked state are disqualified; review "
         "the list whenever surrogacy laws change.", check_state,
         StateSettings(blocked_states=("LA", "NE"), reviewed_on="2026-11-01"),
         topic="state", questions={"state": "which state you live in"},
         parameters=(Param("blocked_states", "Blocked states", CHOICES, "blocked states",
                           choices=STATES),
                     Param("reviewed_on", "Last reviewed", DATE, "last reviewed")),
         basis="state surrogacy law; review the list when laws change"),
    Rule("residency", "Citizenship / residency", "Any other status disqualifies.",
         check_residency, ResidencySettings(allowed=("us_citizen", "permanent_resident")),
         topic="residency", questions={"residency": "your citizenship or residency"},
         parameters=(Param("allowed", "Accept", CHOICES, "accepted statuses",
                           choices=RESIDENCY, non_empty=True),),
         basis="agency practice"),
    Rule("postpartum", "Recovery after a birth", "Defers until enough time has passed since "
         "her last delivery.", check_postpartum,
         PostpartumSettings(months_after_vaginal=6, months_after_c_section=12,
                            flag_breastfeeding=True),
         topic="recovery time", questions={
             "breastfeeding": "whether you are breastfeeding now",
             "last_delivery_date": "the date of your last delivery",
             "last_delivery_type": "whether your last delivery was vaginal or a C-section"},
         parameters=(Param("months_after_vaginal", "After a vaginal birth", INT,
                           "months after a vaginal birth", 0, 36, suffix=" months"),
                     Param("months_after_c_section", "After a C-section", INT,
                           "months after a C-section", 0, 36, suffix=" months"),
                     Param("flag_breastfeeding", "Flag if breastfeeding now", BOOL,
                           "flag breastfeeding")),
         basis="agency practice (some use 3/6 months)"),
    Rule("criminal", "Background", "A felony or child-abuse finding for her or her partner: "
         "self-reported goes to a coordinator, confirmed disqualifies.", check_criminal,
         NO_SETTINGS, topic="background", questions={
             "criminal_record": "your answer to the background question",
             "partner_criminal_record": "your partner's answer to the background question"},
         basis="agency practice: self-reported → flag, confirmed → DQ"),
])
