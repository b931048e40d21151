"""The search box and filters above a list, which together make a PeopleFilter.

Typing searches after a short pause (and from two characters, since one letter matches
most of a large list); each filter is a drop-down of tick boxes so the bar stays one
line.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
)

from orchid_desktop.domain.vocab import ApplicantType, LeadSource, PipelineStage
from orchid_desktop.services.people_query import PeopleFilter, PeopleKind

from .qt_convert import py_date

SEARCH_PAUSE_MS = 250
MIN_SEARCH_CHARS = 2


def status_label(value: str) -> str:
    """A lead status or a pipeline stage as staff read it."""
    if value in PipelineStage._value2member_map_:
        return PipelineStage(value).label
    return value.replace("_", " ").capitalize()


def stage_label(stage: str) -> str:
    return PipelineStage(stage).label


class ChoiceButton(QToolButton):
    """A drop-down of tick boxes; none ticked means "any"."""

    changed = Signal()

    def __init__(self, title: str, choices: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self)
        self._actions: dict[str, QAction] = {}
        for value, label in choices:
            action = menu.addAction(label)
            action.setCheckable(True)
            action.toggled.connect(self._toggled)
            self._actions[value] = action
        menu.addSeparator()
        menu.addAction("Any", self.clear)
        self.setMenu(menu)
        self._refresh_text()

    def selected(self) -> tuple[str, ...]:
        return tuple(v for v, a in self._actions.items() if a.isChecked())

    def set_selected(self, values) -> None:
        for value, action in self._actions.items():
            action.blockSignals(True)
            action.setChecked(value in values)
            action.blockSignals(False)
        self._refresh_text()

    def clear(self) -> None:
        if self.selected():
            self.set_selected(())
            self.changed.emit()

    def _toggled(self) -> None:
        self._refresh_text()
        self.changed.emit()

    def _refresh_text(self) -> None:
        chosen = [a.text() for a in self._actions.values() if a.isChecked()]
        if not chosen:
            text = f"{self.title}: any"
        elif len(chosen) == 1:
            text = f"{self.title}: {chosen[0]}"
        else:
            text = f"{self.title}: {len(chosen)} chosen"
        self.setText(text)
        self.setProperty("active", bool(chosen))
        self.style().polish(self)


class DateRangeButton(QToolButton):
    """Received/added: any time, the last N days, or a range picked in a small dialog."""

    changed = Signal()
    PRESETS = (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29), ("Last 90 days", 89))

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = title
        self.range: tuple[date | None, date | None] = (None, None)
        self.last_days: int | None = None  # a preset, relative to the day the list runs
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addAction("Any time", lambda: self.set_range(None, None, emit=True))
        for label, days in self.PRESETS:
            menu.addAction(label, partial(self.set_range, None, None, last_days=days,
                                          emit=True))
        menu.addAction("Between dates…", self.pick_range)
        self.setMenu(menu)
        self._refresh_text()

    def set_range(self, start: date | None, end: date | None, *, last_days: int | None = None,
                  emit: bool = False) -> None:
        self.range = (start, end)
        self.last_days = last_days
        self._refresh_text()
        if emit:
            self.changed.emit()

    def pick_range(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(f"{self.title} between")
        form = QFormLayout(dialog)
        start, end = QDateEdit(), QDateEdit()
        for edit in (start, end):
            edit.setCalendarPopup(True)
        start.setDate(QDate(self.range[0] or date.today() - timedelta(days=30)))
        end.setDate(QDate(self.range[1] or date.today()))
        form.addRow("From", start)
        form.addRow("To", end)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec():
            first, last = sorted((py_date(start.date()), py_date(end.date())))
            self.set_range(first, last, emit=True)

    def _refresh_text(self) -> None:
        start, end = self.range
        preset = next((label for label, days in self.PRESETS if days == self.last_days), None)
        if preset:
            text = f"{self.title}: {preset.lower()}"
        elif start is None and end is None:
            text = f"{self.title}: any time"
        elif start == end:
            text = f"{self.title}: {start:%b %d}"
        else:
            text = f"{self.title}: {start:%b %d} – {end:%b %d, %Y}"
        self.setText(text)
        self.setProperty("active", start is not None or preset is not None)
        self.style().polish(self)


class FilterBar(QWidget):
    changed = Signal(object)  # PeopleFilter

    def __init__(self, kind: PeopleKind, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.search = QLineEdit(placeholderText="Search name, email or phone")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self._pause = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS)
        self._pause.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _: self._pause.start())
        self.search.returnPressed.connect(self._emit)
        self.types = ChoiceButton("Type", [(t.value, t.label) for t in ApplicantType])
        self.sources = ChoiceButton("Source", [(s.value, s.label) for s in LeadSource])
        status_title = "Status" if kind.name == "leads" else "Stage"
        self.statuses = ChoiceButton(status_title,
                                     [(v, status_label(v)) for v in kind.status_values])
        self.dates = DateRangeButton(kind.date_label)
        self.archived = QCheckBox("Archived")
        self.archived.setToolTip("Show archived records instead of the active ones")
        for control in (self.types, self.sources, self.statuses, self.dates):
            control.changed.connect(self._emit)
        self.archived.toggled.connect(self._emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.search, 1)
        for widget in (self.types, self.sources, self.statuses, self.dates, self.archived):
            row.addWidget(widget)
        self._last = PeopleFilter()

    def current(self) -> PeopleFilter:
        text = self.search.text().strip()
        return PeopleFilter(
            search=text if len(text) >= MIN_SEARCH_CHARS else "",
            applicant_types=self.types.selected(), sources=self.sources.selected(),
            statuses=self.statuses.selected(), date_from=self.dates.range[0],
            date_to=self.dates.range[1], last_days=self.dates.last_days,
            archived=self.archived.isChecked())

    def apply(self, people: PeopleFilter) -> None:
        """Show a saved filter in the controls and run it."""
        for widget in (self.search, self.archived):
            widget.blockSignals(True)
        self.search.setText(people.search)
        self.archived.setChecked(people.archived)
        for widget in (self.search, self.archived):
            widget.blockSignals(False)
        self.types.set_selected(people.applicant_types)
        self.sources.set_selected(people.sources)
        self.statuses.set_selected(people.statuses)
        self.dates.set_range(people.date_from, people.date_to, last_days=people.last_days)
        self._emit()

    def clear(self) -> None:
        self.apply(PeopleFilter())

    def _emit(self) -> None:
        self._pause.stop()
        people = self.current()
        if people != self._last:
            self._last = people
            self.changed.emit(people)
