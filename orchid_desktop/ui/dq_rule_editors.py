"""The editors of the DQ settings dialog: one widget per rule parameter.

Each Editor is built from a rule parameter of the registry (domain/dq_rules/params.py) and
reads and sets its value as the rule settings hold it; a list parameter is a ChoiceGrid of
check boxes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QGridLayout,
    QSpinBox,
    QWidget,
)

from orchid_desktop.domain.dq_rules import BOOL, CHOICE, DATE, FLOAT, INT, Param

NUMBER_WIDTH = 150  # spin boxes hold a short number and its unit; stretched they look empty
WIDE_LIST = 12  # a list with more choices than this (the states) gets the full row


class ChoiceGrid(QWidget):
    """A list parameter as a grid of check boxes, filled down then across."""
    changed = Signal()

    def __init__(self, choices: tuple[tuple[str, str], ...], value: list, columns: int):
        super().__init__()
        self._order: list = []  # the order of the list last set (see value)
        # a stored value the catalogue no longer has stays visible rather than vanishing
        extra = [(v, f"{v} (not a known choice)") for v in value if v not in dict(choices)]
        items = list(choices) + extra
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0, 2)
        grid.setHorizontalSpacing(18 if columns < 4 else 8)  # four columns only just fit
        grid.setVerticalSpacing(4)
        rows = -(-len(items) // columns)
        for index, (key, label) in enumerate(items):
            box = QCheckBox(label)
            box.toggled.connect(self.changed)
            self.boxes[key] = box
            grid.addWidget(box, index % rows, index // rows)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        self.set_value(value)

    def value(self) -> list:
        """The order last set for values still ticked, then new ones in catalogue order, so
        an untouched (or restored) list compares equal to what was set."""
        ticked = [k for k, box in self.boxes.items() if box.isChecked()]
        return [v for v in self._order if v in ticked] + [
            k for k in ticked if k not in self._order]

    def set_value(self, value: list) -> None:
        self._order = list(value)
        for key, box in self.boxes.items():
            box.setChecked(key in value)


class Editor:
    """One parameter's widget, read and set as the rule settings hold it."""

    def __init__(self, p: Param, value: Any):
        self.parameter = p
        if p.kind in (INT, FLOAT):
            self.widget = self._number(p)
        elif p.kind == BOOL:
            self.widget = QCheckBox(p.label)
        elif p.kind == CHOICE:
            self.widget = QComboBox()
            self.widget.setMinimumWidth(NUMBER_WIDTH)
            self.widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            for key, label in p.choices:
                self.widget.addItem(label, key)
        elif p.kind == DATE:
            self.widget = QDateEdit()
            self.widget.setCalendarPopup(True)
            self.widget.setDisplayFormat("d MMM yyyy")
            self.widget.setFixedWidth(NUMBER_WIDTH)
        else:
            wide = len(p.choices) > WIDE_LIST
            columns = 4 if wide else 2 if max(len(t) for _, t in p.choices) > 22 else 3
            self.widget = ChoiceGrid(p.choices, value, columns)
        self.set_value(value)

    @staticmethod
    def _number(p: Param):
        low = p.minimum if p.minimum is not None else 0
        high = p.maximum if p.maximum is not None else 9999
        spin: QDoubleSpinBox | QSpinBox
        if p.kind == FLOAT:
            spin = QDoubleSpinBox()
            spin.setDecimals(1)
            spin.setRange(low, high)
            spin.setSingleStep(p.step)
        else:  # whole numbers (Qt would truncate a fraction just as int() does)
            spin = QSpinBox()
            spin.setRange(int(low), int(high))
            spin.setSingleStep(int(p.step))
        spin.setSuffix(p.suffix)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        spin.setFixedWidth(NUMBER_WIDTH)
        return spin

    def value(self) -> Any:
        kind, w = self.parameter.kind, self.widget
        if kind == FLOAT:
            return round(w.value(), 1)  # no binary noise such as 27.500000001 in the rules
        if kind == BOOL:
            return w.isChecked()
        if kind == CHOICE:
            return w.currentData()
        if kind == DATE:
            return w.date().toPython().isoformat()
        return w.value()  # INT, CHOICES

    def set_value(self, value: Any) -> None:
        kind, w = self.parameter.kind, self.widget
        if kind in (INT, FLOAT):
            # a stored value that is no number (validate names it) shows as the minimum
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            w.setValue((int(value) if kind == INT else value) if number else w.minimum())
        elif kind == BOOL:
            w.setChecked(bool(value))
        elif kind == CHOICE:
            if w.findData(value) < 0:
                w.addItem(f"{value} (not a known choice)", value)
            w.setCurrentIndex(w.findData(value))
        elif kind == DATE:
            try:
                w.setDate(QDate(date.fromisoformat(str(value))))
            except ValueError:
                w.setDate(QDate.currentDate())
        else:
            w.set_value(value)
