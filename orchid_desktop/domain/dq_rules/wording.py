"""Pieces of the applicant-facing sentences that rules of both types use.

Every message is one plain sentence a coordinator can read to the applicant (and that is
stored with the evaluation), so shared wording lives here once.
"""

from __future__ import annotations

from ..application_fields import BY_KEY
from ..vocab import ApplicantType

NOT_GOING_AHEAD = "we aren't able to go ahead with your application"

# What a missing answer is ("We still need to know …") for fields more than one rule reads,
# worded once so the sentence is the same whichever rule found it missing.
ASK_DATE_OF_BIRTH = {"date_of_birth": "your date of birth"}
ASK_HEIGHT_WEIGHT = {"height_cm": "your height", "weight_kg": "your weight"}
ASK_NICOTINE = {"nicotine": "whether you smoke, vape or use nicotine"}
ASK_DRUGS = {"drugs": "whether you use THC or other drugs"}


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
