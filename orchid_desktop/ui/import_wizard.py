"""The import wizard: map a spreadsheet's columns, see what the import would do, import,
and read the report (the pages are in ``import_wizard_pages``).

Opening, checking and importing run off the GUI thread. The check is a dry run of the
import itself, so its counts are the import's; nothing is written until Import, and the
import is one transaction that Cancel rolls back. Progress comes back by signal.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.import_columns import mapping_problems
from orchid_desktop.domain.vocab import ApplicantType, DuplicatePolicy, ImportTarget
from orchid_desktop.errors import UserError
from orchid_desktop.services.import_reader import TableSource, open_table
from orchid_desktop.services.importing import (
    ImportCancelled,
    ImportOptions,
    ImportReport,
    run_import,
    save_rejected_rows,
    suggest_mapping,
)

from .import_wizard_pages import (
    STYLE,
    CheckPage,
    ImportPage,
    MapPage,
    ReportPage,
    people,
    plural,
    secondary_button,
)
from .tasks import run_in_background

log = logging.getLogger(__name__)

BIG_TEXT_BYTES = 2 << 20  # files from this size are opened off the GUI thread
BIG_WORKBOOK_BYTES = 256 << 10  # a workbook is read whole on opening
PREVIEW_ROWS = 20
MAP, CHECK, IMPORT, REPORT = range(4)


@dataclass(frozen=True)
class OpenedFile:
    source: TableSource
    preview: list[list[str]]


def read_file(path: Path) -> OpenedFile:
    """Open a spreadsheet and read its first rows (raises ``UnreadableFile``)."""
    source = open_table(path)
    return OpenedFile(source, source.preview(PREVIEW_ROWS))


def open_import(context: AppContext, path: str | Path, target: ImportTarget = ImportTarget.LEADS,
                parent: QWidget | None = None, *, on_open=None) -> ImportWizard | None:
    """Open ``path`` and show the wizard (non-blocking), or say why the file cannot be
    imported. A big file is read off the GUI thread: the wizard then appears later and
    None is returned. ``on_open(wizard)`` is called either way, before it is shown."""
    path = Path(path)

    def show(opened: OpenedFile) -> ImportWizard:
        wizard = ImportWizard(context, path, target, parent, opened=opened)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if on_open is not None:
            on_open(wizard)
        wizard.open()
        return wizard

    def failed(error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("opening %s failed", path, exc_info=error)
        QMessageBox.warning(parent, "Import a spreadsheet", str(error) if isinstance(
            error, UserError) else f"{path.name} could not be read: {error}")

    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # open_table says what is wrong
    excel = path.suffix.lower() in (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
    if size < (BIG_WORKBOOK_BYTES if excel else BIG_TEXT_BYTES):
        try:
            return show(read_file(path))
        except Exception as error:
            failed(error)
            return None
    busy = QProgressDialog(f"Reading {path.name}…", "", 0, 0, parent)
    busy.setWindowTitle("Import a spreadsheet")
    busy.setCancelButton(None)
    busy.setMinimumDuration(0)
    busy.setWindowModality(Qt.WindowModality.WindowModal)
    busy.show()

    def finish(callback, value) -> None:
        busy.close()
        busy.deleteLater()
        callback(value)
    run_in_background(lambda: read_file(path), lambda opened: finish(show, opened),
                      lambda error: finish(failed, error), parent=busy)
    return None


class _Progress(QObject):
    progress = Signal(object, object, object)  # run, rows done, rows in all


class ImportWizard(QDialog):
    imported = Signal(object)  # the ImportReport of a committed import
    history_requested = Signal()  # "Open the import history" on the report page

    def __init__(self, context: AppContext, path: str | Path,
                 target: ImportTarget = ImportTarget.LEADS, parent: QWidget | None = None,
                 *, opened: OpenedFile | None = None):
        super().__init__(parent)
        self.context = context
        self.path = Path(path)
        opened = opened or read_file(self.path)  # raises UnreadableFile
        self.source = opened.source
        self.target = target
        self.check_report: ImportReport | None = None
        self.report: ImportReport | None = None
        self._run, self._cancel, self._busy = 0, threading.Event(), ""
        self._progress = _Progress(self)
        self._progress.progress.connect(self._on_progress)
        self.setWindowTitle(f"Import {self.path.name}")
        self.setStyleSheet(STYLE)
        self.map_page = MapPage(self.path, self.source, opened.preview)
        self.check_page, self.import_page, self.report_page = (CheckPage(), ImportPage(),
                                                               ReportPage())
        self.pages = QStackedWidget()
        for page in (self.map_page, self.check_page, self.import_page, self.report_page):
            self.pages.addWidget(page)
        self.map_page.target_combo.activated.connect(
            lambda: self.set_target(ImportTarget(self.map_page.target_combo.currentData())))
        for combo in self.map_page.combos:
            combo.currentIndexChanged.connect(self._mapping_changed)
        self.check_page.policy_group.buttonToggled.connect(
            lambda button, checked: self.start_check() if checked else None)
        self.report_page.save_button.clicked.connect(self.save_rejected)
        self.report_page.history_button.clicked.connect(self._open_history)
        self.back_button = secondary_button("Back")
        self.back_button.clicked.connect(self.back)
        self.cancel_button = secondary_button("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.next_button = QPushButton("Check the file")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(self.pages, 1)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.resize(980, 720)
        self.set_target(target)
        self._show_page(MAP)

    # -- mapping --------------------------------------------------------------------------
    def set_target(self, target: ImportTarget) -> None:
        """Leads or contacts: the fields on offer and the suggested mapping follow."""
        self.target = target
        with self.context.sessions() as session:
            suggestion = suggest_mapping(session, self.source.headers, target)
        self.map_page.set_fields(self.path, target, suggestion)
        self._mapping_changed()

    def mapping(self) -> dict[int, str]:
        return self.map_page.mapping()

    def _mapping_changed(self) -> None:
        mapping = self.mapping()
        problems = mapping_problems(mapping, self.target)
        self.map_page.show_mapping(mapping, problems)
        if self.pages.currentIndex() == MAP:
            self.next_button.setEnabled(not problems)

    def options(self) -> ImportOptions:
        page = self.map_page
        return ImportOptions(
            target=self.target, on_duplicate=self.check_page.policy(),
            source_label=page.label_edit.text().strip() or self.path.stem,
            default_applicant_type=ApplicantType(page.type_combo.currentData()))

    # -- check ----------------------------------------------------------------------------
    def start_check(self) -> None:
        self.check_report = None
        self.next_button.setEnabled(False)
        self.next_button.setText(f"Import {self.target.value}")
        self.check_page.hint.setText(f"Reading every row of {self.path.name}; nothing is "
                                     "written.")
        self._start(dry_run=True, page=self.check_page, verb="Checked")

    def _checked(self, report: ImportReport) -> None:
        self.check_report = report
        self.check_page.show_report(report, self.target, self.path.name)
        writes = report.created + report.updated
        self.next_button.setText(f"Import {people(writes, self.target)}" if writes
                                 else "Nothing to import")
        self.next_button.setEnabled(writes > 0)

    # -- import ---------------------------------------------------------------------------
    def start_import(self) -> None:
        self._show_page(IMPORT)
        self.import_page.running(self.path.name)
        self._start(dry_run=False, page=self.import_page, verb="Imported")

    def cancel_import(self) -> None:
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")

    def _import_stopped(self, error: Exception) -> None:
        cancelled = isinstance(error, ImportCancelled)
        self.import_page.stopped("Import cancelled" if cancelled else "The import failed",
                                 str(error) if isinstance(error, UserError)
                                 else f"Nothing was written: {error}")
        self.back_button.show()
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)

    def _imported(self, report: ImportReport) -> None:
        self.report = report
        self.report_page.show_report(report, self.target, self.path.name)
        self._show_page(REPORT)
        self.imported.emit(report)

    def save_rejected(self) -> None:
        report = self.report
        if report is None:  # the button is on the report page, shown once there is one
            return
        default = str(self.path.with_name(f"{self.path.stem} - rejected rows.csv"))
        path, _ = QFileDialog.getSaveFileName(self, "Save rejected rows", default,
                                              "CSV, comma-separated (*.csv)")
        if not path:
            return
        try:
            count = save_rejected_rows(report, Path(path))
        except OSError as error:
            QMessageBox.warning(self, "Save rejected rows", f"{Path(path).name} could not "
                                f"be saved: {error.strerror or error}.")
            return
        self.report_page.saved_label.setText(
            f"Saved {plural(count, 'rejected row')} to {path}.")

    def _open_history(self) -> None:
        self.history_requested.emit()
        self.accept()

    # -- running --------------------------------------------------------------------------
    def _start(self, *, dry_run: bool, page: CheckPage | ImportPage, verb: str) -> None:
        self._cancel.set()  # a check still running is stale now
        self._run += 1
        run, cancel = self._run, threading.Event()
        self._cancel, self._busy, self._running_page = cancel, verb, page
        page.status.setText(f"Reading {self.path.name}…")
        page.status.show()
        page.progress.setRange(0, 0)  # busy until the first chunk is done
        page.progress.show()
        sessions, source, mapping, options = (self.context.sessions, self.source,
                                              self.mapping(), self.options())
        staff, emit = self.context.staff_id, self._progress.progress.emit

        def job() -> ImportReport:
            return run_import(sessions, source, mapping, options, staff_id=staff,
                              dry_run=dry_run, should_cancel=cancel.is_set,
                              progress=lambda done, total: emit(run, done, total))
        run_in_background(job, lambda report: self._finished(run, report),
                          lambda error: self._finished(run, error), parent=self)

    def _on_progress(self, run: int, done: int, total: int) -> None:
        if run != self._run:
            return
        bar: QProgressBar = self._running_page.progress
        bar.setRange(0, 1000)
        bar.setValue(min(1000, done * 1000 // max(total, 1)))
        self._running_page.status.setText(f"{self._busy} {done:,} of about {total:,} rows…")

    def _finished(self, run: int, outcome) -> None:
        if run != self._run:
            return  # a check replaced by another
        self._busy = ""
        if not isinstance(outcome, (ImportReport, UserError)):
            log.error("import failed", exc_info=outcome)
        if self.pages.currentIndex() == IMPORT:
            if isinstance(outcome, ImportReport):
                self._imported(outcome)
            else:
                self._import_stopped(outcome)
        elif isinstance(outcome, ImportReport):
            self._checked(outcome)
        elif not isinstance(outcome, ImportCancelled):
            self.check_page.progress.hide()
            self.check_page.status.setText(str(outcome) if isinstance(outcome, UserError)
                                           else f"The file could not be checked: {outcome}")

    def is_busy(self) -> bool:
        return bool(self._busy)

    # -- navigation -----------------------------------------------------------------------
    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.back_button.setVisible(page == CHECK)
        self.cancel_button.setVisible(page != REPORT)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel import" if page == IMPORT else "Cancel")
        self.next_button.setVisible(page != IMPORT)
        self.next_button.setEnabled(True)
        self.next_button.setText({MAP: "Check the file", REPORT: "Close"}.get(
            page, self.next_button.text()))
        self.next_button.setFocus()
        if page == MAP:
            self._mapping_changed()

    def next(self) -> None:
        page = self.pages.currentIndex()
        if page == MAP:
            self._show_page(CHECK)
            self.start_check()
        elif page == CHECK and self.check_report is not None:
            self.start_import()
        elif page == REPORT:
            self.accept()

    def back(self) -> None:
        if self.pages.currentIndex() == IMPORT:  # after a cancelled or failed import
            self._show_page(CHECK)
            if self.check_report is not None:
                self._checked(self.check_report)
            return
        self._cancel.set()
        self._run += 1  # whatever the check still says is not wanted
        self._busy = ""
        self._show_page(MAP)

    def reject(self) -> None:
        if self.pages.currentIndex() == IMPORT and self._busy:
            self.cancel_import()  # it stays open to say what happened
            return
        self._cancel.set()
        super().reject()

    def policy(self) -> DuplicatePolicy:
        return self.check_page.policy()
