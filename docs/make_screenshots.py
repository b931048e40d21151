"""Render the main window (each tab), the Settings and DQ settings dialogs to PNG,
offscreen, on a throw-away database with demo data:
python docs/make_screenshots.py [OUT_DIR]"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ORCHID_HOME"] = tempfile.mkdtemp(prefix="orchid-shots-")

import keyring  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class _Memory(KeyringBackend):
    priority = 1
    store: dict = {}

    def get_password(self, s, u):
        return self.store.get((s, u))

    def set_password(self, s, u, p):
        self.store[(s, u)] = p

    def delete_password(self, s, u):
        self.store.pop((s, u), None)


def main(out: Path, with_demo: bool = True) -> None:
    keyring.set_keyring(_Memory())
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.app import open_context
    from orchid_desktop.services.demo import load_demo_data
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import TAB_NAMES, MainWindow
    from orchid_desktop.ui.settings_dialog import SettingsDialog

    make_qapplication()
    context = open_context()
    out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(context, tray_available=True)
    window.resize(1180, 720)
    window.show()
    QApplication.processEvents()
    window.grab().save(str(out / "main-window-empty.png"))
    if with_demo:
        load_demo_data(context.sessions, context.staff_id)
        window.refresh_tabs()
    for index, name in enumerate(TAB_NAMES):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        window.grab().save(str(out / f"main-window-{name.lower()}.png"))
    _people_windows(context, window, out)
    dialog = SettingsDialog(context, parent=window)
    dialog.show()
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        dialog.grab().save(str(out / f"settings-{dialog.tabs.tabText(index).lower()}.png"))
    dialog.close()
    _dq_settings(context, window, out)
    _screening(context, window, out)
    window.request_quit()
    window.close()
    context.close()


def _people_windows(context, window, out: Path) -> None:
    """A searched and filtered lead list, a lead, a contact's pages and a merge."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.services import contacts
    from orchid_desktop.ui.contact_dialog import ContactDialog
    from orchid_desktop.ui.contacts_tab import MergeDialog
    from orchid_desktop.ui.lead_dialog import LeadDialog

    def shoot(widget, name):
        widget.show()
        QApplication.processEvents()
        widget.grab().save(str(out / name))

    tab = window.leads_tab
    window.tabs.setCurrentIndex(0)
    tab.filters.types.set_selected(("egg_donor",))
    tab.filters.search.setText("ma")
    tab.filters._emit()
    tab.table.selectRow(1)
    tab.banner.show_message("2 leads archived.", undo=lambda: None)
    shoot(window, "leads-search-and-filter.png")
    tab.banner.hide()
    lead_id = tab.model.person_id(0)
    shoot(LeadDialog(context, lead_id, parent=window), "lead-dialog.png")
    window.tabs.setCurrentIndex(1)
    first, second = (window.contacts_tab.model.person_id(r) for r in (0, 1))
    with context.sessions.begin() as session:
        contacts.add_note(session, first, "Called her: she prefers texts after 5 pm.",
                          staff_id=context.staff_id)
        contacts.change_stage(session, first, "records", staff_id=context.staff_id,
                              reason="application complete; asking for clinic records")
    dialog = ContactDialog(context, first, parent=window)
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        name = dialog.tabs.tabText(index).split(" ")[0].lower()
        shoot(dialog, f"contact-{name}.png")
    dialog.close()
    with context.sessions() as session:
        details = [contacts.contact_detail(session, i) for i in (first, second)]
    shoot(MergeDialog(details, window), "merge-dialog.png")


def _dq_settings(context, window, out: Path) -> None:
    """The DQ settings dialog on each applicant type's tab; the carrier's scrolled to its
    blocked-states list."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.domain.vocab import ApplicantType
    from orchid_desktop.ui.dq_settings_dialog import DQSettingsDialog

    for kind, name in ((ApplicantType.EGG_DONOR, "egg-donor"),
                       (ApplicantType.GESTATIONAL_CARRIER, "carrier")):
        dialog = DQSettingsDialog(context, kind, parent=window)
        dialog.resize(dialog.minimumSize())
        dialog.show()
        QApplication.processEvents()
        if kind is ApplicantType.GESTATIONAL_CARRIER:
            page = dialog.pages[kind]
            page.scroll.verticalScrollBar().setValue(page.boxes["state"].y())
            QApplication.processEvents()
        dialog.grab().save(str(out / f"dq-settings-{name}.png"))
        dialog.close()




def _screening(context, window, out: Path) -> None:
    """The queue with a flagged contact's evaluation, a DQ group, and the reject and
    convert dialogs."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.services import screening_decisions
    from orchid_desktop.services.screening_view import screening_view
    from orchid_desktop.ui.screening_dialogs import ConvertDialog, RejectDialog

    def shoot(widget, name):
        widget.show()
        QApplication.processEvents()
        widget.grab().save(str(out / name))

    from datetime import date

    window.resize(1440, 820)
    window.tabs.setCurrentWidget(window.screening_tab)
    tab = window.screening_tab
    tab.refresh()
    tab.table.selectRow(0)
    shoot(window, "screening-queue.png")
    for row in range(tab.group_list.count()):
        if tab.group_list.item(row).text().startswith("DQ"):
            tab.group_list.setCurrentRow(row)
    tab.table.selectRow(0)
    shoot(window, "screening-dq-group.png")
    shoot(RejectDialog(tab.detail.view, window), "screening-reject-dialog.png")
    with context.sessions() as session:
        view = screening_view(session, tab.detail.view.contact_id)
        staff = screening_decisions.staff_choices(session)
    shoot(ConvertDialog(view, staff, context.staff_id, date.today(), window),
          "screening-convert-dialog.png")
    window.resize(1180, 720)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
