"""The egg-donor rules of DOMAIN.md ("Default DQ rules: egg donor"), each declared once:
its settings, its check, how staff and applicants read it, and its agency defaults.

The order of ``RULES`` is the order first run stores them and the engine runs them. A rule
added here reaches existing databases at their next start (services/screening_upgrade.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from ..application_fields import CONTRACEPTION, CYCLES, EDUCATION
from ..vocab import ApplicantType
from .answers import Answers, recent, when_yes
from .outcomes import DEFER, DQ, FLAG, Finding
from .params import BOOL, CHOICE, CHOICES, INT, Param
from .shared import AgeSettings, BmiSettings, age_rule, bmi_rule
from .spec import NO_SETTINGS, NoSettings, Rule, RuleRegistry
from .wording import ASK_DRUGS, ASK_NICOTINE, NOT_GOING_AHEAD, fmt, label_of, lower_label

Kind = ApplicantType
DAYS_PER_CYCLE = 28
# "None" / "Regular" are answers, never something to disqualify or flag on
CONTRACEPTION_METHODS = tuple(c for c in CONTRACEPTION if c[0] != "none")
CYCLE_CONDITIONS = tuple(c for c in CYCLES if c[0] != "regular")


# ---- nicotine, drugs ----------------------------------------------------------------------

@dataclass(frozen=True)
class NicotineSettings:
    reapply_after_days: int


def check_nicotine(s: NicotineSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    yield from when_yes(a, [("nicotine", Finding(
        DQ, "NICOTINE_USE", "Our clinics need donors to be nicotine-free, so you're welcome "
        f"to apply again once you've gone {s.reapply_after_days} days without smoking, "
        "vaping or nicotine."))])


@dataclass(frozen=True)
class DrugsSettings:
    injected_lookback_years: int


def check_drugs(s: DrugsSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    years = s.injected_lookback_years
    yield from when_yes(a, [("drugs", Finding(
        DQ, "DRUGS_RECREATIONAL", "Our clinics can't accept donors who use THC or other "
        f"recreational drugs, so {NOT_GOING_AHEAD}."))])
    if recent(a, "injected_drugs", "injected_drugs_last_date", 12 * years):
        yield Finding(DQ, "DRUGS_INJECTED", "Because you told us about injecting drugs in the "
                      f"last {years} years, {NOT_GOING_AHEAD}.")


# ---- contraception, cycles, prior donations -----------------------------------------------

@dataclass(frozen=True)
class ContraceptionSettings:
    defer_methods: tuple[str, ...]
    flag_methods: tuple[str, ...]
    regular_cycles_after_stopping: int


def check_contraception(s: ContraceptionSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    method = a.choice("contraception")
    if method is None:
        return
    yours = f"your birth control ({label_of('contraception', method)})"
    if method in s.flag_methods:
        yield Finding(FLAG, "CONTRACEPTION_FLAG", f"A coordinator will talk with you about "
                      f"{yours} before we go further.")
    if method not in s.defer_methods:
        return
    cycles = s.regular_cycles_after_stopping
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


@dataclass(frozen=True)
class CyclesSettings:
    flag_conditions: tuple[str, ...]


def check_cycles(s: CyclesSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    cycles = a.choice("cycles")
    if cycles in s.flag_conditions:
        yield Finding(FLAG, "CYCLES_FLAG", "A coordinator will go over what you told us about "
                      f"your cycles ({label_of('cycles', cycles)}) with you.")


@dataclass(frozen=True)
class PriorDonationsSettings:
    dq_at_cycles: int


def check_prior_donations(s: PriorDonationsSettings, a: Answers,
                          kind: Kind) -> Iterator[Finding]:
    done, limit = a.number("prior_donation_cycles"), s.dq_at_cycles
    if done is not None and done >= limit:
        yield Finding(DQ, "PRIOR_DONATIONS_MAX", f"Our guidelines allow fewer than {limit} "
                      f"donation cycles in all, and you've already completed {fmt(done)}, so "
                      "we aren't able to go ahead; thank you for everything you've given.")


# ---- genetics, mental health, FDA risk factors, education ---------------------------------

@dataclass(frozen=True)
class GeneticsSettings:
    flag_adopted_without_history: bool


def check_genetics(s: GeneticsSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    review = "a coordinator will go over your family health history with you"
    yield from when_yes(a, [("heritable_disorder_self", Finding(
        FLAG, "GENETICS_SELF", f"Because of the inherited condition you told us about, "
                               f"{review}."))])
    adopted = a.yes("adopted")
    if adopted and not a.choice("family_medical_history", required=False):
        if s.flag_adopted_without_history:
            yield Finding(FLAG, "GENETICS_ADOPTED_NO_HISTORY", "Because you were adopted and "
                          f"your birth family's health history isn't known, {review}.")
        return
    yield from when_yes(a, [("heritable_disorder_family", Finding(
        FLAG, "GENETICS_FAMILY", "Because of the inherited condition in your family, "
                                 f"{review}."))])


def check_psychiatric(s: NoSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    message = "A coordinator will talk with you about the mental-health care you told us about."
    yield from when_yes(a, [("psychiatric_treatment_now",
                             Finding(FLAG, "PSYCHIATRIC_TREATMENT", message)),
                            ("antidepressants_now",
                             Finding(FLAG, "PSYCHIATRIC_ANTIDEPRESSANTS", message))])


@dataclass(frozen=True)
class FdaRiskSettings:
    lookback_months: int
    jail_hours: int


def check_fda_risk(s: FdaRiskSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    months, hours = s.lookback_months, s.jail_hours
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


@dataclass(frozen=True)
class EducationSettings:
    minimum: str


def check_education(s: EducationSettings, a: Answers, kind: Kind) -> Iterator[Finding]:
    levels = [key for key, _ in EDUCATION]
    if s.minimum not in levels:
        raise ValueError(f"Unknown minimum education {s.minimum!r}.")
    level = a.choice("education")
    if level in levels and levels.index(level) < levels.index(s.minimum):
        yield Finding(FLAG, "EDUCATION_BELOW_MIN", "Some clinics prefer donors whose education "
                      f"is at least {lower_label(label_of('education', s.minimum))}, so a "
                      "coordinator will look over your application with you.")


# ---- the rules ------------------------------------------------------------------------------

RULES = RuleRegistry(ApplicantType.EGG_DONOR, [
    age_rule(AgeSettings(dq_under=21, dq_over=34, flag_from=31),
             "ASRM gamete-donation guidance prefers 21–34; many agencies cap at 28–31"),
    bmi_rule(BmiSettings(dq_under=18.5, dq_over=30.0, flag_from=28.0),
             "agency practice (19–29, ≤28 and ≤30 are all seen)"),
    Rule("nicotine", "Nicotine", "Any current smoking, vaping or nicotine disqualifies; the "
         "applicant is told when she may apply again.", check_nicotine,
         NicotineSettings(reapply_after_days=90),
         topic="nicotine", questions=ASK_NICOTINE,
         parameters=(Param("reapply_after_days", "Re-apply after", INT, "re-apply after",
                           1, 730, suffix=" days"),),
         basis="agency practice: any current smoking, vaping or nicotine"),
    Rule("drugs", "Drugs", "THC or other recreational drugs disqualify, as does injecting "
         "drugs not prescribed by a doctor within the look-back.", check_drugs,
         DrugsSettings(injected_lookback_years=5),
         topic="drug", questions={
             **ASK_DRUGS,
             "injected_drugs": "whether you have ever injected drugs a doctor didn't "
                               "prescribe",
             "injected_drugs_last_date": "when you last injected them"},
         parameters=(Param("injected_lookback_years", "Injected drugs: look back", INT,
                           "injected drugs look-back", 1, 20, suffix=" years"),),
         basis="agency practice; FDA donor-eligibility risk factors (21 CFR 1271)"),
    Rule("contraception", "Birth control", "Some methods defer the application until stopped "
         "plus a few regular cycles; others go to a coordinator.", check_contraception,
         ContraceptionSettings(defer_methods=("depo_provera", "arm_implant"),
                               flag_methods=("hormonal_iud",), regular_cycles_after_stopping=3),
         topic="birth control", questions={"contraception": "which birth control you use"},
         parameters=(Param("defer_methods", "Defer until stopped", CHOICES, "defer methods",
                           choices=CONTRACEPTION_METHODS),
                     Param("regular_cycles_after_stopping", "Then wait", INT,
                           "regular cycles after stopping", 0, 12, suffix=" regular cycles"),
                     Param("flag_methods", "Flag", CHOICES, "flag methods",
                           choices=CONTRACEPTION_METHODS)),
         disjoint=(("defer_methods", "flag_methods"),), basis="agency practice"),
    Rule("cycles", "Cycles", "The cycle answers that send an application to a coordinator.",
         check_cycles, CyclesSettings(flag_conditions=("irregular", "pcos", "endometriosis")),
         topic="cycle", questions={"cycles": "how regular your cycles are"},
         parameters=(Param("flag_conditions", "Flag", CHOICES, "flag conditions",
                           choices=CYCLE_CONDITIONS),),
         basis="agency practice"),
    Rule("prior_donations", "Prior donations", "Disqualifies once this many stimulated "
         "donation cycles have been completed.", check_prior_donations,
         PriorDonationsSettings(dq_at_cycles=6),
         topic="donation", questions={
             "prior_donation_cycles": "how many donation cycles you have done before"},
         parameters=(Param("dq_at_cycles", "Disqualify at", INT, "disqualify at", 1, 20,
                           suffix=" cycles"),),
         basis="ASRM 2020 opinion on repeated donation (figure seen second-hand)"),
    Rule("genetics", "Genetics", "An inherited condition in the applicant or a parent, "
         "sibling or child goes to a coordinator.", check_genetics,
         GeneticsSettings(flag_adopted_without_history=True),
         topic="family health", questions={
             "heritable_disorder_self": "whether you have an inherited condition",
             "heritable_disorder_family": "whether a parent, brother, sister or child has an "
                                          "inherited condition",
             "adopted": "whether you were adopted"},
         parameters=(Param("flag_adopted_without_history", "Flag adopted applicants without "
                           "a family health history", BOOL, "flag adopted without history"),),
         basis="ASRM; agency practice"),
    Rule("psychiatric", "Mental health", "Current mental-health treatment or antidepressants "
         "go to a coordinator.", check_psychiatric, NO_SETTINGS,
         topic="mental health", questions={
             "psychiatric_treatment_now": "whether you are in mental-health treatment now",
             "antidepressants_now": "whether you take antidepressants now"},
         basis="agency practice"),
    Rule("fda_risk", "FDA risk factors", "A recent tattoo or piercing, STI treatment or jail "
         "stay goes to a coordinator (21 CFR 1271).", check_fda_risk,
         FdaRiskSettings(lookback_months=12, jail_hours=72),
         topic="health risk", questions={
             "tattoo_piercing_ever": "whether you have a tattoo or piercing",
             "tattoo_piercing_date": "the date of your most recent tattoo or piercing",
             "sti_treated_ever": "whether you have ever been treated for an STI",
             "sti_treated_date": "the date of your most recent STI treatment",
             "jail_ever": "whether you have ever been held in jail",
             "jail_last_release_date": "when you were last released from jail",
             "jail_last_hours": "how long that last stay in jail was"},
         parameters=(Param("lookback_months", "Look back", INT, "look back", 1, 60,
                           suffix=" months"),
                     Param("jail_hours", "Jail stays longer than", INT,
                           "jail stays longer than", 0, 8760, suffix=" hours")),
         basis="21 CFR 1271 risk factors"),
    Rule("education", "Education", "Below the minimum goes to a coordinator; a preference "
         "some clinics have, not a requirement.", check_education,
         EducationSettings(minimum="high_school"),
         topic="education", questions={"education": "your education"},
         parameters=(Param("minimum", "Minimum education", CHOICE, "minimum",
                           choices=EDUCATION),),
         enabled=False, basis="a preference only, off by default"),
])
