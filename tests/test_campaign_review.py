"""Review of drips, mass emails and their marketing rules: each test pins down a bug that
was found (and fixed) after the campaign work landed."""

from __future__ import annotations

import threading
import time as _time
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from orchid_desktop.db.models import (
    Contact,
    Enrolment,
    EnrolmentStep,
    MassEmail,
    OutboxMessage,
)
from orchid_desktop.domain.vocab import (
    ApplicantType,
    EnrolmentStatus,
    EnrolmentStepStatus,
    LeadSource,
    MassEmailStatus,
    OutboxStatus,
    PipelineStage,
)
from orchid_desktop.services import (
    campaign_queue,
    contacts,
    drip_lifecycle,
    drips,
    email_preferences,
    enrolment,
    marketing_rules,
    mass_emails,
    merge,
    templates,
)
from orchid_desktop.services.mass_emails import MassEmailForm
from orchid_desktop.services.segments import Segment, count_audience

from .campaign_helpers import (
    TUESDAY_10AM_PACIFIC,
    make_drip,
    outbox,
    ready_to_send,
)
from .people_helpers import add_contact, add_lead

NOW = TUESDAY_10AM_PACIFIC


def _queue(context, now):
    with context.sessions.begin() as session:
        return campaign_queue.queue_due(session, now=now)


def _launch(context, campaign, now=NOW):
    with context.sessions.begin() as session:
        return drip_lifecycle.launch(session, campaign, staff_id=None, now=now)


def _enrol(context, campaign, *, contact_ids=(), lead_ids=(), now=NOW):
    with context.sessions.begin() as session:
        return enrolment.enrol(session, campaign, contact_ids=contact_ids, lead_ids=lead_ids,
                               staff_id=None, now=now)


def _mass_email(context, sender, **fields) -> int:
    form = MassEmailForm("News", subject="Hi", html_body="<p>Hi {{ first_name }}</p>",
                         sender_identity_id=sender, **fields)
    with context.sessions.begin() as session:
        return mass_emails.save_mass_email(session, None, form, staff_id=None)


def _send_now(context, mass_email):
    with context.sessions.begin() as session:
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
    return _queue(context, NOW)


def _disqualify(context, contact_id):
    with context.sessions.begin() as session:
        contacts.change_stage(session, contact_id, PipelineStage.DISQUALIFIED, staff_id=None,
                              reason="too young")


# -- a disqualified contact and a duplicate lead with the same address -----------------

def test_a_disqualified_contact_gets_no_mass_email_through_a_duplicate_lead(context):
    sender = ready_to_send(context)
    ana = add_contact(context, "Ana", "Silva", email="ana@example.com")
    add_lead(context, "Ana", "Silva", email="ANA@Example.com", allow_duplicate=True)
    add_contact(context, "Bea", "Jones", email="bea@example.com")
    _disqualify(context, ana)
    with context.sessions() as session:
        counted = count_audience(session, Segment())
    assert (counted.recipients, counted.excluded) == (1, 1)
    _send_now(context, _mass_email(context, sender))
    assert [m.to_email_normalized for m in outbox(context)] == ["bea@example.com"]


def test_a_disqualified_contacts_duplicate_lead_is_not_enrolled_and_leaves_drips(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    ana = add_contact(context, "Ana", "Silva", email="ana@example.com")
    lead = add_lead(context, "Ana", "Silva", email="ANA@Example.com", allow_duplicate=True)
    _enrol(context, campaign, lead_ids=[lead])
    _launch(context, campaign)
    _queue(context, NOW)
    _disqualify(context, ana)
    # the welcome queued for the lead is cancelled with the decision, the drip stops
    assert [m.status for m in outbox(context)] == [OutboxStatus.CANCELLED]
    with context.sessions() as session:
        assert session.scalar(select(Enrolment.status)) is EnrolmentStatus.STOPPED
    other = make_drip(context, name="Second", sender_id=sender)
    report = _enrol(context, other, lead_ids=[lead])
    assert (report.enrolled, dict(report.refused)) == (0, {"disqualified": 1})


# -- a mass email resumed after a pause ------------------------------------------------

def test_a_resumed_mass_email_queues_nothing_to_people_who_left_while_paused(context):
    sender = ready_to_send(context)
    ana = add_contact(context, "Ana", "Silva", email="ana@example.com")
    add_contact(context, "Bea", "Jones", email="bea@example.com")
    add_contact(context, "Cara", "Lee", email="cara@example.com")
    mass_email = _mass_email(context, sender)
    assert _send_now(context, mass_email).mass_email_messages == 3
    with context.sessions.begin() as session:
        mass_emails.pause(session, mass_email, staff_id=None)
    _disqualify(context, ana)
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "bea@example.com", staff_id=None)
    with context.sessions.begin() as session:
        assert mass_emails.resume(session, mass_email, staff_id=None, now=NOW) == 1
    queued = [m.to_email_normalized for m in outbox(context) if m.status is OutboxStatus.QUEUED]
    assert queued == ["cara@example.com"]
    assert len(outbox(context)) == 3  # still exactly one row per recipient
    with context.sessions.begin() as session:
        for message in session.scalars(select(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.QUEUED)):
            message.status = OutboxStatus.SENT
    _queue(context, NOW + timedelta(minutes=5))
    with context.sessions() as session:
        assert session.get(MassEmail, mass_email).status is MassEmailStatus.SENT


# -- two workstations ticking at once (PostgreSQL) ----------------------------------------

@pytest.mark.postgres
def test_two_workstations_queueing_at_once_neither_fails_nor_doubles(pg_context):
    context = pg_context
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    people = [add_contact(context, f"P{i}", "X", email=f"p{i}@example.com") for i in range(3)]
    _enrol(context, campaign, contact_ids=people)
    _launch(context, campaign)
    with context.sessions.begin() as session:
        mass_emails.schedule(session, _mass_email(context, sender), None, staff_id=None,
                             now=NOW)
    first = context.sessions()
    first.begin()
    report = campaign_queue.queue_due(first, now=NOW)
    assert (report.drip_messages, report.mass_email_messages) == (3, 3)
    result: dict = {}

    def other_workstation():
        try:
            with context.sessions.begin() as second:
                result["report"] = campaign_queue.queue_due(second, now=NOW)
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=other_workstation)
    thread.start()
    _time.sleep(1.0)
    first.commit()
    first.close()
    thread.join(30)
    assert "error" not in result, result.get("error")
    assert not result["report"]  # the other tick had it in hand
    assert not _queue(context, NOW)  # and once it committed there is nothing left
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 6
        # the sending engine's claim predicate runs on PostgreSQL
        assert len(session.scalars(select(OutboxMessage.id).where(
            campaign_queue.still_wanted())).all()) == 6


# -- merging contacts -------------------------------------------------------------------

def test_merging_a_contact_stops_its_drips_and_queued_mail_at_once(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    keep = add_contact(context, "Ana", "Silva", email="ana@example.com")
    gone = add_contact(context, "Ana", "Silva", email="ana.silva@work.example")
    _enrol(context, campaign, contact_ids=[keep, gone])
    _launch(context, campaign)
    assert _queue(context, NOW).drip_messages == 2
    with context.sessions.begin() as session:
        merge.merge_contacts(session, keep, gone, staff_id=None)
    # one person now: the welcome to the merged record's address must not go too
    statuses = {m.to_email_normalized: m.status for m in outbox(context)}
    assert statuses == {"ana@example.com": OutboxStatus.QUEUED,
                        "ana.silva@work.example": OutboxStatus.CANCELLED}
    with context.sessions() as session:
        stopped = session.scalars(select(Enrolment).where(Enrolment.contact_id == gone)).one()
        assert stopped.status is EnrolmentStatus.STOPPED


# -- a mass email whose template was archived after it was saved --------------------------

def test_a_mass_email_whose_template_was_archived_cannot_be_scheduled(context):
    sender = ready_to_send(context)
    add_contact(context, "Ana", "Silva", email="ana@example.com")
    with context.sessions.begin() as session:
        chosen = templates.save_template(session, None, templates.TemplateDraft(
            "Spring news", "marketing", "Spring", "<p>Hello</p>"), expected_version=None,
            staff_id=None).template_id
    mass_email = _mass_email(context, sender, template_id=chosen)
    with context.sessions.begin() as session:
        templates.archive_template(session, chosen, staff_id=None)
    with context.sessions() as session:
        problems = mass_emails.schedule_problems(session, session.get(MassEmail, mass_email))
    assert any("archived" in p for p in problems)


# -- the cost of asking who may be mailed -------------------------------------------------

def _bulk_contacts(context, count: int) -> list[int]:
    with context.sessions.begin() as session:
        session.execute(insert(Contact), [{
            "first_name": f"P{i}", "last_name": "X", "email": f"p{i}@example.com",
            "email_normalized": f"p{i}@example.com", "applicant_type": ApplicantType.EGG_DONOR,
            "stage": PipelineStage.PRE_SCREEN, "state": "CA", "source": LeadSource.WEBSITE}
            for i in range(count)])
        return list(session.scalars(select(Contact.id).order_by(Contact.id)))


def test_asking_who_may_be_mailed_costs_a_few_queries_not_a_few_per_person(context):
    people = _bulk_contacts(context, 1200)
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "p7@example.com", staff_id=None)
    statements = []
    engine = context.sessions.kw["bind"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with context.sessions() as session:
            reasons = marketing_rules.why_blocked(session, contact_ids=people, for_drips=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert reasons == {("contact", people[7]): "unsubscribed"}
    assert len(statements) < 20, len(statements)


# -- extending an active campaign's end date ----------------------------------------------

def test_extending_the_end_date_brings_back_the_steps_it_had_cut(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender, ends_on=date(2026, 12, 1))
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    with context.sessions() as session:
        cut = session.scalars(select(EnrolmentStep).order_by(EnrolmentStep.id)).all()[1]
        assert cut.status is EnrolmentStepStatus.SKIPPED
        form = drips.load_drip(session, campaign)
    form.ends_on = date(2027, 1, 31)
    with context.sessions.begin() as session:
        drips.save_drip(session, campaign, form, staff_id=None, now=NOW)
    with context.sessions() as session:
        second = session.get(EnrolmentStep, cut.id)
        assert second.status is EnrolmentStepStatus.PENDING
        assert second.due_at == NOW.replace(hour=17) + timedelta(days=1)  # Wed 09:00 Pacific
    assert _queue(context, NOW + timedelta(days=1)).drip_messages == 2


def test_extending_the_end_date_goes_on_with_enrolments_it_had_finished(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender, ends_on=date(2026, 12, 1),
                         auto_enrol_rule={"on": "lead_created"})  # stays open for more
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        for message in session.scalars(select(OutboxMessage)):
            message.status = OutboxStatus.SENT
    _queue(context, NOW + timedelta(minutes=1))
    with context.sessions() as session:
        assert session.scalar(select(Enrolment.status)) is EnrolmentStatus.COMPLETED
        form = drips.load_drip(session, campaign)
    assert form.status.value == "active"
    form.ends_on = None
    with context.sessions.begin() as session:
        drips.save_drip(session, campaign, form, staff_id=None, now=NOW + timedelta(hours=1))
    with context.sessions() as session:
        assert session.scalar(select(Enrolment.status)) is EnrolmentStatus.ACTIVE
    report = _queue(context, NOW + timedelta(days=1))
    assert report.drip_messages == 1
    assert len(outbox(context)) == 2  # the welcome once, the second email once
