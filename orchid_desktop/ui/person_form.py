"""The identity fields of a lead or contact (name, email, phone, type, source, state),
shared by the lead and contact windows, and the dialog that reports a duplicate."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QMessageBox, QWidget

from orchid_desktop.domain.contact_points import display_phone
from orchid_desktop.domain.us_states import US_STATES
from orchid_desktop.domain.vocab import ApplicantType, LeadSource
from orchid_desktop.services.people import DuplicateMatch, PersonForm


class PersonFields(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.first_name = QLineEdit()
        self.last_name = QLineEdit()
        self.email = QLineEdit(placeholderText="name@example.com")
        self.phone = QLineEdit(placeholderText="(415) 555-0123 or +44 …")
        self.applicant_type = QComboBox()
        for t in ApplicantType:
            self.applicant_type.addItem(t.label, t.value)
        self.source = QComboBox()
        for s in LeadSource:
            self.source.addItem(s.label, s.value)
        self.state = QComboBox()
        self.state.addItem("—", "")
        for code, name in sorted(US_STATES.items(), key=lambda kv: kv[1]):
            self.state.addItem(f"{name} ({code})", code)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("First name", self.first_name)
        form.addRow("Last name", self.last_name)
        form.addRow("Email", self.email)
        form.addRow("Phone", self.phone)
        form.addRow("Applying as", self.applicant_type)
        form.addRow("Source", self.source)
        form.addRow("State", self.state)

    def set_form(self, form: PersonForm) -> None:
        self.first_name.setText(form.first_name)
        self.last_name.setText(form.last_name)
        self.email.setText(form.email)
        self.phone.setText(display_phone(form.phone) if form.phone.startswith("+")
                           else form.phone)
        for combo, value in ((self.applicant_type, form.applicant_type),
                             (self.source, form.source), (self.state, form.state)):
            combo.setCurrentIndex(max(combo.findData(value), 0))

    def form(self) -> PersonForm:
        return PersonForm(self.first_name.text(), self.last_name.text(), self.email.text(),
                          self.phone.text(), self.applicant_type.currentData(),
                          self.source.currentData(), self.state.currentData())


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
