"""The Screening tab: the queue of contacts waiting for a screening decision, grouped by
what the DQ rules found (with counts), the evaluation of the one selected, and the
decisions — approve, reject, defer, flag, ask for information, convert to a client.

Deciding moves the selection to the next contact in the same place, so a screener can
work down a group without reaching for the mouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QTableView,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import screening
from orchid_desktop.services import screening_decisions as decide
from orchid_desktop.services.listing import Listing
from orchid_desktop.services.people_query import SCREENING, PeopleFilter, where_clause
from orchid_desktop.services.screening_queue import (
    Group,
    Queue,
    anyone_to_screen,
    group_counts,
)
from orchid_desktop.services.screening_view import ScreeningView, screening_view

from .dq_settings_dialog import DQSettingsDialog
from .empty_state import EmptyState
from .people_tab import PeopleTab
from .screening_detail import ScreeningDetail
from .screening_dialogs import (
    ApproveDialog,
    ConvertDialog,
    DeferDialog,
    FlagDialog,
    RejectDialog,
    RequestInfoDialog,
)
from .tasks import run_in_background

ALL = ""


class ProgressRelay(QObject):
    """Carries a background run's progress to the GUI thread."""

    progressed = Signal(object, object)  # done, total


class ScreeningTab(PeopleTab):
    noun, plural = "contact", "contacts"
    has_saved_filters = False

    def __init__(self, context: AppContext, empty: EmptyState, parent=None):
        super().__init__(context, Listing(context.sessions, SCREENING), empty, parent)
        self.open_contact: Callable[[int], None] | None = None
        self.model.total_changed.connect(self._update_counts)  # after every reload
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_current())
        self.show_current()

    # -- layout -------------------------------------------------------------------------
    def body(self, table: QTableView) -> QWidget:
        self.group_list = QListWidget()
        self.group_list.setObjectName("groupList")
        self.group_list.setMaximumWidth(200)
        for value, label in [(ALL, "All"), *((g.value, g.label) for g in Group)]:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, value)
            self.group_list.addItem(item)
        self.group_list.setCurrentRow(0)
        self.group_list.currentItemChanged.connect(lambda *_: self._refilter())
        self.detail = ScreeningDetail()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.group_list)
        splitter.addWidget(table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([170, 640, 520])
        splitter.setChildrenCollapsible(False)
        return splitter

    def build_actions(self) -> None:
        self.queue_box = QComboBox()
        for queue in Queue:
            self.queue_box.addItem(queue.label, queue.value)
        self.queue_box.currentIndexChanged.connect(lambda *_: self._refilter())
        self.toolbar.addWidget(QLabel(" Show "))
        self.toolbar.addWidget(self.queue_box)
        self.toolbar.addSeparator()
        add = self.toolbar.addAction
        self.approve_action = add("Approve…", self.approve)
        self.reject_action = add("Reject…", self.reject)
        self.defer_action = add("Defer…", self.defer)
        self.flag_action = add("Flag…", self.toggle_flag)
        self.info_action = add("Request info…", self.request_info)
        self.convert_action = add("Convert to client…", self.convert)
        self.toolbar.addSeparator()
        self.open_action = add("Open contact", self.open_current)
        self.rescreen_action = add("Re-screen selected", self.rescreen_selected)
        self.rescreen_all_action = add("Re-screen all…", lambda: self.rescreen(None))
        self.settings_action = add("DQ settings…", self.open_settings)
        self.selection_actions = [self.rescreen_action]

    # -- the list -----------------------------------------------------------------------
    def _queue(self) -> Queue:
        return Queue(self.queue_box.currentData())

    def _groups(self) -> tuple[str, ...]:
        item = self.group_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else ALL
        return (value,) if value else ()

    def set_filter(self, people: PeopleFilter) -> None:
        super().set_filter(replace(people, queue=self._queue().value,
                                   outcome_groups=self._groups()))
        self.show_current()

    def _refilter(self) -> None:
        self.set_filter(self.filters.current())

    def refresh(self) -> None:
        row = self.table.currentIndex().row()
        self.model.reload()
        # the queue may be empty while other queues are not: the tab stays on the list
        # whenever anyone could be screened
        if self.model.total_rows() or self._anyone_to_screen():
            self.setCurrentIndex(1)
            self._fit_columns()
        else:
            self.setCurrentWidget(self.empty)
        if self.model.total_rows():
            self.table.selectRow(min(max(row, 0), self.model.total_rows() - 1))
        self.show_current()

    def _anyone_to_screen(self) -> bool:
        with self.context.sessions() as session:
            return anyone_to_screen(session)

    def _update_counts(self, listed: int) -> None:
        people = replace(self.model.filter, outcome_groups=())
        with self.context.sessions() as session:
            where = where_clause(SCREENING, people, session.get_bind().dialect.name)
            counts = group_counts(session, where)
        # "All" is the list itself unless a group narrows it (groups overlap: no sum)
        total = self.model.listing.count(people) if self.model.filter.outcome_groups \
            else listed
        for row in range(self.group_list.count()):
            item = self.group_list.item(row)
            value = item.data(Qt.ItemDataRole.UserRole)
            n = total if value == ALL else counts[Group(value)]
            label = "All" if value == ALL else Group(value).label
            item.setText(f"{label}  ({n:,})")

    # -- the selected contact -----------------------------------------------------------
    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.person_id(index.row()) if index.isValid() else None

    def show_current(self) -> None:
        contact_id = self.current_id()
        view = None
        if contact_id is not None:
            with self.context.sessions() as session:
                try:
                    view = screening_view(session, contact_id)
                except UserError:
                    view = None
        self.detail.show_view(view)
        self._update_actions(view)

    def _update_actions(self, view: ScreeningView | None) -> None:
        awaiting = view is not None and view.awaiting
        for action in (self.approve_action, self.reject_action, self.defer_action,
                       self.info_action):
            action.setEnabled(awaiting)
        self.flag_action.setEnabled(view is not None)
        self.flag_action.setText("Unflag" if view and view.flagged_at else "Flag…")
        self.convert_action.setEnabled(view is not None and view.stage.value == "approved"
                                       and view.case_number is None)
        self.open_action.setEnabled(view is not None)

    # -- decisions ----------------------------------------------------------------------
    def _decide(self, dialog, work: Callable, message: str | Callable[[], str]) -> bool:
        """Show ``dialog`` until the decision is saved or the screener cancels. Something
        they can fix in the dialog (a missing reason) brings it back with what they
        typed; anything else (decided elsewhere meanwhile) is shown and the queue reread."""
        while dialog.exec():
            error = self._save(work)
            if error is None:
                self.after_change(message() if callable(message) else message)
                return True
            if not isinstance(error, ValidationError):
                return False
        return False

    def _save(self, work: Callable) -> UserError | None:
        """Run ``work(session)`` in one transaction; the error it raised, already shown
        (and the queue reread unless it was a problem with what was typed)."""
        try:
            with self.context.sessions.begin() as session:
                work(session)
        except UserError as error:
            self.show_error(str(error))
            if not isinstance(error, ValidationError):
                self.refresh()
            return error
        return None

    def approve(self) -> None:
        view = self.detail.view
        if view is None:
            return
        dialog = ApproveDialog(view, self)
        self._decide(dialog, lambda s: decide.approve(
            s, view.contact_id, staff_id=self.context.staff_id,
            note=dialog.note.toPlainText(), seen=view.seen()), f"{view.name} approved.")

    def reject(self) -> None:
        view = self.detail.view
        if view is None:
            return
        dialog = RejectDialog(view, self)
        notice: list[int | None] = []
        self._decide(dialog, lambda s: notice.append(decide.reject(
            s, view.contact_id, staff_id=self.context.staff_id,
            reason_code=dialog.reason_code(), note=dialog.note.toPlainText(),
            send_notice=dialog.send_notice.isChecked(), seen=view.seen())),
            lambda: f"{view.name} rejected" + (", and the kind notice queued."
                                               if notice and notice[-1] else "."))

    def defer(self) -> None:
        view = self.detail.view
        if view is None:
            return
        dialog = DeferDialog(view, date.today(), self)
        self._decide(dialog, lambda s: decide.defer(
            s, view.contact_id, dialog.date(), staff_id=self.context.staff_id,
            note=dialog.note.toPlainText(), seen=view.seen()), f"{view.name} deferred.")

    def toggle_flag(self) -> None:
        view = self.detail.view
        if view is None:
            return
        if view.flagged_at:
            if self._save(lambda s: decide.set_flag(s, view.contact_id, False,
                                                    staff_id=self.context.staff_id)) is None:
                self.after_change(f"{view.name} unflagged.")
            return
        dialog = FlagDialog(view, self)
        self._decide(dialog, lambda s: decide.set_flag(
            s, view.contact_id, True, staff_id=self.context.staff_id,
            note=dialog.note.toPlainText()), f"{view.name} flagged.")

    def request_info(self) -> None:
        view = self.detail.view
        if view is None:
            return
        dialog = RequestInfoDialog(view, self)
        self._decide(dialog, lambda s: decide.request_information(
            s, view.contact_id, staff_id=self.context.staff_id,
            what=dialog.what.toPlainText(), send_email=dialog.send_email.isChecked()),
            f"Information requested from {view.name}.")

    def convert(self) -> None:
        view = self.detail.view
        if view is None:
            return
        with self.context.sessions() as session:
            staff = decide.staff_choices(session)
        dialog = ConvertDialog(view, staff, self.context.staff_id, date.today(), self)
        made: list[decide.Conversion] = []
        self._decide(dialog, lambda s: made.append(decide.convert_to_client(
            s, view.contact_id, staff_id=self.context.staff_id,
            coordinator_id=dialog.coordinator_id(), start_date=dialog.start_date(),
            seen=view.seen())),
            lambda: f"{view.name} is now a client: case {made[-1].case_number} opened.")

    def open_current(self) -> None:
        contact_id = self.current_id()
        if contact_id is not None and self.open_contact:
            self.open_contact(contact_id)

    # -- screening runs -----------------------------------------------------------------
    def rescreen_selected(self) -> None:
        ids = self.chosen_ids()
        if ids:
            self.rescreen(ids)

    def rescreen(self, ids: list[int] | None, *, confirm: bool = True) -> None:
        """Off the GUI thread with a progress dialog; Cancel stops after the batch."""
        if ids is None and confirm and QMessageBox.question(
                self, "Re-screen all", "Run the current DQ rules on every contact now? "
                "Each gets a new evaluation; their earlier ones are kept.") \
                != QMessageBox.StandardButton.Yes:
            return
        progress = QProgressDialog("Screening contacts…", "Stop", 0, 0, self)
        progress.setWindowTitle("Re-screening")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        relay = ProgressRelay(self)

        def show_progress(done: int, total: int) -> None:
            progress.setMaximum(total)
            progress.setValue(done)

        relay.progressed.connect(show_progress)
        stop_requested: list[bool] = []  # this run's own: a later run cannot undo a Stop
        progress.canceled.connect(lambda: stop_requested.append(True))
        self._set_rescreen_enabled(False)

        def report(done: int, total: int) -> bool:
            relay.progressed.emit(done, total)
            return not stop_requested

        def settle() -> None:
            progress.reset()
            progress.deleteLater()
            relay.deleteLater()
            self._set_rescreen_enabled(True)

        def finished(tally) -> None:
            settle()
            self.after_change(tally.summary())
            self.rescreen_finished.emit(tally)

        def failed(error) -> None:
            settle()
            self.show_error(f"Re-screening stopped: {error}")

        sessions = self.context.sessions
        run_in_background(lambda: screening.screen_contacts(sessions, ids, progress=report),
                          finished, failed, parent=self)

    rescreen_finished = Signal(object)  # the tally, for whoever waits (tests, the window)

    def _set_rescreen_enabled(self, enabled: bool) -> None:
        """One run at a time: the rules and their settings stay as they are until it ends."""
        for action in (self.rescreen_action, self.rescreen_all_action, self.settings_action):
            action.setEnabled(enabled)

    def open_settings(self) -> None:
        dialog = DQSettingsDialog(self.context, parent=self)
        dialog.exec()
        if dialog.saved_types and QMessageBox.question(
                self, "DQ settings saved", "The new rules apply to evaluations from now on. "
                "Re-screen everyone with them now?") == QMessageBox.StandardButton.Yes:
            self.rescreen(None, confirm=False)
