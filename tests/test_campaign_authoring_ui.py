"""Writing templates and mass emails, and enrolling people in drips, driven with qtbot
through the real widgets on a real database. Dialogs are shown with ``open()`` and the
static QMessageBox / QInputDialog calls replaced, so nothing waits on a modal loop;
background work is awaited with ``qtbot.waitUntil``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, QItemSelectionModel
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sqlalchemy import select

from orchid_desktop.db.models import Enrolment, Template, TemplateVersion
from orchid_desktop.domain.vocab import (
    CampaignTarget,
    EnrolmentStatus,
    MassEmailStatus,
    OutboxOrigin,
)
from orchid_desktop.services import email_preferences, mass_emails
from orchid_desktop.services.mass_emails import MassEmailForm
from orchid_desktop.services.segments import Segment
from orchid_desktop.services.templates import PersonRef
from orchid_desktop.ui import mass_emails_panel
from orchid_desktop.ui.mass_emails_panel import MassEmailsPanel
from orchid_desktop.ui.template_editor import TemplateEditorDialog
from orchid_desktop.ui.template_library import TemplateLibraryPanel
from tests.campaign_helpers import make_drip, outbox, ready_to_send, template_id
from tests.people_helpers import add_contact, add_lead

YES = QMessageBox.StandardButton.Yes


def answer(monkeypatch, button=YES) -> list[str]:
    """QMessageBox.question answers ``button``; returns the questions asked."""
    asked: list[str] = []

    def question(parent, title, text, *args):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def no_popups(monkeypatch) -> list[str]:
    """Information and warning boxes are recorded instead of shown."""
    shown: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(QMessageBox, name,
                            lambda parent, title, text, *a: shown.append(text))
    return shown


def status_of(context, mass_email_id) -> MassEmailStatus:
    with context.sessions() as session:
        return mass_emails.load_mass_email(session, mass_email_id).status


# -- templates ---------------------------------------------------------------------------

def test_a_template_is_checked_as_typed_refused_with_the_problem_then_saved(qtbot, context):
    ready_to_send(context)
    add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = TemplateEditorDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("Spring hello")
    qtbot.keyClicks(dialog.content.subject, "Hello {{ first_name }}")
    qtbot.keyClicks(dialog.content.html, "<p>Hi {{ frist_name }}</p>")
    qtbot.waitUntil(lambda: "did you mean {{ first_name }}?"
                    in dialog.content.problems_label.text(), timeout=3000)
    assert "appears once the problems are fixed" in dialog.preview.message_label.text()
    assert not dialog.save()
    assert dialog.status_label.text().startswith("Not saved:\n•  {{ frist_name }} is not")
    with context.sessions() as session:
        assert session.scalar(select(Template.id).where(Template.name == "Spring hello")) \
            is None
    dialog.content.html.setPlainText("<p>Hi {{ first_name }}</p>")
    qtbot.waitUntil(lambda: dialog.content.problems_label.text() == "No problems found.",
                    timeout=3000)
    assert dialog.save()
    assert dialog.status_label.text() == "Saved."
    assert dialog.preview.subject_label.text() == "Hello Ana"
    with context.sessions() as session:
        saved = session.scalar(select(Template).where(Template.name == "Spring hello"))
        version = session.scalar(select(TemplateVersion)
                                 .where(TemplateVersion.template_id == saved.id))
        assert (version.subject, version.html_body) == ("Hello {{ first_name }}",
                                                        "<p>Hi {{ first_name }}</p>")
    # the variable menu puts a variable where the cursor is
    dialog.content.html.setFocus()
    dialog.content.html.moveCursor(QTextCursor.MoveOperation.End)
    dialog.content.insert_button.menu().actions()[2].trigger()
    assert dialog.content.html.toPlainText().endswith("{{ email }}")


def test_editing_a_template_already_used_makes_a_new_version(qtbot, context):
    sender = ready_to_send(context)
    add_contact(context, "Ana", "Silva", "ana@example.com")
    newsletter = template_id(context, "newsletter")
    with context.sessions.begin() as session:
        used = mass_emails.save_mass_email(session, None, MassEmailForm(
            "November", template_id=newsletter, sender_identity_id=sender),
            staff_id=context.staff_id)
        mass_emails.schedule(session, used, None, staff_id=context.staff_id)
    panel = TemplateLibraryPanel(context)
    qtbot.addWidget(panel)
    panel.select(newsletter)
    assert panel.tree.currentItem().text(3) == "Yes"  # in use
    assert panel.preview.subject_label.text() == "This month at Orchid Fertility"
    panel.edit_button.click()
    editor = panel.editor
    assert "saving a change makes version 2" in editor.version_label.text()
    editor.content.subject.setText("This winter at {{ agency_name }}")
    assert editor.save()
    assert editor.status_label.text() == ("Saved as version 2 — messages already queued "
                                          "keep the words they were written with.")
    assert panel.tree.currentItem().text(2) == "2"
    editor.close()


def test_the_preview_escapes_the_persons_name_and_a_test_send_queues_one_email(
        qtbot, context, monkeypatch):
    ready_to_send(context)
    ana = add_contact(context, "Ana", "Silva", "ana@example.com")
    odd = add_contact(context, "Zoë <b>", "O'Brien & Co", "zoe@example.com")
    dialog = TemplateEditorDialog(context, template_id(context, "donor-welcome-01"))
    qtbot.addWidget(dialog)
    dialog.preview.picker.choose(PersonRef("contact", odd))
    assert "Hi Zoë &lt;b&gt;," in dialog.preview.rendered.html
    assert "Hi Zoë <b>," in dialog.preview.browser.toPlainText()
    dialog.preview.plain_toggle.setChecked(True)
    assert dialog.preview.browser.toPlainText().startswith("Hi Zoë <b>,")
    dialog.preview.picker.choose(PersonRef("contact", ana))
    asked = []
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda parent, title, label, mode, text: (asked.append(text)
                                                                  or ("me@orchid.example",
                                                                      True)))
    shown = no_popups(monkeypatch)
    dialog.test_button.click()
    assert asked == [""]  # no address known yet
    messages = outbox(context)
    assert len(messages) == 1
    assert (messages[0].to_email, messages[0].subject) == (
        "me@orchid.example", "[Test] Welcome to Orchid Fertility: next steps as an egg donor")
    assert "queued in the outbox" in shown[0] and "local outbox folder" in shown[0]
    dialog.test_button.click()
    assert asked[-1] == "me@orchid.example"  # remembered for the next test


def test_the_library_groups_copies_archives_and_restores(qtbot, context, monkeypatch):
    panel = TemplateLibraryPanel(context)
    qtbot.addWidget(panel)
    groups = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert "Egg donor welcome  (8)" in groups and groups[-1].startswith("Stand-alone")
    # nobody in the database yet: the preview is written for the sample person
    assert panel.preview.picker.current_ref() is None
    assert "Alex Example" in panel.preview.message_label.text()
    panel.select(template_id(context, "newsletter"))
    assert panel.preview.browser.toPlainText().startswith("Hi Alex,")
    panel.duplicate_button.click()
    assert panel.tree.currentItem().text(0) == "Copy of Newsletter"
    copy = panel.selected_id()
    panel.archive_button.click()
    assert copy not in panel.templates
    panel.show_archived.setChecked(True)
    panel.select(copy)
    assert panel.archive_button.text() == "Restore"
    panel.archive_button.click()
    panel.show_archived.setChecked(False)
    assert copy in panel.templates


# -- mass emails -------------------------------------------------------------------------

def _audience(context) -> None:
    """Two egg donors (Ana also a lead with the same address), a carrier and an
    unsubscribed donor."""
    add_contact(context, "Ana", "Silva", email="ana@example.com")
    add_lead(context, "Ana", "Silva", email="ana@example.com", allow_duplicate=True)
    add_lead(context, "Bea", "Jones", email="bea@example.com", state="NY")
    add_contact(context, "Cara", "Lee", email="cara@example.com",
                applicant_type="gestational_carrier")
    add_contact(context, "Una", "Sub", email="unsub@example.com")
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "unsub@example.com", staff_id=None)


def _panel(qtbot, context) -> MassEmailsPanel:
    panel = MassEmailsPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    return panel


def _settled(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)


def test_a_mass_email_is_scheduled_sent_paused_and_cancelled(qtbot, context, monkeypatch):
    ready_to_send(context)
    _audience(context)
    asked = answer(monkeypatch)
    no_popups(monkeypatch)
    panel = _panel(qtbot, context)
    assert panel.empty_label.isVisible()
    panel.buttons["new"].click()
    editor = panel.editor
    editor.name.setText("December newsletter")
    editor.audience.types._actions["egg_donor"].setChecked(True)
    qtbot.waitUntil(lambda: not editor.audience.is_counting(), timeout=5000)
    assert editor.audience.count_label.text() == (
        "2 people will receive it · 1 left out: unsubscribed, bounced or disqualified")
    editor.send_at.setChecked(True)
    editor.send_time.setDateTime(QDateTime.currentDateTime().addDays(2))
    assert editor.save_button.text() == "Save and schedule"
    editor.save_button.click()
    qtbot.waitUntil(lambda: editor.result() == editor.DialogCode.Accepted, timeout=5000)
    _settled(qtbot, panel)
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, 1).data() == "Scheduled"
    assert panel.model.index(0, 3).data() == "Leads and contacts; type: egg donor"
    newsletter = editor.saved_id
    assert panel.selected().id == newsletter
    assert not panel.buttons["send_now"].isEnabled()
    # back to a draft, then out now: the recipients are frozen at once
    panel.buttons["unschedule"].click()
    _settled(qtbot, panel)
    assert panel.model.index(0, 1).data() == "Draft"
    # Schedule… asks for a local time
    monkeypatch.setattr(mass_emails_panel, "ask_send_time",
                        lambda parent, name: datetime.now(UTC) + timedelta(days=1))
    panel.buttons["schedule"].click()
    _settled(qtbot, panel)
    assert panel.model.index(0, 1).data() == "Scheduled"
    assert "“December newsletter” is scheduled for" in panel.result_label.text()
    panel.buttons["unschedule"].click()
    _settled(qtbot, panel)
    panel.buttons["send_now"].click()
    assert "Send “December newsletter” now" in asked[-1]
    qtbot.waitUntil(lambda: panel.model.rowCount() and
                    panel.model.index(0, 1).data() == "Sending", timeout=10_000)
    _settled(qtbot, panel)
    sent = [m for m in outbox(context) if m.origin is OutboxOrigin.MASS_EMAIL]
    assert sorted(m.to_email_normalized for m in sent) == ["ana@example.com",
                                                          "bea@example.com"]
    assert [panel.model.index(0, c).data() for c in (4, 6)] == ["2", "2"]
    assert "2 emails queued, one per address" in panel.result_label.text()
    assert panel.buttons["edit"].text() == "View…"  # only a draft can be changed
    panel.buttons["edit"].click()
    assert panel.editor.save_button.isHidden() and not panel.editor.name.isEnabled()
    assert "only a draft can be changed" in panel.editor.status_label.text()
    panel.editor.reject()
    panel.buttons["pause"].click()
    _settled(qtbot, panel)
    assert status_of(context, newsletter) is MassEmailStatus.PAUSED
    assert panel.buttons["resume"].isEnabled() and not panel.buttons["pause"].isEnabled()
    panel.buttons["resume"].click()
    _settled(qtbot, panel)
    assert status_of(context, newsletter) is MassEmailStatus.SENDING
    panel.buttons["cancel"].click()
    assert "Cancel “December newsletter”?" in asked[-1]
    _settled(qtbot, panel)
    assert status_of(context, newsletter) is MassEmailStatus.CANCELLED
    assert panel.model.index(0, 1).data() == "Cancelled"
    assert not any(panel.buttons[k].isEnabled() for k in ("pause", "resume", "cancel"))


def test_written_words_sent_now_from_the_editor_and_a_refusal_listed(qtbot, context,
                                                                      monkeypatch):
    ready_to_send(context)
    _audience(context)
    answer(monkeypatch)
    panel = _panel(qtbot, context)
    # nobody matches: saved as a draft, and why it cannot go out is listed in the editor
    panel.new_mass_email()
    editor = panel.editor
    editor.name.setText("Nobody")
    editor.audience.set_segment(Segment(people="leads", applicant_types=(
        "gestational_carrier",)))
    qtbot.waitUntil(lambda: editor.audience.count_label.text().startswith("Nobody matches"),
                    timeout=5000)
    editor.send_now.setChecked(True)
    editor.save_button.click()
    qtbot.waitUntil(lambda: "cannot be scheduled yet" in editor.status_label.text(),
                    timeout=5000)
    assert "•  Nobody matches the audience" in editor.status_label.text()
    assert editor.isVisible() and status_of(context, editor.saved_id) is MassEmailStatus.DRAFT
    # a second save keeps working on the same draft (its version was read again)
    editor.audience.set_segment(Segment(people="contacts", applicant_types=(
        "gestational_carrier",)))
    editor.write_here.setChecked(True)
    assert editor.content.subject.text() == "This month at {{ agency_name }}"  # from it
    editor.content.subject.setText("For carriers at {{ agency_name }}")
    editor.save_button.click()
    qtbot.waitUntil(lambda: editor.result() == editor.DialogCode.Accepted, timeout=5000)
    assert editor.sent_now
    qtbot.waitUntil(lambda: status_of(context, editor.saved_id) is MassEmailStatus.SENDING
                    and not panel.is_busy(), timeout=10_000)
    sent = [m for m in outbox(context) if m.origin is OutboxOrigin.MASS_EMAIL]
    assert [m.to_email_normalized for m in sent] == ["cara@example.com"]
    assert panel.model.rowCount() == 1


# -- enrolling ---------------------------------------------------------------------------

def _select(tab, rows) -> None:
    selection = tab.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def tab_row(tab, person_id: int) -> int:
    return next(r for r in range(tab.model.rowCount()) if tab.model.person_id(r) == person_id)


def test_contacts_are_enrolled_from_the_tab_and_a_reply_stops_the_drip(window, qtbot,
                                                                        context,
                                                                        monkeypatch):
    drip = make_drip(context)  # a draft, for egg donors
    ana = add_contact(context, "Ana", "Silva", "ana@example.com")
    bea = add_contact(context, "Bea", "Silva", "bea@example.com")
    cara = add_contact(context, "Cara", "Lee", "cara@example.com",
                       applicant_type="gestational_carrier")
    tab = window.contacts_tab
    tab.refresh()
    _select(tab, [tab_row(tab, i) for i in (ana, bea, cara)])
    assert tab.enrol_action.isEnabled()
    tab.enrol_action.trigger()
    dialog = tab.enrol_dialog
    dialog.choose(drip)
    assert "draft" in dialog.status_note.text().lower()
    dialog.enrol_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=5000)
    assert dialog.result_label.text() == ("2 enrolled in Donor welcome; 1 not enrolled: not "
                                          "an egg donor.")
    assert tab.banner.label.text() == dialog.result_label.text()
    assert not dialog.enrol_button.isEnabled() and dialog.close_button.text() == "Close"
    dialog.close()
    with context.sessions() as session:
        enrolled = {e.contact_id: e.id for e in session.scalars(select(Enrolment))}
    assert set(enrolled) == {ana, bea}

    def status(contact_id):
        with context.sessions() as session:
            return session.get(Enrolment, enrolled[contact_id]).status

    _select(tab, [tab_row(tab, ana)])
    tab.replied_action.trigger()
    assert tab.banner.label.text() == "1 contact marked as replied; 1 drip stopped."
    assert status(ana) is EnrolmentStatus.STOPPED
    assert status(bea) is EnrolmentStatus.ACTIVE
    # unsubscribing asks first, then stops their drip too
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    _select(tab, [tab_row(tab, bea)])
    tab.unsubscribe_action.trigger()
    assert asked[0].startswith("Unsubscribe bea@example.com from marketing email?")
    assert status(bea) is EnrolmentStatus.ACTIVE  # cancelled: nothing changed
    answer(monkeypatch)
    tab.unsubscribe_action.trigger()
    assert tab.banner.label.text() == ("Unsubscribed bea@example.com from marketing email; "
                                       "1 drip stopped.")
    assert status(bea) is EnrolmentStatus.STOPPED


def test_an_import_is_enrolled_from_the_history(qtbot, context):
    from orchid_desktop.services.demo import load_demo_data
    from orchid_desktop.ui.import_history import ImportHistoryDialog

    drip = make_drip(context, target=CampaignTarget.ANY)
    load_demo_data(context.sessions, context.staff_id, leads=5, contacts=3)
    dialog = ImportHistoryDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.enrol_button.isEnabled()
    dialog.enrol_button.click()
    enrol = dialog.enrol_dialog
    enrol.choose(drip)
    enrol.enrol_button.click()
    qtbot.waitUntil(lambda: enrol.report is not None, timeout=5000)
    assert enrol.report.enrolled + enrol.report.already + sum(enrol.report.refused.values()) \
        == 8
    assert dialog.result_label.text() == enrol.report.summary()
