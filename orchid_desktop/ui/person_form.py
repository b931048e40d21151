"""The identity fields of a lead or contact (name, email, phone, type, source, state…),
shared by the lead and contact windows, and the dialog that reports a duplicate.

The fields, their labels, lengths and choices are the catalogue's form fields
(domain/person_fields.py), in its order: a field added there appears here unedited."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QMessageBox, QWidget

from orchid_desktop.domain.contact_points import display_phone
from orchid_desktop.domain.person_fields import FORM_FIELDS, Kind, PersonField
from orchid_desktop.domain.us_states import US_STATES
from orchid_desktop.services.people import DuplicateMatch, PersonForm

PLACEHOLDERS = {Kind.EMAIL: "name@example.com", Kind.PHONE: "(415) 555-0123 or +44 …"}
EMPTY = "—"  # the choice of an optional field that is not known


def _editor(field: PersonField) -> QLineEdit | QComboBox:
    if field.kind is Kind.CHOICE:
        combo = QComboBox()
        if not field.required:
            combo.addItem(EMPTY, "")
        for value, label in field.choices():
            combo.addItem(label, value)
        return combo
    if field.kind is Kind.STATE:
        combo = QComboBox()
        combo.addItem(EMPTY, "")
        for code, name in sorted(US_STATES.items(), key=lambda kv: kv[1]):
            combo.addItem(f"{name} ({code})", code)
        return combo
    line = QLineEdit(placeholderText=PLACEHOLDERS.get(field.kind, ""))
    if field.max_length and field.kind in (Kind.NAME, Kind.TEXT):
        line.setMaxLength(field.max_length)
    return line


class PersonFields(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QLineEdit | QComboBox] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for field in FORM_FIELDS:
            self.editors[field.key] = _editor(field)
            form.addRow(field.label, self.editors[field.key])

    def __getattr__(self, name: str) -> Any:  # a QLineEdit or a QComboBox
        # an editor by its field's name (``fields.email``); one whose name a QWidget
        # already has (``height``) is reached through ``editors`` only
        editors = self.__dict__.get("editors", {})
        if name in editors:
            return editors[name]
        raise AttributeError(name)

    def set_form(self, form: PersonForm) -> None:
        for field in FORM_FIELDS:
            value = getattr(form, field.key)
            editor = self.editors[field.key]
            if isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(editor.findData(value), 0))
            elif field.kind is Kind.PHONE and value.startswith("+"):
                editor.setText(display_phone(value))
            else:
                editor.setText(value)

    def form(self) -> PersonForm:
        return PersonForm(**{key: editor.currentData() if isinstance(editor, QComboBox)
                             else editor.text() for key, editor in self.editors.items()})


class DuplicateChoice:
    OPEN, ADD_ANYWAY, LINK, CANCEL = "open", "add", "link", "cancel"


def ask_about_duplicate(parent, matches: list[DuplicateMatch], *, can_add_anyway: bool,
                        link_label: str | None = None) -> tuple[str, DuplicateMatch]:
    """Tell the user who already exists and let them open it, merge, or go on."""
    first = matches[0]
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Already in Orchid")
    lines = "".join(f"<li>{m.describe()} ({m.status.replace('_', ' ')})</li>" for m in matches)
    box.setText(f"This person may already be here:<ul>{lines}</ul>")
    box.setInformativeText("Two different people can share a name, so only the same email "
                           "address or phone number counts as a duplicate.")
    open_button = box.addButton(f"Open {first.kind} {first.name or '#' + str(first.id)}",
                                QMessageBox.ButtonRole.AcceptRole)
    link_button = box.addButton(link_label, QMessageBox.ButtonRole.AcceptRole) \
        if link_label and first.kind == "contact" else None
    add_button = box.addButton("Add anyway", QMessageBox.ButtonRole.DestructiveRole) \
        if can_add_anyway else None
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is open_button:
        return DuplicateChoice.OPEN, first
    if link_button is not None and clicked is link_button:
        return DuplicateChoice.LINK, first
    if add_button is not None and clicked is add_button:
        return DuplicateChoice.ADD_ANYWAY, first
    return DuplicateChoice.CANCEL, first


def plain(error: Exception) -> str:
    """A UserError as lines a person reads: every validation problem on its own line."""
    return "\n".join(getattr(error, "problems", None) or [str(error)])


def ask_reload_or_keep(parent, message: str, advice: str, details: str = "") -> str:
    """Someone saved first: "reload" (theirs), "keep" (mine) or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Changed on another workstation", message,
                      parent=parent)
    box.setInformativeText(advice)
    if details:
        box.setDetailedText(details)
    reload_button = box.addButton("Reload theirs", QMessageBox.ButtonRole.AcceptRole)
    keep_button = box.addButton("Keep mine", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is reload_button:
        return "reload"
    return "keep" if clicked is keep_button else "cancel"
