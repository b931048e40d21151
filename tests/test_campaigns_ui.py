"""The Campaigns tab driven as recruiting staff would: a drip built in the editor, a
launch refused with every reason, then launched, paused and resumed through the
toolbar; the simulator and the enrolments window; real widgets on a real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import func, select, update

from orchid_desktop.db.models import OutboxMessage
from orchid_desktop.domain.vocab import (
    CampaignTarget,
    DelayFrom,
    EmailKind,
    OutboxStatus,
    StepKind,
)
from orchid_desktop.services import agency, campaign_queue, drips, enrolment, senders
from orchid_desktop.services.demo import load_demo_data
from orchid_desktop.services.templates import list_templates
from orchid_desktop.ui import drips_page, enrolments_dialog
from orchid_desktop.ui.campaigns_tab import CampaignsTab
from orchid_desktop.ui.drip_editor import DripEditorDialog
from orchid_desktop.ui.drip_steps_table import AT, DELAY, FROM, TEMPLATE
from orchid_desktop.ui.drips_model import DripsTableModel
from orchid_desktop.ui.drips_page import DripsPage
from orchid_desktop.ui.enrol_from_import import EnrolFromImportDialog
from orchid_desktop.ui.enrolments_dialog import EnrolmentsDialog
from tests.people_helpers import add_contact
from tests.test_people_tabs import drive

ALL_DAY = {"window_start": time(0, 0), "window_end": time(23, 59), "weekdays": "1234567"}
SAVE = QDialogButtonBox.StandardButton.Save


@pytest.fixture
def page(qtbot, context, monkeypatch):
    errors: list[str] = []
    monkeypatch.setattr(DripsPage, "show_error", lambda self, text: errors.append(text))
    widget = DripsPage(context)
    widget.errors = errors
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    reload(qtbot, widget)
    return widget


def reload(qtbot, page) -> None:
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()


def template_ids(context, sequence="Egg donor welcome") -> list[int]:
    with context.sessions() as session:
        return [t.id for t in list_templates(session, kind=EmailKind.MARKETING)
                if t.sequence == sequence]


def make_drip(context, name="Donor welcome", emails=2, **fields) -> int:
    ids = template_ids(context)
    steps = [drips.StepForm(StepKind.EMAIL, 0 if n == 0 else 3, DelayFrom.PREVIOUS_STEP,
                            None, ids[n]) for n in range(emails)]
    form = replace(drips.DripForm(name, CampaignTarget.EGG_DONOR, steps), **fields)
    with context.sessions.begin() as session:
        return drips.save_drip(session, None, form, staff_id=context.staff_id)


def ready_to_send(context) -> int:
    """The agency's address and details, and one sender: what a launch needs."""
    form = agency.load_agency(context.sessions)
    agency.save_agency(context.sessions, replace(
        form, name="Bright Path Agency", postal_address="1 Main St, Springfield, IL 62701",
        application_link="https://example.com/apply"), context.staff_id)
    senders.replace_senders(context.sessions, [senders.SenderRow(
        None, "hello@brightpath.example", "Bright Path", 500)], context.staff_id)
    return senders.list_senders(context.sessions)[0].id


def enrol_two(context, campaign_id) -> list[int]:
    people = [add_contact(context, "Ana", "Silva", "ana@example.com", state="NY"),
              add_contact(context, "Bea", "Jones", "bea@example.com", state="CA")]
    with context.sessions.begin() as session:
        report = enrolment.enrol(session, campaign_id, contact_ids=people,
                                 staff_id=context.staff_id)
    assert report.enrolled == 2, report.summary()
    return people


def select_drip(page, name) -> None:
    row = [page.model.index(r, 0).data() for r in range(page.model.rowCount())].index(name)
    page.table.selectRow(row)


def row_texts(page, name) -> list[str]:
    row = [page.model.index(r, 0).data() for r in range(page.model.rowCount())].index(name)
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def yes_to_questions(monkeypatch) -> list[str]:
    asked: list[str] = []

    def answer(parent, title, text, *args, **kwargs):
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(drips_page.QMessageBox, "question", answer)
    return asked


def queued_outbox(context) -> int:
    with context.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.QUEUED))


def choose_template(box, name_start: str) -> None:
    for index in range(box.count()):
        if box.itemText(index).strip().startswith(name_start):
            box.setCurrentIndex(index)
            return
    raise AssertionError(name_start)


# -- the tab and the editor ----------------------------------------------------------------

def test_the_campaigns_tab_holds_drips_mass_emails_and_templates(window, qtbot):
    tab = window.campaigns_tab
    assert isinstance(tab, CampaignsTab)
    titles = [tab.pages.tabText(i) for i in range(tab.pages.count())]
    assert titles == ["Drip campaigns", "Mass emails", "Templates"]
    qtbot.waitUntil(lambda: tab.drips_page.currentWidget() is tab.drips_page.empty)
    assert "New drip campaign…" in tab.drips_page.empty.buttons


def test_a_drip_built_in_the_editor_appears_in_the_list(page, qtbot, monkeypatch, context):
    def fill(dialog: DripEditorDialog):
        dialog.name_edit.setText("Spring donors")
        steps = dialog.steps_editor
        steps.add_email_button.click()
        choose_template(steps.table.cellWidget(0, TEMPLATE), "Egg donor welcome 1")
        steps.add_wait_button.click()
        steps.table.cellWidget(1, DELAY).setValue(2)
        steps.add_email_button.click()
        steps.table.cellWidget(2, DELAY).setValue(1)
        steps.table.cellWidget(2, AT).setCurrentText("10:30")
        choose_template(steps.table.cellWidget(2, TEMPLATE), "Egg donor welcome 2")
        assert steps.table.cellWidget(1, FROM) is None  # a wait counts from the step before
        assert dialog.summary.text().startswith("2 emails over ")
        dialog.buttons.button(SAVE).click()
        return dialog.result()

    shown = drive(monkeypatch, DripEditorDialog, fill)
    page.empty.buttons["New drip campaign…"].click()
    assert len(shown) == 1
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert row_texts(page, "Spring donors")[:4] == ["Spring donors", "Egg donors", "Draft", "0"]
    assert "created as a draft" in page.last_message
    with context.sessions() as session:
        form = drips.load_drip(session, shown[0].saved_id)
    ids = template_ids(context)
    assert [(s.kind, s.delay_days, s.send_time, s.template_id) for s in form.steps] == [
        (StepKind.EMAIL, 0, None, ids[0]), (StepKind.WAIT, 2, None, None),
        (StepKind.EMAIL, 1, time(10, 30), ids[1])]


def test_what_stops_a_save_is_listed_and_the_dialog_stays_open(page, monkeypatch):
    seen = {}

    def fill(dialog: DripEditorDialog):
        dialog.steps_editor.add_wait_button.click()
        dialog.steps_editor.table.cellWidget(0, DELAY).setValue(0)
        dialog.buttons.button(SAVE).click()
        seen["problems"] = list(dialog.problems.problems)
        seen["visible"] = dialog.problems.isVisibleTo(dialog)
        return dialog.result()

    drive(monkeypatch, DripEditorDialog, fill)
    page.new_drip()
    assert seen["visible"]
    assert "Give the campaign a name." in seen["problems"]
    assert "Add at least one email step." in seen["problems"]
    assert "Step 1: a wait step needs at least one day." in seen["problems"]
    assert page.model.rowCount() == 0


def test_starting_from_the_library_fills_the_donor_welcome_sequence(page, monkeypatch):
    seen = {}

    def fill(dialog: DripEditorDialog):
        index = dialog.start_from.findData("Egg donor welcome")
        dialog.start_from.setCurrentIndex(index)
        dialog.start_from.activated.emit(index)
        seen["steps"] = dialog.steps_editor.steps()
        seen["name"] = dialog.name_edit.text()
        seen["summary"] = dialog.summary.text()
        return 0

    drive(monkeypatch, DripEditorDialog, fill)
    page.new_drip()
    assert seen["name"] == "Egg donor welcome"
    assert [s.delay_days for s in seen["steps"]] == [0, 1, 2, 3, 4, 4, 7, 24]
    assert [s.delay_from for s in seen["steps"]] == \
        [DelayFrom.ENROLMENT] + [DelayFrom.PREVIOUS_STEP] * 7
    assert seen["summary"].startswith("8 emails over 4")  # 45 days, moved by weekends


# -- launching, pausing, resuming -------------------------------------------------------------

def test_a_refused_launch_lists_every_reason(page, qtbot, monkeypatch, context):
    make_drip(context)
    reload(qtbot, page)
    select_drip(page, "Donor welcome")
    asked = yes_to_questions(monkeypatch)
    page.actions_by_key["launch"].trigger()
    qtbot.waitUntil(lambda: page.reasons_dialog is not None)
    assert asked == ["Launch “Donor welcome”?"]
    problems = page.reasons_dialog.problems
    assert len(problems) == 3
    assert any("postal address" in p for p in problems)
    assert any("sender identity" in p for p in problems)
    assert any("Nobody is enrolled" in p for p in problems)
    assert page.reasons_dialog.list_label.text().count("<li") == 3
    qtbot.waitUntil(lambda: not page.busy and row_texts(page, "Donor welcome")[2] == "Draft")


def test_launch_pause_and_resume_through_the_toolbar(page, qtbot, monkeypatch, context):
    sender = ready_to_send(context)
    make_drip(context, "Stays a draft")
    campaign_id = make_drip(context, "Launch me", sender_identity_id=sender, **ALL_DAY)
    enrol_two(context, campaign_id)
    reload(qtbot, page)
    select_drip(page, "Launch me")
    assert page.actions_by_key["launch"].isEnabled()
    assert not page.actions_by_key["pause"].isEnabled()
    yes_to_questions(monkeypatch)
    page.actions_by_key["launch"].trigger()
    qtbot.waitUntil(lambda: row_texts(page, "Launch me")[2] == "Active", timeout=5000)
    assert page.reasons_dialog is None and page.errors == []
    assert page.last_message == "“Launch me” launched: 4 sends planned, 2 due now and in " \
                                "the outbox."
    assert queued_outbox(context) == 2  # the day-0 email of each person
    texts = row_texts(page, "Launch me")
    assert texts[3:6] == ["2", "2", "4"]  # enrolled, active, queued
    assert texts[8] != "—"
    assert page.actions_by_key["pause"].isEnabled()
    assert not page.actions_by_key["launch"].isEnabled()
    assert not page.actions_by_key["archive"].isEnabled()

    monkeypatch.setattr(drips_page.QInputDialog, "getText",
                        lambda *a, **k: ("checking the wording", True))
    page.actions_by_key["pause"].trigger()
    qtbot.waitUntil(lambda: row_texts(page, "Launch me")[2] == "Paused", timeout=5000)
    row = page.model.row_of(campaign_id)
    assert page.model.index(row, 2).data(drips_page.Qt.ItemDataRole.ToolTipRole) == \
        "Paused: checking the wording"
    assert queued_outbox(context) == 0  # withdrawn: nothing goes while paused
    assert page.actions_by_key["resume"].isEnabled()

    page.actions_by_key["resume"].trigger()
    qtbot.waitUntil(lambda: row_texts(page, "Launch me")[2] == "Active", timeout=5000)
    assert page.last_message.startswith("“Launch me” resumed")
    assert queued_outbox(context) == 2


def test_archive_asks_first_and_hides_the_campaign(page, qtbot, monkeypatch, context):
    make_drip(context, "Old idea")
    make_drip(context, "Keep me")
    reload(qtbot, page)
    select_drip(page, "Old idea")
    asked = yes_to_questions(monkeypatch)
    page.actions_by_key["archive"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert asked == ["Archive “Old idea”?"]
    assert page.show_archived.isVisible()
    page.show_archived.setChecked(True)
    assert row_texts(page, "Old idea")[2] == "Archived"
    select_drip(page, "Old idea")
    assert not page.actions_by_key["edit"].isEnabled()
    assert page.actions_by_key["copy"].isEnabled()


def test_steps_are_read_only_once_launched(page, qtbot, monkeypatch, context):
    sender = ready_to_send(context)
    campaign_id = make_drip(context, sender_identity_id=sender, **ALL_DAY)
    enrol_two(context, campaign_id)
    yes_to_questions(monkeypatch)
    reload(qtbot, page)
    select_drip(page, "Donor welcome")
    page.actions_by_key["launch"].trigger()
    qtbot.waitUntil(lambda: row_texts(page, "Donor welcome")[2] == "Active", timeout=5000)
    dialog = DripEditorDialog(context, campaign_id)
    qtbot.addWidget(dialog)
    assert not dialog.steps_editor.add_email_button.isEnabled()
    assert not dialog.steps_editor.table.cellWidget(0, TEMPLATE).isEnabled()
    assert dialog.locked_note.isVisibleTo(dialog)
    assert not dialog.start_row.isVisibleTo(dialog)
    dialog.name_edit.setText("Donor welcome (spring)")
    dialog.buttons.button(SAVE).click()  # the name can still change
    assert dialog.saved_id == campaign_id and dialog.problems.problems == []


# -- the simulator and the enrolments ------------------------------------------------------

def test_the_simulator_lists_each_enrolees_sends(page, qtbot, context):
    campaign_id = make_drip(context)
    enrol_two(context, campaign_id)
    reload(qtbot, page)
    select_drip(page, "Donor welcome")
    page.actions_by_key["simulate"].trigger()
    simulator = page.simulator
    qtbot.addWidget(simulator)
    qtbot.waitUntil(lambda: len(simulator.sends) == 4, timeout=5000)
    assert simulator.header.text().startswith("4 sends for 2 people; first ")
    people = {simulator.proxy.index(r, 0).data() for r in range(simulator.proxy.rowCount())}
    assert people == {"Ana Silva", "Bea Jones"}
    zones = {simulator.proxy.index(r, 2).data() for r in range(simulator.proxy.rowCount())}
    assert zones == {"New York", "Los Angeles"}
    when = simulator.proxy.index(0, 5).data()
    assert when.endswith(("EST", "EDT", "PST", "PDT"))
    simulator.filter_edit.setText("bea")
    assert simulator.proxy.rowCount() == 2
    assert simulator.shown_label.text() == "Showing 2 of 4 sends"
    simulator.close()


def test_enrolments_show_each_step_and_one_can_be_stopped(page, qtbot, monkeypatch, context):
    sender = ready_to_send(context)
    campaign_id = make_drip(context, sender_identity_id=sender, **ALL_DAY)
    enrol_two(context, campaign_id)
    yes_to_questions(monkeypatch)
    reload(qtbot, page)
    select_drip(page, "Donor welcome")
    page.actions_by_key["launch"].trigger()
    qtbot.waitUntil(lambda: row_texts(page, "Donor welcome")[2] == "Active", timeout=5000)
    with context.sessions.begin() as session:  # what the sending engine would record
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
        campaign_queue.settle(session)
    page.actions_by_key["enrolments"].trigger()
    dialog: EnrolmentsDialog = page.enrolments_dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=5000)
    model = dialog.model
    headers = [model.headerData(c, drips_page.Qt.Orientation.Horizontal)
               for c in range(model.columnCount())]
    assert headers[-2:] == ["Email 1", "Email 2"]
    first, second = dialog.step_column(1), dialog.step_column(2)
    assert model.index(0, first).data().startswith("sent ")
    assert model.index(0, second).data().startswith("planned ")
    assert dialog.summary_label.text() == "2 enrolled: 2 active."

    dialog.table.selectRow(0)
    monkeypatch.setattr(enrolments_dialog.QInputDialog, "getText",
                        lambda *a, **k: ("asked us to stop", True))
    with qtbot.waitSignal(dialog.changed):
        dialog.stop_button.click()
    qtbot.waitUntil(lambda: model.index(0, 2).data() == "Stopped", timeout=5000)
    assert model.index(0, 4).data() == "asked us to stop"
    assert model.index(0, second).data() == "skipped: asked us to stop"
    assert model.index(1, second).data().startswith("planned ")
    assert not dialog.stop_button.isEnabled()
    assert dialog.summary_label.text() == "2 enrolled: 1 active, 1 stopped."
    qtbot.waitUntil(lambda: row_texts(page, "Donor welcome")[4] == "1", timeout=5000)


def test_enrol_everyone_from_an_import(page, qtbot, monkeypatch, context):
    load_demo_data(context.sessions, context.staff_id, leads=6, contacts=0)
    make_drip(context, "Anyone welcome", target=CampaignTarget.ANY)
    reload(qtbot, page)
    select_drip(page, "Anyone welcome")
    page.actions_by_key["enrolments"].trigger()
    dialog: EnrolmentsDialog = page.enrolments_dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=5000)
    assert dialog.summary_label.text() == "Nobody is enrolled yet."
    shown = drive(monkeypatch, EnrolFromImportDialog, lambda d: 1)
    dialog.enrol_button.click()
    assert shown[0].chosen().file_name == "(built-in demo data)"
    qtbot.waitUntil(lambda: " enrolled in Anyone welcome" in dialog.result_label.text(),
                    timeout=5000)
    enrolled = int(dialog.result_label.text().split()[0])
    assert enrolled >= 4  # the demo leads with an email address
    qtbot.waitUntil(lambda: dialog.model.rowCount() == enrolled, timeout=5000)
    assert dialog.model.index(0, dialog.step_column(1)).data() == "—"  # a draft plans at launch


def test_the_drips_model_passes_qt_model_tester(qtmodeltester, context):
    make_drip(context, "One")
    make_drip(context, "Two", emails=1)
    with context.sessions() as session:
        rows = drips.list_drips(session)
    model = DripsTableModel()
    model.set_rows(rows)
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)
