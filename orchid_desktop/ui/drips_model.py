"""The drip campaigns as a table: one row per campaign with its counts (from
services.drips.list_drips). Campaigns are few, so the whole list is held; the counts
behind it are the database's work."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from orchid_desktop.domain.vocab import CampaignStatus
from orchid_desktop.services.drips import DripSummary

from .campaign_words import (
    STATUS_COLOURS,
    STATUS_LABELS,
    TARGET_LABELS,
    local_moment,
    plural,
)

AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Name", "Target", "Status", "Enrolled", "Active", "Queued", "Sent", "Failed",
           "Next send")
NUMBER_COLUMNS = range(3, 8)
NEXT_SEND = 8
HEADER_TIPS = {
    "Enrolled": "Everyone ever enrolled, whether still on it or not",
    "Active": "People still moving through the sequence",
    "Queued": "Emails planned and not sent yet",
    "Sent": "Emails sent (or saved as files in local mode)",
    "Failed": "Emails that could not be sent",
    "Next send": "The next planned email, on this computer's clock",
}


def describe(drip: DripSummary) -> str:
    """One line on where the campaign stands and what to do next."""
    people = plural(drip.active, "person", "people")
    if drip.status is CampaignStatus.DRAFT:
        if not drip.enrolled:
            return f"“{drip.name}” is a draft with nobody enrolled: enrol people " \
                   "(Enrolments…), check it with Simulate…, then Launch."
        return f"“{drip.name}” is a draft with {plural(drip.enrolled, 'person', 'people')} " \
               "enrolled: their emails are planned when you launch it."
    sent = f"{plural(drip.sent, 'email')} sent, {drip.queued:,} still planned" + (
        f", {drip.failed:,} failed" if drip.failed else "")
    if drip.status is CampaignStatus.ACTIVE:
        nxt = f"; the next goes {local_moment(drip.next_send)}" if drip.next_send else ""
        return f"“{drip.name}” is sending: {people} on it, {sent}{nxt}."
    if drip.status is CampaignStatus.PAUSED:
        return f"“{drip.name}” is paused ({drip.paused_reason or 'no reason given'}): " \
               f"{sent}; nothing goes until you resume it."
    if drip.status is CampaignStatus.COMPLETED:
        return f"“{drip.name}” is complete: {sent}."
    return f"“{drip.name}” is archived; its history is kept. Copy it to use it again."


class DripsTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[DripSummary] = []

    def set_rows(self, rows: list[DripSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> DripSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, campaign_id: int) -> int | None:
        for row, drip in enumerate(self._rows):
            if drip.id == campaign_id:
                return row
        return None

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        drip, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(drip, column)
        if role == ID_ROLE:
            return drip.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 2 and drip.status in STATUS_COLOURS:
                return QBrush(QColor(STATUS_COLOURS[drip.status]))
            if column == 7 and drip.failed:
                return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2 and drip.paused_reason:
                return f"Paused: {drip.paused_reason}"
            if column == NEXT_SEND and drip.next_send:
                return drip.next_send.astimezone().strftime("%A %d %B %Y, %H:%M %Z")
        return None

    @staticmethod
    def _text(drip: DripSummary, column: int) -> str:
        if column == 0:
            return drip.name
        if column == 1:
            return TARGET_LABELS[drip.target]
        if column == 2:
            return STATUS_LABELS[drip.status]
        if column in NUMBER_COLUMNS:
            value = (drip.enrolled, drip.active, drip.queued, drip.sent,
                     drip.failed)[column - 3]
            return f"{value:,}"
        return local_moment(drip.next_send) if drip.next_send else "—"

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(COLUMNS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole and section in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
