"""Choose an import to enrol in a drip campaign: everyone that spreadsheet created or
updated joins it (services.enrolment.enrol_import_batch says who could not)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.services.import_history import BatchSummary, list_batches

COLUMNS = ("When", "File", "Imported as", "Created", "Updated")


class EnrolFromImportDialog(QDialog):
    def __init__(self, context: AppContext, campaign_name: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Enrol people in “{campaign_name}”")
        with context.sessions() as session:
            self.batches = [b for b in list_batches(session, limit=200) if b.can_undo]
        intro = QLabel("Everyone an import created or updated is enrolled. People who "
                       "may not get recruitment email (unsubscribed, disqualified, already "
                       "on it, or not who the campaign is for) are counted, not enrolled. "
                       "To enrol a selection instead, use Leads or Contacts.")
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.batches), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, batch in enumerate(self.batches):
            values = (batch.imported_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                      batch.file_name, batch.target.value.capitalize(),
                      f"{batch.created:,}", f"{batch.updated:,}")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel("Nothing has been imported yet (or every import was "
                                  "undone).")
        self.empty_label.setObjectName("hint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Enrol")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.buttons)
        self.table.setVisible(bool(self.batches))
        self.empty_label.setVisible(not self.batches)
        if self.batches:
            self.table.selectRow(0)
        self._selection_changed()
        self.resize(720, 380)

    def chosen(self) -> BatchSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.chosen() is not None)
