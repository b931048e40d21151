"""The agency-default DQ rules of DOMAIN.md, per applicant type.

Every threshold is an agency default, not law, so each rule is data: ``enabled`` plus its
parameters. The screening engine reads these; the DQ settings dialog edits them; a change
is stored as a new rule-set version. ``basis`` says where a default comes from so it can
be defended to a user.
"""

from __future__ import annotations

import copy
from typing import Any

from .vocab import ApplicantType

RuleSettings = dict[str, dict[str, Any]]

_EGG_DONOR: RuleSettings = {
    "age": {
        "enabled": True, "dq_under": 21, "dq_over": 34, "flag_from": 31,
        "basis": "ASRM gamete-donation guidance prefers 21–34; many agencies cap at 28–31",
    },
    "bmi": {
        "enabled": True, "dq_under": 18.5, "dq_over": 30.0, "flag_from": 28.0,
        "basis": "agency practice (19–29, ≤28 and ≤30 are all seen)",
    },
    "nicotine": {
        "enabled": True, "reapply_after_days": 90,
        "basis": "agency practice: any current smoking, vaping or nicotine",
    },
    "drugs": {
        "enabled": True, "injected_lookback_years": 5,
        "basis": "agency practice; FDA donor-eligibility risk factors (21 CFR 1271)",
    },
    "contraception": {
        "enabled": True, "defer_methods": ["depo_provera", "arm_implant"],
        "flag_methods": ["hormonal_iud"], "regular_cycles_after_stopping": 3,
        "basis": "agency practice",
    },
    "cycles": {
        "enabled": True, "flag_conditions": ["irregular", "pcos", "endometriosis"],
        "basis": "agency practice",
    },
    "prior_donations": {
        "enabled": True, "dq_at_cycles": 6,
        "basis": "ASRM 2020 opinion on repeated donation (figure seen second-hand)",
    },
    "genetics": {
        "enabled": True, "flag_adopted_without_history": True,
        "basis": "ASRM; agency practice",
    },
    "psychiatric": {"enabled": True, "basis": "agency practice"},
    "fda_risk": {
        "enabled": True, "lookback_months": 12, "jail_hours": 72,
        "basis": "21 CFR 1271 risk factors",
    },
    "education": {
        "enabled": False, "minimum": "high_school",
        "basis": "a preference only, off by default",
    },
}

_GESTATIONAL_CARRIER: RuleSettings = {
    "age": {
        "enabled": True, "dq_under": 21, "dq_over": 45, "flag_from": 40,
        "basis": "ASRM gestational-carrier recommendations (2022) give 21–45",
    },
    "parity": {
        "enabled": True, "flag_not_raising_child": True,
        "basis": "ASRM 2022: at least one prior term delivery",
    },
    "deliveries": {
        "enabled": True, "dq_over_deliveries": 5, "dq_over_c_sections": 3,
        "flag_at_c_sections": 3,
        "basis": "ASRM 2022; clinics often cap C-sections at 2",
    },
    "complications": {
        "enabled": True,
        "flag_conditions": ["preterm_birth", "preeclampsia", "gestational_diabetes",
                            "hypertension"],
        "flag_over_miscarriages": 2,
        "basis": "agency practice",
    },
    "bmi": {
        "enabled": True, "dq_over": 33.0, "flag_from": 30.0,
        "basis": "agency caps range 30–35",
    },
    "household_substances": {
        "enabled": True, "basis": "ASRM summary; agency practice (she, partner or household)",
    },
    "assistance": {
        "enabled": True,
        "dq_programs": ["cash_assistance", "welfare", "public_housing", "section_8"],
        "flag_programs": ["medicaid", "snap", "wic"],
        "basis": "agency practice",
    },
    "state": {
        "enabled": True, "blocked_states": ["LA", "NE"], "reviewed_on": "2026-11-01",
        "basis": "state surrogacy law; review the list when laws change",
    },
    "residency": {
        "enabled": True, "allowed": ["us_citizen", "permanent_resident"],
        "basis": "agency practice",
    },
    "postpartum": {
        "enabled": True, "months_after_vaginal": 6, "months_after_c_section": 12,
        "flag_breastfeeding": True,
        "basis": "agency practice (some use 3/6 months)",
    },
    "criminal": {
        "enabled": True, "basis": "agency practice: self-reported → flag, confirmed → DQ",
    },
}

_DEFAULTS: dict[ApplicantType, RuleSettings] = {
    ApplicantType.EGG_DONOR: _EGG_DONOR,
    ApplicantType.GESTATIONAL_CARRIER: _GESTATIONAL_CARRIER,
}

SCREENED_TYPES = tuple(_DEFAULTS)


def default_rules(applicant_type: ApplicantType) -> RuleSettings:
    """A fresh copy of the defaults (callers may edit it)."""
    return copy.deepcopy(_DEFAULTS[applicant_type])
