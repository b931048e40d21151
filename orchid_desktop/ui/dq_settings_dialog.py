"""DQ settings: the screening rules of each applicant type, one tab per type.

The widgets are generated from the rule registry (domain/dq_rules; the editors live in
ui/dq_rule_editors.py), so a parameter declared there is editable here without UI work.
Saving validates everything first (domain.dq_rules.validate), then writes one new
rule-set version per changed type in a single transaction (services.screening
.save_rule_set audits what changed). No session stays open while the dialog is shown: the
rules are read once when it opens.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain import dq_rules
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, default_rules
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.errors import ConflictError, UserError
from orchid_desktop.services import screening, staff

from .dq_rule_editors import WIDE_LIST, Editor
from .person_form import plain


def _hint(text: str, *, small: bool = False) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    if small:
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        label.setFont(font)
    return label


@dataclass(frozen=True)
class LoadedRuleSet:
    """The current version of one type as the dialog opened it."""
    version: int
    rules: dict[str, dict[str, Any]]
    changed_on: date | None
    changed_by: str | None
    note: str | None

    def header(self) -> str:
        text = f"Version {self.version}"
        if self.changed_on:
            text += f" · changed {self.changed_on.day} {self.changed_on:%b %Y}"
        if self.changed_by:
            text += f" by {self.changed_by}"
        return text + (f" — {self.note}" if self.note else "")


def load_rule_sets(context: AppContext) -> dict[ApplicantType, LoadedRuleSet | None]:
    with context.sessions() as session:
        loaded: dict[ApplicantType, LoadedRuleSet | None] = {}
        for kind in SCREENED_TYPES:
            row = screening.current_rule_set(session, kind)
            if row is None:
                loaded[kind] = None
                continue
            changed_by = staff.display_name(session, row.created_by_id)
            created = row.created_at
            if created is not None and created.tzinfo is None:  # SQLite keeps no zone
                created = created.replace(tzinfo=UTC)
            loaded[kind] = LoadedRuleSet(
                row.version_number, copy.deepcopy(row.rules),
                created.astimezone().date() if isinstance(created, datetime) else None,
                changed_by, row.change_note)
    return loaded


# ---- one tab per applicant type ---------------------------------------------------------

class RuleSetPage(QWidget):
    def __init__(self, applicant_type: ApplicantType, loaded: LoadedRuleSet | None):
        super().__init__()
        self.applicant_type = applicant_type
        self.loaded = loaded
        self.defaults = default_rules(applicant_type)
        self.original = copy.deepcopy(loaded.rules) if loaded else {}
        self.boxes: dict[str, QGroupBox] = {}
        self.editors: dict[str, dict[str, Editor]] = {}
        self._labels: list[QLabel] = []
        self._reviewed_touched = False

        self.version_label = QLabel(loaded.header() if loaded else "No saved version yet")
        self.version_label.setWordWrap(True)
        self.restore_button = QPushButton("Restore defaults")
        self.restore_button.setToolTip("Set every rule on this page to the agency defaults "
                                       "(nothing is saved until you press Save)")
        self.restore_button.clicked.connect(self.restore_defaults)
        header = QHBoxLayout()
        header.addWidget(self.version_label, 1)
        header.addWidget(self.restore_button)

        body = QWidget()
        rules_layout = QVBoxLayout(body)
        rules_layout.setContentsMargins(0, 4, 8, 8)
        rules_layout.setSpacing(10)
        described = dq_rules.registry_for(applicant_type)
        # the engine runs rules in the stored order; a default rule not stored yet comes last
        for key in [k for k in self.original if k in described] + [
                k for k in self.defaults if k not in self.original and k in described]:
            rules_layout.addWidget(self._rule_box(described[key]))
        kept = [k for k in self.original if k not in described]
        if kept:
            rules_layout.addWidget(_hint("Kept as they are (not editable in this version): "
                                         + ", ".join(kept), small=True))
        rules_layout.addStretch(1)
        width = max((label.sizeHint().width() for label in self._labels), default=0)
        for label in self._labels:  # one label column across every rule on the page
            label.setMinimumWidth(width)

        self.scroll_area = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        # the dialog's own background, not the palette grey, behind the rule boxes
        body.setAutoFillBackground(False)
        scroll.viewport().setAutoFillBackground(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 10, 4, 0)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)

    def _rule_box(self, rule: dq_rules.Rule) -> QGroupBox:
        stored = self.original.get(rule.key)
        settings = stored if stored is not None else self.defaults[rule.key]
        box = QGroupBox(rule.label)
        box.setCheckable(True)
        box.setChecked(bool(settings.get("enabled", True)) and stored is not None)
        box.setToolTip("Ticked: the rule runs when applications are screened")
        self.boxes[rule.key] = box
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(_hint(rule.description
                               if stored is not None else rule.description + " New: not in "
                               "the saved settings yet; tick it to start using it."))
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        editors = self.editors.setdefault(rule.key, {})
        for p in rule.parameters:
            value = settings.get(p.key, self.defaults[rule.key].get(p.key))
            editor = editors[p.key] = Editor(p, copy.deepcopy(value))
            if p.kind == dq_rules.BOOL:
                form.addRow(self._label(""), editor.widget)
            elif p.kind == dq_rules.CHOICES and len(p.choices) > WIDE_LIST:
                summary = _hint("")
                form.addRow(self._label(p.label), summary)
                form.addRow(editor.widget)
                self._summarise(editor, summary)
            elif p.kind == dq_rules.DATE and rule.key == "state":
                form.addRow(self._label(p.label), self._reviewed_row(editor, editors))
            else:
                form.addRow(self._label(p.label), editor.widget)
        if rule.parameters:
            layout.addLayout(form)
        if settings.get("basis"):
            layout.addWidget(_hint(f"Basis: {settings['basis']}", small=True))
        return box

    @staticmethod
    def _summarise(editor: Editor, summary: QLabel) -> None:
        """What a long list holds now, so it can be read without scanning the grid."""
        names = dict(editor.parameter.choices)

        def show() -> None:
            ticked = [names.get(v, v).split(" — ")[-1] for v in editor.value()]
            summary.setText(("Now: " + ", ".join(ticked)) if ticked else "None ticked")

        editor.widget.changed.connect(show)
        show()

    def _label(self, text: str) -> QLabel:
        label = QLabel(text)
        self._labels.append(label)
        return label

    def _reviewed_row(self, editor: Editor, editors: dict[str, Editor]) -> QWidget:
        """The review date of the blocked-states list, which follows the list: changing
        the list without touching the date means it was reviewed today."""
        self.reviewed_edit = editor.widget
        self.reviewed_original = editor.value()
        self.reviewed_button = QPushButton("Reviewed today")
        self.reviewed_button.clicked.connect(self.mark_reviewed_today)
        editor.widget.dateChanged.connect(lambda: setattr(self, "_reviewed_touched", True))
        self.blocked_grid = editors["blocked_states"].widget
        self.blocked_original = self.blocked_grid.value()
        self.blocked_grid.changed.connect(self._sync_reviewed)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(editor.widget)
        line.addWidget(self.reviewed_button)
        line.addWidget(_hint("set to today when you change the list"), 1)
        return row

    def _set_reviewed(self, day: date) -> None:
        self.reviewed_edit.blockSignals(True)  # a change made here is not the user's
        self.reviewed_edit.setDate(QDate(day))
        self.reviewed_edit.blockSignals(False)

    def mark_reviewed_today(self) -> None:
        self._set_reviewed(date.today())
        self._reviewed_touched = True

    def _sync_reviewed(self) -> None:
        if self._reviewed_touched:
            return
        changed = self.blocked_grid.value() != self.blocked_original
        self._set_reviewed(date.today() if changed
                           else date.fromisoformat(self.reviewed_original))

    def restore_defaults(self) -> None:
        """Every rule and threshold back to the agency defaults, except the review date of
        the blocked states: that records when someone looked, not a setting."""
        for key, box in self.boxes.items():
            box.setChecked(bool(self.defaults[key].get("enabled", True)))
            for param, editor in self.editors[key].items():
                if not (key == "state" and param == "reviewed_on"):
                    editor.set_value(copy.deepcopy(self.defaults[key][param]))

    def rules(self) -> dict[str, dict[str, Any]]:
        """The rules as edited, on a copy of the stored ones so keys this dialog does not
        know (basis, or parameters of a newer app version) are kept as they were."""
        rules = copy.deepcopy(self.original)
        for key, box in self.boxes.items():
            values = {p: e.value() for p, e in self.editors[key].items()}
            if key not in rules:
                new = copy.deepcopy(self.defaults[key])
                untouched = all(new.get(p) == v for p, v in values.items())
                if not box.isChecked() and untouched:
                    continue  # a new rule left off stays out of the settings
                rules[key] = new
            if "enabled" in rules[key] or not box.isChecked():  # absent means on
                rules[key]["enabled"] = box.isChecked()
            rules[key].update(values)
        return rules

    def has_changes(self) -> bool:
        return self.rules() != self.original


# ---- the dialog ---------------------------------------------------------------------------

class DQSettingsDialog(QDialog):
    def __init__(self, context: AppContext,
                 applicant_type: ApplicantType = ApplicantType.EGG_DONOR, parent=None):
        super().__init__(parent)
        self.context = context
        self.saved_types: list[ApplicantType] = []  # given a new version: offer a re-screen
        self.setWindowTitle("DQ settings")
        self.setMinimumSize(760, 640)
        loaded = load_rule_sets(context)
        self.pages: dict[ApplicantType, RuleSetPage] = {}
        self.tabs = QTabWidget()
        for kind in SCREENED_TYPES:
            self.pages[kind] = RuleSetPage(kind, loaded[kind])
            self.tabs.addTab(self.pages[kind], kind.label)
        if applicant_type in self.pages:
            self.tabs.setCurrentWidget(self.pages[applicant_type])

        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("e.g. our partner clinic now accepts donors from 19")
        self.note_edit.setMaxLength(500)  # the change note column's size
        note_row = QFormLayout()
        note_row.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        note_row.addRow("Why are you changing this?", self.note_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(_hint("Applications are screened against these rules. Each save is "
                               "a new version; earlier screenings keep the version they "
                               "used."))
        layout.addWidget(self.tabs, 1)
        layout.addLayout(note_row)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Check every tab first, then write all changed types in one transaction: a
        refused save leaves nothing half-written."""
        edited = {kind: page.rules() for kind, page in self.pages.items()}
        problems = []
        for kind, rules in edited.items():
            problems += [f"{kind.label} — {problem}" for problem in
                         dq_rules.validate(kind, rules)]
        if problems:
            self.show_problems(problems)
            return
        changed = {kind: rules for kind, rules in edited.items()
                   if rules != self.pages[kind].original}
        note = self.note_edit.text().strip() or None
        saved: list[ApplicantType] = []
        try:
            with self.context.sessions.begin() as session:
                for kind, rules in changed.items():
                    current = screening.current_rule_set(session, kind)
                    loaded = self.pages[kind].loaded
                    now = current.version_number if current else None
                    if now != (loaded.version if loaded else None):
                        raise ConflictError(
                            f"The {kind.label.lower()} rules were changed on another "
                            f"workstation (now version {now}) since you opened this "
                            "window. Close it and open it again to see them.")
                    # checked again under the lock: a version committed since (another
                    # workstation's Save, or its upgrade at start) is never overwritten
                    new = screening.save_rule_set(session, kind, rules,
                                                  staff_id=self.context.staff_id, note=note,
                                                  expected_version=now)
                    if current is None or new.id != current.id:
                        saved.append(kind)
        except UserError as error:
            self.show_problems(plain(error).splitlines())
            return
        self.saved_types = saved
        self.accept()

    def show_problems(self, problems: list[str]) -> None:
        QMessageBox.warning(self, "DQ settings not saved", "\n".join(problems))

    def reject(self) -> None:
        if any(page.has_changes() for page in self.pages.values()) and not self.ask_discard():
            return
        super().reject()

    def ask_discard(self) -> bool:
        answer = QMessageBox.question(
            self, "Unsaved changes", "Close without saving your changes to the DQ settings?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard
