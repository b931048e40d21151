"""The dry run: every enrolled person's emails with the day and hour each goes, on the
person's own clock (what a launch would plan for a draft; what is recorded for a running
campaign). Computed off the GUI thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services import drip_lifecycle
from orchid_desktop.services.drip_simulation import SimulatedSend

from .campaign_words import plural, recipient_moment
from .simulation_model import SORT_ROLE, SimulatedSendsModel
from .tasks import run_in_background

log = logging.getLogger(__name__)

PEOPLE_LIMIT = 5000  # people simulated at once; the header says when there are more
NOBODY = "Someone enrolled now"


def header_text(sends: list[SimulatedSend], limit: int = PEOPLE_LIMIT) -> str:
    """"16 sends for 2 people; first Mon 7 Dec 2026, 09:00 EST, last …"."""
    if not sends:
        return "This campaign has no email steps yet."
    people = {(s.person, s.email) for s in sends}
    moments = sorted((s.local_due for s in sends if s.local_due is not None),
                     key=lambda due: due.timestamp())
    if len(people) == 1 and sends[0].person == NOBODY:
        text = f"Nobody is enrolled yet: the plan for {NOBODY.lower()}, " \
               f"{plural(len(sends), 'send')}"
    else:
        text = f"{plural(len(sends), 'send')} for {plural(len(people), 'person', 'people')}"
        if len(people) >= limit:
            text += f" (the first {limit:,} enrolled)"
    if moments:
        text += f"; first {recipient_moment(moments[0])}, last " \
                f"{recipient_moment(moments[-1])}"
    return text + "."


class DripSimulatorDialog(QDialog):
    simulated = Signal()  # the rows are in (tests and screenshots wait for it)

    def __init__(self, context: AppContext, campaign_id: int, name: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.campaign_id = campaign_id
        self.sends: list[SimulatedSend] = []
        self.setWindowTitle(f"Simulate “{name}”")
        self.header = QLabel("Working out every send…")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-weight: 600; color: #3b3140;")
        explain = QLabel("Each person's emails at the hour they go on that person's own "
                         "clock; for a draft, what a launch now would plan. Nothing is sent "
                         "from here.")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by person, address, template, status…")
        self.filter_edit.setClearButtonEnabled(True)
        self.model = SimulatedSendsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setResizeContentsPrecision(200)
        self.shown_label = QLabel()
        self.shown_label.setObjectName("hint")
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.shown_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.header)
        layout.addWidget(explain)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(1280, 640)
        self.run()

    def run(self) -> None:
        sessions, campaign_id = self.context.sessions, self.campaign_id

        def simulate() -> list[SimulatedSend]:
            with sessions() as session:
                return drip_lifecycle.simulate(session, campaign_id, limit=PEOPLE_LIMIT)

        run_in_background(simulate, self._done, self._failed, parent=self)

    def _done(self, sends: list[SimulatedSend]) -> None:
        self.sends = sends
        self.model.set_rows(sends)
        self.header.setText(header_text(sends))
        self._filter(self.filter_edit.text())
        self.simulated.emit()

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("simulating a campaign failed", exc_info=error)
        self.header.setText(f"The simulation could not be made: {error}")

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText(f"Showing {shown:,} of {plural(total, 'send')}"
                                 if shown != total else "")
