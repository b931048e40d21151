"""Messages that may not have been sent: the uncertain outbox rows, and staff's choice
for each — send it again (it may arrive twice) or drop it (it may never have arrived).

The list is at most a few thousand rows, so it is read whole (off the GUI thread) and
sorted in the model; resending and dropping run off the GUI thread too, and act only on
messages still uncertain when they are written (another workstation may have decided).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services.uncertain import (
    ResendReport,
    UncertainRow,
    count_uncertain,
    drop,
    list_uncertain,
    resend,
)

from .campaign_words import local_moment
from .empty_state import EmptyState
from .import_wizard_pages import STYLE, hint_label, secondary_button, title_label
from .tasks import run_in_background

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
COLUMNS = ("To", "Email", "Subject", "Part of", "Last tried")
SUBJECT, PART_OF, TRIED = 2, 3, 4
SEARCH_DELAY_MS = 300
SELECT_ROW = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
EXPLANATION = (
    "The app was handing each of these emails to SendGrid when the connection broke — the "
    "app closed, or SendGrid did not answer in time — so it cannot tell whether the email "
    "arrived. Nothing here is sent again on its own: choose what to do with each one."
    "<br><b>Resend</b> puts it back in the queue: if the first try did arrive, the person "
    "gets it twice. <b>Drop</b> gives up on it: it may never have arrived, and a drip "
    "moves on to its next email.")
SORT_KEYS = (
    lambda r: (r.to_name or "").casefold(),
    lambda r: r.to_email.casefold(),
    lambda r: r.subject.casefold(),
    lambda r: r.belongs_to.casefold(),
    lambda r: r.tried_at.timestamp() if r.tried_at else 0.0,
)


def tried(message: UncertainRow) -> str:
    """"today 14:30", with the number of tries when there were several."""
    when = local_moment(message.tried_at)
    return f"{when} · {message.attempts:,} tries" if message.attempts > 1 else when


def messages(n: int) -> str:
    return f"{n:,} message" if n == 1 else f"{n:,} messages"


class UncertainModel(QAbstractTableModel):
    """The uncertain messages, sortable by any column; selection survives a sort."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[UncertainRow] = []

    def set_rows(self, rows: list[UncertainRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def message(self, row: int) -> UncertainRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        message = self.message(index.row()) if index.isValid() else None
        if message is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (message.to_name or "", message.to_email, message.subject,
                    message.belongs_to, tried(message))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TRIED and message.tried_at:
                return message.tried_at.astimezone().strftime("%a %d %b %Y, %H:%M:%S") \
                    + f" — {message.attempts:,} {'try' if message.attempts == 1 else 'tries'}"
            if column in (SUBJECT, PART_OF):
                return self.data(index) or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._rows[i.row()].id for i in before]
        self._rows.sort(key=lambda r: (SORT_KEYS[column](r), r.id),
                        reverse=order == Qt.SortOrder.DescendingOrder)
        position = {row.id: n for n, row in enumerate(self._rows)}
        self.changePersistentIndexList(before, [self.index(position[i], old.column())
                                                for i, old in zip(ids, before, strict=True)])
        self.layoutChanged.emit()


class UncertainDialog(QDialog):
    changed = Signal()  # messages were resent or dropped: the status bar's counts move
    loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.total = 0
        self._generation = 0
        self._busy = False
        self.setWindowTitle("Messages that may not have been sent")
        self.setStyleSheet(STYLE)
        explain = hint_label(EXPLANATION)
        explain.setTextFormat(Qt.TextFormat.RichText)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, email, subject or campaign")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda: self._search_timer.start())
        self.count_label = QLabel("Reading…")
        self.count_label.setObjectName("hint")
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.count_label)
        self.model = UncertainModel(self)
        self.table = self._make_table()
        self.empty = EmptyState(
            "No uncertain messages",
            "Every email the app has tried to send went out or ended with a clear reason. "
            "A message is listed here only when the connection broke while SendGrid was "
            "being asked to send it.")
        self.detail_label = QLabel()  # what happened to the chosen message
        self.detail_label.setObjectName("hint")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)
        self.resend_button = secondary_button("Resend…")
        self.resend_button.setToolTip("Queue the chosen messages to be sent again")
        self.resend_button.clicked.connect(self.resend_selected)
        self.drop_button = secondary_button("Drop…")
        self.drop_button.setToolTip("Give up on the chosen messages: they are not sent again")
        self.drop_button.clicked.connect(self.drop_selected)
        self.result_label = QLabel()
        self.result_label.setObjectName("checkResult")
        self.result_label.setWordWrap(True)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resend_button)
        buttons.addWidget(self.drop_button)
        buttons.addSpacing(8)
        buttons.addWidget(self.result_label, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(title_label("Messages that may not have been sent"))
        layout.addWidget(explain)
        layout.addSpacing(4)
        layout.addLayout(search_row)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.detail_label)
        layout.addLayout(buttons)
        self.resize(1180, 540)
        self._update_buttons()
        self.reload()

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        table.setSortingEnabled(True)
        table.sortByColumn(TRIED, Qt.SortOrder.DescendingOrder)
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        return table

    # -- the list -----------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        sessions, term = self.context.sessions, self.search.text().strip()

        def load() -> tuple[list[UncertainRow], int, int]:
            with sessions() as session:
                rows = list_uncertain(session, search=term or None)
                matching = count_uncertain(session, search=term or None) if term else None
                everyone = count_uncertain(session)
                return rows, everyone if matching is None else matching, everyone

        run_in_background(load, lambda result: self._loaded(generation, *result),
                          self._load_failed, parent=self)

    def _loaded(self, generation: int, rows: list[UncertainRow], matching: int,
                everyone: int) -> None:
        if generation != self._generation:
            return
        keep = {row.id for row in self.selected()}
        self.total = everyone
        self.model.set_rows(rows)
        header = self.table.horizontalHeader()
        self.table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        for column, most in ((0, 200), (1, 280), (PART_OF, 280)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), most))
        header.setSectionResizeMode(SUBJECT, QHeaderView.ResizeMode.Stretch)
        for row in range(self.model.rowCount()):
            message = self.model.message(row)
            if message is not None and message.id in keep:
                self.table.selectionModel().select(self.model.index(row, 0), SELECT_ROW)
        self.pages.setCurrentWidget(self.empty if everyone == 0 else self.table)
        for widget in (self.search, self.resend_button, self.drop_button):
            widget.setVisible(everyone > 0)  # the empty state says all there is to say
        term = self.search.text().strip()
        if everyone == 0:
            text = ""
        elif term:
            text = f"{matching:,} of {messages(everyone)} match" if matching else \
                f"No uncertain message matches “{term}”"
        else:
            text = messages(everyone)
        if len(rows) < matching:
            text += f" · showing the first {len(rows):,}"
        self.count_label.setText(text)
        self._update_buttons()
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("listing uncertain messages failed", exc_info=error)
        self.count_label.setText(f"The messages could not be read: {error}")
        self.loaded.emit()

    def selected(self) -> list[UncertainRow]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [m for m in (self.model.message(r) for r in rows) if m is not None]

    def _update_buttons(self) -> None:
        chosen = len(self.selected())
        self.detail_label.setText(self._detail())
        self.detail_label.setVisible(self.pages.currentWidget() is self.table)
        for button, verb in ((self.resend_button, "Resend"), (self.drop_button, "Drop")):
            button.setEnabled(chosen > 0 and not self._busy)
            button.setText(f"{verb} {messages(chosen)}…" if chosen > 1 else f"{verb}…")

    def _detail(self) -> str:
        chosen = self.selected()
        if not chosen:
            return "Choose one or more messages (Ctrl+A chooses them all), then Resend or Drop."
        if len(chosen) > 1:
            return f"{messages(len(chosen))} chosen."
        message = chosen[0]
        why = (message.status_reason or "no answer came from SendGrid").strip().rstrip(".")
        text = f"What happened: {why}."
        if message.tried_at:
            times = "once" if message.attempts == 1 else f"{message.attempts:,} times"
            text += f" Tried {times}, last {message.tried_at.astimezone():%a %d %b %Y, %H:%M}."
        return text

    # -- deciding -----------------------------------------------------------------------
    def resend_selected(self) -> None:
        chosen = self.selected()
        if not chosen or not self._confirm(
                f"Send {self._these(chosen)} again?",
                "If the first try did reach SendGrid, "
                + ("the person gets the email twice." if len(chosen) == 1
                   else "these people get the email twice.")
                + " Anyone who has since unsubscribed, bounced or been disqualified is not "
                  "sent it again: their message is dropped instead."):
            return
        sessions, staff, ids = self.context.sessions, self.context.staff_id, \
            [m.id for m in chosen]

        def work() -> ResendReport:
            with sessions.begin() as session:
                return resend(session, ids, staff_id=staff)

        self._start(f"Queueing {messages(len(ids))} again…", work,
                    lambda report: (report.summary(), True if not report.dropped
                                    and not report.unchanged else None))

    def drop_selected(self) -> None:
        chosen = self.selected()
        if not chosen or not self._confirm(
                f"Drop {self._these(chosen)}?",
                ("It is" if len(chosen) == 1 else "They are") + " not sent again, and may "
                "or may not have arrived. A drip moves on to its next email; the history "
                "keeps who dropped " + ("it." if len(chosen) == 1 else "them.")):
            return
        sessions, staff, ids = self.context.sessions, self.context.staff_id, \
            [m.id for m in chosen]

        def work() -> int:
            with sessions.begin() as session:
                return drop(session, ids, staff_id=staff)

        def said(dropped: int) -> tuple[str, bool | None]:
            text = f"{messages(dropped)} dropped."
            if dropped < len(ids):
                text += f" {messages(len(ids) - dropped)} left as they were: already " \
                        "dealt with, perhaps on another workstation."
            return text, True if dropped == len(ids) else None

        self._start(f"Dropping {messages(len(ids))}…", work, said)

    @staticmethod
    def _these(chosen: list[UncertainRow]) -> str:
        if len(chosen) == 1:
            return f"the message to {chosen[0].to_email}"
        return f"these {len(chosen):,} messages"

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _start(self, doing: str, work, words) -> None:
        self._busy = True
        self._update_buttons()
        self._show_result(doing, None)

        def done(result) -> None:
            self._busy = False
            self._show_result(*words(result))
            self.changed.emit()
            self.reload()

        run_in_background(work, done, self._failed, parent=self)

    def _failed(self, error: Exception) -> None:
        self._busy = False
        if not isinstance(error, UserError):
            log.error("deciding about uncertain messages failed", exc_info=error)
        self._show_result(str(error) if isinstance(error, UserError)
                          else f"Nothing was changed: {error}", False)
        self.reload()

    def _show_result(self, text: str, ok: bool | None = None) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("ok", "" if ok is None else ok)
        self.result_label.style().polish(self.result_label)

    def is_busy(self) -> bool:
        return self._busy
