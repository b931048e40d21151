"""The main window: four tabs, a status bar that tells what the app is doing, menus."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from orchid_desktop import __version__
from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import ImportTarget
from orchid_desktop.services import sending_state
from orchid_desktop.services.backup import RestoreResult
from orchid_desktop.services.demo import load_demo_data
from orchid_desktop.services.dispatch import DispatchReport
from orchid_desktop.services.listing import contact_listing, lead_listing
from orchid_desktop.services.sending_state import SendingMode, SendingSnapshot

from .campaigns_tab import CampaignsTab
from .contacts_tab import ContactsTab
from .empty_state import EmptyState
from .leads_tab import LeadsTab
from .screening_tab import ScreeningTab
from .tasks import run_in_background

if TYPE_CHECKING:
    from .import_history import ImportHistoryDialog
    from .import_wizard import ImportWizard
    from .uncertain_dialog import UncertainDialog

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 15_000
TAB_NAMES = ("Leads", "Contacts", "Screening", "Campaigns")
IMPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods")
IMPORT_FILTER = "Spreadsheets (*.csv *.tsv *.txt *.xlsx *.xls *.ods)"
DROP_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def dropped_file(mime: QMimeData) -> Path | None:
    """The first local spreadsheet in a drag, if it carries one."""
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMPORT_SUFFIXES:
            return Path(url.toLocalFile())
    return None


class MainWindow(QMainWindow):
    quit_requested = Signal()
    hidden_to_tray = Signal()  # the tray says, once, that the app still runs
    status_changed = Signal(object)  # SendingSnapshot
    notice = Signal(str, str)  # (title, text) staff should see even with the window closed

    def __init__(self, context: AppContext, *, tray_available: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.tray_available = tray_available
        self._quitting = False
        # the last import wizard and history opened
        self.import_wizard: ImportWizard | None = None
        self.import_history_dialog: ImportHistoryDialog | None = None
        self.uncertain_dialog: UncertainDialog | None = None
        self.setWindowTitle("Orchid Desktop")
        self.setAcceptDrops(True)  # a spreadsheet dropped anywhere opens the import
        self.resize(1180, 760)
        self._build_actions()
        self._build_menus()
        self._build_tabs()
        self._build_status_bar()
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_REFRESH_MS)
        self.refresh_status()
        restored: RestoreResult | None = getattr(context, "restored", None)
        if restored:  # a restore asked for before the restart
            self.statusBar().showMessage(restored.summary(), 60_000)
        self._forward_drops()

    # -- construction -------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.import_action = QAction("&Import spreadsheet…", self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(lambda: self.choose_import_file())
        self.import_history_action = QAction("Import &history…", self)
        self.import_history_action.triggered.connect(self.open_import_history)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(self.open_settings)
        self.pause_action = QAction("&Pause sending", self)
        self.pause_action.triggered.connect(self.toggle_pause)
        self.send_now_action = QAction("Send &due now", self)
        self.send_now_action.setToolTip("Send what is due without waiting for the next "
                                        "30-second round")
        self.send_now_action.setEnabled(False)  # until the scheduler is attached
        self.send_now_action.triggered.connect(self.send_due_now)
        self.uncertain_action = QAction("&Uncertain messages…", self)
        self.uncertain_action.triggered.connect(self.open_uncertain)
        self.demo_action = QAction("Load &demo data", self)
        self.demo_action.triggered.connect(self.load_demo)
        self.backup_action = QAction("&Back up and restore…", self)
        self.backup_action.triggered.connect(self.open_backups)
        self.data_folder_action = QAction("Open &data folder", self)
        self.data_folder_action.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.data_dir))))
        self.close_action = QAction("&Close window", self)
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        self.close_action.triggered.connect(self.close)
        self.quit_action = QAction("&Quit Orchid Desktop", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.request_quit)
        self.about_action = QAction("&About Orchid Desktop", self)
        self.about_action.triggered.connect(self.show_about)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.import_history_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.data_folder_action)
        file_menu.addAction(self.backup_action)
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        file_menu.addAction(self.quit_action)
        sending_menu = self.menuBar().addMenu("&Sending")
        sending_menu.addAction(self.send_now_action)
        sending_menu.addAction(self.pause_action)
        sending_menu.addAction(self.uncertain_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.demo_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def _build_tabs(self) -> None:
        sessions = self.context.sessions
        demo = ("Load demo data", self.load_demo)
        self.leads_tab = LeadsTab(self.context, lead_listing(sessions), EmptyState(
            "No leads yet",
            "Leads are inquiries: web forms, Facebook and Instagram lead ads, phone calls. "
            "Each one appears here with its source and applicant type, ready to review and "
            "promote to a contact. To look around first, load a few hundred demo leads.",
            [("New lead…", lambda: self.leads_tab.new_lead()),
             ("Import a spreadsheet…", lambda: self.choose_import_file(ImportTarget.LEADS)),
             demo]))
        self.contacts_tab = ContactsTab(self.context, contact_listing(sessions), EmptyState(
            "No contacts yet",
            "Contacts are the applicants the agency is pursuing, from pre-screen to an active "
            "cycle. Promote a lead to create one; its profile, notes, documents and history "
            "are kept here.", [("New contact…", lambda: self.contacts_tab.new_contact()),
                               ("Import a spreadsheet…",
                                lambda: self.choose_import_file(ImportTarget.CONTACTS)),
                               demo]))
        self.leads_tab.open_contact = self.contacts_tab.open_person
        self.contacts_tab.open_lead = self.leads_tab.open_person
        self.leads_tab.import_spreadsheet = lambda: self.choose_import_file(ImportTarget.LEADS)
        self.contacts_tab.import_spreadsheet = lambda: self.choose_import_file(
            ImportTarget.CONTACTS)
        self.leads_tab.people_changed.connect(self.contacts_tab.refresh)
        self.contacts_tab.people_changed.connect(self.leads_tab.refresh)
        self.screening_tab = ScreeningTab(self.context, EmptyState(
            "Nothing to screen",
            "The screening queue lists egg-donor and gestational-carrier contacts with what "
            "the DQ rules found: disqualified, flagged, needs data, deferred or passed. The "
            "agency-default rules are already in place; review them in DQ settings.",
            [("DQ settings…", lambda: self.screening_tab.open_settings()), demo]))
        self.screening_tab.open_contact = self.contacts_tab.open_person
        for tab in (self.leads_tab, self.contacts_tab):
            tab.people_changed.connect(self.screening_tab.refresh)
        self.screening_tab.people_changed.connect(self.contacts_tab.refresh)
        self.campaigns_tab = CampaignsTab(self.context)
        self.campaigns_tab.message.connect(
            lambda text: self.statusBar().showMessage(text, 15_000))
        self.campaigns_tab.outbox_changed.connect(self.refresh_status)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for name, widget in zip(TAB_NAMES, (self.leads_tab, self.contacts_tab,
                                            self.screening_tab, self.campaigns_tab),
                                strict=True):
            self.tabs.addTab(widget, name)
        self.tabs.setCurrentIndex(self.context.settings.get("ui.last_tab"))
        self.setCentralWidget(self.tabs)

    def _build_status_bar(self) -> None:
        self.database_label = QLabel(self.context.target.describe())
        self.database_label.setObjectName("databaseLabel")
        self.sending_label = QLabel()
        self.sending_label.setObjectName("sendingLabel")
        self.queue_label = QLabel()
        self.queue_label.setObjectName("queueLabel")
        self.uncertain_link = QLabel()  # "2 uncertain", shown only then: click to decide
        self.uncertain_link.setToolTip("Emails that may or may not have gone out: "
                                       "click to resend or drop them")
        self.uncertain_link.linkActivated.connect(lambda _link: self.open_uncertain())
        bar = self.statusBar()
        bar.addWidget(self.database_label, 1)
        bar.addPermanentWidget(self.sending_label)
        bar.addPermanentWidget(self.queue_label)
        bar.addPermanentWidget(self.uncertain_link)

    # -- status -------------------------------------------------------------------------
    def current_snapshot(self) -> SendingSnapshot:
        with self.context.sessions() as session:
            return sending_state.snapshot(
                session, has_api_key=bool(self.context.secrets.sendgrid_api_key()),
                local_mode_setting=self.context.settings.get("sending.local_mode"))

    def refresh_status(self) -> SendingSnapshot:
        snap = self.current_snapshot()
        self.sending_label.setText(f"Sending: {snap.mode.value}")
        self.sending_label.setToolTip(snap.reason)
        self.sending_label.setProperty("state", snap.mode.name.lower())
        self.sending_label.style().polish(self.sending_label)
        queue = f"Queue: {snap.queued:,} waiting"
        if snap.next_due_at is not None:
            queue += f" · next {snap.next_due_at.astimezone().strftime('%a %H:%M')}"
        self.uncertain_link.setText(f'<a href="uncertain" style="color: #b3261e;">'
                                    f'{snap.uncertain:,} uncertain</a>')
        self.uncertain_link.setVisible(snap.uncertain > 0)
        self.queue_label.setText(queue)
        self.pause_action.setText(
            "&Resume sending" if snap.mode == SendingMode.PAUSED else "&Pause sending")
        self.status_changed.emit(snap)
        return snap

    # -- the sending engine ---------------------------------------------------------------
    def attach_sending(self, bridge) -> None:
        """Hear from the background scheduler (``ui.sending_bridge.SendingBridge``)."""
        self.sending = bridge
        bridge.news.connect(self._on_sending_event)
        self.send_now_action.setEnabled(True)

    def send_due_now(self) -> None:
        if getattr(self, "sending", None) is not None:
            self.sending.send_due_now()
            self.statusBar().showMessage("Sending what is due now…", 5000)

    def _on_sending_event(self, kind: str, payload: object) -> None:
        if kind == "progress" and isinstance(payload, DispatchReport):
            done = payload.sent + payload.saved_locally
            self.sending_label.setText(f"Sending now: {done:,} of {payload.claimed:,}…")
            self.sending_label.setProperty("state", "busy")
            self.sending_label.style().polish(self.sending_label)
            return
        if kind == "dispatched" and isinstance(payload, DispatchReport):
            self.refresh_status()
            if payload.sent or payload.saved_locally or payload.failed or payload.uncertain:
                self.statusBar().showMessage(_dispatch_words(payload), 15_000)
            return
        titles = {"key refused": "Sending paused: SendGrid refused the key",
                  "campaign paused": "A campaign paused itself",
                  "deferred due": "Deferred contacts are due for screening",
                  "job failed": "A background job failed"}
        if kind in titles:
            text = (f"{payload:,} deferred contacts are back in the Screening queue today."
                    if kind == "deferred due" else str(payload))
            self.refresh_status()
            self.statusBar().showMessage(f"{titles[kind]}: {text}", 30_000)
            self.notice.emit(titles[kind], text)

    # -- actions ------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        with self.context.sessions.begin() as session:
            paused, _ = sending_state.pause_state(session)
            sending_state.set_paused(session, not paused, reason="paused by staff",
                                     staff_id=self.context.staff_id)
        self.refresh_status()
        self.statusBar().showMessage("Sending resumed." if paused else
                                     "Sending paused: nothing is sent until you resume.", 8000)

    def load_demo(self) -> None:
        self.demo_action.setEnabled(False)
        self.statusBar().showMessage("Loading demo data…")
        context = self.context
        run_in_background(lambda: load_demo_data(context.sessions, context.staff_id),
                          self._demo_loaded, self._demo_failed, parent=self)

    def _demo_loaded(self, result) -> None:
        self.demo_action.setEnabled(True)
        self.refresh_tabs()
        self.statusBar().showMessage(
            f"Loaded {result.leads} demo leads and {result.contacts} demo contacts.", 8000)

    def _demo_failed(self, error: Exception) -> None:
        self.demo_action.setEnabled(True)
        self.statusBar().clearMessage()
        QMessageBox.information(self, "Demo data", str(error))

    def refresh_tabs(self) -> None:
        self.leads_tab.refresh()
        self.contacts_tab.refresh()
        self.screening_tab.refresh()
        self.campaigns_tab.refresh()

    # -- importing ----------------------------------------------------------------------
    def drop_target(self) -> ImportTarget:
        """Contacts while the Contacts tab is in front, else leads."""
        return (ImportTarget.CONTACTS if self.tabs.currentWidget() is self.contacts_tab
                else ImportTarget.LEADS)

    def choose_import_file(self, target: ImportTarget | None = None) -> None:
        target = target or self.drop_target()
        path, _ = QFileDialog.getOpenFileName(
            self, f"Import {target.value} from a spreadsheet", str(Path.home()), IMPORT_FILTER)
        if path:
            self.import_file(Path(path), target)

    def import_file(self, path: Path, target: ImportTarget) -> None:
        from .import_wizard import open_import

        open_import(self.context, path, target, self, on_open=self._import_opened)

    def _import_opened(self, wizard: ImportWizard) -> None:
        self.import_wizard = wizard
        wizard.imported.connect(lambda report: self._imported(report, wizard.target))
        wizard.history_requested.connect(self.open_import_history)

    def _imported(self, report, target: ImportTarget) -> None:
        self.refresh_tabs()
        self.tabs.setCurrentWidget(self.contacts_tab if target is ImportTarget.CONTACTS
                                   else self.leads_tab)
        self.statusBar().showMessage(report.summary(), 15_000)
        if not self.isVisible() or not self.isActiveWindow():  # staff went elsewhere
            self.notice.emit("Import finished", report.summary())

    def open_import_history(self) -> None:
        from .import_history import ImportHistoryDialog

        dialog = ImportHistoryDialog(self.context, parent=self)
        dialog.changed.connect(self.refresh_tabs)
        self.import_history_dialog = dialog
        dialog.open()

    def open_uncertain(self) -> None:
        from .uncertain_dialog import UncertainDialog

        dialog = UncertainDialog(self.context, parent=self)
        dialog.changed.connect(self.refresh_status)
        self.uncertain_dialog = dialog
        dialog.open()

    def dragEnterEvent(self, event: QDropEvent) -> None:
        if dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        target = self.drop_target()
        # opened once the drop has returned, so the file manager is not kept waiting
        QTimer.singleShot(0, lambda: self.import_file(path, target))

    def _forward_drops(self) -> None:
        """Widgets that take drops themselves (the search field) would swallow a dropped
        spreadsheet: theirs are handed to the window."""
        for child in self.findChildren(QWidget):
            if child.acceptDrops():
                child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() in DROP_EVENTS and isinstance(event, QDropEvent)
                and dropped_file(event.mimeData())):
            if event.type() == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                self.dragEnterEvent(event)
            return True
        return super().eventFilter(watched, event)

    def open_backups(self) -> None:
        from .backup_dialog import open_backup_dialog

        self.backup_dialog = open_backup_dialog(self.context, self)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.context, parent=self)
        if dialog.exec():
            self.refresh_status()

    def show_about(self) -> None:
        QMessageBox.about(self, "About Orchid Desktop",
                          f"<b>Orchid Desktop {__version__}</b><br>Leads, contacts, screening "
                          "and recruitment email for fertility agencies.<br><br>"
                          f"{self.context.target.describe()}<br>"
                          f"Data folder: {self.context.paths.data_dir}")

    def bring_forward(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~self.windowState().WindowMinimized)
        self.raise_()
        self.activateWindow()

    # -- closing ------------------------------------------------------------------------
    def request_quit(self) -> None:
        self._quitting = True
        self.quit_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.context.settings.set("ui.last_tab", self.tabs.currentIndex())
        self.context.settings.save()
        if self._quitting:
            event.accept()
            return
        if self.tray_available and self.context.settings.get("ui.close_to_tray"):
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        if self.confirm_quit_without_tray():
            event.accept()
            self.request_quit()
        else:
            event.ignore()

    def confirm_quit_without_tray(self) -> bool:
        answer = QMessageBox.question(
            self, "Quit Orchid Desktop?",
            "This desktop has no system tray, so closing the window quits Orchid Desktop "
            "and scheduled emails are not sent until you open it again.",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close


def _dispatch_words(report: DispatchReport) -> str:
    """One status-bar line for a finished round of sending."""
    parts = []
    if report.sent:
        parts.append(f"{report.sent:,} sent")
    if report.saved_locally:
        parts.append(f"{report.saved_locally:,} saved to the local outbox (local mode: not "
                     "sent)")
    if report.failed:
        parts.append(f"{report.failed:,} failed (see the campaign for why)")
    if report.uncertain:
        parts.append(f"{report.uncertain:,} uncertain — check Sending → Uncertain messages")
    return "Emails: " + ", ".join(parts) + "."
