"""Build a database holding N synthetic leads fast (Core inserts in chunks), for the
benchmarks. Names repeat as in real lists; emails and phones are unique.

    from people_data import fill_leads
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from orchid_desktop.db.models import Lead
from orchid_desktop.domain.search_terms import search_text
from orchid_desktop.domain.vocab import ApplicantType, LeadSource, LeadStatus

FIRST = [
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Ella", "Chloe", "Grace", "Zoe", "Lily", "Hannah", "Nora", "Riley",
    "Aria", "Layla", "Camila", "Maya", "Leah", "Sofia", "Valeria", "Ximena", "Jasmine",
    "Aaliyah", "Imani", "Priya", "Ananya", "Mei", "Hana", "Yuna", "Fatima", "Amara", "Nia",
    "Keisha", "José", "Brianna", "Megan", "Ashley", "Jessica", "Lauren", "Rachel", "Danielle",
    "Alexis", "Taylor", "Morgan"
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Patel", "Kim", "Chen", "Okafor", "Mensah", "Müller", "O'Brien"
]
TYPES = [ApplicantType.EGG_DONOR] * 6 + [ApplicantType.GESTATIONAL_CARRIER] * 3 + [
    ApplicantType.OTHER]
SOURCES = list(LeadSource)
STATUSES = [LeadStatus.NEW] * 6 + [LeadStatus.IN_REVIEW] * 2 + [LeadStatus.PROMOTED,
                                                                 LeadStatus.IGNORED]
CHUNK = 20_000


def lead_rows(count: int, seed: int = 7):
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = 3 * 365 * 86400
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{n}@example.com".replace("'", "")
        phone = f"+1{rng.choice(('415', '212', '512', '305'))}{n % 10_000_000:07d}"
        yield {
            "first_name": first, "last_name": last, "email": email,
            "email_normalized": email, "phone_e164": phone,
            "applicant_type": rng.choice(TYPES), "source": rng.choice(SOURCES),
            "status": rng.choice(STATUSES),
            "received_at": start + timedelta(seconds=rng.randrange(span)),
            "raw_form_data": {}, "search_text": search_text(first, last, email, phone),
        }


def fill_leads(engine, count: int) -> float:
    """Insert ``count`` leads; returns the seconds it took."""
    began = time.perf_counter()
    rows = lead_rows(count)
    with engine.begin() as connection:
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                break
            connection.execute(insert(Lead), chunk)
    return time.perf_counter() - began
