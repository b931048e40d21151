"""Demo data: a few hundred believable leads and contacts in several stages, so a new
user sees a living app. Loaded as one import batch, so it can be undone like any import.

Addresses use the reserved example.* domains and phones the fictional 555-01xx range:
demo people can never receive a real email or call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import Contact, ContactNote, ImportBatch, Lead
from orchid_desktop.domain.vocab import (
    ApplicantType,
    DuplicatePolicy,
    ImportTarget,
    LeadSource,
    LeadStatus,
    PipelineStage,
)
from orchid_desktop.errors import UserError

from . import audit, screening

DEMO_LABEL = "Demo data"

FIRST = [
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Ella", "Chloe", "Grace", "Zoe", "Lily", "Hannah", "Nora", "Riley",
    "Aria", "Layla", "Camila", "Maya", "Leah", "Sofia", "Valeria", "Ximena", "Jasmine",
    "Aaliyah", "Imani", "Priya", "Ananya", "Mei", "Hana", "Yuna", "Fatima", "Amara", "Nia",
    "Keisha", "Brianna", "Megan", "Ashley", "Jessica", "Lauren", "Rachel", "Danielle",
    "Alexis", "Taylor", "Morgan", "Jordan"
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Patel", "Kim", "Chen", "Okafor", "Mensah"
]
STATES = [
    "CA", "CA", "CA", "TX", "TX", "FL", "FL", "NY", "IL", "PA", "OH", "GA", "NC", "MI", "NJ",
    "VA", "WA", "AZ", "MA", "TN", "IN", "MO", "MD", "WI", "CO", "MN", "SC", "AL", "OR", "KY",
    "OK", "CT", "UT", "NV", "IA", "AR", "KS", "NM"
]
AREA_CODES = [
    "213", "310", "415", "510", "619", "512", "713", "214", "305", "407", "212", "718", "312",
    "215", "614", "404", "704", "313", "201", "703", "206", "602", "617", "615"
]
DOMAINS = ("example.com", "example.org", "example.net")
SOURCES = [LeadSource.FACEBOOK_INSTAGRAM] * 5 + [LeadSource.WEBSITE] * 4 + [
    LeadSource.GOOGLE, LeadSource.GOOGLE, LeadSource.REFERRAL, LeadSource.REFERRAL,
    LeadSource.PHONE, LeadSource.CLINIC, LeadSource.EVENT, LeadSource.RETURNING,
]
CONTACT_STAGES = (
    [PipelineStage.PRE_SCREEN] * 8 + [PipelineStage.APPLICATION] * 6 + [PipelineStage.INTAKE] * 4
    + [PipelineStage.RECORDS] * 3 + [PipelineStage.APPROVED, PipelineStage.AVAILABLE,
                                     PipelineStage.MATCHED, PipelineStage.CLINIC_SCREENING,
                                     PipelineStage.CONTRACTS, PipelineStage.ACTIVE_CYCLE,
                                     PipelineStage.COMPLETED]
    + [PipelineStage.DEFERRED] * 2 + [PipelineStage.WITHDRAWN, PipelineStage.UNRESPONSIVE]
    + [PipelineStage.DISQUALIFIED] * 2
)
NOTES = (
    "Left a voicemail; will try again tomorrow morning.",
    "Spoke for 15 minutes. Very motivated, asked about the timeline.",
    "Prefers text messages in the evening.",
    "Asked for the application link again; resent it.",
    "Referred by a past donor — check the referral bonus form.",
    "Records request sent to her OB's office.",
)


@dataclass(frozen=True)
class DemoResult:
    leads: int
    contacts: int
    batch_id: int


def load_demo_data(
    sessions: sessionmaker[Session], staff_id: int | None, *, leads: int = 300,
    contacts: int = 120, seed: int = 20261122, now: datetime | None = None,
) -> DemoResult:
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    with sessions.begin() as session:
        already = session.scalar(select(ImportBatch.id).where(
            ImportBatch.source_label == DEMO_LABEL, ImportBatch.undone_at.is_(None)))
        if already is not None:
            raise UserError("Demo data is already loaded (see the import history to undo it).")
        batch = ImportBatch(file_name="(built-in demo data)", source_label=DEMO_LABEL,
                            target=ImportTarget.LEADS, on_duplicate=DuplicatePolicy.SKIP,
                            imported_by_id=staff_id)
        session.add(batch)
        session.flush()
        people = _unique_people(rng, leads + contacts)
        for index, person in enumerate(people[:leads]):
            session.add(_lead(rng, person, index, now, batch.id, staff_id))
        for index, person in enumerate(people[leads:]):
            contact = _contact(rng, person, index, now, batch.id, staff_id)
            session.add(contact)
            session.flush()
            screening.screen_contact(session, contact.id, today=now.date())
            if rng.random() < 0.6:
                session.add(ContactNote(contact_id=contact.id, author_id=staff_id,
                                        body=rng.choice(NOTES)))
        batch.created_count = leads + contacts
        audit.record(session, staff_id=staff_id, entity_type="import_batch",
                     entity_id=batch.id, action="demo_loaded",
                     changes={"leads": leads, "contacts": contacts})
        return DemoResult(leads, contacts, batch.id)


DONOR_ANSWERS = {
    "nicotine": "no", "drugs": "no", "injected_drugs": "no", "contraception": "none",
    "cycles": "regular", "prior_donation_cycles": "0", "heritable_disorder_self": "no",
    "heritable_disorder_family": "no", "adopted": "no", "psychiatric_treatment_now": "no",
    "antidepressants_now": "no", "tattoo_piercing_ever": "no", "sti_treated_ever": "no",
    "jail_ever": "no",
}
CARRIER_ANSWERS = {
    "term_deliveries": "2", "children_at_home": "yes", "vaginal_deliveries": "2",
    "c_sections": "0", "miscarriages": "0", "breastfeeding": "no", "nicotine": "no",
    "drugs": "no", "partner_drug_use": "no", "government_assistance": "none",
    "last_delivery_type": "vaginal", "criminal_record": "no", "partner_criminal_record": "no",
    "residency": "us_citizen", "complication_preterm_birth": "no",
    "complication_preeclampsia": "no", "complication_gestational_diabetes": "no",
    "complication_hypertension": "no",
}
# what makes a demo applicant interesting to screen: (chance, answers)
DONOR_TWISTS = ((0.06, {"nicotine": "yes"}), (0.08, {"contraception": "depo_provera"}),
                (0.08, {"cycles": "irregular"}), (0.05, {"adopted": "yes"}))
CARRIER_TWISTS = ((0.06, {"c_sections": "3"}), (0.08, {"government_assistance": "wic"}),
                  (0.05, {"partner_drug_use": "yes"}), (0.08, {"breastfeeding": "yes"}))


def _screening_answers(rng: random.Random, donor: bool, today: date) -> dict[str, str]:
    """Most demo applicants answer everything; some leave questions open, some give an
    answer the rules flag, defer or disqualify."""
    answers = dict(DONOR_ANSWERS if donor else CARRIER_ANSWERS)
    if not donor:
        answers["last_delivery_date"] = (today - timedelta(days=rng.randint(200, 1500))
                                         ).isoformat()
    for chance, twist in DONOR_TWISTS if donor else CARRIER_TWISTS:
        if rng.random() < chance:
            answers.update(twist)
    if donor and answers["contraception"] == "depo_provera":
        answers["contraception_stopped_on"] = (today - timedelta(days=20)).isoformat()
    if rng.random() < 0.25:
        for key in rng.sample(sorted(answers), rng.randint(1, 3)):
            del answers[key]
    return answers


def _unique_people(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    seen: set[str] = set()
    people: list[tuple[str, str, str, str]] = []
    while len(people) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}".lower()
        if email in seen:
            continue
        seen.add(email)
        phone = f"+1{rng.choice(AREA_CODES)}55501{rng.randint(0, 99):02d}"
        people.append((first, last, email, phone))
    return people


def _applicant_type(rng: random.Random) -> ApplicantType:
    return ApplicantType.EGG_DONOR if rng.random() < 0.6 else ApplicantType.GESTATIONAL_CARRIER


def _lead(rng, person, index, now, batch_id, staff_id) -> Lead:
    first, last, email, phone = person
    applicant_type = _applicant_type(rng)
    received = now - timedelta(minutes=rng.randint(5, 90 * 24 * 60))
    status = rng.choices(list(LeadStatus), weights=(55, 25, 10, 10))[0]
    source = rng.choice(SOURCES)
    return Lead(
        first_name=first, last_name=last,
        email=email if index % 11 else None, email_normalized=email if index % 11 else None,
        phone_e164=phone if index % 7 or index % 11 == 0 else None,  # always reachable
        applicant_type=applicant_type, source=source, state=rng.choice(STATES),
        status=status, received_at=received,
        ignore_reason="Not qualified: outside the age range" if status == LeadStatus.IGNORED
        else None,
        raw_form_data={"form": "Donor inquiry" if applicant_type == ApplicantType.EGG_DONOR
                       else "Surrogate inquiry", "campaign": source.value,
                       "how_did_you_hear": rng.choice(["Instagram", "A friend", "Google",
                                                       "Podcast", "Clinic poster"])},
        import_batch_id=batch_id, created_by_id=staff_id,
    )


def _contact(rng, person, index, now, batch_id, staff_id) -> Contact:
    first, last, email, phone = person
    applicant_type = _applicant_type(rng)
    donor = applicant_type == ApplicantType.EGG_DONOR
    age = rng.randint(21, 33) if donor else rng.randint(23, 42)
    dob = date(now.year - age, rng.randint(1, 12), rng.randint(1, 28))
    height = Decimal(rng.randint(152, 180))
    bmi = rng.uniform(19.0, 29.0) if donor else rng.uniform(20.0, 32.0)
    stage = rng.choice(CONTACT_STAGES)
    created = now - timedelta(days=rng.randint(1, 200))
    consented = rng.random() < 0.8
    return Contact(
        first_name=first, last_name=last, email=email, email_normalized=email,
        phone_e164=phone, applicant_type=applicant_type, source=rng.choice(SOURCES),
        state=rng.choice(STATES), stage=stage,
        stage_changed_at=created + timedelta(days=rng.randint(0, 20)),
        deferred_until=(now + timedelta(days=rng.randint(20, 120))).date()
        if stage == PipelineStage.DEFERRED else None,
        dq_reason_code="AGE_OVER_MAX" if stage == PipelineStage.DISQUALIFIED else None,
        date_of_birth=dob, height_cm=height,
        weight_kg=Decimal(str(round(bmi * (float(height) / 100) ** 2, 1))),
        city=rng.choice(["Springfield", "Riverside", "Fairview", "Madison", "Georgetown"]),
        postal_code=f"{rng.randint(10000, 99999)}",
        preferred_contact_method=rng.choice(["email", "phone", "text"]),
        email_consent_at=datetime.combine(created.date(), time(12), UTC)
        if consented else None,
        # keys and values from the application-field catalogue, as the contact form edits them
        profile={"relationship_status": rng.choice(["single", "married", "partnered"]),
                 "education": rng.choice(["high_school", "some_college", "bachelor",
                                          "graduate"]),
                 **_screening_answers(rng, donor, now.date())},
        created_at=created, import_batch_id=batch_id, created_by_id=staff_id,
    )
