"""The simulator's rows: each enrolled person's sends, on their own clock. Held whole
(the simulator reads at most a few thousand people); sorting and the filter box go
through a QSortFilterProxyModel over it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from orchid_desktop.services.drip_simulation import SimulatedSend

from .campaign_words import recipient_moment

AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Person", "Email", "Time zone", "Email #", "Template", "When (their time)",
           "Status")
STATUS_COLOURS = {"sent": "#1d7a3e", "failed": "#b3261e", "skipped": "#8a8090"}


def zone_label(key: str) -> str:
    """"America/New_York" → "New York"."""
    return key.rsplit("/", 1)[-1].replace("_", " ") if key else ""


class SimulatedSendsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[SimulatedSend] = []

    def set_rows(self, rows: list[SimulatedSend]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        send, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (send.person, send.email, zone_label(send.time_zone), str(send.step),
                    send.template, recipient_moment(send.local_due) or "—",
                    send.status)[column]
        if role == SORT_ROLE:
            if column == 3:
                return send.step
            if column == 5:
                return send.local_due.timestamp() if send.local_due else float("inf")
            return self.data(index).lower()
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return send.time_zone
            if column in (4, 6):
                return (send.template, send.status)[column == 6]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            colour = STATUS_COLOURS.get(send.status.split(":")[0])
            return QBrush(QColor(colour)) if colour else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None
