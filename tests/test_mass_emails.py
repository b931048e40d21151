"""Mass emails through the services: audience, scheduling checks, the frozen recipient
list with one outbox row per address, pause, resume, cancel, served counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orchid_desktop.db.models import MassEmail, MassEmailRecipient, OutboxMessage, Tag
from orchid_desktop.db.models.people import PersonTag
from orchid_desktop.domain.vocab import MassEmailStatus, OutboxOrigin, OutboxStatus
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import campaign_queue, email_preferences, mass_emails
from orchid_desktop.services.mass_emails import MassEmailForm
from orchid_desktop.services.segments import Segment, count_audience

from .campaign_helpers import TUESDAY_10AM_PACIFIC, outbox, ready_to_send, template_id
from .people_helpers import add_contact, add_lead

NOW = TUESDAY_10AM_PACIFIC


def _audience(context):
    """Three donors (one also a lead with the same address), a carrier, an unsubscribed
    donor and a donor with no email."""
    add_contact(context, "Ana", "Silva", email="ana@example.com")
    add_lead(context, "Ana", "Silva", email="ana@example.com", allow_duplicate=True)
    add_lead(context, "Bea", "Jones", email="bea@example.com", state="NY")
    add_contact(context, "Cara", "Lee", email="cara@example.com",
                applicant_type="gestational_carrier")
    add_contact(context, "Una", "Sub", email="unsub@example.com")
    add_lead(context, "Phone", "Only", phone="415-555-0100")
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "unsub@example.com", staff_id=None)


def _draft(context, sender, **fields) -> int:
    form = MassEmailForm("December newsletter", subject="News from {{ agency_name }}",
                         html_body="<p>Hi {{ first_name | default('there') }}</p>",
                         sender_identity_id=sender, **fields)
    with context.sessions.begin() as session:
        return mass_emails.save_mass_email(session, None, form, staff_id=context.staff_id)


def _queue(context, now):
    with context.sessions.begin() as session:
        return campaign_queue.queue_due(session, now=now)


def test_the_audience_counts_each_address_once_and_says_who_is_left_out(context):
    _audience(context)
    with context.sessions() as session:
        everyone = count_audience(session, Segment())
        donors = count_audience(session, Segment(applicant_types=("egg_donor",)))
        leads_only = count_audience(session, Segment(people="leads"))
    assert (everyone.recipients, everyone.excluded) == (3, 1)
    assert (donors.recipients, donors.excluded) == (2, 1)
    assert leads_only.recipients == 2


def test_tags_narrow_the_audience(context):
    ana = add_contact(context, "Ana", "Silva", email="ana@example.com")
    add_contact(context, "Bea", "Jones", email="bea@example.com")
    with context.sessions.begin() as session:
        tag = Tag(name="Spring event")
        session.add(tag)
        session.flush()
        session.add(PersonTag(tag_id=tag.id, contact_id=ana))
    with context.sessions() as session:
        assert count_audience(session, Segment(tags=("Spring event",))).recipients == 1


def test_scheduling_checks_what_sending_needs(context):
    _audience(context)
    mass_email = _draft(context, None)
    with pytest.raises(ValidationError) as refused, context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    assert any("postal address" in p for p in refused.value.problems)
    assert any("sender identity" in p for p in refused.value.problems)


def test_a_broken_body_cannot_be_saved(context):
    form = MassEmailForm("Bad", subject="Hi", html_body="<p>{{ frist_name }}</p>")
    with pytest.raises(ValidationError, match="first_name"), context.sessions.begin() as s:
        mass_emails.save_mass_email(s, None, form, staff_id=None)


def test_sending_freezes_the_recipients_with_one_outbox_row_each(context):
    sender = ready_to_send(context)
    _audience(context)
    mass_email = _draft(context, sender)
    later = NOW + timedelta(hours=2)
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, later, staff_id=None, now=NOW)
    assert not _queue(context, NOW)  # not yet
    add_contact(context, "Dee", "New", email="dee@example.com")  # joins before the start
    report = _queue(context, later)
    assert (report.mass_emails_started, report.mass_email_messages) == (1, 4)
    messages = outbox(context)
    assert sorted(m.to_email_normalized for m in messages) == [
        "ana@example.com", "bea@example.com", "cara@example.com", "dee@example.com"]
    assert {m.origin for m in messages} == {OutboxOrigin.MASS_EMAIL}
    assert all(m.due_at == later and m.status is OutboxStatus.QUEUED for m in messages)
    ana = next(m for m in messages if m.to_email_normalized == "ana@example.com")
    assert ana.contact_id is not None and ana.lead_id is None  # the contact, not the lead
    add_contact(context, "Eve", "Late", email="eve@example.com")  # too late: frozen
    assert not _queue(context, later + timedelta(minutes=5))
    with context.sessions() as session:
        row = session.get(MassEmail, mass_email)
        assert (row.status, row.recipient_count) == (MassEmailStatus.SENDING, 4)
        assert len(session.scalars(select(MassEmailRecipient)).all()) == 4


def test_pause_resume_cancel_and_served_count(context):
    sender = ready_to_send(context)
    _audience(context)
    mass_email = _draft(context, sender)
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    _queue(context, NOW)
    with context.sessions.begin() as session:  # the sending engine sends one
        first = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        first.status = OutboxStatus.SENT
        mass_emails.pause(session, mass_email, staff_id=None)
    assert [m.status for m in outbox(context)] == [OutboxStatus.SENT]
    with context.sessions.begin() as session:
        assert mass_emails.resume(session, mass_email, staff_id=None, now=NOW) == 2
    assert len(outbox(context)) == 3  # nobody served twice
    with context.sessions.begin() as session:
        assert mass_emails.cancel(session, mass_email, staff_id=None, now=NOW) == 2
        summary = mass_emails.list_mass_emails(session)[0]
    assert (summary.status, summary.recipients, summary.served, summary.queued) == (
        MassEmailStatus.CANCELLED, 3, 1, 0)
    with pytest.raises(UserError, match="already cancelled"), context.sessions.begin() as s:
        mass_emails.cancel(s, mass_email, staff_id=None)


def test_a_mass_email_is_sent_when_every_message_is_settled(context):
    sender = ready_to_send(context)
    _audience(context)
    mass_email = _draft(context, sender, template_id=template_id(context, "newsletter"))
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        for message in session.scalars(select(OutboxMessage)):
            message.status = OutboxStatus.SENT
    _queue(context, NOW + timedelta(minutes=1))
    with context.sessions() as session:
        row = session.get(MassEmail, mass_email)
        assert (row.status, row.served_count) == (MassEmailStatus.SENT, 3)
        versions = {m.template_version_id for m in session.scalars(select(OutboxMessage))}
        assert versions == {row.template_version_id}


def test_the_sending_window_moves_each_recipient_into_their_own_hours(context):
    sender = ready_to_send(context)
    _audience(context)
    evening = NOW + timedelta(hours=8)  # 18:00 Pacific, 21:00 in New York
    mass_email = _draft(context, sender, use_send_window=True)
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, evening, staff_id=None, now=NOW)
    _queue(context, evening)
    due = {m.to_email_normalized: m.due_at for m in outbox(context)}
    assert due["bea@example.com"].hour == 14  # 09:00 New York
    assert due["ana@example.com"].hour == 17  # 09:00 California


def test_still_wanted_follows_the_mass_email_status(context):
    sender = ready_to_send(context)
    _audience(context)
    mass_email = _draft(context, sender)
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    _queue(context, NOW)
    wanted = select(OutboxMessage.id).where(campaign_queue.still_wanted())
    with context.sessions.begin() as session:
        assert len(session.scalars(wanted).all()) == 3
        session.get(MassEmail, mass_email).status = MassEmailStatus.PAUSED
        session.flush()
        assert session.scalars(wanted).all() == []


@pytest.mark.postgres
def test_a_mass_email_goes_out_on_postgresql(pg_context):
    context = pg_context
    sender = ready_to_send(context)
    _audience(context)
    mass_email = _draft(context, sender)
    with context.sessions() as session:
        assert count_audience(session, Segment()).recipients == 3
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    assert _queue(context, NOW).mass_email_messages == 3
