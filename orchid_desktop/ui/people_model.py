"""A read-only table of leads or contacts over a list of any size.

The model reports the full row count at once (so the scroll bar is true and "jump to the
end" is one page read) and reads rows a page at a time as the view asks for them, keeping
a bounded number of pages. Counting, sorting, searching and filtering are the database's
work (services/listing.py); a row's id travels with it so actions know whom they touch.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from orchid_desktop.domain.contact_points import display_phone
from orchid_desktop.domain.dq_parameters import rule_label
from orchid_desktop.domain.screening_rules import SEVERITY
from orchid_desktop.domain.vocab import (
    ApplicantType,
    LeadSource,
    PipelineStage,
    ScreeningOutcome,
)
from orchid_desktop.services.listing import Listing
from orchid_desktop.services.people_query import PeopleFilter

PAGE_SIZE = 200
MAX_CACHED_PAGES = 40  # 8,000 rows: a few screens either way of where the user is
AnyIndex = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1


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
    if key == "stage":
        return PipelineStage(value).label
    if key == "status":
        return str(value).replace("_", " ").capitalize()
    if key == "screening_outcome":
        return ScreeningOutcome(value).label
    if key == "fired":  # the latest evaluation's results: what did not pass
        return " · ".join(f"{rule_label(r['rule'])}: {ScreeningOutcome(r['outcome']).label}"
                          for r in sorted(value, key=_severity) if r["outcome"] != "pass") \
            or "Everything passed"
    return str(value).strip()


def _severity(result: dict) -> int:
    return -SEVERITY[ScreeningOutcome(result["outcome"])]


class PeopleTableModel(QAbstractTableModel):
    total_changed = Signal(object)  # the row count after a reload (object: may exceed 2³¹)

    def __init__(self, listing: Listing, parent=None):
        super().__init__(parent)
        self.listing = listing
        self._keys = [c.key for c in listing.columns]
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()
        self._total = 0
        self.filter = PeopleFilter()
        self.default_sort = listing.kind.default_sort
        self._sort_column = self.default_sort
        self._descending = True

    def total_rows(self) -> int:
        return self._total

    def cached_pages(self) -> int:
        return len(self._pages)

    def set_filter(self, people: PeopleFilter) -> None:
        self.filter = people
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._total = self.listing.count(self.filter)
        self.endResetModel()
        self.total_changed.emit(self._total)

    def sort_state(self) -> tuple[int, bool]:
        return self._sort_column, self._descending

    # -- rows ---------------------------------------------------------------------------
    def _row(self, row: int) -> tuple | None:
        number, offset = divmod(row, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = self.listing.page(number * PAGE_SIZE, PAGE_SIZE, self._sort_column,
                                     self._descending, self.filter, total=self._total)
            self._pages[number] = page
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        # rows deleted elsewhere since the count: the row reads as empty until a reload
        return page[offset] if offset < len(page) else None

    def person_id(self, row: int) -> int | None:
        found = self._row(row) if 0 <= row < self._total else None
        return found[0] if found else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, ID_ROLE):
            return None
        found = self._row(index.row())
        if found is None:
            return None
        if role == ID_ROLE:
            return found[0]
        return display(self._keys[index.column()], found[index.column() + 1])

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.listing.columns[section].header
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._keys):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._sort_column, self._descending):
            # the view re-announces the sort it already has (enabling sorting, restoring
            # the header): the rows are already in that order, so no new count
            return
        self._sort_column, self._descending = column, descending
        self.reload()
