"""The import wizard, the import history and dropping a spreadsheet on the window, driven
with qtbot on real files and a real database. Nothing blocks on a modal loop: dialogs are
shown with ``show()``/``open()`` and the static QMessageBox/QFileDialog calls replaced."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import func, select

from orchid_desktop.db.models import ImportBatch, Lead, Staff
from orchid_desktop.domain.import_columns import KEEP, SKIP
from orchid_desktop.domain.vocab import DuplicatePolicy, ImportTarget
from orchid_desktop.ui import import_history, import_wizard, main_window
from orchid_desktop.ui.application import make_qapplication
from orchid_desktop.ui.import_history import ImportHistoryDialog
from orchid_desktop.ui.import_wizard import CHECK, IMPORT, MAP, REPORT, ImportWizard, open_import
from tests.people_helpers import add_lead

SIGNUPS = (
    "Spring open house sign-ups\n"
    "\n"
    "Timestamp,Email Address,First Name,Last Name,Phone Number,State of residence,Notes\n"
    "3/5/2026 10:22:33,jessica.smith@example.com,Jessica,Smith,(415) 555-0101,California,hi\n"
    "3/5/2026 11:00:00,ZOE.Muller@Example.org,Zoë,Müller,,NY,\n"
    "3/6/2026 09:15:00,,Siobhán,O'Brien,+1 212 555 0102,TX,call evenings\n"
    "3/6/2026 09:20:00,,,,,,no way to reach\n"  # row 7: rejected
    "3/7/2026 08:00:00,jessica.smith@example.com,Jess,Smith,,CA,again\n"  # row 4 again
    "3/7/2026 08:05:00,amara@example.net,Amara,Okafor,+14155550104,ZZ,\n"  # ZZ left out
)


@pytest.fixture
def signups(tmp_path) -> Path:
    path = tmp_path / "open-house.csv"
    path.write_text(SIGNUPS, encoding="utf-8")
    return path


@pytest.fixture
def wizard(qtbot, context, signups):
    make_qapplication()
    add_lead(context, "Zoe", "", email="zoe.muller@example.org", state="")  # already here
    dialog = ImportWizard(context, signups)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def choose(combo, key) -> None:
    combo.setCurrentIndex(combo.findData(key))


def lead_names(context) -> list[tuple[str, str]]:
    with context.sessions() as session:
        return [(p.first_name, p.last_name) for p in session.scalars(
            select(Lead).order_by(Lead.id))]


def staff_name(context) -> str:
    with context.sessions() as session:
        return session.get(Staff, context.staff_id).display_name


def counts(wizard) -> tuple[str, str, str]:
    page = wizard.check_page
    return tuple(t.value.text() for t in (page.new_tile, page.duplicates_tile,
                                          page.rejected_tile))


def check(qtbot, wizard) -> None:
    qtbot.waitUntil(lambda: wizard.check_report is not None and not wizard.is_busy(),
                    timeout=10_000)


def test_mapping_page_shows_what_was_detected_and_the_suggested_mapping(wizard):
    page = wizard.map_page
    assert page.detected_label.text() == "UTF-8, comma-separated, header on row 3, 6 rows"
    assert [c.currentData() for c in page.combos] == [
        "received_at", "email", "first_name", "last_name", "phone", "state", KEEP]
    assert page.combos[6].currentText() == "Keep in form data"
    assert page.combos[6].itemText(page.combos[6].count() - 1) == "Don't import"
    assert page.mapping_table.item(2, 1).text() == "Jessica  ·  Zoë  ·  Siobhán"
    assert page.preview_table.rowCount() == 6
    assert page.preview_table.item(1, 2).text() == "Zoë"
    assert page.label_edit.text() == "open-house"
    assert page.remembered_label.isHidden()
    # a field mapped twice, or no way to reach anyone: said in words, Next disabled
    choose(page.combos[4], "email")
    assert "Two columns are mapped to Email" in page.problems_label.text()
    assert not wizard.next_button.isEnabled()
    choose(page.combos[1], SKIP)
    choose(page.combos[4], SKIP)
    assert "No column is mapped to Email or Phone" in page.problems_label.text()
    assert not wizard.next_button.isEnabled()
    choose(page.combos[1], "email")
    choose(page.combos[4], "phone")
    assert page.problems_label.isHidden() and wizard.next_button.isEnabled()
    # contacts offer their own fields
    page.target_combo.setCurrentIndex(1)
    page.target_combo.activated.emit(1)
    assert wizard.target is ImportTarget.CONTACTS
    assert page.combos[0].findData("date_of_birth") > 0
    assert page.combos[1].currentData() == "email"


def test_check_import_report_save_rejected_and_undo(wizard, qtbot, context, tmp_path,
                                                     monkeypatch):
    choose(wizard.map_page.combos[6], SKIP)  # the Notes column is not wanted
    wizard.map_page.label_edit.setText("Spring open house")
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == CHECK
    check(qtbot, wizard)
    assert counts(wizard) == ("3", "2", "1")
    assert wizard.check_page.duplicates_tile.detail.text() == "2 to skip"
    assert wizard.check_page.new_tile.caption.text() == "new leads"
    assert wizard.next_button.text() == "Import 3 leads"
    assert wizard.check_page.rejected_table.item(0, 0).text() == "7"
    assert wizard.check_page.rejected_table.item(0, 1).text() == "No email address or phone number."
    assert wizard.check_page.tabs.tabText(1) == "Values left out (1)"
    assert "'ZZ' is not a US state" in wizard.check_page.notes_table.item(0, 1).text()
    assert lead_names(context) == [("Zoe", "")]  # the check wrote nothing

    wizard.check_page.policy_buttons[DuplicatePolicy.CREATE].click()
    qtbot.waitUntil(lambda: wizard.check_report is not None
                    and wizard.check_report.created == 5, timeout=10_000)
    assert counts(wizard) == ("5", "2", "1")
    wizard.check_page.policy_buttons[DuplicatePolicy.FILL].click()
    qtbot.waitUntil(lambda: wizard.check_report is not None
                    and wizard.check_report.updated == 1, timeout=10_000)
    assert counts(wizard) == ("3", "2", "1")
    assert wizard.check_page.duplicates_tile.detail.text() == "1 to update · 1 to skip"
    assert wizard.next_button.text() == "Import 4 leads"

    with qtbot.waitSignal(wizard.imported, timeout=10_000) as imported:
        wizard.next_button.click()
    report = imported.args[0]
    assert wizard.pages.currentIndex() == REPORT
    assert [wizard.report_page.tiles[n].value.text() for n in (
        "created", "updated", "skipped", "rejected")] == ["3", "1", "1", "1"]
    assert lead_names(context) == [("Zoe", "Müller"), ("Jessica", "Smith"),
                                   ("Siobhán", "O'Brien"), ("Amara", "Okafor")]
    with context.sessions() as session:
        assert "Notes" not in session.scalars(select(Lead)).all()[1].raw_form_data

    saved = tmp_path / "rejected.csv"
    monkeypatch.setattr(import_wizard.QFileDialog, "getSaveFileName",
                        lambda *args: (str(saved), ""))
    wizard.report_page.save_button.click()
    with open(saved, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Row", "Reason", "Timestamp", "Email Address"]
    assert rows[1][:3] == ["7", "No email address or phone number.", "3/6/2026 09:20:00"]
    assert rows[1][-1] == "no way to reach"
    assert "Saved 1 rejected row" in wizard.report_page.saved_label.text()

    with qtbot.waitSignal(wizard.history_requested):
        wizard.report_page.history_button.click()
    assert not wizard.isVisible()
    history = ImportHistoryDialog(context)
    qtbot.addWidget(history)
    history.show()
    assert history.table.rowCount() == 1
    row = [history.table.item(0, c).text() for c in range(history.table.columnCount())]
    assert row[1:8] == ["open-house.csv", "Spring open house", "Leads", "3", "1", "1", "1"]
    assert row[8] == staff_name(context) and row[9] == "Imported"
    questions = []

    def answer(parent, title, text, *args):
        questions.append(text)
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(import_history.QMessageBox, "question", answer)
    with qtbot.waitSignal(history.changed, timeout=10_000):
        history.undo_button.click()
    assert questions == ["Remove the 3 leads this import created and restore the 1 it "
                         "updated? People changed since the import are kept."]
    assert lead_names(context) == [("Zoe", "")]
    assert history.table.item(0, 9).text().startswith("Undone 20")
    assert "Removed 3 and restored 1." in history.result_label.text()
    assert not history.undo_button.isEnabled()
    assert report.batch_id is not None


def test_a_cancelled_import_writes_nothing(wizard, qtbot, context, monkeypatch):
    pressed = threading.Event()
    real = import_wizard.run_import

    def held(*args, should_cancel, **kwargs):
        def asked() -> bool:
            pressed.wait(10)  # the real import waits here until Cancel has been pressed
            return should_cancel()
        return real(*args, should_cancel=asked, **kwargs)

    wizard.next_button.click()
    check(qtbot, wizard)
    monkeypatch.setattr(import_wizard, "run_import", held)
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == IMPORT
    wizard.cancel_button.click()  # asks the job to stop; the wizard stays open
    assert wizard.cancel_button.text() == "Cancelling…" and wizard.isVisible()
    pressed.set()
    qtbot.waitUntil(lambda: not wizard.is_busy(), timeout=10_000)
    assert wizard.import_page.title.text() == "Import cancelled"
    assert wizard.import_page.status.text() == "The import was cancelled; nothing was written."
    assert lead_names(context) == [("Zoe", "")]
    with context.sessions() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 0
    wizard.back_button.click()
    assert wizard.pages.currentIndex() == CHECK and wizard.next_button.text() == "Import 3 leads"


def test_the_mapping_used_last_time_is_offered_again(wizard, qtbot, context, signups):
    choose(wizard.map_page.combos[6], SKIP)
    wizard.map_page.label_edit.setText("Spring open house")
    wizard.next_button.click()
    check(qtbot, wizard)
    with qtbot.waitSignal(wizard.imported, timeout=10_000):
        wizard.next_button.click()
    again = ImportWizard(context, signups)
    qtbot.addWidget(again)
    assert again.map_page.remembered_label.text() == ("Using the mapping you last used for "
                                             "Spring open house.")
    assert again.map_page.combos[6].currentData() == SKIP
    assert again.pages.currentIndex() == MAP


def test_an_unreadable_file_is_explained_and_no_wizard_opens(qtbot, context, tmp_path,
                                                           monkeypatch):
    make_qapplication()
    warnings = []
    monkeypatch.setattr(import_wizard.QMessageBox, "warning",
                        lambda parent, title, text: warnings.append(text))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert open_import(context, empty) is None
    assert warnings == ["empty.csv is empty."]


def test_a_big_file_is_opened_off_the_gui_thread(qtbot, context, signups, monkeypatch):
    make_qapplication()
    monkeypatch.setattr(import_wizard, "BIG_TEXT_BYTES", 0)
    opened = []
    assert open_import(context, signups, ImportTarget.CONTACTS,
                       on_open=opened.append) is None
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    qtbot.addWidget(opened[0])
    assert opened[0].target is ImportTarget.CONTACTS and opened[0].isVisible()
    opened[0].close()


_MIME: list[QMimeData] = []  # an event does not own its data: kept alive here


def drag(path: Path, kind):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    _MIME[:] = [*_MIME[-3:], mime]
    if kind is QDragEnterEvent:
        return QDragEnterEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime,
                               Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    return QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)


def test_dropping_a_spreadsheet_on_the_window_opens_the_import_for_the_tab(
        window, qtbot, signups, tmp_path, context):
    assert window.acceptDrops()
    window.tabs.setCurrentWidget(window.contacts_tab)
    enter = drag(signups, QDragEnterEvent)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drag(signups, QDropEvent))
    qtbot.waitUntil(lambda: window.import_wizard is not None, timeout=5000)
    assert window.import_wizard.target is ImportTarget.CONTACTS
    assert window.import_wizard.isVisible()
    window.import_wizard.close()
    window.import_wizard = None
    # a document is not a spreadsheet: refused at the door
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")
    refused = drag(other, QDragEnterEvent)
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()
    # dropped on the search field of the Leads tab: the field does not swallow it
    window.tabs.setCurrentWidget(window.leads_tab)
    search = next(w for w in window.leads_tab.findChildren(main_window.QWidget)
                  if w.acceptDrops())
    enter = drag(signups, QDragEnterEvent)
    QApplication.sendEvent(search, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(search, drag(signups, QDropEvent))
    qtbot.waitUntil(lambda: window.import_wizard is not None, timeout=5000)
    assert window.import_wizard.target is ImportTarget.LEADS


def test_import_from_the_menu_refreshes_the_lists(window, qtbot, signups, monkeypatch):
    action = window.import_action
    assert action.shortcut().toString() == "Ctrl+I"
    assert window.import_history_action.text() == "Import &history…"
    filters = []

    def pick(parent, title, folder, file_filter):
        filters.append(file_filter)
        return str(signups), ""
    monkeypatch.setattr(main_window.QFileDialog, "getOpenFileName", pick)
    assert "Import a spreadsheet…" in window.leads_tab.empty.buttons
    window.contacts_tab.empty.buttons["Import a spreadsheet…"].click()
    assert window.import_wizard.target is ImportTarget.CONTACTS
    window.import_wizard.close()
    action.trigger()
    wizard = window.import_wizard
    assert filters[0] == "Spreadsheets (*.csv *.tsv *.txt *.xlsx *.xls *.ods)"
    assert wizard.target is ImportTarget.LEADS
    wizard.next_button.click()
    check(qtbot, wizard)
    with qtbot.waitSignal(wizard.imported, timeout=10_000):
        wizard.next_button.click()
    assert window.leads_tab.model.total_rows() == 4
    assert window.tabs.currentWidget() is window.leads_tab
    assert "created 4" in window.statusBar().currentMessage()
    wizard.next_button.click()  # Close
    window.import_history_action.trigger()
    assert window.import_history_dialog.table.rowCount() == 1
    window.import_history_dialog.close()
