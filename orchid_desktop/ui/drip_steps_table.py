"""The steps of a drip as an editable table: emails and waits in order, each email with
its delay, what the delay counts from, an optional time of day and its template.

The rows are rebuilt from a list of ``StepForm`` whenever one is added, removed or
moved (a campaign has tens of steps, not thousands), so the widgets in the cells never
drift from the order they stand for.
"""

from __future__ import annotations

import re
from datetime import time
from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.domain.vocab import DelayFrom, StepKind
from orchid_desktop.services.drips import MAX_DELAY_DAYS, StepForm
from orchid_desktop.services.templates import TemplateSummary

COLUMNS = ("#", "Kind", "Delay", "Counted from", "Time of day", "Template")
DELAY, FROM, AT, TEMPLATE = 2, 3, 4, 5
FROM_CHOICES = ((DelayFrom.PREVIOUS_STEP, "the step before"), (DelayFrom.ENROLMENT, "enrolment"))
TIME_CHOICES = [f"{h:02d}:{m:02d}" for h in range(7, 21) for m in (0, 30)]
OTHER_TEMPLATES = "Other templates"
_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*$")


def parse_time(text: str) -> time | None:
    """"9:30", "09:30" or "930" → 09:30; "" → None; anything else raises ValueError."""
    if not text.strip():
        return None
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute)  # raises ValueError past 23:59


class StepsEditor(QWidget):
    changed = Signal()

    def __init__(self, templates: list[TemplateSummary], parent: QWidget | None = None):
        super().__init__(parent)
        self.templates = templates
        self._names = {t.id: t.name for t in templates}
        self._steps: list[StepForm] = []
        self._read_only = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.setShowGrid(False)
        self.table.setStyleSheet("QTableWidget QComboBox, QTableWidget QSpinBox "
                                 "{ margin: 3px 4px; }")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        header = self.table.horizontalHeader()
        for column, width in ((0, 34), (1, 64), (DELAY, 104), (FROM, 150), (AT, 116)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        header.setSectionResizeMode(TEMPLATE, QHeaderView.ResizeMode.Stretch)
        self.add_email_button = QPushButton("Add email")
        self.add_email_button.clicked.connect(lambda: self.add_step(StepKind.EMAIL))
        self.add_wait_button = QPushButton("Add wait")
        self.add_wait_button.clicked.connect(lambda: self.add_step(StepKind.WAIT))
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_current)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self.move_current(1))
        buttons = QHBoxLayout()
        for button in (self.add_email_button, self.add_wait_button, self.remove_button,
                       self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- the steps ----------------------------------------------------------------------
    def set_steps(self, steps: list[StepForm]) -> None:
        self._steps = [StepForm(s.kind, s.delay_days, s.delay_from, s.send_time, s.template_id)
                       for s in steps]
        self._rebuild()
        self.changed.emit()

    def steps(self) -> list[StepForm]:
        """The steps as shown; a time of day that is not a time reads as none (see
        ``problems``)."""
        self._read_widgets()
        return [StepForm(s.kind, s.delay_days, s.delay_from, s.send_time, s.template_id)
                for s in self._steps]

    def problems(self) -> list[str]:
        found = []
        for row, step in enumerate(self._steps):
            box = self._combo(row, AT)
            if step.kind is StepKind.EMAIL and box is not None:
                try:
                    parse_time(box.currentText())
                except ValueError:
                    found.append(f"Step {row + 1}: “{box.currentText()}” is not a time of "
                                 "day; write it like 09:30, or leave it empty.")
        return found

    def add_step(self, kind: StepKind) -> None:
        self._read_widgets()
        row = self.current_row()
        at = len(self._steps) if row is None else row + 1
        first = not self._steps
        self._steps.insert(at, StepForm(
            kind, 0 if first and kind is StepKind.EMAIL else 1,
            DelayFrom.ENROLMENT if first else DelayFrom.PREVIOUS_STEP))
        self._rebuild(select=at)
        self.changed.emit()

    def remove_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self._read_widgets()
        del self._steps[row]
        self._rebuild(select=min(row, len(self._steps) - 1))
        self.changed.emit()

    def move_current(self, by: int) -> None:
        row = self.current_row()
        if row is None or not 0 <= row + by < len(self._steps):
            return
        self._read_widgets()
        self._steps[row], self._steps[row + by] = self._steps[row + by], self._steps[row]
        self._rebuild(select=row + by)
        self.changed.emit()

    def current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for row in range(self.table.rowCount()):
            for column in (DELAY, FROM, AT, TEMPLATE):
                widget = self.table.cellWidget(row, column)
                if widget is not None:
                    widget.setEnabled(not read_only)
        self._update_buttons()

    # -- widgets ------------------------------------------------------------------------
    def _rebuild(self, select: int | None = None) -> None:
        self.table.setRowCount(0)  # the old rows' widgets go with them
        self.table.setRowCount(len(self._steps))
        email_number = 0
        for row, step in enumerate(self._steps):
            number = QTableWidgetItem(str(row + 1))
            number.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, 0, number)
            email = step.kind is StepKind.EMAIL
            email_number += email
            kind = QTableWidgetItem(f"Email {email_number}" if email else "Wait")
            if not email:
                kind.setForeground(self.palette().placeholderText())
            self.table.setItem(row, 1, kind)
            self.table.setCellWidget(row, DELAY, self._delay_box(step))
            if email:
                self.table.setCellWidget(row, FROM, self._from_box(step))
                self.table.setCellWidget(row, AT, self._time_box(step))
                self.table.setCellWidget(row, TEMPLATE, self._template_box(step))
        if select is not None and 0 <= select < len(self._steps):
            self.table.selectRow(select)
        self._update_buttons()

    def _read_widgets(self) -> None:
        for row, step in enumerate(self._steps):
            delay = cast(QSpinBox | None, self.table.cellWidget(row, DELAY))  # _delay_box's
            if delay is not None:
                step.delay_days = delay.value()
            if step.kind is not StepKind.EMAIL:
                continue
            from_box, at_box, template_box = (self._combo(row, FROM), self._combo(row, AT),
                                              self._combo(row, TEMPLATE))
            if from_box is None or at_box is None or template_box is None:
                continue  # not built yet (``_rebuild`` gives every email row all three)
            step.delay_from = DelayFrom(from_box.currentData())
            try:
                step.send_time = parse_time(at_box.currentText())
            except ValueError:
                step.send_time = None
            step.template_id = template_box.currentData()

    def _combo(self, row: int, column: int) -> QComboBox | None:
        """The combo box ``_rebuild`` put in an email step's From, At or Template cell."""
        return cast(QComboBox | None, self.table.cellWidget(row, column))  # typed QWidget

    def _delay_box(self, step: StepForm) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, MAX_DELAY_DAYS)
        box.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        box.setValue(step.delay_days)
        box.setSuffix(" day" if step.delay_days == 1 else " days")
        box.setEnabled(not self._read_only)
        box.valueChanged.connect(lambda v: box.setSuffix(" day" if v == 1 else " days"))
        box.valueChanged.connect(self.changed)
        return box

    def _from_box(self, step: StepForm) -> QComboBox:
        box = QComboBox()
        for value, label in FROM_CHOICES:
            box.addItem(label, value.value)
        box.setCurrentIndex(max(box.findData(DelayFrom(step.delay_from).value), 0))
        box.setEnabled(not self._read_only)
        box.currentIndexChanged.connect(self.changed)
        return box

    def _time_box(self, step: StepForm) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(["", *TIME_CHOICES])
        line = box.lineEdit()  # there is one: the box is editable
        if line is not None:
            line.setPlaceholderText("window start")
        box.setToolTip("Leave empty to send when the sending window opens (on day 0: as "
                       "soon as the window allows)")
        box.setCurrentText(f"{step.send_time:%H:%M}" if step.send_time else "")
        box.setEnabled(not self._read_only)
        box.currentTextChanged.connect(self.changed)
        return box

    def _template_box(self, step: StepForm) -> QComboBox:
        box = QComboBox()
        model = QStandardItemModel(box)
        choose = QStandardItem("Choose a template…")
        model.appendRow(choose)
        groups: dict[str, list[TemplateSummary]] = {}
        for template in self.templates:
            if not template.archived or template.id == step.template_id:
                groups.setdefault(template.sequence or OTHER_TEMPLATES, []).append(template)
        bold = QFont()
        bold.setBold(True)
        order = sorted(groups, key=lambda name: (name == OTHER_TEMPLATES, name.lower()))
        for name in order:
            heading = QStandardItem(name)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setFont(bold)
            model.appendRow(heading)
            for template in groups[name]:
                item = QStandardItem(template.name
                                     + (" (archived)" if template.archived else ""))
                item.setData(template.id, Qt.ItemDataRole.UserRole)
                item.setToolTip(template.name)
                model.appendRow(item)
        box.setModel(model)
        box.setCurrentIndex(max(box.findData(step.template_id), 0))
        box.setEnabled(not self._read_only)
        box.currentIndexChanged.connect(self.changed)
        return box

    def _update_buttons(self) -> None:
        row = self.current_row()
        editable = not self._read_only
        self.add_email_button.setEnabled(editable)
        self.add_wait_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and row is not None)
        self.up_button.setEnabled(editable and row is not None and row > 0)
        self.down_button.setEnabled(editable and row is not None
                                    and row < len(self._steps) - 1)
