"""The application form of DOMAIN.md as data: which fields a contact's profile has for
each applicant type, how they are entered, and where they are stored.

Fields with ``column=True`` are columns of ``contacts`` (the lists sort and the rules
filter on them); the rest live in ``contacts.profile`` under their key. Age and BMI are
computed from the date of birth and height/weight, never typed. Who the person is and how
to reach them (name, email, phone, preferred contact method…) is the identity form's,
described in ``person_fields.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .vocab import ApplicantType

EVERYONE = frozenset(ApplicantType)
DONOR = frozenset({ApplicantType.EGG_DONOR})
CARRIER = frozenset({ApplicantType.GESTATIONAL_CARRIER})

YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text, long_text, date, number, integer, choice, yes_no
    section: str
    applies_to: frozenset[ApplicantType] = EVERYONE
    choices: tuple[tuple[str, str], ...] = ()
    column: bool = False
    # health data: never offered as an email template variable (campaigns read this)
    sensitive: bool = False

    def applies(self, applicant_type: ApplicantType) -> bool:
        return applicant_type in self.applies_to


def _f(key, label, kind, section, applies_to=EVERYONE, choices=(), *, column=False,
       sensitive=False) -> Field:
    return Field(key, label, kind, section, applies_to, tuple(choices), column, sensitive)


RESIDENCY = (("us_citizen", "US citizen"), ("permanent_resident", "Permanent resident"),
             ("visa", "Visa holder"), ("other", "Other"))
RELATIONSHIP = (("single", "Single"), ("partnered", "Partnered"), ("married", "Married"),
                ("divorced", "Divorced"), ("widowed", "Widowed"))
EDUCATION = (("below_high_school", "Below high school"), ("high_school", "High school"),
             ("some_college", "Some college"), ("associate", "Associate degree"),
             ("bachelor", "Bachelor's degree"), ("graduate", "Graduate degree"))
CONTRACEPTION = (("none", "None"), ("pill", "Pill"), ("copper_iud", "Copper IUD"),
                 ("hormonal_iud", "Hormonal IUD"), ("depo_provera", "Depo-Provera"),
                 ("arm_implant", "Arm implant"), ("ring_patch", "Ring / patch"),
                 ("other", "Other"))
CYCLES = (("regular", "Regular"), ("irregular", "Irregular"), ("pcos", "PCOS"),
          ("endometriosis", "Endometriosis"))
ASSISTANCE = (("none", "None"), ("medicaid", "Medicaid"), ("snap", "SNAP"), ("wic", "WIC"),
              ("cash_assistance", "Cash assistance"), ("welfare", "Welfare"),
              ("public_housing", "Public housing"), ("section_8", "Section 8"))
DELIVERY_TYPES = (("vaginal", "Vaginal"), ("c_section", "C-section"))
# the pregnancy complications the carrier rules can flag; one yes/no field each
COMPLICATIONS = (("preterm_birth", "Preterm birth"), ("preeclampsia", "Preeclampsia"),
                 ("gestational_diabetes", "Gestational diabetes"),
                 ("hypertension", "High blood pressure in pregnancy"))
# a felony or child-abuse finding, as the criminal rule reads it
CRIMINAL_RECORD = (("none", "None"), ("self_reported", "Self-reported"),
                   ("confirmed", "Confirmed by background check"))
PARTNER_CRIMINAL_RECORD = (("no_partner", "No partner"),) + CRIMINAL_RECORD

FIELDS: tuple[Field, ...] = (
    _f("date_of_birth", "Date of birth", "date", "Contact", column=True),
    _f("address_line1", "Address", "text", "Contact", column=True),
    _f("address_line2", "Address line 2", "text", "Contact", column=True),
    _f("city", "City", "text", "Contact", column=True),
    _f("postal_code", "ZIP code", "text", "Contact", column=True),
    _f("residency", "Citizenship / residency", "choice", "Contact", choices=RESIDENCY),
    _f("referrer", "Referred by", "text", "Contact", column=True),
    _f("relationship_status", "Relationship status", "choice", "About", choices=RELATIONSHIP),
    _f("education", "Education", "choice", "About", choices=EDUCATION),
    _f("occupation", "Occupation", "text", "About"),
    _f("height_cm", "Height (cm)", "number", "Health", column=True, sensitive=True),
    _f("weight_kg", "Weight (kg)", "number", "Health", column=True, sensitive=True),
    _f("nicotine", "Smokes, vapes or uses nicotine", "yes_no", "Health", choices=YES_NO,
       sensitive=True),
    _f("drugs", "Uses THC or other drugs", "yes_no", "Health", choices=YES_NO, sensitive=True),
    _f("injected_drugs", "Has ever injected drugs not prescribed by a doctor", "yes_no",
       "Health", DONOR, YES_NO, sensitive=True),
    _f("injected_drugs_last_date", "Last injected them on", "date", "Health", DONOR,
       sensitive=True),
    _f("alcohol", "Alcohol use", "text", "Health", sensitive=True),
    _f("medications", "Medications", "long_text", "Health", sensitive=True),
    _f("psychiatric_history", "Psychiatric history", "long_text", "Health", sensitive=True),
    _f("psychiatric_treatment_now", "In mental-health treatment now", "yes_no", "Health",
       DONOR, YES_NO, sensitive=True),
    _f("antidepressants_now", "Taking antidepressants now", "yes_no", "Health", DONOR, YES_NO,
       sensitive=True),
    _f("tattoo_piercing_12m", "Tattoo or piercing in the last 12 months", "yes_no", "Health",
       choices=YES_NO, sensitive=True),
    _f("tattoo_piercing_ever", "Has ever had a tattoo or piercing", "yes_no", "Health", DONOR,
       YES_NO, sensitive=True),
    _f("tattoo_piercing_date", "Date of the most recent tattoo or piercing", "date", "Health",
       DONOR, sensitive=True),
    _f("sti_history", "STI history", "long_text", "Health", sensitive=True),
    _f("sti_treated_ever", "Has ever been treated for an STI", "yes_no", "Health", DONOR,
       YES_NO, sensitive=True),
    _f("sti_treated_date", "Date of the most recent STI treatment", "date", "Health", DONOR,
       sensitive=True),
    _f("criminal_history", "Criminal history", "long_text", "Background", sensitive=True),
    _f("jail_ever", "Has ever been held in jail, prison or a lock-up", "yes_no", "Background",
       DONOR, YES_NO, sensitive=True),
    _f("jail_last_release_date", "Last released from jail, prison or a lock-up on", "date",
       "Background", DONOR, sensitive=True),
    _f("jail_last_hours", "Length of that last stay (hours)", "number", "Background", DONOR,
       sensitive=True),
    _f("criminal_record", "Felony or child-abuse finding", "choice", "Background", CARRIER,
       CRIMINAL_RECORD, sensitive=True),
    _f("contraception", "Birth control", "choice", "Egg donor", DONOR, CONTRACEPTION,
       sensitive=True),
    _f("contraception_stopped_on", "Stopped that birth control on (if stopped)", "date",
       "Egg donor", DONOR, sensitive=True),
    _f("cycles", "Cycles", "choice", "Egg donor", DONOR, CYCLES, sensitive=True),
    _f("prior_donation_cycles", "Prior donation cycles", "integer", "Egg donor", DONOR,
       sensitive=True),
    _f("adopted", "Adopted", "yes_no", "Egg donor", DONOR, YES_NO),
    _f("family_medical_history", "Family medical history", "long_text", "Egg donor", DONOR,
       sensitive=True),
    _f("heritable_disorder_self", "Has a genetic (inherited) condition", "yes_no", "Egg donor",
       DONOR, YES_NO, sensitive=True),
    _f("heritable_disorder_family",
       "A parent, brother, sister or child has a genetic (inherited) condition", "yes_no",
       "Egg donor", DONOR, YES_NO, sensitive=True),
    _f("ethnicity", "Ethnicity", "text", "Egg donor", DONOR),
    _f("eye_colour", "Eye colour", "text", "Egg donor", DONOR),
    _f("hair_colour", "Hair colour", "text", "Egg donor", DONOR),
    _f("willing_to_travel", "Willing to travel", "yes_no", "Egg donor", DONOR, YES_NO),
    _f("pregnancies", "Pregnancies", "integer", "Pregnancies", CARRIER, sensitive=True),
    _f("term_deliveries", "Full-term deliveries (37 weeks or more)", "integer", "Pregnancies",
       CARRIER, sensitive=True),
    _f("vaginal_deliveries", "Vaginal deliveries", "integer", "Pregnancies", CARRIER,
       sensitive=True),
    _f("c_sections", "C-sections", "integer", "Pregnancies", CARRIER, sensitive=True),
    _f("miscarriages", "Miscarriages", "integer", "Pregnancies", CARRIER, sensitive=True),
    _f("last_delivery_date", "Date of last delivery", "date", "Pregnancies", CARRIER,
       sensitive=True),
    _f("last_delivery_type", "Last delivery was", "choice", "Pregnancies", CARRIER,
       DELIVERY_TYPES, sensitive=True),
    _f("pregnancy_complications", "Complications", "long_text", "Pregnancies", CARRIER,
       sensitive=True),
    *(_f(f"complication_{key}", f"Complication: {label.lower()}", "yes_no", "Pregnancies",
         CARRIER, YES_NO, sensitive=True) for key, label in COMPLICATIONS),
    _f("breastfeeding", "Breastfeeding now", "yes_no", "Pregnancies", CARRIER, YES_NO,
       sensitive=True),
    _f("children_at_home", "Raising a child at home", "yes_no", "Pregnancies", CARRIER, YES_NO),
    _f("government_assistance", "Government assistance", "choice", "Household", CARRIER,
       ASSISTANCE),
    _f("insurance", "Health insurance", "text", "Household", CARRIER),
    _f("partner_drug_use", "Partner or household uses nicotine or drugs", "yes_no",
       "Household", CARRIER, YES_NO, sensitive=True),
    _f("partner_criminal_history", "Partner's criminal history", "long_text", "Household",
       CARRIER, sensitive=True),
    _f("partner_criminal_record", "Partner's felony or child-abuse finding", "choice",
       "Household", CARRIER, PARTNER_CRIMINAL_RECORD, sensitive=True),
    _f("prior_surrogacy_journeys", "Prior surrogacy journeys", "integer", "Household",
       CARRIER),
)

BY_KEY = {f.key: f for f in FIELDS}


def fields_for(applicant_type: ApplicantType) -> list[Field]:
    return [f for f in FIELDS if f.applies(applicant_type)]


def age_on(date_of_birth: date | None, today: date) -> int | None:
    """Whole years: the birthday itself counts (21 on the 21st birthday, 20 the day
    before); someone born on 29 February is a year older from 1 March in common years."""
    if date_of_birth is None:
        return None
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def bmi(height_cm: Decimal | float | None, weight_kg: Decimal | float | None) -> float | None:
    if not height_cm or not weight_kg:
        return None
    metres = float(height_cm) / 100
    return round(float(weight_kg) / (metres * metres), 1)
