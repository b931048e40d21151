"""The import wizard's four pages: what they show and how. The flow between them, and
the work behind them, is ``import_wizard.ImportWizard``'s."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.domain.import_columns import KEEP, SKIP, fields_for
from orchid_desktop.domain.vocab import ApplicantType, DuplicatePolicy, ImportTarget
from orchid_desktop.services.import_reader import TableSource
from orchid_desktop.services.importing import ImportReport, MappingSuggestion, RowProblem

SAMPLES, LISTED_PROBLEMS = 3, 1000
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
             "cp1252": "Windows (Western European) text", "latin-1": "Latin-1 text"}
DELIMITERS = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated",
              "|": "separated by |"}
POLICIES = ((DuplicatePolicy.SKIP, "Skip them"),
            (DuplicatePolicy.FILL, "Fill their empty fields"),
            (DuplicatePolicy.OVERWRITE, "Overwrite with the file's values"),
            (DuplicatePolicy.CREATE, "Create anyway"))
STYLE = """
#pageTitle { font-size: 17px; font-weight: 600; color: #3b3140; }
#countTile { background: white; border: 1px solid #e2dce6; border-radius: 8px; }
#countValue { font-size: 30px; font-weight: 600; color: #3b3140; }
#countValue[tone="good"] { color: #1d7a3e; }
#countValue[tone="bad"] { color: #b3261e; }
#countCaption { font-size: 13px; color: #4a4150; }
#countDetail { color: #6b6270; }
#fieldLabel { color: #4a4150; }
#tableTitle { font-weight: 600; color: #3b3140; }
QTableView::item { padding: 3px 5px; }
"""
MUTED = "#a59dab"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def people(n: int, target: ImportTarget) -> str:
    return plural(n, target.value[:-1])  # "1 lead", "3 contacts"


def describe(source: TableSource) -> str:
    """What was detected, e.g. "UTF-16, tab-separated, header on row 3, about 1,240 rows"."""
    if source.kind == "excel":
        kind = ("OpenDocument spreadsheet" if source.path.suffix.lower() == ".ods"
                else "Excel workbook")
        parts, exact = [f"{kind}, sheet “{source.sheet}”"], True
    else:
        parts = [ENCODINGS.get(source.encoding or "", source.encoding or "Text"),
                 DELIMITERS.get(source.delimiter or ",", "comma-separated")]
        exact = source.path.stat().st_size <= 1 << 20  # the reader counted every row
    n = source.estimated_rows
    parts.append(f"header on row {source.header_row}")
    parts.append(f"{'' if exact else 'about '}{plural(n, 'row')}")
    return ", ".join(parts)


def named_label(text: str, name: str) -> QLabel:
    """A label with an object name for the style sheet."""
    label = QLabel(text)
    label.setObjectName(name)
    return label


def title_label(text: str = "") -> QLabel:
    label = named_label(text, "pageTitle")
    label.setWordWrap(True)
    return label


def hint_label(text: str = "") -> QLabel:
    label = named_label(text, "hint")
    label.setWordWrap(True)
    return label


def secondary_button(text: str) -> QPushButton:
    """A button that never becomes the dialog's default (the purple one) on focus."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    return button


def read_only_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return table


def page_layout(page: QWidget) -> QVBoxLayout:
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    return column


class CountTile(QFrame):
    """A big number, what it counts, and a line of detail under it."""

    def __init__(self, caption: str, tone: str = ""):
        super().__init__()
        self.setObjectName("countTile")
        self.value = named_label("–", "countValue")
        self.value.setProperty("tone", tone)
        self.caption = named_label(caption, "countCaption")
        self.detail = named_label("", "countDetail")
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 10, 16, 12)
        column.setSpacing(2)
        for label in (self.value, self.caption, self.detail):
            column.addWidget(label)

    def set(self, value: int, detail: str = "") -> None:
        self.value.setText(f"{value:,}")
        self.detail.setText(detail)


class ProblemTable(QTableWidget):
    """Row numbers as the spreadsheet shows them, and what is wrong with each."""

    def __init__(self, reason: str):
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["Row", reason])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)  # reasons run long: they wrap rather than end in "…"
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setMinimumSectionSize(24)
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        self.setColumnWidth(0, 70)

    def show_problems(self, problems: list[RowProblem]) -> str:
        """Fill in (the first ``LISTED_PROBLEMS``); returns the count for a title."""
        listed = problems[:LISTED_PROBLEMS]
        self.setRowCount(len(listed))
        for r, problem in enumerate(listed):
            row = QTableWidgetItem(str(problem.row))
            row.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            reason = QTableWidgetItem(problem.reason)
            reason.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(r, 0, row)
            self.setItem(r, 1, reason)
        more = f", first {LISTED_PROBLEMS:,} listed" if len(problems) > len(listed) else ""
        return f"{len(problems):,}{more}"


class MapPage(QWidget):
    """The file as detected, the options, a field for every column, and the first rows."""

    def __init__(self, path: Path, source: TableSource, preview: list[list[str]]):
        super().__init__()
        self.title = title_label()
        self.detected_label = hint_label(describe(source))
        self.target_combo = QComboBox()
        self.target_combo.addItem("Leads", ImportTarget.LEADS)
        self.target_combo.addItem("Contacts", ImportTarget.CONTACTS)
        self.label_edit = QLineEdit(path.stem)
        self.label_edit.setPlaceholderText(path.stem)
        self.type_combo = QComboBox()
        for kind in ApplicantType:
            self.type_combo.addItem(kind.label, kind)
        options = QGridLayout()
        options.setHorizontalSpacing(16)
        options.setVerticalSpacing(3)
        for option_column, (label, field, width) in enumerate((
                ("Import as", self.target_combo, 160),
                ("Label in the import history", self.label_edit, 300),
                ("Applicant type where the file has none", self.type_combo, 260))):
            options.addWidget(named_label(label, "fieldLabel"), 0, option_column)
            options.addWidget(field, 1, option_column)
            field.setMinimumWidth(width)
        options.setColumnStretch(3, 1)
        self.remembered_label = hint_label()
        self.combos = [QComboBox() for _ in source.headers]
        self.mapping_table = self._mapping_table(source.headers, preview)
        self.preview_table = read_only_table(source.headers)
        self.preview_table.setRowCount(len(preview))
        for r, row in enumerate(preview):
            for c, value in enumerate(row[:len(source.headers)]):
                self.preview_table.setItem(r, c, QTableWidgetItem(value))
        self.preview_table.resizeColumnsToContents()
        for c in range(len(source.headers)):
            self.preview_table.setColumnWidth(c, min(self.preview_table.columnWidth(c) + 12, 240))
        preview_box = QWidget()
        preview_column = page_layout(preview_box)
        preview_column.setContentsMargins(0, 8, 0, 0)
        preview_column.addWidget(named_label(
            f"The first {plural(len(preview), 'row')} of the file", "tableTitle"))
        preview_column.addWidget(self.preview_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.mapping_table)
        splitter.addWidget(preview_box)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([340, 190])
        self.problems_label = named_label("", "checkResult")
        self.problems_label.setProperty("ok", False)
        self.problems_label.setWordWrap(True)
        column = page_layout(self)
        column.addWidget(self.title)
        column.addWidget(self.detected_label)
        column.addSpacing(8)
        column.addLayout(options)
        column.addSpacing(4)
        column.addWidget(self.remembered_label)
        column.addSpacing(4)
        column.addWidget(splitter, 1)
        column.addWidget(self.problems_label)

    def _mapping_table(self, headers: list[str], preview: list[list[str]]) -> QTableWidget:
        table = read_only_table(["Column in the file", "Sample values", "Import into"])
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setDefaultSectionSize(38)
        table.setRowCount(len(headers))
        for index, column_name in enumerate(headers):
            samples: list[str] = []
            for preview_row in preview:
                value = preview_row[index].strip() if index < len(preview_row) else ""
                if value and value not in samples and len(samples) < SAMPLES:
                    samples.append(value)
            table.setItem(index, 0, QTableWidgetItem(column_name))
            item = QTableWidgetItem("  ·  ".join(samples) or "(empty in the first rows)")
            item.setToolTip("\n".join(samples))
            table.setItem(index, 1, item)
            cell = QWidget()
            row = QHBoxLayout(cell)
            row.setContentsMargins(6, 3, 8, 3)
            row.addWidget(self.combos[index])
            table.setCellWidget(index, 2, cell)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        table.resizeColumnToContents(0)
        header.resizeSection(0, min(max(header.sectionSize(0) + 24, 160), 260))
        header.resizeSection(2, 330)
        return table

    def set_fields(self, path: Path, target: ImportTarget,
                   suggestion: MappingSuggestion) -> None:
        """The target's fields in every combo box, set as suggested."""
        self.target_combo.setCurrentIndex(self.target_combo.findData(target))
        self.title.setText(f"Import {path.name} as {target.value}")
        for index, combo in enumerate(self.combos):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("Keep in form data", KEEP)
            combo.insertSeparator(1)
            for field in fields_for(target):
                combo.addItem(field.label, field.key)
            combo.insertSeparator(combo.count())
            combo.addItem("Don't import", SKIP)
            combo.setCurrentIndex(max(combo.findData(suggestion.mapping.get(index, KEEP)), 0))
            combo.blockSignals(False)
        remembered = suggestion.remembered_from
        self.remembered_label.setText(
            "" if remembered is None else f"Using the mapping you last used for {remembered}."
            if remembered else "Using the mapping you used last time for these columns.")
        self.remembered_label.setVisible(remembered is not None)

    def mapping(self) -> dict[int, str]:
        return {index: combo.currentData() for index, combo in enumerate(self.combos)}

    def show_mapping(self, mapping: dict[int, str], problems: list[str]) -> None:
        for index, key in mapping.items():
            colour = QColor(MUTED) if key == SKIP else self.palette().text().color()
            for column in (0, 1):
                item = self.mapping_table.item(index, column)
                if item is not None:
                    item.setForeground(colour)
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))


class CheckPage(QWidget):
    """What the import would do: counts, the duplicates choice, rejected rows and notes."""

    def __init__(self):
        super().__init__()
        self.title = title_label("What the import will do")
        self.hint = hint_label()
        self.status = QLabel()
        self.progress = QProgressBar()
        self.new_tile = CountTile("new", "good")
        self.duplicates_tile = CountTile("duplicates")
        self.rejected_tile = CountTile("rejected", "bad")
        tiles = QHBoxLayout()
        for tile in (self.new_tile, self.duplicates_tile, self.rejected_tile):
            tiles.addWidget(tile, 1)
        self.policy_group = QButtonGroup(self)
        self.policy_buttons: dict[DuplicatePolicy, QRadioButton] = {}
        box = QGroupBox("Duplicates: the same email or phone as someone already here, "
                        "or as an earlier row")
        radios = QHBoxLayout()
        radios.setSpacing(18)
        for policy, label in POLICIES:
            button = QRadioButton(label)
            self.policy_buttons[policy] = button
            self.policy_group.addButton(button)
            radios.addWidget(button)
        radios.addStretch(1)
        self.policy_buttons[DuplicatePolicy.SKIP].setChecked(True)
        box_column = QVBoxLayout(box)
        box_column.setContentsMargins(12, 8, 12, 8)
        box_column.addLayout(radios)
        box_column.addWidget(hint_label("A name alone never makes a duplicate: two people "
                                        "can share one."))
        self.tabs = QTabWidget()
        self.rejected_table = ProblemTable("Reason")
        self.notes_table = ProblemTable("Value left out")
        self.tabs.addTab(self.rejected_table, "Rejected rows")
        self.tabs.addTab(self.notes_table, "Values left out")
        column = page_layout(self)
        for widget in (self.title, self.hint, self.status, self.progress):
            column.addWidget(widget)
        column.addSpacing(6)
        column.addLayout(tiles)
        column.addSpacing(6)
        column.addWidget(box)
        column.addSpacing(6)
        column.addWidget(self.tabs, 1)

    def policy(self) -> DuplicatePolicy:
        return next(p for p, b in self.policy_buttons.items() if b.isChecked())

    def show_report(self, report: ImportReport, target: ImportTarget, file_name: str) -> None:
        self.status.hide()
        self.progress.hide()
        self.hint.setText(f"Checked {plural(report.rows, 'row')} of {file_name}. Nothing has "
                          "been written yet.")
        self.new_tile.caption.setText("new " + people(report.created, target).split(" ", 1)[1])
        self.new_tile.set(report.created, "will be added")
        if self.policy() is DuplicatePolicy.CREATE:
            detail = "added anyway (counted in new)" if report.duplicates else ""
        else:
            detail = " · ".join(part for part in (
                f"{report.updated:,} to update" if report.updated else "",
                f"{report.skipped:,} to skip" if report.skipped else "") if part)
        self.duplicates_tile.set(report.duplicates, detail)
        self.rejected_tile.set(report.rejected, "listed below with the reason"
                               if report.rejected else "every row can be imported")
        rejected = self.rejected_table.show_problems(report.errors)
        notes = self.notes_table.show_problems(report.notes)
        self.tabs.setTabText(0, f"Rejected rows ({rejected})")
        self.tabs.setTabText(1, f"Values left out ({notes})")


class ImportPage(QWidget):
    def __init__(self):
        super().__init__()
        self.title = title_label()
        self.status = QLabel()
        self.progress = QProgressBar()
        self.hint = hint_label()
        column = page_layout(self)
        for widget in (self.title, self.status, self.progress, self.hint):
            column.addWidget(widget)
        column.addStretch(1)

    def running(self, file_name: str) -> None:
        self.title.setText(f"Importing {file_name}")
        self.hint.setText("Everything is written in one step at the end, so Cancel leaves "
                          "the database exactly as it was.")

    def stopped(self, title: str, message: str) -> None:
        self.title.setText(title)
        self.status.setText(message)
        self.progress.hide()
        self.hint.setText("Go back to change the choices, or close.")


class ReportPage(QWidget):
    """What the import did, in large type, and what to do about the rejected rows."""

    def __init__(self):
        super().__init__()
        self.title = title_label()
        self.hint = hint_label()
        self.tiles = {name: CountTile(name, tone) for name, tone in (
            ("created", "good"), ("updated", ""), ("skipped", ""), ("rejected", "bad"))}
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tiles.addWidget(tile, 1)
        self.save_button = secondary_button("Save rejected rows…")
        self.history_button = secondary_button("Open the import history")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.history_button)
        buttons.addStretch(1)
        self.saved_label = hint_label()
        self.rejected_title = named_label("", "tableTitle")
        self.rejected_table = ProblemTable("Reason")
        column = page_layout(self)
        column.addWidget(self.title)
        column.addWidget(self.hint)
        column.addSpacing(10)
        column.addLayout(tiles)
        column.addSpacing(14)
        column.addLayout(buttons)
        column.addWidget(self.saved_label)
        column.addSpacing(8)
        column.addWidget(self.rejected_title)
        column.addWidget(self.rejected_table, 1)
        column.addStretch(0)

    def show_report(self, report: ImportReport, target: ImportTarget, file_name: str) -> None:
        self.title.setText(f"Imported {file_name}")
        where = "Leads" if target is ImportTarget.LEADS else "Contacts"
        self.hint.setText(f"The new {target.value} are in the {where} tab. This is import "
                          f"#{report.batch_id} in the import history, where it can be undone; "
                          "anyone worked on since the import is kept.")
        for name, tile in self.tiles.items():
            tile.set(getattr(report, name))
        self.tiles["created"].detail.setText(f"new {target.value}")
        self.tiles["updated"].detail.setText("duplicates with values from the file"
                                             if report.updated else "")
        self.tiles["skipped"].detail.setText("duplicates left as they were"
                                             if report.skipped else "")
        self.tiles["rejected"].detail.setText("not imported: save them to fix"
                                              if report.rejected else "")
        self.save_button.setVisible(report.rejected > 0)
        self.rejected_title.setText(
            f"Rejected rows ({self.rejected_table.show_problems(report.errors)})")
        for widget in (self.rejected_title, self.rejected_table):
            widget.setVisible(report.rejected > 0)
