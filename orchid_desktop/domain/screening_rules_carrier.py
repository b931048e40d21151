"""The gestational-carrier rules of DOMAIN.md (the engine and the shared age and BMI rules
are in screening_rules.py). Each check reads its thresholds from the rule settings and
yields what it finds; the engine turns the most severe finding into the rule's result."""

from __future__ import annotations

from .application_fields import COMPLICATIONS
from .screening_rules import (
    DEFER,
    DQ,
    FLAG,
    NOT_GOING_AHEAD,
    SHARED_CHECKS,
    Check,
    Finding,
    add_months,
    fmt,
    label_of,
    lower_label,
    when_yes,
)
from .us_states import US_STATES

PREGNANCY_REVIEW = "a coordinator will go over your pregnancy history with you"


def _parity(s, a, kind):
    term = a.number("term_deliveries")
    if term is not None and term < 1:
        yield Finding(DQ, "PARITY_NO_TERM_DELIVERY", "Carriers need to have given birth to at "
                      f"least one full-term baby of their own, so {NOT_GOING_AHEAD}.")
    if s["flag_not_raising_child"] and a.yes("children_at_home") is False:
        yield Finding(FLAG, "PARITY_NOT_RAISING_CHILD", "A coordinator will talk with you about "
                      "your family, as we usually work with carriers who are raising a child.")


def _deliveries(s, a, kind):
    vaginal, c_sections = a.number("vaginal_deliveries"), a.number("c_sections")
    if c_sections is None:
        return
    most, most_c = s["dq_over_deliveries"], s["dq_over_c_sections"]
    if vaginal is not None and vaginal + c_sections > most:
        yield Finding(DQ, "DELIVERIES_OVER_MAX", "For your own health, our clinics work with "
                      f"carriers who have had no more than {most} deliveries, so "
                      f"{NOT_GOING_AHEAD}.")
    if c_sections > most_c:
        yield Finding(DQ, "C_SECTIONS_OVER_MAX", "For your own health, our clinics work with "
                      f"carriers who have had no more than {most_c} C-sections, so "
                      f"{NOT_GOING_AHEAD}.")
    elif c_sections >= s["flag_at_c_sections"]:
        yield Finding(FLAG, "C_SECTIONS_FLAG", f"Because you've had {fmt(c_sections)} "
                      f"C-sections, {PREGNANCY_REVIEW}.")


def _complications(s, a, kind):
    names = dict(COMPLICATIONS)
    unknown = [c for c in s["flag_conditions"] if c not in names]
    if unknown:
        raise ValueError(f"Unknown pregnancy complications in the settings: {unknown}.")
    yield from when_yes(a, [(f"complication_{c}", Finding(
        FLAG, f"COMPLICATION_{c.upper()}", f"Because of the {lower_label(names[c])} you told us "
        f"about, {PREGNANCY_REVIEW}.")) for c in s["flag_conditions"]])
    miscarriages = a.number("miscarriages")
    if miscarriages is not None and miscarriages > s["flag_over_miscarriages"]:
        yield Finding(FLAG, "MISCARRIAGES_FLAG", "We're sorry for the losses you told us about; "
                      f"{PREGNANCY_REVIEW}.")


def _household_substances(s, a, kind):
    message = ("For the baby's health, carriers and everyone they live with need to be free "
               f"of nicotine and drugs, so {NOT_GOING_AHEAD}.")
    yield from when_yes(a, [(key, Finding(DQ, code, message)) for key, code in (
        ("nicotine", "HOUSEHOLD_NICOTINE"), ("drugs", "HOUSEHOLD_DRUGS"),
        ("partner_drug_use", "HOUSEHOLD_PARTNER_SUBSTANCES"))])


def _assistance(s, a, kind):
    program = a.choice("government_assistance")
    if program is None:
        return
    name = label_of("government_assistance", program)
    if program in s["dq_programs"]:
        yield Finding(DQ, "ASSISTANCE_DQ", "Our guidelines ask that carriers not be receiving "
                      f"this kind of government assistance ({name}) during a journey, so "
                      f"{NOT_GOING_AHEAD} right now.")
    elif program in s["flag_programs"]:
        yield Finding(FLAG, "ASSISTANCE_FLAG", "A coordinator will talk with you about the "
                      f"government assistance you receive ({name}), since it can affect how a "
                      "journey is set up.")


def _state(s, a, kind):
    state = (a.choice("state") or "").upper()
    if state and state in {code.upper() for code in s["blocked_states"]}:
        yield Finding(DQ, "STATE_BLOCKED", f"Because of {US_STATES.get(state, state)}'s "
                      "surrogacy laws, we aren't able to work with carriers who live there.")


def _residency(s, a, kind):
    status = a.choice("residency")
    if status is not None and status not in s["allowed"]:
        allowed = " or a ".join(lower_label(label_of("residency", k)) for k in s["allowed"])
        yield Finding(DQ, "RESIDENCY_NOT_ALLOWED", f"Carriers need to be a {allowed}, so "
                      f"{NOT_GOING_AHEAD}.")


def _postpartum(s, a, kind):
    if s["flag_breastfeeding"] and a.yes("breastfeeding"):
        yield Finding(FLAG, "BREASTFEEDING", "A coordinator will talk with you about timing, "
                      "since carriers need to have finished breastfeeding before starting.")
    last = a.date("last_delivery_date")
    if last is None:
        return
    months = {"vaginal": s["months_after_vaginal"], "c_section": s["months_after_c_section"]}
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


def _criminal(s, a, kind):
    for key, code, whose in (("criminal_record", "CRIMINAL", "your"),
                             ("partner_criminal_record", "PARTNER_CRIMINAL", "your partner's")):
        status = a.choice(key)
        if status == "confirmed":
            yield Finding(DQ, f"{code}_CONFIRMED", f"Because of what {whose} background check "
                          f"showed, {NOT_GOING_AHEAD}.")
        elif status == "self_reported":
            yield Finding(FLAG, f"{code}_SELF_REPORTED", "A coordinator will talk with you "
                          f"about {whose} answer to the background question.")


CARRIER_CHECKS: dict[str, Check] = {
    **SHARED_CHECKS, "parity": _parity, "deliveries": _deliveries,
    "complications": _complications, "household_substances": _household_substances,
    "assistance": _assistance, "state": _state, "residency": _residency,
    "postpartum": _postpartum, "criminal": _criminal,
}

TOPICS = {
    "parity": "pregnancy", "deliveries": "delivery", "complications": "pregnancy health",
    "household_substances": "smoke- and drug-free home", "assistance": "household finance",
    "state": "state", "residency": "residency", "postpartum": "recovery time",
    "criminal": "background",
}

QUESTIONS = {
    "term_deliveries": "how many full-term births you've had",
    "children_at_home": "whether you are raising a child at home",
    "vaginal_deliveries": "how many vaginal deliveries you've had",
    "c_sections": "how many C-sections you've had",
    "miscarriages": "how many miscarriages you've had",
    "breastfeeding": "whether you are breastfeeding now",
    "partner_drug_use": "whether your partner or anyone at home uses nicotine or drugs",
    "government_assistance": "whether you receive government assistance",
    "last_delivery_date": "the date of your last delivery",
    "last_delivery_type": "whether your last delivery was vaginal or a C-section",
    "criminal_record": "your answer to the background question",
    "partner_criminal_record": "your partner's answer to the background question",
    "complication_preterm_birth": "whether you've had a preterm birth",
    "complication_preeclampsia": "whether you've had preeclampsia",
    "complication_gestational_diabetes": "whether you've had gestational diabetes",
    "complication_hypertension": "whether you've had high blood pressure in pregnancy",
}
