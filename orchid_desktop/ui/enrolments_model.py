"""The people on one drip campaign, with a column per email step saying where each
person stands on it: "sent 2 Dec", "planned 7 Dec 09:00", "skipped: replied",
"failed: …" (the full reason in the tooltip). Planned and sent moments are on the
person's own clock, as in the simulator."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from orchid_desktop.domain.vocab import EnrolmentStatus, EnrolmentStepStatus
from orchid_desktop.services.enrolment_view import (
    EnrolmentListing,
    EnrolmentRow,
    StepRecord,
)

from .campaign_words import day_month, local_moment, recipient_moment

AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
FIXED = ("Person", "Email", "Status", "Enrolled", "Stopped because")
STEP_COLOURS = {EnrolmentStepStatus.SENT: "#1d7a3e", EnrolmentStepStatus.FAILED: "#b3261e",
                EnrolmentStepStatus.SKIPPED: "#8a8090"}
STATUS_COLOURS = {EnrolmentStatus.STOPPED: "#b35900", EnrolmentStatus.COMPLETED: "#5b5f9e"}
SHORT_REASON = 36
STOPPED_PREFIX = "drip stopped: "  # the status says as much


def step_text(record: StepRecord | None, zone: ZoneInfo) -> str:
    if record is None:
        return "—"
    if record.status is EnrolmentStepStatus.PENDING:
        if record.due_at is None:
            return "planned"
        due = record.due_at.astimezone(zone)
        return f"planned {day_month(due)} {due:%H:%M}"
    if record.status is EnrolmentStepStatus.SENT:
        when = record.finished_at or record.due_at
        return f"sent {day_month(when.astimezone(zone))}" if when else "sent"
    reason = (record.reason or "").strip().removeprefix(STOPPED_PREFIX)
    if len(reason) > SHORT_REASON:
        reason = reason[:SHORT_REASON - 1].rstrip() + "…"
    return f"{record.status.value}: {reason}" if reason else record.status.value


def step_tip(record: StepRecord | None, zone: ZoneInfo) -> str | None:
    if record is None:
        return "Not planned yet: steps are planned when the campaign launches."
    when = record.due_at if record.status is EnrolmentStepStatus.PENDING \
        else record.finished_at or record.due_at
    text = record.status.value.capitalize()
    if when is not None:
        text += f" — {recipient_moment(when.astimezone(zone))} (their time)"
    return text + (f"\n{record.reason}" if record.reason else "")


class EnrolmentsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.listing: EnrolmentListing | None = None
        self._zones: dict[str, ZoneInfo] = {}

    def set_listing(self, listing: EnrolmentListing) -> None:
        self.beginResetModel()
        self.listing = listing
        self._zones = {key: ZoneInfo(key) for key in {r.time_zone for r in listing.rows}}
        self.endResetModel()

    def enrolment(self, row: int) -> EnrolmentRow | None:
        rows = self.listing.rows if self.listing else []
        return rows[row] if 0 <= row < len(rows) else None

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() or self.listing is None else len(self.listing.rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        if parent.isValid():
            return 0
        return len(FIXED) + (len(self.listing.email_steps) if self.listing else 0)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.enrolment(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if column >= len(FIXED):
            record = row.steps[column - len(FIXED)]
            zone = self._zones[row.time_zone]
            if role == Qt.ItemDataRole.DisplayRole:
                return step_text(record, zone)
            if role == Qt.ItemDataRole.ToolTipRole:
                return step_tip(record, zone)
            if role == Qt.ItemDataRole.ForegroundRole and record is not None \
                    and record.status in STEP_COLOURS:
                return QBrush(QColor(STEP_COLOURS[record.status]))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.person, row.email, row.status.value.capitalize(),
                    local_moment(row.enrolled_at), row.stop_reason or "")[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return f"A {row.kind}; emails timed for {row.time_zone}"
            if column == 4 and row.stop_reason:
                stopped = local_moment(row.stopped_at) if row.stopped_at else ""
                return f"{row.stop_reason}{f' ({stopped})' if stopped else ''}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 \
                and row.status in STATUS_COLOURS:
            return QBrush(QColor(STATUS_COLOURS[row.status]))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        step = self.listing.email_steps[section - len(FIXED)] \
            if section >= len(FIXED) and self.listing else None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Email {step.number}" if step else FIXED[section]
        if role == Qt.ItemDataRole.ToolTipRole and step:
            return step.template
        return None
