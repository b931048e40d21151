"""Drip campaigns end to end through the services: launch checks, enrolment, the outbox
rows the schedule produces, pause and resume, stop rules, completion."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import (
    DripCampaign,
    Enrolment,
    EnrolmentStep,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    EnrolmentStatus,
    EnrolmentStepStatus,
    OutboxStatus,
    PipelineStage,
    SuppressionReason,
)
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import (
    campaign_queue,
    contacts,
    drip_lifecycle,
    drips,
    email_preferences,
    enrolment,
)
from orchid_desktop.services.drip_lifecycle import LaunchRefused
from orchid_desktop.services.templates import TemplateDraft, save_template

from .campaign_helpers import (
    TUESDAY_10AM_PACIFIC,
    email_step,
    make_drip,
    outbox,
    ready_to_send,
    template_id,
)
from .people_helpers import add_contact, add_lead

NOW = TUESDAY_10AM_PACIFIC


def _enrol(context, campaign_id, *, contact_ids=(), lead_ids=(), now=NOW):
    with context.sessions.begin() as session:
        return enrolment.enrol(session, campaign_id, contact_ids=contact_ids,
                               lead_ids=lead_ids, staff_id=context.staff_id, now=now)


def _launch(context, campaign_id, now=NOW):
    with context.sessions.begin() as session:
        return drip_lifecycle.launch(session, campaign_id, staff_id=context.staff_id, now=now)


def _queue(context, now):
    with context.sessions.begin() as session:
        return campaign_queue.queue_due(session, now=now)


def _steps(context, campaign_id):
    with context.sessions() as session:
        return list(session.scalars(
            select(EnrolmentStep).join(Enrolment).where(Enrolment.campaign_id == campaign_id)
            .order_by(EnrolmentStep.enrolment_id, EnrolmentStep.id)))


def test_launch_is_refused_with_every_reason(context):
    campaign = make_drip(context)
    with context.sessions() as session:
        problems = drip_lifecycle.launch_problems(session, campaign, now=NOW)
    text = " ".join(problems)
    assert "postal address" in text
    assert "sender identity" in text
    assert "Nobody is enrolled" in text
    with pytest.raises(LaunchRefused) as refused, context.sessions.begin() as session:
        drip_lifecycle.launch(session, campaign, staff_id=context.staff_id, now=NOW)
    assert refused.value.problems == problems
    with context.sessions() as session:
        assert session.get(DripCampaign, campaign).status is CampaignStatus.DRAFT


def test_a_step_that_cannot_render_for_someone_refuses_launch_naming_them(context):
    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        strict = save_template(session, None, TemplateDraft(
            "Strict hello", "marketing", "Hello {{ first_name }}", "<p>Hi {{ first_name }}</p>",
            ""), expected_version=None, staff_id=context.staff_id).template_id
    campaign = make_drip(context, sender_id=sender, steps=[email_step(strict)])
    nameless = add_contact(context, "", "Okafor", email="okafor@example.com")
    named = add_contact(context, "Ana", "Silva", email="ana@example.com")
    _enrol(context, campaign, contact_ids=[nameless, named])
    with context.sessions() as session:
        problems = drip_lifecycle.launch_problems(session, campaign, now=NOW)
    assert len(problems) == 1
    assert "1 enrolled person has no value for {{ first_name }}" in problems[0]
    assert "Okafor" in problems[0]


def test_the_daily_limit_is_checked_before_launch(context):
    sender = ready_to_send(context, daily_limit=2)
    campaign = make_drip(context, sender_id=sender)
    people = [add_contact(context, f"P{i}", "X", email=f"p{i}@example.com") for i in range(3)]
    _enrol(context, campaign, contact_ids=people)
    with context.sessions() as session:
        problems = drip_lifecycle.launch_problems(session, campaign, now=NOW)
    assert problems == ["On Tue 01 Dec 2026, 3 emails would go out from hello@orchid.example, "
                        "above its limit of 2 a day (and on 1 other day). Raise the limit, "
                        "add a sender, or enrol fewer people at once."]


def test_launch_plans_each_step_in_each_persons_time_zone_and_queues_what_is_due(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender, steps=[
        email_step(template_id(context, "donor-welcome-01")),
        email_step(template_id(context, "donor-welcome-02"), 1, send_time=time(9, 30))])
    ca = add_contact(context, "Ana", "Silva", email="ana@example.com", state="CA")
    ny = add_contact(context, "Bea", "Jones", email="bea@example.com", state="NY")
    _enrol(context, campaign, contact_ids=[ca, ny])
    assert _launch(context, campaign) == 4
    report = _queue(context, NOW)
    assert report.drip_messages == 2  # the two welcomes, now: inside both windows
    assert _queue(context, NOW).drip_messages == 0  # never twice
    second = {s.enrolment_id: s.due_at for s in _steps(context, campaign)
              if s.status is EnrolmentStepStatus.PENDING and s.due_at > NOW}
    local = sorted(due.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")
                   for due, zone in zip(second.values(), ("America/Los_Angeles",
                                                           "America/New_York"), strict=False))
    assert local == ["Wed 09:30", "Wed 09:30"]
    assert len(set(second.values())) == 2  # same wall clock, different instants
    _queue(context, NOW + timedelta(days=2))
    messages = outbox(context)
    assert len(messages) == 4
    assert {m.status for m in messages} == {OutboxStatus.QUEUED}
    first = messages[0]
    assert first.render_variables["first_name"] == "Ana"
    assert first.render_variables["agency_name"] == "Orchid Fertility"
    assert first.category.startswith(f"drip-{campaign}-step-")
    assert first.sender_identity_id == sender
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.enrolment_step_id.is_not(None))) == 4


def test_one_enrolment_per_person_even_as_lead_and_contact(context):
    campaign = make_drip(context)
    contact = add_contact(context, "Ana", "Silva", email="ana@example.com")
    lead = add_lead(context, "Ana", "Silva", email="ANA@example.com", allow_duplicate=True)
    report = _enrol(context, campaign, contact_ids=[contact], lead_ids=[lead])
    assert (report.enrolled, report.already) == (1, 1)
    again = _enrol(context, campaign, contact_ids=[contact])
    assert (again.enrolled, again.already) == (0, 1)
    carrier = add_contact(context, "Cara", "Lee", email="cara@example.com",
                          applicant_type="gestational_carrier")
    no_email = add_contact(context, "Dee", "Moss", phone="415-555-0100")
    refused = _enrol(context, campaign, contact_ids=[carrier, no_email])
    assert refused.enrolled == 0
    assert refused.refused == {"not an egg donor": 1, "no email address": 1}
    assert "not enrolled: not an egg donor" in refused.summary()


def test_people_who_may_not_be_mailed_are_not_enrolled(context):
    campaign = make_drip(context)
    gone = add_contact(context, "Una", "Sub", email="unsub@example.com")
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "unsub@example.com", staff_id=context.staff_id)
    report = _enrol(context, campaign, contact_ids=[gone])
    assert report.refused == {"unsubscribed": 1}


@pytest.mark.parametrize("leave, reason", [
    ("unsubscribe", "unsubscribed"),
    ("replied", "replied"),
    ("disqualified", "disqualified"),
    ("suppressed_behind_our_back", "their email bounced"),
])
def test_a_drip_stops_by_itself(context, leave, reason):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    person = add_contact(context, "Ana", "Silva", email="ana@example.com")
    stays = add_contact(context, "Bea", "Jones", email="bea@example.com")
    _enrol(context, campaign, contact_ids=[person, stays])
    _launch(context, campaign)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        if leave == "unsubscribe":
            email_preferences.unsubscribe(session, "ana@example.com", staff_id=None)
        elif leave == "replied":
            email_preferences.mark_replied(session, person, staff_id=None)
        elif leave == "disqualified":
            contacts.change_stage(session, person, PipelineStage.DISQUALIFIED, staff_id=None,
                                  reason="too young")
        else:  # a suppression written without any hook (as a sync might): the queue stops it
            session.add(Suppression(email_normalized="ana@example.com",
                                    reason=SuppressionReason.BOUNCE, source="sendgrid"))
    _queue(context, NOW + timedelta(days=3))
    with context.sessions() as session:
        stopped = session.scalars(select(Enrolment).where(Enrolment.contact_id == person)).one()
        kept = session.scalars(select(Enrolment).where(Enrolment.contact_id == stays)).one()
        assert stopped.status is EnrolmentStatus.STOPPED
        assert reason in stopped.stop_reason
        assert kept.status is EnrolmentStatus.ACTIVE
        later = session.scalars(select(EnrolmentStep).where(
            EnrolmentStep.enrolment_id == stopped.id).order_by(EnrolmentStep.id)).all()[1]
        assert later.status is EnrolmentStepStatus.SKIPPED
        assert reason in later.reason
    to_ana = [m for m in outbox(context) if m.to_email_normalized == "ana@example.com"]
    assert len(to_ana) == 1  # only the welcome queued before leaving…
    if leave != "suppressed_behind_our_back":  # …which the hooks cancel at once
        assert to_ana[0].status in (OutboxStatus.CANCELLED, OutboxStatus.SUPPRESSED)


def test_staff_can_stop_one_enrolment(context):
    campaign = make_drip(context)
    person = add_contact(context, "Ana", "Silva", email="ana@example.com")
    _enrol(context, campaign, contact_ids=[person])
    with context.sessions() as session:
        enrolment_id = session.scalar(select(Enrolment.id))
    with context.sessions.begin() as session:
        enrolment.stop_by_hand(session, enrolment_id, "asked for a call instead",
                               staff_id=context.staff_id)
    with pytest.raises(UserError, match="already stopped"), context.sessions.begin() as s:
        enrolment.stop_by_hand(s, enrolment_id, "", staff_id=None)


def test_pause_holds_due_messages_and_resume_keeps_the_spacing(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender, steps=[
        email_step(template_id(context, "donor-welcome-01")),
        email_step(template_id(context, "donor-welcome-02"), 1),
        email_step(template_id(context, "donor-welcome-03"), 2)])
    person = add_contact(context, "Ana", "Silva", email="ana@example.com")
    _enrol(context, campaign, contact_ids=[person])
    _launch(context, campaign)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        drip_lifecycle.pause(session, campaign, staff_id=None, reason="rewording")
    assert outbox(context) == []  # the queued welcome went back to being pending
    assert _queue(context, NOW + timedelta(days=10)).drip_messages == 0
    before = [s.due_at for s in _steps(context, campaign)]
    resumed_at = NOW + timedelta(days=7)  # Tuesday 8 Dec, 10:00 Pacific
    with context.sessions.begin() as session:
        drip_lifecycle.resume(session, campaign, staff_id=None, now=resumed_at)
    after = [s.due_at for s in _steps(context, campaign)]
    assert after[0] == resumed_at
    assert after[1] - after[0] == before[1] - before[0]
    assert after[2] - after[1] == before[2] - before[1]
    assert _queue(context, resumed_at).drip_messages == 1


def test_steps_change_only_in_a_draft_but_the_window_can(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    with context.sessions() as session:
        form = drips.load_drip(session, campaign)
    form.steps = form.steps[:1]
    with pytest.raises(ValidationError, match="only be changed while the campaign is a draft"), \
            context.sessions.begin() as session:
        drips.save_drip(session, campaign, form, staff_id=None)
    with context.sessions() as session:
        form = drips.load_drip(session, campaign)
    form.window_start, form.window_end = time(11, 0), time(12, 0)
    with context.sessions.begin() as session:
        drips.save_drip(session, campaign, form, staff_id=None, now=NOW)
    for step in _steps(context, campaign):
        local = step.due_at.astimezone(ZoneInfo("America/Los_Angeles"))
        assert time(11, 0) <= local.time() < time(12, 0)


def test_sent_steps_complete_the_enrolment_and_the_campaign(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    for day in (0, 2):
        _queue(context, NOW + timedelta(days=day))
        with context.sessions.begin() as session:  # what the sending engine does
            for message in session.scalars(select(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.QUEUED)):
                message.status = OutboxStatus.SENT
    _queue(context, NOW + timedelta(days=3))
    with context.sessions() as session:
        assert {s.status for s in session.scalars(select(EnrolmentStep))} == \
            {EnrolmentStepStatus.SENT}
        assert session.scalar(select(Enrolment.status)) is EnrolmentStatus.COMPLETED
        assert session.get(DripCampaign, campaign).status is CampaignStatus.COMPLETED
        summary = drips.list_drips(session)[0]
    assert (summary.enrolled, summary.sent, summary.queued) == (1, 2, 0)


def test_a_rule_enrols_new_leads_of_its_type(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender,
                         auto_enrol_rule={"on": "lead_created", "applicant_type": "egg_donor"})
    _launch(context, campaign)  # nobody enrolled: the rule will bring people
    donor = add_lead(context, "Ana", "Silva", email="ana@example.com")
    add_lead(context, "Cara", "Lee", email="cara@example.com",
             applicant_type="gestational_carrier")
    with context.sessions() as session:
        enrolled = session.scalars(select(Enrolment.lead_id)).all()
        assert enrolled == [donor]
        assert session.scalar(select(func.count()).select_from(EnrolmentStep)) == 2


def test_an_import_batch_can_be_enrolled_and_rules_take_imported_people(context, tmp_path):
    from .test_importing import do_import, write_csv

    sender = ready_to_send(context)
    rule_campaign = make_drip(context, name="Rule", sender_id=sender, target="any",
                              auto_enrol_rule={"on": "lead_created"})
    _launch(context, rule_campaign)
    report = do_import(context, write_csv(tmp_path))
    assert report.enrolled and "enrolled in Rule" in report.enrolled[0]
    by_hand = make_drip(context, name="By hand", target="any")
    with context.sessions.begin() as session:
        result = enrolment.enrol_import_batch(session, by_hand, report.batch_id, staff_id=None)
    assert result.enrolled + sum(result.refused.values()) == report.created
    assert result.enrolled > 0


def test_the_simulator_shows_each_enrolees_sends(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    with context.sessions() as session:
        sample = drip_lifecycle.simulate(session, campaign, now=NOW)
    assert [s.person for s in sample] == ["Someone enrolled now"] * 2
    assert sample[0].local_due.strftime("%a %d %b %H:%M") == "Tue 01 Dec 10:00"
    assert sample[1].local_due.strftime("%a %d %b %H:%M") == "Wed 02 Dec 09:00"
    ny = add_contact(context, "Bea", "Jones", email="bea@example.com", state="NY")
    _enrol(context, campaign, contact_ids=[ny])
    _launch(context, campaign)
    with context.sessions() as session:
        sends = drip_lifecycle.simulate(session, campaign, now=NOW)
    assert [(s.person, s.time_zone, s.status) for s in sends] == [
        ("Bea Jones", "America/New_York", "planned")] * 2
    assert sends[0].local_due.strftime("%H:%M %Z") == "13:00 EST"


def test_archive_needs_a_pause_and_stops_everyone(context):
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    with pytest.raises(UserError, match="pause it"), context.sessions.begin() as session:
        drip_lifecycle.archive(session, campaign, staff_id=None)
    with context.sessions.begin() as session:
        drip_lifecycle.pause(session, campaign, staff_id=None)
        drip_lifecycle.archive(session, campaign, staff_id=None)
    with context.sessions() as session:
        assert session.scalar(select(Enrolment.status)) is EnrolmentStatus.STOPPED
    with pytest.raises(UserError, match="archived"), context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=[1], staff_id=None)


def test_a_template_fixed_before_a_step_is_due_goes_out_fixed(context):
    from orchid_desktop.services.templates import load_template

    sender = ready_to_send(context)
    second = template_id(context, "donor-welcome-02")
    campaign = make_drip(context, sender_id=sender)
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        detail = load_template(session, second)
        draft = detail.draft
        fixed = TemplateDraft(draft.name, draft.kind, "Fixed subject", draft.html_body,
                              draft.text_body)
        saved = save_template(session, second, fixed, expected_version=detail.version,
                              staff_id=None)
    _queue(context, NOW + timedelta(days=2))
    assert outbox(context)[1].template_version_id == saved.version_id


@pytest.mark.postgres
def test_a_drip_runs_on_postgresql(pg_context):
    context = pg_context
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    people = [add_contact(context, f"P{i}", "X", email=f"p{i}@example.com", state=state)
              for i, state in enumerate(("CA", "NY", "TX"))]
    _enrol(context, campaign, contact_ids=people)
    assert _launch(context, campaign) == 6
    assert _queue(context, NOW).drip_messages == 3
    assert _queue(context, NOW + timedelta(days=2)).drip_messages == 3
    with context.sessions.begin() as session:
        email_preferences.mark_replied(session, people[0], staff_id=None)
        summary = drips.list_drips(session)[0]
    assert (summary.enrolled, summary.active) == (3, 2)


def test_the_status_bar_knows_the_next_planned_send(context):
    from orchid_desktop.services import sending_state

    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    _queue(context, NOW)
    with context.sessions.begin() as session:
        for message in session.scalars(select(OutboxMessage)):
            message.status = OutboxStatus.SENT
    _queue(context, NOW + timedelta(minutes=1))
    with context.sessions() as session:
        snap = sending_state.snapshot(session, has_api_key=False, local_mode_setting=False)
    assert snap.queued == 0
    assert snap.next_due_at.astimezone(ZoneInfo("America/Los_Angeles")).strftime(
        "%a %H:%M") == "Wed 09:00"


def test_custom_variables_override_and_count_at_launch(context):
    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        strict = save_template(session, None, TemplateDraft(
            "Hello strict", "marketing", "Hi {{ first_name }}", "<p>{{ coordinator_name }}</p>",
            ""), expected_version=None, staff_id=None).template_id
    campaign = make_drip(context, sender_id=sender, steps=[email_step(strict)])
    person = add_contact(context, "Ana", "Silva", email="ana@example.com")
    with pytest.raises(ValidationError, match="health data"), context.sessions.begin() as s:
        enrolment.enrol(s, campaign, contact_ids=[person], staff_id=None,
                        custom_variables={"weight_kg": "60"})
    with context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=[person], staff_id=None, now=NOW,
                        custom_variables={"coordinator_name": "Maria"})
    with context.sessions() as session:  # Maria fills the coordinator the template needs
        assert drip_lifecycle.launch_problems(session, campaign, now=NOW) == []
    _launch(context, campaign)
    _queue(context, NOW)
    assert outbox(context)[0].render_variables["coordinator_name"] == "Maria"


def test_someone_joining_later_without_a_needed_value_is_failed_with_the_reason(context):
    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        strict = save_template(session, None, TemplateDraft(
            "Strict", "marketing", "Hi {{ first_name }}", "<p>Hi {{ first_name }}</p>", ""),
            expected_version=None, staff_id=None).template_id
    campaign = make_drip(context, sender_id=sender, steps=[email_step(strict)])
    _enrol(context, campaign, contact_ids=[add_contact(context, "Ana", "S", email="a@x.com")])
    _launch(context, campaign)
    _enrol(context, campaign, contact_ids=[add_contact(context, "", "Okafor", email="o@x.com")])
    report = _queue(context, NOW)
    assert (report.drip_messages, report.drip_failures) == (1, 1)
    failed = [m for m in outbox(context) if m.status is OutboxStatus.FAILED]
    assert failed[0].to_email_normalized == "o@x.com"
    assert "{{ first_name }}" in failed[0].status_reason
    _queue(context, NOW + timedelta(minutes=1))
    assert [s.status for s in _steps(context, campaign)] == [
        EnrolmentStepStatus.PENDING, EnrolmentStepStatus.FAILED]
