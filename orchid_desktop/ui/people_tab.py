"""The Leads and Contacts tabs: filters and saved filters, the list, and the actions on
one person or a selection. Destructive actions are confirmed or can be undone from the
banner that reports them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services import saved_views
from orchid_desktop.services.export import export_people
from orchid_desktop.services.listing import Listing
from orchid_desktop.services.people import set_archived
from orchid_desktop.services.people_query import PeopleFilter

from .empty_state import EmptyState
from .enrol_dialog import EnrolDialog
from .filter_bar import FilterBar
from .people_model import PeopleTableModel
from .person_form import plain
from .tasks import run_in_background

log = logging.getLogger(__name__)

MAX_ACTION_ROWS = 10_000  # one action on more than this is an import or export's job
UNDO_SECONDS = 20

T = TypeVar("T")
# What ``run`` hands its work: a SQLAlchemy Session, named loosely because the UI does not
# import sqlalchemy (import-linter's contract).
DbSession = Any


class UndoBanner(QFrame):
    """"3 leads archived. [Undo]" — for a short while after an action that can be undone."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("undoBanner")
        self.label = QLabel()
        self.button = QPushButton("Undo")
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 6, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        row.addWidget(close)
        self._undo: Callable[[], None] | None = None
        self.button.clicked.connect(self._run_undo)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, undo: Callable[[], None] | None = None) -> None:
        self.label.setText(text)
        self._undo = undo
        self.button.setVisible(undo is not None)
        self.show()
        self._timer.start(UNDO_SECONDS * 1000)

    def _run_undo(self) -> None:
        undo, self._undo = self._undo, None
        self.hide()
        if undo is not None:
            undo()


class PeopleTab(QStackedWidget):
    """An empty state until there is someone to list, then the filters, actions and
    table. Subclasses add their actions (``build_actions``) and open one person
    (``open_person``)."""

    people_changed = Signal()  # something here changed the other tab's data too

    noun, plural = "person", "people"
    has_saved_filters = True

    def __init__(self, context: AppContext, listing: Listing, empty: EmptyState, parent=None):
        super().__init__(parent)
        self.context = context
        self.kind = listing.kind
        self.model = PeopleTableModel(listing, self)
        self.empty = empty
        self.filters = FilterBar(self.kind)
        self.filters.changed.connect(self.set_filter)
        self.saved = QComboBox()
        self.saved.setMinimumWidth(160)
        self.saved.activated.connect(self._saved_chosen)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.banner = UndoBanner()
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        self.table = QTableView()
        self.table.setModel(self.model)
        # the indicator first: enabling sorting then asks for the order the model has
        self.table.horizontalHeader().setSortIndicator(self.model.default_sort,
                                                       Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # fitting columns samples this many rows, not Qt's default 1,000 (each a formatted
        # phone): one page's worth tells the widths as well
        header.setResizeContentsPrecision(50)
        self.table.doubleClicked.connect(lambda index: self.open_person(
            self.model.person_id(index.row())))
        open_key = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        open_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        open_key.activated.connect(lambda: self.open_person(
            self.model.person_id(self.table.currentIndex().row())))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.total_changed.connect(self._total_changed)

        top = QHBoxLayout()
        top.addWidget(self.filters, 1)
        top.addWidget(self.saved)
        save_filter = QPushButton("Save filter…")
        save_filter.clicked.connect(self.save_current_filter)
        top.addWidget(save_filter)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(8, 8, 8, 4)
        column.addLayout(top)
        column.addWidget(self.toolbar)
        column.addWidget(self.banner)
        column.addWidget(self.body(self.table), 1)
        column.addWidget(self.count_label)
        self.addWidget(empty)
        self.addWidget(content)
        self.selection_actions = []
        self.enrol_dialog: EnrolDialog | None = None  # the last "Enrol in drip…" dialog opened
        self.build_actions()
        if self.kind.name in ("leads", "contacts"):
            self.enrol_action = self.toolbar.addAction("Enrol in drip…", self.enrol_selected)
            self.selection_actions.append(self.enrol_action)
        self.export_action = self.toolbar.addAction("Export…", self.export)
        if self.has_saved_filters:
            self._load_saved_filters()
        else:
            self.saved.hide()
            save_filter.hide()
        self.refresh()

    # -- to be filled in by the Leads and Contacts tabs --------------------------------
    def build_actions(self) -> None:
        raise NotImplementedError

    def open_person(self, person_id: int | None) -> None:
        raise NotImplementedError

    def body(self, table: QTableView) -> QWidget:
        """What fills the space under the toolbar: the table, or a layout around it."""
        return table

    def add_archive_actions(self) -> None:
        """Archive in the normal list, Unarchive when the list shows the archived."""
        self.archive_action = self.toolbar.addAction(
            "Archive", lambda: self.archive_people(self.chosen_ids(), True))
        self.unarchive_action = self.toolbar.addAction(
            "Unarchive", lambda: self.archive_people(self.chosen_ids(), False))

        def show(archived: bool) -> None:
            self.archive_action.setVisible(not archived)
            self.unarchive_action.setVisible(archived)
        self.filters.archived.toggled.connect(show)
        show(False)

    # -- list ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self.model.reload()
        # a filter that matches nobody keeps the filters on screen, to be changed
        if self.model.total_rows() or self.model.filter.is_narrowed():
            self.setCurrentIndex(1)
            self._fit_columns()
        else:
            self.setCurrentWidget(self.empty)

    def _fit_columns(self) -> None:
        if getattr(self, "_fitted", False) or not self.model.total_rows():
            return
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            header.resizeSection(column, min(max(header.sectionSize(column) + 16, 90), 320))
        self._fitted = True

    def set_filter(self, people: PeopleFilter) -> None:
        self.model.set_filter(people)
        self._fit_columns()

    def _total_changed(self, total: int) -> None:
        shown = f"{total:,} {self.noun if total == 1 else self.plural}"
        if self.model.filter.is_narrowed():
            shown += " match the filter"
        self.count_label.setText(shown)
        self._selection_changed()

    def selected_ids(self) -> list[int]:
        # counted from the selection's ranges: a select-all of a million rows is one range
        selection = self.table.selectionModel().selection()
        selected = sum(selection.at(i).height() for i in range(selection.count()))
        if selected > MAX_ACTION_ROWS:
            raise UserError(f"{selected:,} rows are selected; act on at most "
                            f"{MAX_ACTION_ROWS:,} at a time (narrow the list with a filter).")
        if selected and self.model.listing.count(self.model.filter) != self.model.total_rows():
            # rows were added or removed elsewhere since the list was read: row numbers no
            # longer name the people the user selected
            self.refresh()
            raise UserError("The list changed while you were selecting (records were added "
                            "or removed, perhaps on another workstation). It has been "
                            "refreshed: select again.")
        rows = self.table.selectionModel().selectedRows()
        ids = (self.model.person_id(index.row()) for index in sorted(rows, key=lambda i: i.row()))
        return [i for i in ids if i is not None]

    def chosen_ids(self) -> list[int]:
        """The selection's ids, or none (with the reason shown) if it is too large."""
        try:
            return self.selected_ids()
        except UserError as error:
            self.show_error(str(error))
            return []

    def archive_people(self, ids: list[int], archived: bool) -> None:
        """Archive or bring back, with Undo on the banner."""
        if not ids:
            return
        model, staff = self.kind.model, self.context.staff_id
        changed = self.run(lambda s: set_archived(s, model, ids, archived, staff_id=staff))
        if changed is None:
            return
        n = len(changed)
        self.after_change(
            f"{n} {self.noun if n == 1 else self.plural} "
            f"{'archived' if archived else 'brought back'}.",
            undo=lambda: self.archive_people(changed, not archived))

    def _selection_changed(self, *args) -> None:
        has = self.table.selectionModel().hasSelection()
        for action in self.selection_actions:
            action.setEnabled(has)

    def _context_menu(self, position) -> None:
        if not self.table.indexAt(position).isValid():
            return
        menu = QMenu(self)
        for action in self.selection_actions:
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.exec(self.table.viewport().mapToGlobal(position))

    def enrol_selected(self) -> None:
        """Put the selected people into an open drip campaign (dialog, run in the
        background; its report is repeated on the banner)."""
        ids = self.chosen_ids()
        if not ids:
            return
        who = f"{len(ids):,} {self.noun if len(ids) == 1 else self.plural}"
        if self.kind.name == "leads":
            dialog = EnrolDialog(self.context, who, parent=self, lead_ids=ids)
        else:
            dialog = EnrolDialog(self.context, who, parent=self, contact_ids=ids)
        dialog.enrolled.connect(lambda report: self.banner.show_message(report.summary()))
        self.enrol_dialog = dialog
        dialog.open()

    # -- running actions ----------------------------------------------------------------
    def run(self, work: Callable[[DbSession], T],
            done: Callable[[T], object] | None = None) -> T | None:
        """Run ``work(session)`` in one transaction; show a UserError in plain words."""
        try:
            with self.context.sessions.begin() as session:
                result = work(session)
        except UserError as error:
            self.show_error(plain(error))
            return None
        if done:
            done(result)
        return result

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Orchid Desktop", text)

    def after_change(self, message: str = "", undo: Callable[[], None] | None = None) -> None:
        self.refresh()
        self.people_changed.emit()
        if message:
            self.banner.show_message(message, undo)

    # -- saved filters ------------------------------------------------------------------
    def _load_saved_filters(self) -> None:
        with self.context.sessions() as session:
            self._saved = saved_views.list_filters(session, self.kind.saved_view_kind)
        self.saved.clear()
        self.saved.addItem("Saved filters")
        for name, _ in self._saved:
            self.saved.addItem(name)
        if self._saved:
            self.saved.insertSeparator(self.saved.count())
            self.saved.addItem("Delete a saved filter…")
        self.saved.addItem("Clear filters")

    def _saved_chosen(self, index: int) -> None:
        text = self.saved.itemText(index)
        self.saved.setCurrentIndex(0)
        if text == "Clear filters":
            self.filters.clear()
        elif text == "Delete a saved filter…":
            names = [name for name, _ in self._saved]
            name, ok = QInputDialog.getItem(self, "Delete a saved filter",
                                            "Filter to delete:", names, 0, False)
            if ok and name:
                self.run(lambda s: saved_views.delete_filter(s, self.kind.saved_view_kind, name))
                self._load_saved_filters()
        else:
            for name, people in self._saved:
                if name == text:
                    self.filters.apply(people)

    def save_current_filter(self) -> None:
        name, ok = QInputDialog.getText(self, "Save filter", "Name for this filter:")
        if not ok:
            return
        people = self.filters.current()
        def save(session: DbSession) -> bool:
            saved_views.save_filter(session, self.kind.saved_view_kind, name, people,
                                    staff_id=self.context.staff_id)
            return True

        if self.run(save):
            self._load_saved_filters()

    # -- export -------------------------------------------------------------------------
    def export(self) -> None:

        try:
            ids = self.selected_ids() if self.table.selectionModel().hasSelection() else []
        except UserError:
            ids = []  # a huge selection: export the whole filtered list instead
        people = replace(self.model.filter, ids=tuple(ids)) if ids else self.model.filter
        scope = f"{len(ids):,} selected" if ids else f"all {self.model.total_rows():,} listed"
        default = str(Path.home() / f"{self.kind.name}.xlsx")
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {scope} {self.plural}", default,
            "Excel workbook (*.xlsx);;CSV, comma-separated (*.csv)")
        if not path:
            return
        self.export_to(Path(path), people)

    def export_to(self, path: Path, people: PeopleFilter) -> None:
        sort_index, descending = self.model.sort_state()
        sessions, kind = self.context.sessions, self.kind
        self.export_action.setEnabled(False)
        self.banner.show_message(f"Exporting to {path.name}…")

        def done(count) -> None:
            self.export_action.setEnabled(True)
            self.banner.show_message(f"Exported {count:,} {self.plural} to {path}.")

        def failed(error) -> None:
            self.export_action.setEnabled(True)
            self.banner.hide()
            self.show_error(str(error) if isinstance(error, UserError)
                            else f"The export failed: {error}")

        run_in_background(lambda: export_people(sessions, kind, people, path,
                                                sort_index=sort_index, descending=descending),
                          done, failed, parent=self)
