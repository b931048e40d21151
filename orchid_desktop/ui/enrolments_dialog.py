"""Who is on a drip campaign and where each person stands on each email; stop one
person's enrolment, or enrol everyone from an import. The list is read off the GUI
thread (a campaign may hold tens of thousands of people: the first few thousand are
listed, and the search narrows in the database)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import CampaignStatus, EnrolmentStatus
from orchid_desktop.errors import UserError
from orchid_desktop.services import enrolment
from orchid_desktop.services.drips import DripSummary
from orchid_desktop.services.enrolment_view import (
    EnrolmentListing,
    EnrolmentRow,
    list_enrolments,
)

from .enrol_from_import import EnrolFromImportDialog
from .enrolments_model import FIXED, EnrolmentsModel
from .tasks import run_in_background

log = logging.getLogger(__name__)

OPEN = (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
SEARCH_DELAY_MS = 300


class EnrolmentsDialog(QDialog):
    changed = Signal()  # someone was enrolled or stopped: the campaign list's counts move
    loaded = Signal()

    def __init__(self, context: AppContext, drip: DripSummary, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.drip = drip
        self.listing: EnrolmentListing | None = None
        self._generation = 0
        self.setWindowTitle(f"Enrolments — {drip.name}")
        self.summary_label = QLabel("Reading who is enrolled…")
        self.summary_label.setStyleSheet("font-weight: 600; color: #3b3140;")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or email")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda: self._search_timer.start())
        self.model = EnrolmentsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setResizeContentsPrecision(100)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.result_label = QLabel()
        self.result_label.setObjectName("hint")
        self.result_label.setWordWrap(True)
        self.enrol_button = QPushButton("Enrol people…")
        self.enrol_button.clicked.connect(self.enrol_from_import)
        self.enrol_button.setEnabled(drip.status in OPEN)
        if drip.status not in OPEN:
            self.enrol_button.setToolTip(f"The campaign is {drip.status.value}: nobody can "
                                         "join it now.")
        self.stop_button = QPushButton("Stop enrolment…")
        self.stop_button.clicked.connect(self.stop_current)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.enrol_button)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(self.result_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(1180, 560)
        self._update_buttons()
        self.reload()

    # -- the list -----------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        sessions, campaign_id, term = self.context.sessions, self.drip.id, self.search.text()

        def load() -> EnrolmentListing:
            with sessions() as session:
                return list_enrolments(session, campaign_id, search=term)

        run_in_background(load, lambda listing: self._loaded(generation, listing),
                          self._failed, parent=self)

    def _loaded(self, generation: int, listing: EnrolmentListing) -> None:
        if generation != self._generation:
            return
        keep = self.current()
        self.listing = listing
        self.model.set_listing(listing)
        text = listing.summary()
        if listing.total > len(listing.rows):
            text += f" Showing the first {len(listing.rows):,} of {listing.total:,}: " \
                    "search to find someone."
        self.summary_label.setText(text)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(len(listing.email_steps) == 0)
        if keep is not None:
            for row, item in enumerate(listing.rows):
                if item.id == keep.id:
                    self.table.selectRow(row)
        self._update_buttons()
        self.loaded.emit()

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("listing enrolments failed", exc_info=error)
        self.summary_label.setText(f"The enrolments could not be read: {error}")

    def current(self) -> EnrolmentRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.enrolment(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        row = self.current()
        self.stop_button.setEnabled(row is not None and row.status is EnrolmentStatus.ACTIVE)

    def step_column(self, number: int) -> int:
        """The column of email ``number`` (from 1)."""
        return len(FIXED) + number - 1

    # -- changes ------------------------------------------------------------------------
    def stop_current(self) -> None:
        row = self.current()
        if row is None:
            return
        reason, ok = QInputDialog.getText(
            self, f"Stop {row.person}'s enrolment",
            "Why? (kept in the history; their remaining emails are skipped with it)")
        if not ok:
            return
        try:
            with self.context.sessions.begin() as session:
                enrolment.stop_by_hand(session, row.id, reason, staff_id=self.context.staff_id)
        except UserError as error:
            self.show_error(str(error))
        else:
            self.result_label.setText(f"{row.person} stopped: no more emails from this "
                                      "campaign.")
            self.changed.emit()
        self.reload()

    def enrol_from_import(self) -> None:
        dialog = EnrolFromImportDialog(self.context, self.drip.name, parent=self)
        if not dialog.exec():
            return
        batch = dialog.chosen()
        if batch is None:
            return
        sessions, staff, campaign_id = self.context.sessions, self.context.staff_id, self.drip.id
        self.enrol_button.setEnabled(False)
        self.result_label.setText(f"Enrolling everyone from {batch.file_name}…")

        def work() -> str:
            with sessions.begin() as session:
                return enrolment.enrol_import_batch(session, campaign_id, batch.id,
                                                    staff_id=staff).summary()

        def done(summary: str) -> None:
            self.enrol_button.setEnabled(True)
            self.result_label.setText(summary)
            self.changed.emit()
            self.reload()

        def failed(error: Exception) -> None:
            self.enrol_button.setEnabled(True)
            self.result_label.setText("")
            if not isinstance(error, UserError):
                log.error("enrolling an import failed", exc_info=error)
            self.show_error(str(error))

        run_in_background(work, done, failed, parent=self)

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Enrolments", text)

