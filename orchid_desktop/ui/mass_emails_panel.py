"""The mass emails: the list with what became of each one's messages, and the steps of
its life — write, schedule or send now, unschedule, pause, resume, cancel — each offered
only where it applies.

Every change runs off the GUI thread: scheduling counts the audience, and pausing,
resuming or cancelling touches one outbox row per recipient. Sending now also freezes
the recipients at once (campaign_queue.queue_due), so the list shows them straight away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import MassEmailStatus as Status
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import campaign_queue, mass_emails
from orchid_desktop.services.mass_emails import MassEmailSummary

from .mass_email_editor import MassEmailEditor, next_morning
from .mass_emails_model import MassEmailsModel
from .qt_convert import py_datetime
from .tasks import run_in_background

if TYPE_CHECKING:
    from .campaign_stats import CampaignStatsDialog
from .template_editor import bullets, set_tone

log = logging.getLogger(__name__)

# which button applies to which status
ALLOWED = {
    "edit": {Status.DRAFT, Status.SCHEDULED, Status.SENDING, Status.PAUSED, Status.SENT,
             Status.CANCELLED},
    "schedule": {Status.DRAFT}, "send_now": {Status.DRAFT},
    "unschedule": {Status.SCHEDULED}, "pause": {Status.SENDING}, "resume": {Status.PAUSED},
    "cancel": {Status.SCHEDULED, Status.SENDING, Status.PAUSED},
    "stats": {Status.SENDING, Status.PAUSED, Status.SENT, Status.CANCELLED},
}


def ask_send_time(parent: QWidget, name: str) -> datetime | None:
    """The moment (UTC) staff choose for ``name``, in their local time; None if they
    cancel."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Schedule")
    edit = QDateTimeEdit(next_morning())
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("ddd d MMM yyyy, HH:mm")
    buttons = QDialogButtonBox()
    buttons.addButton("Schedule", QDialogButtonBox.ButtonRole.AcceptRole)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel(f"Send “{name}” at (your local time):"))
    layout.addWidget(edit)
    layout.addWidget(buttons)
    if not dialog.exec():
        return None
    return py_datetime(edit.dateTime()).astimezone().astimezone(UTC)


class MassEmailsPanel(QWidget):
    changed = Signal()  # a mass email was saved or changed state
    message = Signal(str)  # what just happened, for the status bar
    outbox_changed = Signal()  # emails were queued, withdrawn or cancelled

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.editor: MassEmailEditor | None = None  # the last one opened
        self.stats_dialog: CampaignStatsDialog | None = None
        self._generation = 0
        self._select_after_load: int | None = None
        self._loading = False
        self._working = False
        self.model = MassEmailsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.empty_label = QLabel("No mass emails yet. New… writes one: the monthly "
                                  "newsletter to everyone, or a note to one group.")
        self.empty_label.setObjectName("hint")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label = QLabel()
        self.result_label.setObjectName("checkResult")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, label, slot in (
                ("new", "New…", self.new_mass_email), ("edit", "Edit…", self.edit_selected),
                ("schedule", "Schedule…", self.schedule_selected),
                ("send_now", "Send now", self.send_now_selected),
                ("unschedule", "Unschedule", self.unschedule_selected),
                ("pause", "Pause", self.pause_selected),
                ("resume", "Resume", self.resume_selected),
                ("cancel", "Cancel sending", self.cancel_selected),
                ("stats", "Stats…", self.open_stats)):
            button = self.buttons[key] = QPushButton(label)
            button.clicked.connect(slot)
            row.addWidget(button)
            if key in ("edit", "send_now", "resume", "cancel"):
                row.addSpacing(10)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.result_label)
        self._update_buttons()
        self.refresh()

    # -- the list -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the list again (in the background); the selection is kept."""
        self._generation += 1
        generation, sessions = self._generation, self.context.sessions
        self._loading = True

        def job() -> list[MassEmailSummary]:
            with sessions() as session:
                return mass_emails.list_mass_emails(session)

        run_in_background(job, lambda rows: self._loaded(generation, rows),
                          lambda error: self._load_failed(generation, error), parent=self)

    def is_busy(self) -> bool:
        return self._loading or self._working

    def _loaded(self, generation: int, rows: list[MassEmailSummary]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        chosen = self.selected()
        wanted = self._select_after_load or (chosen.id if chosen else None)
        self._select_after_load = None
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty_label.setVisible(not rows)
        if wanted is not None:
            self.select(wanted)
        self._update_buttons()

    def _load_failed(self, generation: int, error: Exception) -> None:
        if generation == self._generation:
            self._loading = False
            log.error("reading the mass emails failed", exc_info=error)
            set_tone(self.result_label, f"The mass emails could not be read: {error}", False)

    def select(self, mass_email_id: int) -> None:
        row = self.model.row_of(mass_email_id)
        if row >= 0:
            self.table.selectRow(row)

    def selected(self) -> MassEmailSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.summary(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        for key, button in self.buttons.items():
            if key != "new":
                button.setEnabled(not self._working and chosen is not None
                                  and chosen.status in ALLOWED[key])
        edit = self.buttons["edit"]
        edit.setText("Edit…" if chosen is None or chosen.status is Status.DRAFT else "View…")

    # -- writing ------------------------------------------------------------------------
    def new_mass_email(self) -> None:
        self._open_editor(None)

    def edit_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self._open_editor(chosen.id)

    def _open_editor(self, mass_email_id: int | None) -> None:
        try:
            editor = MassEmailEditor(self.context, mass_email_id, parent=self)
        except UserError as error:
            self.show_error(str(error))
            self.refresh()
            return
        editor.finished.connect(lambda _: self._editor_closed(editor))
        self.editor = editor
        editor.open()

    def _editor_closed(self, editor: MassEmailEditor) -> None:
        if editor.saved_id is None:
            return
        self._select_after_load = editor.saved_id
        self.refresh()
        self.changed.emit()
        if editor.sent_now:
            self._queue_now(editor.saved_id, editor.name.text().strip())

    # -- changing state -----------------------------------------------------------------
    def schedule_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        when = ask_send_time(self, chosen.name)
        if when is not None:
            self._change(chosen.name, lambda s: mass_emails.schedule(
                s, chosen.id, when, staff_id=self.context.staff_id),
                f"“{chosen.name}” is scheduled for "
                f"{when.astimezone().strftime('%a %d %b, %H:%M')}.")

    def send_now_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or not self._confirm(
                "Send now?", f"Send “{chosen.name}” now to {chosen.audience}? The "
                "recipients are fixed at once; while it sends you can pause or cancel it, "
                "but what has gone out cannot be taken back."):
            return
        self._change(chosen.name, lambda s: mass_emails.schedule(
            s, chosen.id, None, staff_id=self.context.staff_id), "",
            then=lambda: self._queue_now(chosen.id, chosen.name))

    def unschedule_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self._change(chosen.name, lambda s: mass_emails.unschedule(
                s, chosen.id, staff_id=self.context.staff_id),
                f"“{chosen.name}” is a draft again: change it, then schedule it.")

    def pause_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self._change(chosen.name, lambda s: mass_emails.pause(
                s, chosen.id, staff_id=self.context.staff_id),
                f"“{chosen.name}” is paused: nothing more goes out until you resume it.")

    def resume_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self._change(chosen.name, lambda s: mass_emails.resume(
                s, chosen.id, staff_id=self.context.staff_id),
                lambda queued: f"“{chosen.name}” is sending again: {queued:,} emails queued.")

    def cancel_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or not self._confirm(
                "Cancel sending?", f"Cancel “{chosen.name}”? Nothing more of it goes out. "
                "What was already sent stays sent, and it cannot be restarted."):
            return
        self._change(chosen.name, lambda s: mass_emails.cancel(
            s, chosen.id, staff_id=self.context.staff_id),
            lambda n: f"“{chosen.name}” is cancelled: {n:,} queued emails will not be sent.")

    def _queue_now(self, mass_email_id: int, name: str) -> None:
        """Freeze the recipients and queue their emails now, not at the next tick."""
        self._select_after_load = mass_email_id
        self._change(name, campaign_queue.queue_due, lambda report: (
            f"“{name}” is sending: {report.mass_email_messages:,} emails queued, one per "
            "address. They go out with the next sends."))

    def _change(self, name: str, work: Callable, message: str | Callable,
                then: Callable[[], None] | None = None) -> None:
        """Run ``work(session)`` in one transaction off the GUI thread, then say
        ``message`` (or ``message(result)``) and read the list again."""
        self._working = True
        self._update_buttons()
        set_tone(self.result_label, f"Working on “{name}”…", None)
        sessions = self.context.sessions

        def job():
            with sessions.begin() as session:
                return work(session)

        def done(result) -> None:
            self._working = False
            text = message(result) if callable(message) else message
            if text:
                set_tone(self.result_label, text, True)
                self.message.emit(text)
            self.refresh()
            self.changed.emit()
            self.outbox_changed.emit()
            if then is not None:
                then()

        def failed(error: Exception) -> None:
            self._working = False
            self.refresh()
            if isinstance(error, ValidationError):
                text = f"“{name}” cannot be sent yet:\n" + bullets(error.problems)
            elif isinstance(error, UserError):
                text = str(error)
            else:
                log.error("changing a mass email failed", exc_info=error)
                text = f"That did not work: {error}"
            set_tone(self.result_label, text, False)
            self.show_error(text)

        run_in_background(job, done, failed, parent=self)

    def open_stats(self) -> None:
        from .campaign_stats import CampaignStatsDialog

        chosen = self.selected()
        if chosen is not None:
            stats = CampaignStatsDialog(self.context, "mass_email", chosen.id, chosen.name,
                                        parent=self)
            self.stats_dialog = stats
            stats.open()

    def _confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(
            self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Mass emails", text)
