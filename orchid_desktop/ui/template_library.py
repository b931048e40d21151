"""The template library: every template grouped by the sequence it belongs to, with its
kind, version and whether messages were written with it, and the selected one shown as
a person would get it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services.templates import (
    TemplateSummary,
    archive_template,
    duplicate_template,
    list_templates,
    restore_template,
)

from .template_editor import TemplateEditorDialog
from .template_preview import PreviewPane

COLUMNS = ("Name", "Kind", "Version", "In use")
STAND_ALONE = "Stand-alone templates"
ID_ROLE = Qt.ItemDataRole.UserRole


class TemplateLibraryPanel(QWidget):
    changed = Signal()  # a template was added, edited, copied, archived or restored
    outbox_changed = Signal()  # a test email was queued

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.templates: dict[int, TemplateSummary] = {}
        self.editor: TemplateEditorDialog | None = None  # the last one opened
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setStyleSheet("QTreeView { background: white; alternate-background-color: "
                                "#f8f5fa; selection-background-color: #e9d5ef; "
                                "selection-color: #2b2230; }")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for section in range(1, len(COLUMNS)):
            header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.tree.itemDoubleClicked.connect(
            lambda item, _: self.edit_selected() if item.data(0, ID_ROLE) else None)
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.toggled.connect(lambda _: self.refresh())
        self.new_button = QPushButton("New…")
        self.edit_button = QPushButton("Edit…")
        self.duplicate_button = QPushButton("Duplicate")
        self.archive_button = QPushButton("Archive")
        self.new_button.clicked.connect(self.new_template)
        self.edit_button.clicked.connect(self.edit_selected)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.archive_button.clicked.connect(self.archive_selected)
        self.preview = PreviewPane(context)

        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.duplicate_button,
                       self.archive_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_archived)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addWidget(self.tree, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        self.refresh()

    # -- the list -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the templates (and the people to preview them for) again."""
        chosen = self.selected_id()
        self.preview.picker.reload()
        with self.context.sessions() as session:
            summaries = list_templates(session, include_archived=self.show_archived.isChecked())
        self.templates = {t.id: t for t in summaries}
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for template in sorted(summaries, key=lambda t: (not t.sequence, t.sequence)):
            name = template.sequence or STAND_ALONE
            group = groups.get(name)
            if group is None:
                group = groups[name] = QTreeWidgetItem(self.tree, [name])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setFirstColumnSpanned(True)
            item = QTreeWidgetItem(group, [
                template.name, template.kind.value.capitalize(),
                f"{template.version_number}", "Yes" if template.in_use else ""])
            item.setData(0, ID_ROLE, template.id)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, template.name)
            if template.archived:
                item.setText(0, f"{template.name}  (archived)")
                for column in range(len(COLUMNS)):
                    item.setForeground(column, self.palette().placeholderText())
        for group in groups.values():
            group.setText(0, f"{group.text(0)}  ({group.childCount()})")
        self.tree.expandAll()
        self.select(chosen if chosen in self.templates else
                    next(iter(self._in_tree_order()), None))
        self._selection_changed()

    def _template_items(self) -> list[QTreeWidgetItem]:
        """The templates' rows, group by group, as the tree shows them."""
        items = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            if group is None:
                continue
            for c in range(group.childCount()):
                child = group.child(c)
                if child is not None:
                    items.append(child)
        return items

    def _in_tree_order(self) -> list[int]:
        return [item.data(0, ID_ROLE) for item in self._template_items()]

    def select(self, template_id: int | None) -> None:
        for item in self._template_items():
            if item.data(0, ID_ROLE) == template_id:
                self.tree.setCurrentItem(item)
                return

    def selected_id(self) -> int | None:
        item = self.tree.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def selected_template(self) -> TemplateSummary | None:
        template_id = self.selected_id()
        return None if template_id is None else self.templates.get(template_id)

    def _selection_changed(self) -> None:
        template = self.selected_template()
        for button in (self.edit_button, self.duplicate_button, self.archive_button):
            button.setEnabled(template is not None)
        self.archive_button.setText("Restore" if template and template.archived else "Archive")
        self.preview.set_source(template.id if template else None)

    # -- actions ------------------------------------------------------------------------
    def new_template(self) -> None:
        self._open_editor(None)

    def edit_selected(self) -> None:
        if self.selected_id() is not None:
            self._open_editor(self.selected_id())

    def _open_editor(self, template_id: int | None) -> None:
        try:
            dialog = TemplateEditorDialog(self.context, template_id, parent=self)
        except UserError as error:
            self.show_error(str(error))
            self.refresh()
            return
        dialog.saved.connect(lambda saved: self._saved(saved.template_id))
        dialog.test_queued.connect(self.outbox_changed)
        self.editor = dialog
        dialog.open()

    def _saved(self, template_id: int) -> None:
        self.refresh()
        self.select(template_id)
        self.changed.emit()

    def duplicate_selected(self) -> None:
        template_id = self.selected_id()
        if template_id is None:
            return
        copy = self._run(lambda s: duplicate_template(s, template_id,
                                                      staff_id=self.context.staff_id))
        if copy is not None:
            self._saved(copy)

    def archive_selected(self) -> None:
        template = self.selected_template()
        if template is None:
            return
        change = restore_template if template.archived else archive_template
        if self._run(lambda s: change(s, template.id, staff_id=self.context.staff_id)
                     or True):
            self._saved(template.id)

    def _run(self, work):
        try:
            with self.context.sessions.begin() as session:
                return work(session)
        except UserError as error:
            self.show_error(str(error))
            return None

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Templates", text)
