"""A property of the sending engine, over random people: no marketing email ever reaches
someone suppressed (for any reason), unsubscribed or disqualified — whether that was
known when the email was queued or only became true afterwards, when the claim-time
re-check is all that stands in the way. Service mail still reaches an unsubscribed
person, but never an address known to bounce or be invalid; and everyone else gets
exactly what was queued for them, once."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orchid_desktop.db.models import (
    AgencySettings,
    Contact,
    Lead,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import (
    ApplicantType,
    EmailKind,
    LeadSource,
    OutboxOrigin,
    OutboxStatus,
    PipelineStage,
    ScreeningOutcome,
    SuppressionReason,
)
from orchid_desktop.mail.transport import SendGridTransport
from orchid_desktop.services import email_preferences
from orchid_desktop.services.dispatch import Dispatcher, DispatchSettings
from tests.campaign_helpers import ready_to_send
from tests.fakes.sendgrid_server import FakeSendGrid

KEY = "SG.test-key"
UNDELIVERABLE = {SuppressionReason.BOUNCE, SuppressionReason.INVALID}
UNSUBSCRIBED = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.GROUP_UNSUBSCRIBE)
NOT_SENT = {OutboxStatus.SUPPRESSED, OutboxStatus.CANCELLED}
_examples = itertools.count()


@dataclass(frozen=True)
class Person:
    role: str  # "contact"; "lead"; "promoted lead" (lead.contact_id → a contact)
    suppression: SuppressionReason | None  # from SendGrid's lists (or a staff entry)
    through_service: bool  # the suppression arrives through apply_suppressions
    unsubscribed: bool  # email_preferences.unsubscribe
    disqualified: str | None  # "stage" | "screening": on the person's contact
    after_queueing: bool  # the flags arrive after the emails were queued
    mail: str  # "marketing", "service" or "both": what was queued for them

    def must_not_get(self, kind: EmailKind) -> bool:
        if kind is EmailKind.SERVICE:
            return self.suppression in UNDELIVERABLE
        return self.suppression is not None or self.unsubscribed \
            or self.disqualified is not None

    def must_get(self, kind: EmailKind) -> bool:
        """Nothing stands in the way (service mail: at most an unsubscribe, which is
        about recruitment mail). A spam report, a block or the do-not-email list may
        or may not stop service mail: the engine's policy, not this property."""
        if kind is EmailKind.SERVICE:
            return self.suppression in (None, *UNSUBSCRIBED)
        return not self.must_not_get(kind)


people = st.builds(
    Person,
    role=st.sampled_from(["contact", "lead", "promoted lead"]),
    suppression=st.one_of(st.none(), st.none(), st.sampled_from(list(SuppressionReason))),
    through_service=st.booleans(),
    unsubscribed=st.sampled_from([False, False, True]),
    disqualified=st.sampled_from([None, None, "stage", "screening"]),
    after_queueing=st.booleans(),
    mail=st.sampled_from(["marketing", "service", "both"]),
)


@pytest.fixture
def setup(context, monkeypatch):
    with FakeSendGrid() as fake:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", fake.host)
        sender = ready_to_send(context, daily_limit=1_000_000)
        with context.sessions.begin() as session:
            session.get(AgencySettings, 1).global_rate_per_minute = 1_000_000
        yield context, fake, sender


def _person_rows(session, person: Person, email: str, n: int) -> tuple[str, int, Contact | None]:
    """The lead or contact to write to, and the contact whose stage counts for them."""
    fields = {"first_name": f"Prop{n}", "last_name": "Test", "email": email,
              "email_normalized": email, "applicant_type": ApplicantType.EGG_DONOR,
              "source": LeadSource.WEBSITE, "state": "CA"}
    if person.role == "contact":
        contact = Contact(**fields)
        session.add(contact)
        session.flush()
        return "contact", contact.id, contact
    # a lead counts as the contact it was promoted to, and as the contact with its address
    contact = Contact(**fields) if person.role == "promoted lead" or person.disqualified \
        else None
    if contact is not None:
        session.add(contact)
        session.flush()
    lead = Lead(**fields, contact_id=contact.id if person.role == "promoted lead" else None)
    session.add(lead)
    session.flush()
    return "lead", lead.id, contact


def _apply_flags(session, person: Person, email: str, contact_id: int | None) -> None:
    if person.suppression is not None:
        if person.through_service:
            email_preferences.apply_suppressions(session, {email: person.suppression},
                                                 source="sendgrid")
        else:  # only the claim-time check can catch this one for queued mail
            session.add(Suppression(email_normalized=email, reason=person.suppression,
                                    source="sendgrid"))
    if person.unsubscribed:
        email_preferences.unsubscribe(session, email, staff_id=None)
    if person.disqualified and contact_id is not None:
        contact = session.get(Contact, contact_id)
        if person.disqualified == "stage":
            contact.stage = PipelineStage.DISQUALIFIED
        else:
            contact.screening_outcome = ScreeningOutcome.DQ


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(population=st.lists(people, min_size=1, max_size=8))
def test_marketing_never_reaches_a_blocked_person(setup, population):
    context, fake, sender = setup
    example = next(_examples)  # one database for all examples: addresses never repeat
    seen_bodies = len(fake.accepted)
    queued: dict[int, tuple[Person, EmailKind]] = {}
    with context.sessions.begin() as session:
        refs = []
        for n, person in enumerate(population):
            email = f"x{example}-{n}@prop.example"
            kind, person_id, contact = _person_rows(session, person, email, n)
            refs.append((email, contact.id if contact else None))
            if not person.after_queueing:
                _apply_flags(session, person, email, contact.id if contact else None)
            for mail_kind in EmailKind:
                if person.mail not in (mail_kind.value, "both"):
                    continue
                row = OutboxMessage(
                    origin=OutboxOrigin.SINGLE, kind=mail_kind, to_email=email,
                    to_email_normalized=email, to_name=f"Prop{n}",
                    subject=f"{mail_kind.value} for you", sender_identity_id=sender,
                    html_body=f"<p>A {mail_kind.value} email.</p>",
                    category=f"prop-{mail_kind.value}", status=OutboxStatus.QUEUED,
                    due_at=utcnow() - timedelta(seconds=1), render_variables={},
                    **{f"{kind}_id": person_id})
                session.add(row)
                session.flush()
                queued[row.id] = (person, mail_kind)
    with context.sessions.begin() as session:  # news that came after the queueing
        for person, (email, contact_id) in zip(population, refs, strict=True):
            if person.after_queueing:
                _apply_flags(session, person, email, contact_id)

    engine = Dispatcher(context.sessions, lambda: SendGridTransport(KEY, 5.0),
                        settings=DispatchSettings(concurrency=2, request_timeout=5.0))
    try:
        engine.tick()
    finally:
        engine.close()

    delivered = Counter(int(p["custom_args"]["outbox_id"])
                        for body in fake.accepted[seen_bodies:]
                        for p in body["personalizations"])
    with context.sessions() as session:
        status = dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)
                                      .where(OutboxMessage.id.in_(list(queued)))).all())
    for row_id, (person, kind) in queued.items():
        if person.must_not_get(kind):
            assert delivered[row_id] == 0, (person, kind)
            assert status[row_id] in NOT_SENT, (person, kind, status[row_id])
        elif person.must_get(kind):
            assert delivered[row_id] == 1 and status[row_id] is OutboxStatus.SENT, \
                (person, kind, status[row_id])
        else:
            assert delivered[row_id] <= 1, (person, kind)
    assert set(delivered) <= set(queued)
