"""The Contacts tab: applicants the agency pursues, opened into the contact window, with
merge for the same person entered twice."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
)

from orchid_desktop.errors import UserError
from orchid_desktop.services import contact_lookup, contacts, email_preferences, merge

from .contact_dialog import ContactDialog
from .lead_dialog import LeadDialog
from .people_tab import PeopleTab


def drips_stopped(n: int) -> str:
    return {0: "no drip was running for them", 1: "1 drip stopped"}.get(
        n, f"{n:,} drips stopped")


class ContactsTab(PeopleTab):
    noun, plural = "contact", "contacts"
    open_lead: Callable[[int], None] | None = None  # set by the window: opens a lead by id
    import_spreadsheet: Callable[[], None] | None = None  # set by the window: the import

    def build_actions(self) -> None:
        bar = self.toolbar
        self.new_action = bar.addAction("New contact…", self.new_contact)
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.import_action = bar.addAction(
            "Import…", lambda: self.import_spreadsheet and self.import_spreadsheet())
        bar.addSeparator()
        self.open_action = bar.addAction("Open", self.open_selected)
        self.merge_action = bar.addAction("Merge…", self.merge_selected)
        self.add_archive_actions()
        bar.addSeparator()
        self.replied_action = bar.addAction("Mark as replied", self.mark_replied_selected)
        self.replied_action.setToolTip("They wrote back: their drips stop and a coordinator "
                                       "takes over")
        self.unsubscribe_action = bar.addAction("Unsubscribe from marketing email…",
                                                self.unsubscribe_selected)
        self.unsubscribe_action.setIconText("Unsubscribe")  # the toolbar's short name
        self.unsubscribe_action.setToolTip("Unsubscribe from marketing email: no recruitment "
                                           "email reaches their address again")
        self.selection_actions = [self.open_action, self.merge_action, self.archive_action,
                                  self.unarchive_action, self.replied_action,
                                  self.unsubscribe_action]

    def open_person(self, contact_id: int | None) -> None:
        if contact_id is None:
            return
        try:
            dialog = ContactDialog(self.context, contact_id, parent=self)
        except UserError as error:
            self.show_error(str(error))
            return
        dialog.exec()
        if dialog.merge_with is not None:
            self.merge([contact_id, dialog.merge_with])
        elif dialog.changed:
            self.after_change()

    def open_selected(self) -> None:
        ids = self.chosen_ids()
        if ids:
            self.open_person(ids[0])

    def new_contact(self) -> None:
        dialog = LeadDialog(self.context, None, parent=self, as_contact=True)
        dialog.exec()
        if dialog.saved_id is not None:
            self.after_change()
            self.open_person(dialog.saved_id)
        elif dialog.open_instead:
            kind, person_id = dialog.open_instead
            if kind == "contact":
                self.open_person(person_id)
            elif self.open_lead:
                self.open_lead(person_id)

    def mark_replied_selected(self) -> None:
        ids = self.chosen_ids()
        if not ids:
            return
        staff = self.context.staff_id
        stopped = self.run(lambda s: sum(email_preferences.mark_replied(s, i, staff_id=staff)
                                         for i in ids))
        if stopped is None:
            return
        who = "1 contact" if len(ids) == 1 else f"{len(ids):,} contacts"
        self.after_change(f"{who} marked as replied; {drips_stopped(stopped)}.")

    def unsubscribe_selected(self) -> None:
        """Add the selected contacts' addresses to the do-not-email list, once asked."""
        ids = self.chosen_ids()
        if not ids:
            return
        with self.context.sessions() as session:
            addresses = contact_lookup.email_addresses(session, ids)
        if not addresses:
            self.show_error("No email address to unsubscribe: the selected contacts have "
                            "none.")
            return
        shown = addresses[0] if len(addresses) == 1 else f"these {len(addresses):,} addresses"
        answer = QMessageBox.question(
            self, "Unsubscribe from marketing email?",
            f"Unsubscribe {shown} from marketing email? No recruitment email (drips, "
            "newsletters) reaches it again, and every lead and contact with it leaves their "
            "drips now. Service email, such as a reply to their own request, still can.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        staff = self.context.staff_id
        stopped = self.run(lambda s: sum(email_preferences.unsubscribe(
            s, address, staff_id=staff, note="unsubscribed by staff from the Contacts tab")
            for address in addresses))
        if stopped is not None:
            self.after_change(f"Unsubscribed {shown} from marketing email; "
                              f"{drips_stopped(stopped)}.")

    def merge_selected(self) -> None:
        ids = self.chosen_ids()
        if len(ids) != 2:
            self.show_error("Select the two contacts that are the same person, then Merge.")
            return
        self.merge(ids)

    def merge(self, ids: list[int]) -> None:
        with self.context.sessions() as session:
            try:
                details = [contacts.contact_detail(session, i) for i in ids]
            except UserError as error:
                self.show_error(str(error))
                return
        dialog = MergeDialog(details, self)
        if not dialog.exec():
            return
        keep, gone = dialog.choice()
        result = self.run(lambda s: merge.merge_contacts(s, keep, gone,
                                                        staff_id=self.context.staff_id))
        if result is not None:
            moved = ", ".join(f"{n} {label}" for label, n in result.moved.items() if n)
            self.after_change(f"Merged contact #{gone} into #{keep}"
                              + (f" (moved {moved})." if moved else "."))


class MergeDialog(QDialog):
    """The two records side by side; the user picks the one to keep."""

    ROWS = (("Name", lambda d: f"{d.form.first_name} {d.form.last_name}"),
            ("Email", lambda d: d.form.email), ("Phone", lambda d: d.form.phone),
            ("Type", lambda d: d.applicant_type.label),
            ("Stage", lambda d: d.stage.label),
            ("Date of birth", lambda d: d.profile.get("date_of_birth", "")),
            ("Added", lambda d: d.created_at.astimezone().strftime("%Y-%m-%d")))

    def __init__(self, details: list[contacts.ContactDetail], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Merge contacts")
        self.details = details
        grid = QGridLayout()
        self.keep_buttons = []
        for column, detail in enumerate(details, start=1):
            button = QRadioButton(f"Keep #{detail.id}")
            self.keep_buttons.append(button)
            grid.addWidget(button, 0, column)
        self.keep_buttons[0].setChecked(True)
        for row, (label, get) in enumerate(self.ROWS, start=1):
            grid.addWidget(QLabel(f"<b>{label}</b>"), row, 0)
            for column, detail in enumerate(details, start=1):
                value = QLabel(get(detail) or "—")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(value, row, column)
        explain = QLabel("The kept contact keeps its values and takes the other's where its "
                         "own are empty. Notes, emails, documents, tags and leads move to it; "
                         "the other record is kept as merged, and both histories show the "
                         "merge.")
        explain.setWordWrap(True)
        buttons = QDialogButtonBox()
        buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(explain)
        layout.addWidget(buttons)
        self.resize(620, 320)

    def choice(self) -> tuple[int, int]:
        keep = 0 if self.keep_buttons[0].isChecked() else 1
        return self.details[keep].id, self.details[1 - keep].id
