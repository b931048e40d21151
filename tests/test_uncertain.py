"""Uncertain messages — those that may or may not have reached SendGrid — and staff's
decision about each: resend (queued again, due now) or drop (cancelled), through the
service and through the dialog and the status bar's link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orchid_desktop.db.models import (
    AuditEntry,
    EnrolmentStep,
    MassEmail,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStepStatus,
    MassEmailStatus,
    OutboxOrigin,
    OutboxStatus,
    PipelineStage,
    SuppressionReason,
)
from orchid_desktop.errors import UserError
from orchid_desktop.services import (
    campaign_queue,
    contacts,
    drip_lifecycle,
    enrolment,
    mass_emails,
    uncertain,
)
from orchid_desktop.services.mass_emails import MassEmailForm
from orchid_desktop.ui import uncertain_dialog
from orchid_desktop.ui.uncertain_dialog import UncertainDialog

from .campaign_helpers import TUESDAY_10AM_PACIFIC, make_drip, outbox, ready_to_send
from .people_helpers import add_contact

NOW = TUESDAY_10AM_PACIFIC
LATER = NOW + timedelta(hours=1)  # the next dispatch tick
STUCK = "the connection broke before SendGrid answered"


def _drip_messages(context, *people: tuple[str, str, str]) -> list[int]:
    """A launched donor welcome with each person's first email queued; their ids."""
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    ids = [add_contact(context, first, last, email=email) for first, last, email in people]
    with context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=ids, staff_id=None, now=NOW)
        drip_lifecycle.launch(session, campaign, staff_id=None, now=NOW)
        campaign_queue.queue_due(session, now=NOW)
    return [m.id for m in outbox(context)]


def _single(context, email: str, *, kind=EmailKind.SERVICE, contact_id=None) -> int:
    with context.sessions.begin() as session:
        message = OutboxMessage(origin=OutboxOrigin.SINGLE, kind=kind, to_email=email,
                                to_email_normalized=email.lower(), contact_id=contact_id,
                                subject="About your application", html_body="<p>Hi</p>")
        session.add(message)
        session.flush()
        return message.id


def _make_uncertain(context, ids, *, attempts=1) -> None:
    """What the sending engine does when a request got no answer."""
    with context.sessions.begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            status=OutboxStatus.UNCERTAIN, attempts=attempts, lease_owner="desk-2",
            lease_until=utcnow() + timedelta(minutes=5), status_reason=STUCK,
            finished_at=utcnow() - timedelta(minutes=20)))


def _message(context, message_id) -> OutboxMessage:
    with context.sessions() as session:
        return session.get(OutboxMessage, message_id)


def _audits(context, action):
    with context.sessions() as session:
        return session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "outbox_message", AuditEntry.action == action)
            .order_by(AuditEntry.entity_id)).all()


def _step_of(context, message_id) -> EnrolmentStep:
    with context.sessions() as session:
        return session.scalars(select(EnrolmentStep).join(
            OutboxMessage, OutboxMessage.enrolment_step_id == EnrolmentStep.id)
            .where(OutboxMessage.id == message_id)).one()


def _mass_email_messages(context) -> tuple[int, list[int]]:
    sender = ready_to_send(context)
    for first, email in (("Ana", "ana@example.com"), ("Bea", "bea@example.com")):
        add_contact(context, first, "Silva", email=email)
    form = MassEmailForm("December newsletter", subject="News from {{ agency_name }}",
                         html_body="<p>Hi {{ first_name | default('there') }}</p>",
                         sender_identity_id=sender)
    with context.sessions.begin() as session:
        mass_email = mass_emails.save_mass_email(session, None, form, staff_id=None)
        mass_emails.schedule(session, mass_email, None, staff_id=None, now=NOW)
        campaign_queue.queue_due(session, now=NOW)
    return mass_email, [m.id for m in outbox(context)]


# -- the service ------------------------------------------------------------------------

def test_the_list_says_who_what_and_which_campaign(context):
    drip = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                          ("Bea", "Jones", "bea@example.com"))
    single = _single(context, "cara@example.com")
    _single(context, "dee@example.com")  # still queued: not listed
    _make_uncertain(context, [*drip, single], attempts=2)
    with context.sessions() as session:
        rows = {row.id: row for row in uncertain.list_uncertain(session)}
        assert uncertain.count_uncertain(session) == 3
        found = uncertain.list_uncertain(session, search="bea JONES")
        assert [row.to_email for row in found] == ["bea@example.com"]
        by_campaign = uncertain.list_uncertain(session, search="donor welc")
        assert len(by_campaign) == 2
        assert uncertain.list_uncertain(session, search="100%") == []
    assert set(rows) == {*drip, single}
    ana = rows[drip[0]]
    assert (ana.to_name, ana.to_email) == ("Ana Silva", "ana@example.com")
    assert ana.belongs_to == "Donor welcome, email 1"
    assert ana.subject and "{{" not in ana.subject  # filled in as Ana saw it
    assert (ana.attempts, ana.status_reason) == (2, STUCK)
    assert ana.tried_at is not None and ana.tried_at < utcnow()
    assert rows[single].belongs_to == "Single message"
    assert rows[single].subject == "About your application"


def test_a_mass_email_message_names_its_mass_email(context):
    _, ids = _mass_email_messages(context)
    _make_uncertain(context, ids[:1])
    with context.sessions() as session:
        [row] = uncertain.list_uncertain(session)
    assert row.belongs_to == "Mass email: December newsletter"
    assert row.subject == "News from Orchid Fertility"


def test_resend_queues_the_message_due_now_keeping_its_attempts(context):
    [message_id] = _drip_messages(context, ("Ana", "Silva", "ana@example.com"))
    _make_uncertain(context, [message_id], attempts=3)
    before = utcnow()
    with context.sessions.begin() as session:
        report = uncertain.resend(session, [message_id], staff_id=context.staff_id)
    assert (report.resent, report.dropped, report.unchanged) == (1, {}, 0)
    assert report.summary() == "1 message queued to send again."
    message = _message(context, message_id)
    assert message.status is OutboxStatus.QUEUED
    assert before <= message.due_at <= utcnow()
    assert message.attempts == 3
    assert (message.lease_owner, message.lease_until, message.finished_at) == (None, None, None)
    assert message.status_reason.startswith("resent by ")
    assert message.status_reason.endswith(" after an uncertain send")
    [entry] = _audits(context, "resent")
    assert (entry.entity_id, entry.staff_id) == (message_id, context.staff_id)
    assert entry.changes == {"status": ["uncertain", "queued"]}
    with context.sessions.begin() as session:
        campaign_queue.settle(session, now=LATER)
    assert _step_of(context, message_id).status is EnrolmentStepStatus.PENDING


def test_resend_refuses_people_who_may_no_longer_be_mailed_and_drops_them(context):
    ana_message, bea_message = _drip_messages(
        context, ("Ana", "Silva", "ana@example.com"), ("Bea", "Jones", "bea@example.com"))
    cara = add_contact(context, "Cara", "Lee", email="cara@example.com")
    cara_marketing = _single(context, "cara@example.com", kind=EmailKind.MARKETING,
                             contact_id=cara)
    dee_notice = _single(context, "dee@example.com")  # service mail: not refused
    _make_uncertain(context, [ana_message, bea_message, cara_marketing, dee_notice])
    with context.sessions.begin() as session:
        # a bounce pulled from SendGrid (no hook ran), and a disqualification
        session.add(Suppression(email_normalized="ana@example.com",
                                reason=SuppressionReason.BOUNCE, source="sendgrid"))
        session.add(Suppression(email_normalized="dee@example.com",
                                reason=SuppressionReason.UNSUBSCRIBE, source="sendgrid"))
        contacts.change_stage(session, cara, PipelineStage.DISQUALIFIED, staff_id=None,
                              reason="too young")
    with context.sessions.begin() as session:
        report = uncertain.resend(session, [ana_message, bea_message, cara_marketing,
                                            dee_notice], staff_id=context.staff_id)
    assert report.resent == 2
    assert report.dropped == {"their email bounced": ["ana@example.com"],
                              "disqualified": ["cara@example.com"]}
    text = report.summary()
    assert "2 messages queued to send again." in text
    assert "Not resent, dropped instead (their email bounced): ana@example.com." in text
    assert _message(context, bea_message).status is OutboxStatus.QUEUED
    assert _message(context, dee_notice).status is OutboxStatus.QUEUED
    for refused in (ana_message, cara_marketing):
        message = _message(context, refused)
        assert message.status is OutboxStatus.CANCELLED
        assert "may or may not have been delivered" in message.status_reason
    assert [e.entity_id for e in _audits(context, "dropped")] == [ana_message, cara_marketing]
    with context.sessions.begin() as session:
        campaign_queue.settle(session, now=LATER)
    step = _step_of(context, ana_message)
    assert step.status is EnrolmentStepStatus.SKIPPED
    assert "their email bounced" in step.reason


def test_resend_drops_a_message_whose_drip_stopped(context):
    [message_id] = _drip_messages(context, ("Ana", "Silva", "ana@example.com"))
    _make_uncertain(context, [message_id])
    with context.sessions.begin() as session:
        enrolment_id = session.scalar(select(EnrolmentStep.enrolment_id))
        enrolment.stop_by_hand(session, enrolment_id, "asked for a call instead",
                               staff_id=None)
    with context.sessions.begin() as session:
        report = uncertain.resend(session, [message_id], staff_id=None)
    assert report.resent == 0
    assert list(report.dropped) == ["the drip stopped for them: asked for a call instead"]
    assert _message(context, message_id).status is OutboxStatus.CANCELLED


def test_drop_cancels_and_the_drip_step_is_skipped_after_settle(context):
    first, second = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                                   ("Bea", "Jones", "bea@example.com"))
    _make_uncertain(context, [first, second])
    with context.sessions.begin() as session:
        assert uncertain.drop(session, [first], staff_id=context.staff_id) == 1
    message = _message(context, first)
    assert message.status is OutboxStatus.CANCELLED
    assert message.status_reason == "dropped by staff: it may or may not have been delivered"
    assert message.lease_owner is None and message.finished_at is not None
    assert _message(context, second).status is OutboxStatus.UNCERTAIN
    [entry] = _audits(context, "dropped")
    assert (entry.entity_id, entry.staff_id) == (first, context.staff_id)
    assert _step_of(context, first).status is EnrolmentStepStatus.PENDING  # until the tick
    with context.sessions.begin() as session:
        campaign_queue.settle(session, now=LATER)
    step = _step_of(context, first)
    assert step.status is EnrolmentStepStatus.SKIPPED
    assert step.reason == message.status_reason
    assert _step_of(context, second).status is EnrolmentStepStatus.PENDING


def test_messages_no_longer_uncertain_are_left_as_they_are(context):
    ids = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                         ("Bea", "Jones", "bea@example.com"), ("Cara", "Lee", "cara@example.com"))
    _make_uncertain(context, ids)
    with context.sessions.begin() as session:  # another workstation decided meanwhile
        session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(
            status=OutboxStatus.SENT, status_reason=None))
        session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(
            status=OutboxStatus.CANCELLED, status_reason="dropped elsewhere"))
    with context.sessions.begin() as session:
        report = uncertain.resend(session, ids, staff_id=None)
        assert uncertain.drop(session, ids[:2], staff_id=None) == 0
    assert (report.resent, report.unchanged) == (1, 2)
    assert "2 messages left as they were" in report.summary()
    assert _message(context, ids[0]).status is OutboxStatus.SENT
    assert _message(context, ids[1]).status_reason == "dropped elsewhere"
    assert [e.entity_id for e in _audits(context, "resent")] == [ids[2]]
    assert _audits(context, "dropped") == []


def test_nothing_chosen_is_refused(context):
    with pytest.raises(UserError, match="Choose"), context.sessions.begin() as session:
        uncertain.resend(session, [], staff_id=None)


def test_a_resent_mass_email_message_reopens_its_finished_mass_email(context):
    mass_email, (first, second) = _mass_email_messages(context)
    with context.sessions.begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == second)
                        .values(status=OutboxStatus.SENT))
    _make_uncertain(context, [first])
    with context.sessions.begin() as session:
        campaign_queue.settle(session, now=LATER)
        assert session.get(MassEmail, mass_email).status is MassEmailStatus.SENT
    with context.sessions.begin() as session:
        assert uncertain.resend(session, [first], staff_id=None).resent == 1
    with context.sessions() as session:
        assert session.get(MassEmail, mass_email).status is MassEmailStatus.SENDING
        wanted = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.id == first, campaign_queue.still_wanted()))
        assert wanted == first  # the sending engine will take it


def test_a_cancelled_mass_emails_message_is_dropped_not_resent(context):
    mass_email, (first, _second) = _mass_email_messages(context)
    _make_uncertain(context, [first])
    with context.sessions.begin() as session:
        mass_emails.cancel(session, mass_email, staff_id=None)
    with context.sessions.begin() as session:
        report = uncertain.resend(session, [first], staff_id=None)
    assert report.dropped == {"the mass email was cancelled": ["ana@example.com"]}


@pytest.mark.postgres
def test_listing_resend_and_drop_on_postgresql(pg_context):
    context = pg_context
    ids = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                         ("Bea", "Jones", "bea@example.com"), ("Cara", "Lee", "cara@example.com"))
    _make_uncertain(context, ids)
    with context.sessions.begin() as session:
        session.add(Suppression(email_normalized="cara@example.com",
                                reason=SuppressionReason.SPAM_REPORT, source="sendgrid"))
    with context.sessions() as session:
        assert [r.to_email for r in uncertain.list_uncertain(session, search="BEA")] == [
            "bea@example.com"]
        assert uncertain.list_uncertain(session, search="donor")[0].belongs_to == \
            "Donor welcome, email 1"
    with context.sessions.begin() as session:
        report = uncertain.resend(session, ids[1:], staff_id=context.staff_id)
        assert uncertain.drop(session, ids, staff_id=context.staff_id) == 1
    assert (report.resent, report.dropped) == (1, {"marked an email as spam": [
        "cara@example.com"]})
    assert [m.status for m in outbox(context)] == [
        OutboxStatus.CANCELLED, OutboxStatus.QUEUED, OutboxStatus.CANCELLED]
    with context.sessions.begin() as session:
        campaign_queue.settle(session, now=LATER)
    assert _step_of(context, ids[0]).status is EnrolmentStepStatus.SKIPPED


# -- the dialog and the status bar ------------------------------------------------------

@pytest.fixture
def answer(monkeypatch):
    """The confirmations, answered Yes (or as the test sets), with what they asked."""
    asked: list[tuple[str, str]] = []
    reply = {"button": uncertain_dialog.QMessageBox.StandardButton.Yes}

    def question(_parent, title, text, *_args):
        asked.append((title, text))
        return reply["button"]

    monkeypatch.setattr(uncertain_dialog.QMessageBox, "question", question)
    return asked, reply


def _open(qtbot, context) -> UncertainDialog:
    dialog = UncertainDialog(context)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    return dialog


def _select(dialog, *emails) -> None:
    model = dialog.model
    for row in range(model.rowCount()):
        if model.message(row).to_email in emails:
            dialog.table.selectionModel().select(model.index(row, 0),
                                                 uncertain_dialog.SELECT_ROW)


def test_the_dialog_lists_them_and_resends_a_selection(qtbot, context, answer,
                                                       qtmodeltester):
    ids = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                         ("Bea", "Jones", "bea@example.com"), ("Cara", "Lee", "cara@example.com"))
    _make_uncertain(context, ids)
    dialog = _open(qtbot, context)
    qtmodeltester.check(dialog.model, force_py=True)
    assert dialog.pages.currentWidget() is dialog.table
    assert dialog.model.rowCount() == 3
    assert dialog.count_label.text().startswith("3 messages")
    assert "may or may not" not in dialog.windowTitle()
    assert not dialog.resend_button.isEnabled() and not dialog.drop_button.isEnabled()
    dialog.table.sortByColumn(1, uncertain_dialog.Qt.SortOrder.DescendingOrder)
    assert [dialog.model.message(r).to_email for r in range(3)] == [
        "cara@example.com", "bea@example.com", "ana@example.com"]
    _select(dialog, "ana@example.com", "cara@example.com")
    assert dialog.resend_button.text() == "Resend 2 messages…"
    dialog.table.sortByColumn(1, uncertain_dialog.Qt.SortOrder.AscendingOrder)
    assert sorted(m.to_email for m in dialog.selected()) == ["ana@example.com",
                                                             "cara@example.com"]
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.resend_button.click()
    asked, _ = answer
    assert asked[0][0] == "Send these 2 messages again?"
    assert "twice" in asked[0][1]
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10_000)
    assert dialog.model.message(0).to_email == "bea@example.com"
    assert dialog.result_label.text() == "2 messages queued to send again."
    assert {m.status for m in outbox(context)} == {OutboxStatus.QUEUED, OutboxStatus.UNCERTAIN}


def test_the_dialog_drops_only_when_confirmed_and_then_shows_the_empty_state(
        qtbot, context, answer):
    [message_id] = _drip_messages(context, ("Ana", "Silva", "ana@example.com"))
    _make_uncertain(context, [message_id])
    dialog = _open(qtbot, context)
    assert dialog.detail_label.text().startswith("Choose one or more messages")
    dialog.table.selectRow(0)
    assert dialog.detail_label.text() == f"What happened: {STUCK}. Tried once, last " \
        + _message(context, message_id).finished_at.astimezone().strftime(
            "%a %d %b %Y, %H:%M.")
    asked, reply = answer
    reply["button"] = uncertain_dialog.QMessageBox.StandardButton.Cancel
    dialog.drop_button.click()
    assert asked[-1][0] == "Drop the message to ana@example.com?"
    assert _message(context, message_id).status is OutboxStatus.UNCERTAIN
    reply["button"] = uncertain_dialog.QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.drop_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.empty, timeout=10_000)
    assert dialog.result_label.text() == "1 message dropped."
    assert _message(context, message_id).status is OutboxStatus.CANCELLED


def test_the_dialog_says_when_there_are_none(qtbot, context):
    dialog = _open(qtbot, context)
    assert dialog.pages.currentWidget() is dialog.empty
    assert dialog.empty.title_label.text() == "No uncertain messages"
    assert not dialog.resend_button.isEnabled()


def test_the_search_narrows_the_list(qtbot, context):
    ids = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                         ("Bea", "Jones", "bea@example.com"))
    _make_uncertain(context, ids)
    dialog = _open(qtbot, context)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.search.setText("jones")
    assert dialog.model.rowCount() == 1
    assert dialog.count_label.text() == "1 of 2 messages match"


def test_the_status_bar_link_and_the_menu_open_the_list(window, qtbot, context):
    assert window.uncertain_link.isHidden()
    ids = _drip_messages(context, ("Ana", "Silva", "ana@example.com"),
                         ("Bea", "Jones", "bea@example.com"))
    _make_uncertain(context, ids)
    window.refresh_status()
    assert not window.uncertain_link.isHidden()
    assert "2 uncertain" in window.uncertain_link.text()
    assert "uncertain" not in window.queue_label.text()
    window.uncertain_link.linkActivated.emit("uncertain")
    dialog = window.uncertain_dialog
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=10_000)
    dialog.close()
    window.uncertain_action.trigger()
    assert window.uncertain_dialog is not dialog
    window.uncertain_dialog.close()
