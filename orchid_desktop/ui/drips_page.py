"""The drip campaigns list and what can be done to one: create, edit, copy, launch,
pause, resume, archive, simulate, and see who is on it.

Anything that may touch many people's schedules (launch, pause, resume, archive) runs
off the GUI thread; a refused launch lists every reason at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import CampaignStatus
from orchid_desktop.errors import UserError
from orchid_desktop.services import campaign_queue, drip_lifecycle, drips
from orchid_desktop.services.drips import DripSummary

from .campaign_words import plural
from .drip_editor import DripEditorDialog
from .drips_model import DripsTableModel, describe
from .empty_state import EmptyState
from .problem_list import ReasonsDialog
from .tasks import run_in_background

if TYPE_CHECKING:
    from .campaign_stats import CampaignStatsDialog
    from .drip_simulator import DripSimulatorDialog
    from .enrolments_dialog import EnrolmentsDialog

log = logging.getLogger(__name__)

ENABLED_WHEN: dict[str, tuple[CampaignStatus, ...] | None] = {  # None: any campaign
    "edit": (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED,
             CampaignStatus.COMPLETED),
    "copy": None,
    "launch": (CampaignStatus.DRAFT,),
    "pause": (CampaignStatus.ACTIVE,),
    "resume": (CampaignStatus.PAUSED,),
    "archive": (CampaignStatus.DRAFT, CampaignStatus.PAUSED, CampaignStatus.COMPLETED),
    "simulate": None,
    "enrolments": None,
    "stats": None,
}


class DripsPage(QStackedWidget):
    message = Signal(str)  # for the status bar
    outbox_changed = Signal()  # messages were queued or withdrawn
    loaded = Signal()  # the list was read again

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.model = DripsTableModel(self)
        self.all_drips: list[DripSummary] = []
        self.last_message = ""
        self.busy = False
        self.reasons_dialog: ReasonsDialog | None = None
        self.simulator: DripSimulatorDialog | None = None
        self.enrolments_dialog: EnrolmentsDialog | None = None
        self.stats_dialog: CampaignStatsDialog | None = None
        self._generation = 0
        self._select_after: int | None = None
        self.empty = EmptyState(
            "No drip campaigns yet",
            "A drip campaign sends a sequence of emails to each person enrolled, spaced "
            "over days or weeks and only inside your sending hours. Start from the "
            "library's egg donor or gestational carrier welcome sequence, or build your own.",
            [("New drip campaign…", self.new_drip)])
        self.addWidget(self.empty)
        self.addWidget(self._list_page())
        self._update_actions()

    # -- layout -------------------------------------------------------------------------
    def _list_page(self) -> QWidget:
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        add = self.toolbar.addAction
        self.new_action = add("New…", self.new_drip)
        self.actions_by_key = {
            "edit": add("Edit…", self.edit_current),
            "copy": add("Copy", self.copy_current)}
        self.toolbar.addSeparator()
        for key, text, slot in (("launch", "Launch", self.launch_current),
                                ("pause", "Pause", self.pause_current),
                                ("resume", "Resume", self.resume_current),
                                ("archive", "Archive", self.archive_current)):
            self.actions_by_key[key] = add(text, slot)
        self.toolbar.addSeparator()
        self.actions_by_key["simulate"] = add("Simulate…", self.simulate_current)
        self.actions_by_key["enrolments"] = add("Enrolments…", self.open_enrolments)
        self.actions_by_key["stats"] = add("Stats…", self.open_stats)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.toolbar.addWidget(self.count_label)
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.toggled.connect(lambda: self._show(self.all_drips))
        self.toolbar.addWidget(self.show_archived)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(70)
        self.table.doubleClicked.connect(lambda index: self.edit_current())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.detail_label = QLabel()
        self.detail_label.setObjectName("dripDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setStyleSheet(
            "#dripDetail { padding: 8px 10px; color: #4a4150; background: #f3eff5; "
            "border-top: 1px solid #e2dce6; }")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail_label)
        return page

    # -- the list -----------------------------------------------------------------------
    def refresh(self, select: int | None = None) -> None:
        """Read the list again off the GUI thread; ``select`` a campaign once it is in."""
        self._generation += 1
        generation = self._generation
        self._select_after = select if select is not None else self.current_id()
        sessions = self.context.sessions

        def load() -> list[DripSummary]:
            with sessions() as session:
                return drips.list_drips(session, include_archived=True)

        run_in_background(load, lambda rows: self._loaded(generation, rows),
                          lambda error: self._load_failed(generation, error), parent=self)

    def _loaded(self, generation: int, rows: list[DripSummary]) -> None:
        if generation != self._generation:
            return  # a later refresh is on its way
        self.all_drips = rows
        self._show(rows)
        self.loaded.emit()

    def _load_failed(self, generation: int, error: Exception) -> None:
        if generation == self._generation:
            log.error("reading the drip campaigns failed", exc_info=error)
            self.say(f"The campaigns could not be read: {error}")

    def _show(self, rows: list[DripSummary]) -> None:
        keep = self._select_after if self._select_after is not None else self.current_id()
        self._select_after = None
        archived = sum(d.status is CampaignStatus.ARCHIVED for d in rows)
        shown = rows if self.show_archived.isChecked() else \
            [d for d in rows if d.status is not CampaignStatus.ARCHIVED]
        self.model.set_rows(shown)
        self.setCurrentIndex(1 if rows else 0)
        active = sum(d.status is CampaignStatus.ACTIVE for d in rows)
        self.count_label.setText(f"{plural(len(rows) - archived, 'campaign')} · {active:,} "
                                 f"active{f' · {archived:,} archived' if archived else ''}  ")
        self.show_archived.setVisible(bool(archived))
        row = self.model.row_of(keep) if keep is not None else None
        if row is None and shown:
            row = 0
        if row is not None:
            self.table.selectRow(row)
        self._update_actions()

    def current(self) -> DripSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.summary(rows[0].row()) if rows else None

    def current_id(self) -> int | None:
        drip = self.current()
        return drip.id if drip else None

    def _update_actions(self) -> None:
        drip = self.current()
        self.detail_label.setText(describe(drip) if drip else "Choose a campaign.")
        for key, action in self.actions_by_key.items():
            allowed = ENABLED_WHEN[key]
            action.setEnabled(not self.busy and drip is not None
                              and (allowed is None or drip.status in allowed))
        self.new_action.setEnabled(not self.busy)

    # -- editing ------------------------------------------------------------------------
    def new_drip(self) -> None:
        self._edit(None)

    def edit_current(self) -> None:
        drip = self.current()
        if drip is not None:
            self._edit(drip.id)

    def _edit(self, campaign_id: int | None) -> None:
        try:
            dialog = DripEditorDialog(self.context, campaign_id, parent=self)
        except UserError as error:
            self.show_error(str(error))
            self.refresh()
            return
        if dialog.exec() and dialog.saved_id is not None:
            name = dialog.name_edit.text().strip()
            self.say(f"“{name}” saved." if campaign_id else
                     f"“{name}” created as a draft: enrol people, then launch it.")
            self.refresh(select=dialog.saved_id)

    def copy_current(self) -> None:
        drip = self.current()
        if drip is None:
            return
        try:
            with self.context.sessions.begin() as session:
                new_id = drips.copy_drip(session, drip.id, staff_id=self.context.staff_id)
        except UserError as error:
            self.show_error(str(error))
            return
        self.say(f"Copied “{drip.name}” to a new draft.")
        self.refresh(select=new_id)

    # -- the lifecycle ------------------------------------------------------------------
    def launch_current(self) -> None:
        drip = self.current()
        who = (f"The {plural(drip.active, 'person', 'people')} enrolled get their emails "
               "planned now, the first ones going out in the sending hours."
               if drip and drip.active else "Nobody is enrolled yet: people join as its "
               "rule enrols them.")
        if drip is None or QMessageBox.question(
                self, f"Launch “{drip.name}”?",
                f"{who} Its steps cannot change after launch.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Yes:
            return
        staff = self.context.staff_id

        def work(session_for):
            with session_for() as session:
                planned = drip_lifecycle.launch(session, drip.id, staff_id=staff)
            with session_for() as session:
                queued = campaign_queue.queue_due(session).drip_messages
            return planned, queued

        def done(result) -> str:
            planned, queued = result
            text = f"“{drip.name}” launched: {plural(planned, 'send')} planned"
            return text + (f", {queued:,} due now and in the outbox." if queued else ".")

        self._run(work, done, refused_title=f"“{drip.name}” was not launched")

    def pause_current(self) -> None:
        drip = self.current()
        if drip is None:
            return
        reason, ok = QInputDialog.getText(
            self, f"Pause “{drip.name}”", "Why are you pausing it? (optional; shown in the "
            "list)")
        if not ok:
            return
        reason = reason.strip() or "paused by staff"
        staff = self.context.staff_id

        def work(session_for):
            with session_for() as session:
                drip_lifecycle.pause(session, drip.id, staff_id=staff, reason=reason)

        self._run(work, lambda _: f"“{drip.name}” paused: nothing more is sent until you "
                  "resume it.")

    def resume_current(self) -> None:
        drip = self.current()
        if drip is None:
            return
        staff = self.context.staff_id

        def work(session_for):
            with session_for() as session:
                moved = drip_lifecycle.resume(session, drip.id, staff_id=staff)
            with session_for() as session:
                campaign_queue.queue_due(session)
            return moved

        self._run(work, lambda moved: f"“{drip.name}” resumed" + (
            f": {plural(moved, 'send')} moved to fit the sending hours." if moved else "."))

    def archive_current(self) -> None:
        drip = self.current()
        if drip is None or QMessageBox.question(
                self, f"Archive “{drip.name}”?",
                "Archiving stops everyone still on it and hides it from the list. Its "
                "history is kept.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Yes:
            return
        staff = self.context.staff_id

        def work(session_for):
            with session_for() as session:
                drip_lifecycle.archive(session, drip.id, staff_id=staff)

        self._run(work, lambda _: f"“{drip.name}” archived.")

    def _run(self, work: Callable[[Callable], Any], done: Callable[[Any], str], *,
             refused_title: str | None = None) -> None:
        """``work(sessions.begin)`` off the GUI thread, then the list read again."""
        self.busy = True
        self._update_actions()
        sessions = self.context.sessions

        def finished(result) -> None:
            self.busy = False
            self.say(done(result))
            self.outbox_changed.emit()
            self.refresh()

        def failed(error: Exception) -> None:
            self.busy = False
            self._update_actions()
            if isinstance(error, drip_lifecycle.LaunchRefused) and refused_title:
                self.show_reasons(refused_title, error.problems)
            elif isinstance(error, UserError):
                self.show_error(str(error))
            else:
                log.error("a campaign action failed", exc_info=error)
                self.show_error(f"That did not work: {error}")
            self.refresh()

        run_in_background(lambda: work(sessions.begin), finished, failed, parent=self)

    # -- the other windows --------------------------------------------------------------
    def simulate_current(self) -> None:
        from .drip_simulator import DripSimulatorDialog

        drip = self.current()
        if drip is not None:
            simulator = DripSimulatorDialog(self.context, drip.id, drip.name, parent=self)
            self.simulator = simulator
            simulator.open()

    def open_enrolments(self) -> None:
        from .enrolments_dialog import EnrolmentsDialog

        drip = self.current()
        if drip is not None:
            enrolments = EnrolmentsDialog(self.context, drip, parent=self)
            enrolments.changed.connect(self._enrolments_changed)
            self.enrolments_dialog = enrolments
            enrolments.open()

    def _enrolments_changed(self) -> None:
        self.refresh()
        self.outbox_changed.emit()

    def open_stats(self) -> None:
        from .campaign_stats import CampaignStatsDialog

        drip = self.current()
        if drip is not None:
            stats = CampaignStatsDialog(self.context, "drip", drip.id, drip.name, parent=self)
            self.stats_dialog = stats
            stats.open()

    # -- telling ------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.last_message = text
        self.message.emit(text)

    def show_reasons(self, title: str, problems: list[str]) -> None:
        self.reasons_dialog = ReasonsDialog(
            title, "Launching needs each of these sorted out first:", problems, self)
        self.reasons_dialog.open()

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Drip campaigns", text)

