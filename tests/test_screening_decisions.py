"""Screening decisions through the service layer: the rules run by themselves, the queue
and its groups, approve / reject / defer / flag / request information, leaving drips, and
conversion to a client with a case (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import (
    Case,
    Client,
    Contact,
    DripCampaign,
    Enrolment,
    OutboxMessage,
    ScreeningEvaluation,
)
from orchid_desktop.domain.vocab import (
    CampaignTarget,
    EmailKind,
    EnrolmentStatus,
    OutboxOrigin,
    OutboxStatus,
    PipelineStage,
    ScreeningOutcome,
)
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import contacts, screening
from orchid_desktop.services import screening_decisions as decide
from orchid_desktop.services.listing import Listing
from orchid_desktop.services.people_query import SCREENING, PeopleFilter, where_clause
from orchid_desktop.services.screening_queue import (
    Group,
    Queue,
    group_counts,
    queue_condition,
)
from tests.people_helpers import add_contact, person

TODAY = date.today()


def years_ago(years: int, days: int = 0) -> date:
    """A birthday ``years`` ago, less ``days`` (a 29 February today counts from 28 Feb)."""
    day = TODAY if (TODAY.month, TODAY.day) != (2, 29) else TODAY - timedelta(days=1)
    return day.replace(year=day.year - years) - timedelta(days=days)

# a profile every egg-donor rule passes (age 25, BMI 22)
PASSING = {
    "date_of_birth": years_ago(25, days=3).isoformat(),
    "height_cm": "165", "weight_kg": "60", "nicotine": "no", "drugs": "no",
    "injected_drugs": "no", "contraception": "none", "cycles": "regular",
    "prior_donation_cycles": "0", "heritable_disorder_self": "no",
    "heritable_disorder_family": "no", "adopted": "no", "psychiatric_treatment_now": "no",
    "antidepressants_now": "no", "tattoo_piercing_ever": "no", "sti_treated_ever": "no",
    "jail_ever": "no",
}


def edit(context, contact_id, **values):
    with context.sessions() as session:
        detail = contacts.contact_detail(session, contact_id)
    with context.sessions.begin() as session:
        contacts.save_contact(session, contact_id, detail.version,
                              person(detail.form.first_name, detail.form.last_name,
                                     email=detail.form.email, state=detail.form.state),
                              dict(detail.profile, **values), staff_id=context.staff_id)


def row(context, contact_id) -> Contact:
    with context.sessions() as session:
        contact = session.get(Contact, contact_id)
        session.expunge(contact)
        return contact


def queue_ids(context, **filters) -> list[int]:
    listing = Listing(context.sessions, SCREENING)
    people = PeopleFilter(**filters)
    return sorted(r[0] for r in listing.page(0, 1000, 0, False, people))


def counts(context, queue=Queue.TO_DECIDE) -> dict[Group, int]:
    with context.sessions() as session:
        where = where_clause(SCREENING, PeopleFilter(queue=queue), "sqlite")
        return group_counts(session, where)


def history_text(context, contact_id) -> str:
    with context.sessions() as session:
        return "\n".join(f"{i.text} | {i.body}" for i in contacts.history(session, contact_id))


def passing_contact(context, first="Ana", email="ana@example.com") -> int:
    contact_id = add_contact(context, first, "Silva", email)
    edit(context, contact_id, **PASSING)
    return contact_id


def test_the_rules_run_when_a_contact_is_created_and_edited_without_an_edit_conflict(context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    created = row(context, contact_id)
    assert created.screening_outcome is ScreeningOutcome.NEEDS_DATA
    assert created.screened_at is not None
    assert created.version == 1  # screening is not an edit: no version bump
    edit(context, contact_id, **PASSING)
    assert row(context, contact_id).screening_outcome is ScreeningOutcome.PASS
    edit(context, contact_id, date_of_birth=years_ago(20).isoformat())
    assert row(context, contact_id).screening_outcome is ScreeningOutcome.DQ
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScreeningEvaluation).where(
            ScreeningEvaluation.contact_id == contact_id)) == 3


def test_the_queue_groups_and_counts_by_outcome(context):
    needs = add_contact(context, "Nia", "Data", "nia@example.com")
    passed = passing_contact(context, "Pat", "pat@example.com")
    dq = passing_contact(context, "Dee", "dee@example.com")
    edit(context, dq, prior_donation_cycles="6")
    assert queue_ids(context) == sorted([needs, passed, dq])
    assert queue_ids(context, outcome_groups=("dq",)) == [dq]
    assert queue_ids(context, outcome_groups=("passed", "needs_data")) == sorted([needs, passed])
    found = counts(context)
    assert (found[Group.DQ], found[Group.PASSED], found[Group.NEEDS_DATA],
            found[Group.FLAGGED]) == (1, 1, 1, 0)
    # a screener's own flag puts a passed contact in Flagged too
    with context.sessions.begin() as session:
        decide.set_flag(session, passed, True, staff_id=context.staff_id, note="call her back")
    assert counts(context)[Group.FLAGGED] == 1
    assert queue_ids(context, outcome_groups=("flagged",)) == [passed]
    with context.sessions.begin() as session:
        decide.set_flag(session, passed, False, staff_id=context.staff_id)
    assert counts(context)[Group.FLAGGED] == 0
    assert "flagged" in history_text(context, passed)
    assert "unflagged" in history_text(context, passed)


def test_a_rules_dq_takes_the_person_out_of_drips_and_queued_marketing_mail(context):
    contact_id = passing_contact(context)
    with context.sessions.begin() as session:
        campaign = DripCampaign(name="Welcome", target=CampaignTarget.EGG_DONOR)
        session.add(campaign)
        session.flush()
        session.add(Enrolment(campaign_id=campaign.id, contact_id=contact_id))
        for kind in (EmailKind.MARKETING, EmailKind.SERVICE):
            session.add(OutboxMessage(origin=OutboxOrigin.SINGLE, kind=kind,
                                      contact_id=contact_id, to_email="ana@example.com",
                                      to_email_normalized="ana@example.com"))
    edit(context, contact_id, nicotine="yes")
    with context.sessions() as session:
        enrolment = session.scalars(select(Enrolment)).one()
        assert enrolment.status is EnrolmentStatus.STOPPED
        assert "screening rules" in enrolment.stop_reason
        statuses = {m.kind: m.status for m in session.scalars(select(OutboxMessage))}
    assert statuses == {EmailKind.MARKETING: OutboxStatus.CANCELLED,
                        EmailKind.SERVICE: OutboxStatus.QUEUED}


def test_approve_moves_to_approved_and_overruling_a_dq_needs_a_reason(context):
    dq = passing_contact(context)
    edit(context, dq, prior_donation_cycles="7")
    with pytest.raises(ValidationError, match="say why"), context.sessions.begin() as session:
        decide.approve(session, dq, staff_id=context.staff_id)
    with context.sessions.begin() as session:
        decide.approve(session, dq, staff_id=context.staff_id, note="clinic records: 5 cycles")
    assert row(context, dq).stage is PipelineStage.APPROVED
    assert queue_ids(context) == []
    assert queue_ids(context, queue=Queue.APPROVED) == [dq]
    assert "approved" in history_text(context, dq)
    assert "clinic records: 5 cycles" in history_text(context, dq)
    with pytest.raises(UserError, match="no longer waiting"), \
            context.sessions.begin() as session:
        decide.approve(session, dq, staff_id=context.staff_id)


def test_reject_records_the_code_and_queues_a_kind_notice(context):
    contact_id = passing_contact(context)
    with context.sessions.begin() as session:
        outbox_id = decide.reject(session, contact_id, staff_id=context.staff_id,
                                  reason_code="not_a_fit", note="second interview",
                                  send_notice=True)
    contact = row(context, contact_id)
    assert (contact.stage, contact.dq_reason_code) == (PipelineStage.DISQUALIFIED, "NOT_A_FIT")
    with context.sessions() as session:
        notice = session.get(OutboxMessage, outbox_id)
        assert (notice.kind, notice.status, notice.category) == (
            EmailKind.SERVICE, OutboxStatus.QUEUED, "kind-rejection-notice")
        assert notice.template_version_id is not None
        # opaque, non-medical variables only
        assert set(notice.render_variables) <= {"first_name", "last_name", "email",
                                                "agency_name", "application_link",
                                                "coordinator_name"}
    assert queue_ids(context, queue=Queue.CLOSED) == [contact_id]
    assert "rejected" in history_text(context, contact_id)
    assert "NOT_A_FIT" in history_text(context, contact_id)


def test_a_rejection_that_cannot_send_its_notice_changes_nothing(context):
    contact_id = add_contact(context, "Ana", "Silva", phone="4155550100")
    with pytest.raises(UserError, match="no email address"), \
            context.sessions.begin() as session:
        decide.reject(session, contact_id, staff_id=context.staff_id,
                      reason_code="NOT_A_FIT", send_notice=True)
    assert row(context, contact_id).stage is PipelineStage.PRE_SCREEN
    with pytest.raises(ValidationError, match="Other"), context.sessions.begin() as session:
        decide.reject(session, contact_id, staff_id=context.staff_id, reason_code="OTHER")


def test_a_deferral_leaves_the_queue_and_returns_on_its_date(context):
    contact_id = passing_contact(context)
    with pytest.raises(ValidationError, match="after today"), \
            context.sessions.begin() as session:
        decide.defer(session, contact_id, TODAY, staff_id=context.staff_id)
    later = TODAY + timedelta(days=30)
    with context.sessions.begin() as session:
        decide.defer(session, contact_id, later, staff_id=context.staff_id, note="stopping Depo")
    assert queue_ids(context) == []
    assert queue_ids(context, queue=Queue.WAITING) == [contact_id]
    with context.sessions() as session:
        def in_queue(day):
            return session.scalar(select(func.count()).select_from(Contact).where(
                queue_condition(Queue.TO_DECIDE, day), Contact.id == contact_id))
        assert in_queue(later - timedelta(days=1)) == 0
        assert in_queue(later) == 1  # back by itself on the date
    assert "deferred" in history_text(context, contact_id)


def test_request_information_is_recorded_and_its_email_says_nothing_medical(context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    with context.sessions.begin() as session:
        outbox_id = decide.request_information(
            session, contact_id, staff_id=context.staff_id,
            what="height, weight and contraception", send_email=True)
    assert row(context, contact_id).info_requested_at is not None
    with context.sessions() as session:
        message = session.get(OutboxMessage, outbox_id)
        assert message.category == "information-request"
        assert "contraception" not in str(message.render_variables)
    assert "height, weight and contraception" in history_text(context, contact_id)


def _convert(context, contact_id, start=date(2026, 12, 1)):
    with context.sessions.begin() as session:
        return decide.convert_to_client(session, contact_id, staff_id=context.staff_id,
                                        coordinator_id=context.staff_id, start_date=start)


def _approved(context, first, email):
    contact_id = passing_contact(context, first, email)
    with context.sessions.begin() as session:
        decide.approve(session, contact_id, staff_id=context.staff_id)
    return contact_id


def check_conversion(context):
    first = _approved(context, "Ana", "ana@example.com")
    second = _approved(context, "Bea", "bea@example.com")
    with pytest.raises(UserError, match="Approve"):
        _convert(context, passing_contact(context, "Cy", "cy@example.com"))
    made = _convert(context, first)
    assert made.case_number == "ED-2026-0001"
    assert _convert(context, second).case_number == "ED-2026-0002"
    with pytest.raises(UserError, match="already a client .case ED-2026-0001"):
        _convert(context, first)
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 2
        case = session.get(Case, made.case_id)
        assert (case.start_date, case.coordinator_id) == (date(2026, 12, 1), context.staff_id)
        assert decide.client_case(session, first)[1].case_number == "ED-2026-0001"
    assert queue_ids(context, queue=Queue.APPROVED) == []
    assert "converted to client" in history_text(context, first)
    assert row(context, first).stage is PipelineStage.APPROVED  # the contact stays


def test_convert_to_client_opens_a_numbered_case_once(context):
    check_conversion(context)


@pytest.mark.postgres
def test_convert_to_client_on_postgresql(pg_context):
    check_conversion(pg_context)


def test_a_decision_on_what_has_changed_since_is_refused(context):
    from orchid_desktop.errors import ConflictError
    from orchid_desktop.services.screening_view import screening_view

    contact_id = passing_contact(context)
    with context.sessions() as session:
        looked_at = screening_view(session, contact_id).seen()
    edit(context, contact_id, cycles="irregular")  # another workstation: now a FLAG
    with pytest.raises(ConflictError, match="another workstation"), \
            context.sessions.begin() as session:
        decide.approve(session, contact_id, staff_id=context.staff_id, seen=looked_at)
    assert row(context, contact_id).stage is PipelineStage.PRE_SCREEN
    with context.sessions() as session:
        fresh = screening_view(session, contact_id).seen()
    with context.sessions.begin() as session:
        decide.approve(session, contact_id, staff_id=context.staff_id, seen=fresh)
    # a flag set elsewhere first is reported, not silently kept over this screener's note
    other = passing_contact(context, "Bo", "bo@example.com")
    with context.sessions.begin() as session:
        decide.set_flag(session, other, True, staff_id=context.staff_id, note="photos")
    with pytest.raises(ConflictError, match="flagged on another workstation"), \
            context.sessions.begin() as session:
        decide.set_flag(session, other, True, staff_id=context.staff_id, note="travel")


def test_approving_past_missing_answers_needs_a_reason(context):
    contact_id = add_contact(context, "Nia", "Data", "nia@example.com")
    with pytest.raises(ValidationError, match="miss answers"), \
            context.sessions.begin() as session:
        decide.approve(session, contact_id, staff_id=context.staff_id)


def test_case_numbers_follow_the_highest_even_with_a_gap(context):
    first = _approved(context, "Ana", "ana@example.com")
    with context.sessions.begin() as session:
        client = Client(contact_id=first)
        session.add(client)
        session.flush()
        session.add(Case(case_number="ED-2026-0007", client_id=client.id,
                         start_date=date(2026, 1, 5)))
    second = _approved(context, "Bea", "bea@example.com")
    assert _convert(context, second).case_number == "ED-2026-0008"


def test_rescreen_all_in_batches_with_progress_and_stop(context, monkeypatch):
    ids = [add_contact(context, f"P{i}", "Silva", f"p{i}@example.com") for i in range(5)]
    monkeypatch.setattr(screening, "RESCREEN_BATCH", 2)
    seen = []
    tally = screening.screen_contacts(context.sessions, None,
                                      progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert tally.outcomes == {ScreeningOutcome.NEEDS_DATA: 5}
    assert tally.summary() == "Screened 5 of 5 contacts: 5 needs data."
    stopped = screening.screen_contacts(context.sessions, ids[:4],
                                        progress=lambda done, total: False)
    assert (stopped.done, stopped.stopped) == (2, True)
    assert "(stopped)" in stopped.summary()
