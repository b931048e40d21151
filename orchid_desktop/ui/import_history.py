"""The import history: every spreadsheet imported, by whom, what it did, and Undo."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services.import_history import (
    BatchSummary,
    UndoResult,
    list_batches,
    undo_batch,
)

from .enrol_dialog import EnrolDialog
from .import_wizard_pages import (
    STYLE,
    hint_label,
    people,
    read_only_table,
    secondary_button,
    title_label,
)
from .tasks import run_in_background

log = logging.getLogger(__name__)

COLUMNS = ("When", "File", "Label", "Imported as", "Created", "Updated", "Skipped",
           "Rejected", "By", "Status")
NUMBERS = range(4, 8)
STRETCHED = (1, 2)  # file and label take the room left; the others fit their content


def local_time(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone().strftime(fmt)


class ImportHistoryDialog(QDialog):
    changed = Signal()  # an import was undone: the lists need reading again

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.batches: list[BatchSummary] = []
        self._busy = False
        self.setWindowTitle("Import history")
        self.setStyleSheet(STYLE)
        title = title_label("Import history")
        explain = hint_label("Every spreadsheet imported, newest first. Undo removes the "
                             "people an import created and puts back what it changed; anyone "
                             "worked on since is kept.")
        self.table = read_only_table(list(COLUMNS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty_label = QLabel("Nothing has been imported yet. Use File → Import "
                                  "spreadsheet…, or drop a file on the main window.")
        self.empty_label.setObjectName("hint")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label = QLabel()
        self.result_label.setObjectName("checkResult")
        self.result_label.setWordWrap(True)
        self.undo_button = secondary_button("Undo import…")
        self.undo_button.clicked.connect(self.undo_selected)
        self.enrol_button = secondary_button("Enrol in drip…")
        self.enrol_button.setToolTip("Enrol everyone this import added or updated in a drip "
                                     "campaign")
        self.enrol_button.clicked.connect(self.enrol_selected)
        self.enrol_dialog: EnrolDialog | None = None  # the last one opened
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.result_label, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addLayout(buttons)
        self.resize(1160, 460)
        self.reload()

    def reload(self) -> None:
        with self.context.sessions() as session:
            self.batches = list_batches(session)
        self.table.setRowCount(len(self.batches))
        for row, batch in enumerate(self.batches):
            status = ("Undone " + local_time(batch.undone_at, "%Y-%m-%d")
                      if batch.undone_at else "Imported")
            values = (local_time(batch.imported_at), batch.file_name, batch.source_label,
                      batch.target.value.capitalize(), *(f"{n:,}" for n in (
                          batch.created, batch.updated, batch.skipped, batch.rejected)),
                      batch.imported_by, status)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column in NUMBERS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if batch.undone_at:
                    item.setForeground(self.palette().placeholderText().color())
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch
                                        if column in STRETCHED
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVisible(bool(self.batches))
        self.empty_label.setVisible(not self.batches)
        if self.batches and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._selection_changed()

    def selected_batch(self) -> BatchSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        batch = self.selected_batch()
        self.undo_button.setEnabled(not self._busy and batch is not None and batch.can_undo)
        self.enrol_button.setEnabled(not self._busy and batch is not None
                                     and batch.undone_at is None
                                     and batch.created + batch.updated > 0)

    def enrol_selected(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        noun = batch.target.value[:-1]
        who = f"the {people(batch.created + batch.updated, batch.target)} the import of " \
              f"{batch.file_name} added or updated"
        if batch.created + batch.updated == 1:
            who = f"the {noun} the import of {batch.file_name} added or updated"
        dialog = EnrolDialog(self.context, who, import_batch_id=batch.id, parent=self)
        dialog.enrolled.connect(lambda report: self._show_result(report.summary(), True))
        self.enrol_dialog = dialog
        dialog.open()

    def undo_selected(self) -> None:
        batch = self.selected_batch()
        if batch is None or not batch.can_undo:
            return
        question = f"Remove the {people(batch.created, batch.target)} this import created"
        question += (f" and restore the {batch.updated:,} it updated?" if batch.updated
                     else "?")
        question += " People changed since the import are kept."
        answer = QMessageBox.question(
            self, f"Undo the import of {batch.file_name}?", question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._busy = True
        self._selection_changed()
        self._show_result(f"Undoing the import of {batch.file_name}…", None)
        sessions, staff = self.context.sessions, self.context.staff_id
        run_in_background(lambda: undo_batch(sessions, batch.id, staff_id=staff),
                          lambda result: self._undone(batch, result), self._failed,
                          parent=self)

    def _undone(self, batch: BatchSummary, result: UndoResult) -> None:
        self._busy = False
        self.reload()
        self._show_result(f"Undone: {batch.file_name}. {result.summary()}", True)
        self.changed.emit()

    def _failed(self, error: Exception) -> None:
        self._busy = False
        if not isinstance(error, UserError):
            log.error("undoing an import failed", exc_info=error)
        self.reload()
        self._show_result(str(error) if isinstance(error, UserError)
                          else f"The import could not be undone: {error}", False)

    def _show_result(self, text: str, ok: bool | None) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("ok", "" if ok is None else ok)
        self.result_label.style().polish(self.result_label)

    def is_busy(self) -> bool:
        return self._busy
