"""The application fields of DOMAIN.md for one applicant type, built from the field
catalogue (domain/application_fields.py) so a new field needs no new widget code. Age and
BMI are shown, computed, never typed."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.domain.application_fields import Field, fields_for
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.services.contacts import profile_age, profile_bmi

PLACEHOLDERS = {"date": "YYYY-MM-DD", "number": "e.g. 165", "integer": "0"}


Editor = QLineEdit | QComboBox | QPlainTextEdit  # what ``ProfileForm._editor`` makes


class ProfileForm(QWidget):
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editors: dict[str, Editor] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.computed = QLabel()
        self.computed.setObjectName("computedLabel")
        self.applicant_type: ApplicantType | None = None

    def build(self, applicant_type: ApplicantType, values: dict[str, str]) -> None:
        """(Re)build for the type with ``values`` (every field's text, whatever the type:
        switching egg donor → carrier → egg donor must not lose the donor answers)."""
        self._known = dict(values)
        kept = self._known
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget and widget is not self.computed:
                widget.deleteLater()
        self._editors.clear()
        self.applicant_type = applicant_type
        self._layout.addWidget(self.computed)
        sections: dict[str, QFormLayout] = {}
        for spec in fields_for(applicant_type):
            if spec.section not in sections:
                box = QGroupBox(spec.section)
                sections[spec.section] = QFormLayout(box)
                self._layout.addWidget(box)
            editor = self._editor(spec, kept.get(spec.key, ""))
            self._editors[spec.key] = editor
            sections[spec.section].addRow(spec.label, editor)
        self._layout.addStretch(1)
        self._update_computed()

    def _editor(self, spec: Field, value: str) -> Editor:
        if spec.choices:
            combo = QComboBox()
            combo.addItem("—", "")
            for key, label in spec.choices:
                combo.addItem(label, key)
            if value and value not in {key for key, _ in spec.choices}:
                # kept as it was stored (an import, an older choice list): never dropped
                combo.addItem(f"{value} (not one of the choices)", value)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.currentIndexChanged.connect(self._changed)
            return combo
        if spec.kind == "long_text":
            text = QPlainTextEdit(value)
            text.setFixedHeight(54)
            text.textChanged.connect(self._changed)
            return text
        line = QLineEdit(value, placeholderText=PLACEHOLDERS.get(spec.kind, ""))
        line.textChanged.connect(self._changed)
        return line

    def values(self) -> dict[str, str]:
        """Every field's text: what the editors show, and what the other type's fields
        held when the form was built."""
        out = dict(getattr(self, "_known", {}))
        for key, editor in self._editors.items():
            if isinstance(editor, QComboBox):
                out[key] = editor.currentData() or ""
            elif isinstance(editor, QPlainTextEdit):
                out[key] = editor.toPlainText()
            else:
                out[key] = editor.text()
        return out

    def editor(self, key: str) -> Editor:
        return self._editors[key]

    def _changed(self) -> None:
        self._update_computed()
        self.edited.emit()

    def _update_computed(self) -> None:
        values = self.values()
        age = profile_age(values, date.today())
        index = profile_bmi(values)
        self.computed.setText(
            f"Age: {age if age is not None else '— (no date of birth)'}    "
            f"BMI: {index if index is not None else '— (needs height and weight)'}")
