"""The right-hand side of the Screening tab: one contact's latest evaluation, rule by
rule, next to the answers each rule read — what the screener reads before calling."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.domain.dq_rules import SEVERITY, rule_label
from orchid_desktop.domain.vocab import ScreeningOutcome
from orchid_desktop.services.screening_view import ScreeningView

# soft backgrounds, readable with the default text colour
OUTCOME_COLOURS = {
    ScreeningOutcome.DQ: "#f8d7da", ScreeningOutcome.DEFER: "#e2e3f3",
    ScreeningOutcome.NEEDS_DATA: "#fff3cd", ScreeningOutcome.FLAG: "#ffe5cc",
    ScreeningOutcome.PASS: "#d9f2e3",
}

BADGE_STYLE = "padding: 3px 10px; border-radius: 9px; font-weight: 600;"


class ScreeningDetail(QStackedWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        placeholder = QLabel("Select a contact in the queue to see what the rules found "
                             "and the answers they read.")
        placeholder.setWordWrap(True)
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setObjectName("emptyStateText")
        self.addWidget(placeholder)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(12, 4, 4, 4)
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.subtitle = QLabel()
        self.badge = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Rule", "Result", "What it found",
                                              "Answers it read"])
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        badge_row = QHBoxLayout()
        badge_row.addWidget(self.badge)
        badge_row.addStretch(1)
        column.addLayout(badge_row)
        column.addWidget(self.status)
        column.addWidget(self.table, 1)
        self.addWidget(page)
        self.view: ScreeningView | None = None

    def show_view(self, view: ScreeningView | None) -> None:
        self.view = view
        if view is None:
            self.setCurrentIndex(0)
            return
        self.setCurrentIndex(1)
        self.title.setText(view.name)
        self.subtitle.setText(f"{view.applicant_type.label} · {view.stage.label}"
                              + (f" · {view.email}" if view.email else ""))
        if view.outcome is None:
            self.badge.setText("Not screened" if view.is_screened_type
                               else f"{view.applicant_type.label} applicants are not screened")
            colour = "#eceff1"
        else:
            self.badge.setText(view.outcome.label)
            colour = OUTCOME_COLOURS[view.outcome]
        self.badge.setStyleSheet(f"{BADGE_STYLE} background: {colour};")
        self.status.setText(" ".join(self._status_lines(view)))
        self._fill(view)

    def _status_lines(self, view: ScreeningView) -> list[str]:
        lines = []
        if view.screened_at is not None:
            lines.append(f"Screened {view.screened_at.astimezone():%d %b %Y %H:%M} with "
                         f"rules version {view.rule_set_version}, as of "
                         f"{view.as_of:%d %b %Y}.")
        if view.eligible_on:
            lines.append(f"Eligible from {view.eligible_on:%d %b %Y}.")
        if view.flagged_at:
            lines.append(f"Flagged by a screener: {view.flag_note}.")
        if view.deferred_until:
            lines.append(f"Deferred until {view.deferred_until:%d %b %Y}.")
        if view.info_requested_at:
            lines.append(f"Information requested {view.info_requested_at.astimezone():%d %b %Y}.")
        if view.dq_reason_code and view.stage.value == "disqualified":
            lines.append(f"Rejected: {view.dq_reason_code}.")
        if view.case_number:
            lines.append(f"Client, case {view.case_number}.")
        return lines

    def _fill(self, view: ScreeningView) -> None:
        lines = sorted(view.lines, key=lambda line: -SEVERITY[line.outcome])
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            answers = "\n".join(f"{label}: {value}" for label, value in line.answers)
            cells = (rule_label(line.rule, view.applicant_type), line.outcome.label, line.message,
                     answers)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{line.code}: {line.message}" if column < 3 else answers)
                if column == 1:
                    item.setBackground(QColor(OUTCOME_COLOURS[line.outcome]))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
