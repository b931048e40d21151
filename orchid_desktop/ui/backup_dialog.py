"""Back up and restore: the local database's backups, a button to make one now, and a
restore that runs at the next start.

Why at the next start: replacing the database file is only safe when nothing has it open,
and this window, its background jobs and the scheduler all do. So the dialog checks the
chosen backup now (intact, a schema this version knows), leaves a note in the data folder,
and quits; ``open_context`` restores before it opens the database, then upgrades it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services import backup
from orchid_desktop.services.backup import BackupInfo

from .import_wizard_pages import (
    STYLE,
    hint_label,
    named_label,
    read_only_table,
    secondary_button,
    title_label,
)
from .tasks import run_in_background

log = logging.getLogger(__name__)

COLUMNS = ("Date", "Taken at", "Kind", "Size")


def file_size(size: int) -> str:
    amount: float = size
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:,} {unit}" if unit == "bytes" else f"{amount:,.1f} {unit}"
        amount /= 1024
    raise AssertionError


def when(info: BackupInfo) -> str:
    return f"{info.date:%a %d %b %Y}, {info.taken_at:%H:%M}"


class BackupDialog(QDialog):
    quit_requested = Signal()  # a restore is waiting for the next start: close the app

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.backups: list[BackupInfo] = []
        self._busy = False
        self.setWindowTitle("Back up and restore")
        self.setStyleSheet(STYLE)
        self.table = read_only_table(list(COLUMNS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.restore_selected())
        self.empty_label = hint_label("No backups yet. The first one is made today; press "
                                      "Back up now to make one at once.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label = named_label("", "checkResult")
        self.result_label.setWordWrap(True)
        self.backup_button = secondary_button("Back up now")
        self.backup_button.clicked.connect(self.back_up_now)
        self.folder_button = secondary_button("Open backups folder")
        self.folder_button.clicked.connect(lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(context.paths.backups_dir))))
        self.restore_button = secondary_button("Restore…")
        self.restore_button.clicked.connect(self.restore_selected)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(title_label("Back up and restore"))
        if context.target.is_shared:
            url = context.target.url
            where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
            layout.addWidget(hint_label(
                f"This workstation uses the shared database “{url.database}” on {where}. "
                f"{backup.SHARED_DATABASE_NOTE} Workstations keep no copies of it."))
            layout.addSpacing(8)
            buttons.addStretch(1)
            buttons.addWidget(close)
            layout.addLayout(buttons)
            self.setMinimumWidth(560)
            self.adjustSize()
            return
        layout.addWidget(hint_label(
            f"A copy of this workstation's database is made once a day and kept for "
            f"{backup.KEEP_DAYS} days. Restoring one replaces everything entered here since "
            "it was taken; the database as it is now is kept first."))
        layout.addSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.result_label)
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(680, 460)
        self.reload()

    def reload(self) -> None:
        self.backups = backup.list_backups(self.context.paths)
        self.table.setRowCount(len(self.backups))
        for row, info in enumerate(self.backups):
            values = (f"{info.date:%a %d %b %Y}", f"{info.taken_at:%H:%M}", info.kind,
                      file_size(info.size))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(str(info.path))
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == 2
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVisible(bool(self.backups))
        self.empty_label.setVisible(not self.backups)
        if self.backups and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._selection_changed()

    def selected_backup(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(not self._busy and self.selected_backup() is not None)
        self.backup_button.setEnabled(not self._busy)

    def _set_busy(self, busy: bool, text: str = "", ok: bool | None = None) -> None:
        self._busy = busy
        self._selection_changed()
        self.result_label.setText(text)
        self.result_label.setProperty("ok", "" if ok is None else ok)
        self.result_label.style().polish(self.result_label)

    def is_busy(self) -> bool:
        return self._busy

    # -- backing up ---------------------------------------------------------------------
    def back_up_now(self) -> None:
        self._set_busy(True, "Backing up…")
        context = self.context
        run_in_background(lambda: backup.daily_backup(context, replace=True),
                          self._backed_up, self._failed, parent=self)

    def _backed_up(self, path) -> None:
        self._set_busy(False, f"Backed up to {path.name}.", True)
        self.table.clearSelection()
        self.reload()

    # -- restoring ----------------------------------------------------------------------
    def restore_selected(self) -> None:
        info = self.selected_backup()
        if info is None or self._busy or not self.confirm_restore(info):
            return
        self._set_busy(True, f"Checking {info.path.name}…")
        context = self.context
        run_in_background(lambda: backup.schedule_restore(context, info.path),
                          lambda _note: self._restore_scheduled(info), self._failed,
                          parent=self)

    def confirm_restore(self, info: BackupInfo) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "Restore this backup?",
                          f"Restore the backup of {when(info)}?", parent=self)
        box.setInformativeText(
            f"Everything entered since {when(info)} on this workstation will be replaced by "
            "this backup. Orchid Desktop closes to do this, and the restore is done when you "
            "open it again. A copy of the database as it is now is kept in the backups "
            "folder first, so a restore can be undone.")
        restore = box.addButton("Restore and quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is restore

    def _restore_scheduled(self, info: BackupInfo) -> None:
        self._set_busy(True, f"{info.path.name} is intact. Open Orchid Desktop again to "
                             "finish the restore.", True)
        self.tell_restart(info)
        self.quit_requested.emit()
        self.accept()

    def tell_restart(self, info: BackupInfo) -> None:
        QMessageBox.information(
            self, "Orchid Desktop closes now",
            f"The backup of {when(info)} is intact. Orchid Desktop closes now; open it again "
            "and the backup is put in place before anything else.")

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("backup or restore failed", exc_info=error)
        self._set_busy(False, str(error) if isinstance(error, UserError)
                       else f"That did not work: {error}", False)


def open_backup_dialog(context: AppContext, window) -> BackupDialog:
    """Open the dialog over the main window; a scheduled restore quits the app."""
    dialog = BackupDialog(context, parent=window)
    dialog.quit_requested.connect(window.request_quit)
    dialog.open()
    return dialog
