"""New lead (a phone inquiry) and edit lead, with the raw form data an imported or web
lead arrived with shown as key/value pairs."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import ConflictError, UserError
from orchid_desktop.services import contacts, leads
from orchid_desktop.services.people import DuplicateFound, clean_person, phone_region

from .person_form import (
    DuplicateChoice,
    PersonFields,
    ask_about_duplicate,
    ask_reload_or_keep,
    plain,
)


class LeadDialog(QDialog):
    """``lead_id=None`` adds a lead. After ``exec()``: ``saved_id`` is the lead saved, or
    ``open_instead`` names a duplicate ("lead"/"contact", id) the user chose to open."""

    def __init__(self, context: AppContext, lead_id: int | None = None, parent=None, *,
                 as_contact: bool = False):
        super().__init__(parent)
        self.context = context
        self.lead_id = lead_id
        self.as_contact = as_contact  # "New contact": the same form, saved as a contact
        self.saved_id: int | None = None
        self.open_instead: tuple[str, int] | None = None
        self.fields = PersonFields()
        self.status_label = QLabel()
        self.status_label.setObjectName("secondaryText")
        self.raw = QTableWidget(0, 2)
        self.raw.setHorizontalHeaderLabels(["Form field", "Value"])
        self.raw.verticalHeader().hide()
        self.raw.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.raw.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        raw_box = QGroupBox("Form data as received")
        raw_layout = QVBoxLayout(raw_box)
        raw_layout.addWidget(self.raw)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.fields)
        layout.addWidget(raw_box, 1)
        layout.addWidget(self.buttons)
        self.version = 0
        if as_contact:
            self.setWindowTitle("New contact")
            self.status_label.setText("Someone the agency already wants to pursue (a referral, "
                                      "a returning applicant). Starts at pre-screen.")
            raw_box.hide()
        elif lead_id is None:
            self.setWindowTitle("New lead")
            self.status_label.setText("A phone or walk-in inquiry. An email address or a phone "
                                      "number is needed.")
            raw_box.hide()
        else:
            self.setWindowTitle("Lead")
            self.load()
        self.resize(560, 620 if lead_id else 380)

    def load(self) -> None:
        if self.lead_id is None:
            return  # a new lead: nothing stored to load
        with self.context.sessions() as session:
            detail = leads.lead_detail(session, self.lead_id)
        self.version = detail.version
        self.fields.set_form(detail.form)
        received = detail.received_at.astimezone().strftime("%Y-%m-%d %H:%M")
        status = detail.status.value.replace("_", " ")
        extra = f" · ignored: {detail.ignore_reason}" if detail.ignore_reason else ""
        extra += " · archived" if detail.archived else ""
        extra += f" · contact #{detail.contact_id}" if detail.contact_id else ""
        self.status_label.setText(f"Lead #{detail.id} · received {received} · {status}{extra}")
        self.setWindowTitle(f"Lead — {detail.form.first_name} {detail.form.last_name}".strip())
        self.raw.setRowCount(len(detail.raw_form_data))
        for row, (key, value) in enumerate(detail.raw_form_data.items()):
            self.raw.setItem(row, 0, QTableWidgetItem(str(key)))
            self.raw.setItem(row, 1, QTableWidgetItem("" if value is None else str(value)))
        if not detail.raw_form_data:
            self.raw.setRowCount(1)
            self.raw.setItem(0, 0, QTableWidgetItem("(entered by hand: no form data)"))
        self.raw.resizeColumnToContents(0)

    def ask_conflict(self, message: str) -> str:
        """"reload" (theirs), "keep" (save this form over theirs) or "cancel"."""
        return ask_reload_or_keep(self, message, "A lead has only the few fields above: Keep "
                                  "mine saves this form as it is; Reload theirs discards your "
                                  "edits.")

    def save(self, *, allow_duplicate: bool = False) -> None:
        staff = self.context.staff_id
        try:
            with self.context.sessions.begin() as session:
                person = clean_person(self.fields.form(), phone_region(session))
                if self.as_contact:
                    self.saved_id = contacts.create_contact(
                        session, person, staff_id=staff, allow_duplicate=allow_duplicate).id
                elif self.lead_id is None:
                    self.saved_id = leads.create_lead(session, person, staff_id=staff,
                                                      allow_duplicate=allow_duplicate).id
                else:
                    leads.update_lead(session, self.lead_id, self.version, person,
                                      staff_id=staff)
                    self.saved_id = self.lead_id
        except DuplicateFound as found:
            # a contact's email is theirs alone: only a shared phone may be added anyway
            same_contact_email = self.as_contact and any(
                m.matched_on == "email" and m.kind == "contact" for m in found.matches)
            choice, match = ask_about_duplicate(self, found.matches,
                                                can_add_anyway=not same_contact_email)
            if choice == DuplicateChoice.ADD_ANYWAY:
                self.save(allow_duplicate=True)
            elif choice == DuplicateChoice.OPEN:
                self.open_instead = (match.kind, match.id)
                self.reject()
            return
        except ConflictError as conflict:
            choice = self.ask_conflict(str(conflict))
            if choice == "reload":
                self.load()
            elif choice == "keep" and self.lead_id is not None:  # only an update conflicts
                with self.context.sessions() as session:
                    self.version = leads.lead_detail(session, self.lead_id).version
                self.save()
            return
        except UserError as error:
            QMessageBox.warning(self, self.windowTitle(), plain(error))
            return
        self.accept()
