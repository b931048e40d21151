"""The mass emails as a table: one row per mass email with its status, when it goes out
(in local time) and what became of its messages.

Mass emails are tens, not millions, so the whole list is read at once (off the GUI
thread: the counts join the outbox) and handed to ``set_rows``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from orchid_desktop.domain.vocab import MassEmailStatus
from orchid_desktop.services.mass_emails import MassEmailSummary

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Status", "Scheduled for", "Audience", "Recipients", "Served", "Queued",
           "Failed")
NUMBERS = range(4, 8)
STATUS_LABELS = {
    MassEmailStatus.DRAFT: "Draft", MassEmailStatus.SCHEDULED: "Scheduled",
    MassEmailStatus.SENDING: "Sending", MassEmailStatus.PAUSED: "Paused",
    MassEmailStatus.SENT: "Sent", MassEmailStatus.CANCELLED: "Cancelled",
}


def local_time(moment) -> str:
    return moment.astimezone().strftime("%a %d %b %Y, %H:%M") if moment else ""


class MassEmailsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[MassEmailSummary] = []

    def set_rows(self, rows: list[MassEmailSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> MassEmailSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, mass_email_id: int) -> int:
        return next((r for r, m in enumerate(self._rows) if m.id == mass_email_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(summary, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return summary.audience
        if role == Qt.ItemDataRole.UserRole:
            return summary.id
        return None

    @staticmethod
    def _text(summary: MassEmailSummary, column: int) -> str:
        if column == 0:
            return summary.name
        if column == 1:
            return STATUS_LABELS[summary.status]
        if column == 2:
            return local_time(summary.scheduled_at)
        if column == 3:
            return summary.audience
        if column == 4:
            # frozen when sending starts: before then the live count is the editor's
            return f"{summary.recipients:,}" if summary.status not in (
                MassEmailStatus.DRAFT, MassEmailStatus.SCHEDULED) else "—"
        return f"{(summary.served, summary.queued, summary.failed)[column - 5]:,}"

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
