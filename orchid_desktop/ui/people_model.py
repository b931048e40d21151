"""A read-only table of leads or contacts that fetches its rows in windows as the view
scrolls; sorting is done by the database (services/listing.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from orchid_desktop.domain.contact_points import display_phone
from orchid_desktop.domain.vocab import ApplicantType, LeadSource
from orchid_desktop.services.listing import Listing

PAGE_SIZE = 200
AnyIndex = QModelIndex | QPersistentModelIndex


def display(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if key == "applicant_type":
        return ApplicantType(value).label
    if key == "source":
        return LeadSource(value).label
    if key == "phone":
        return display_phone(value)
    if key in ("status", "stage"):
        return str(value).replace("_", " ").capitalize()
    return str(value)


class PeopleTableModel(QAbstractTableModel):
    def __init__(self, listing: Listing, default_sort: int, parent=None):
        super().__init__(parent)
        self._listing = listing
        self._keys = [c.key for c in listing.columns]
        self._rows: list[tuple] = []
        self._total = 0
        self.default_sort = default_sort
        self._sort_column = default_sort
        self._descending = True
        self.reload()

    def total_rows(self) -> int:
        return self._total

    def reload(self) -> None:
        self.beginResetModel()
        self._total = self._listing.count()
        self._rows = self._listing.page(0, PAGE_SIZE, self._sort_column, self._descending)
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:
        if parent.isValid():
            return
        page = self._listing.page(len(self._rows), PAGE_SIZE, self._sort_column, self._descending)
        if not page:  # rows were deleted elsewhere since we counted
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        return display(self._keys[index.column()], self._rows[index.row()][index.column()])

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._listing.columns[section].header
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self._keys):
            self._sort_column = column
            self._descending = order == Qt.SortOrder.DescendingOrder
            self.reload()
