"""The Leads tab: inquiries to review, promote, ignore or archive."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog

from orchid_desktop.errors import UserError
from orchid_desktop.services import leads
from orchid_desktop.services.people import DuplicateFound

from .lead_dialog import LeadDialog
from .people_tab import PeopleTab
from .person_form import DuplicateChoice, ask_about_duplicate


class LeadsTab(PeopleTab):
    noun, plural = "lead", "leads"
    open_contact: Callable[[int], None] | None = None  # set by the window: opens a contact
    import_spreadsheet: Callable[[], None] | None = None  # set by the window: the import

    def build_actions(self) -> None:
        bar = self.toolbar
        self.new_action = bar.addAction("New lead…", self.new_lead)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.import_action = bar.addAction(
            "Import…", lambda: self.import_spreadsheet and self.import_spreadsheet())
        bar.addSeparator()
        self.open_action = bar.addAction("Open", self.open_selected)
        self.promote_action = bar.addAction("Promote to contact", self.promote_selected)
        self.review_action = bar.addAction("Mark in review", self.mark_in_review)
        self.ignore_action = bar.addAction("Ignore…", self.ignore_selected)
        self.restore_action = bar.addAction("Restore", self.restore_selected)
        self.add_archive_actions()
        bar.addSeparator()
        self.selection_actions = [self.open_action, self.promote_action, self.review_action,
                                  self.ignore_action, self.restore_action, self.archive_action,
                                  self.unarchive_action]

    def open_person(self, lead_id: int | None) -> None:
        if lead_id is None:
            return
        dialog = LeadDialog(self.context, lead_id, parent=self)
        self._run_dialog(dialog)

    def new_lead(self) -> None:
        self._run_dialog(LeadDialog(self.context, None, parent=self))

    def _run_dialog(self, dialog: LeadDialog) -> None:
        dialog.exec()
        if dialog.saved_id is not None:
            self.after_change()
        elif dialog.open_instead:
            kind, person_id = dialog.open_instead
            if kind == "contact" and self.open_contact:
                self.open_contact(person_id)
            elif kind == "lead":
                self.open_person(person_id)

    def open_selected(self) -> None:
        ids = self.chosen_ids()
        if ids:
            self.open_person(ids[0])

    def promote_selected(self) -> None:
        ids = self.chosen_ids()
        promoted, linked, skipped = [], 0, []
        for lead_id in ids:
            result = self._promote_one(lead_id, ask=len(ids) == 1)
            if result is None:
                skipped.append(lead_id)
            else:
                promoted.append(result.contact_id)
                linked += result.linked_to_existing
        if not promoted:
            if skipped and len(ids) > 1:
                self.show_error(f"None of the {len(ids)} leads was promoted: each is already a "
                                "contact or has the same email or phone as one. Open them one "
                                "by one to add them to the existing contact.")
            return
        message = f"Promoted {len(promoted)} lead{'s' if len(promoted) != 1 else ''} to contacts"
        if linked:
            message += f" ({linked} added to an existing contact)"
        if skipped:
            message += f"; {len(skipped)} left as they were (already contacts or duplicates)"
        self.after_change(message + ".")
        if len(ids) == 1 and self.open_contact:
            self.open_contact(promoted[0])

    def _promote_one(self, lead_id: int, *, ask: bool, link_to: int | None = None):
        staff = self.context.staff_id
        try:
            with self.context.sessions.begin() as session:
                return leads.promote(session, lead_id, staff_id=staff, link_to_contact=link_to)
        except DuplicateFound as found:
            if not ask:
                return None
            choice, match = ask_about_duplicate(self, found.matches, can_add_anyway=False,
                                                link_label="Add to this contact")
            if choice == DuplicateChoice.LINK:
                return self._promote_one(lead_id, ask=False, link_to=match.id)
            if choice == DuplicateChoice.OPEN and self.open_contact:
                self.open_contact(match.id)
            return None
        except UserError as error:
            if ask:
                self.show_error(str(error))
            return None

    def mark_in_review(self) -> None:
        self._change_status(lambda s, ids, staff: leads.mark_in_review(s, ids, staff_id=staff),
                            "marked in review")

    def ignore_selected(self) -> None:
        ids = self.chosen_ids()
        if not ids:
            return
        which = "this lead" if len(ids) == 1 else f"these {len(ids)} leads"
        reason, ok = QInputDialog.getItem(
            self, "Ignore leads", f"Why ignore {which}? (They stay searchable and can be "
            "restored.)", list(leads.IGNORE_REASONS), 0, True)
        if ok:
            self._change_status(lambda s, ids, staff: leads.ignore(s, ids, reason,
                                                                  staff_id=staff),
                                f"ignored ({reason.strip()})", ids)

    def restore_selected(self) -> None:
        self._change_status(lambda s, ids, staff: leads.restore(s, ids, staff_id=staff),
                            "restored to new")

    def _change_status(self, change, done: str, ids: list[int] | None = None) -> None:
        """Run a status change on the selection; Undo puts back exactly what it replaced."""
        ids = self.chosen_ids() if ids is None else ids
        if not ids:
            return
        staff = self.context.staff_id
        previous = self.run(lambda s: change(s, ids, staff))
        if previous is None:
            return
        n = len(previous)
        skipped = len(ids) - n
        message = f"{n} lead{'s' if n != 1 else ''} {done}."
        if skipped:
            message += f" {skipped} left as they were."
        self.after_change(message, undo=(lambda: self._undo_status(previous)) if n else None)

    def _undo_status(self, previous) -> None:
        staff = self.context.staff_id
        count = self.run(lambda s: leads.undo_status(s, previous, staff_id=staff))
        if count is not None:
            self.after_change(f"Undone: {count} lead{'s' if count != 1 else ''} as before.")
