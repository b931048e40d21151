"""One contact: Profile, Notes, Emails, Documents and History, and the pipeline stage.

A save carries the version that was opened; if another workstation saved first the user
chooses to reload theirs or review the differences — never a silent overwrite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.application_fields import BY_KEY
from orchid_desktop.domain.contact_points import display_phone
from orchid_desktop.domain.person_fields import BY_KEY as PERSON_FIELDS
from orchid_desktop.domain.person_fields import FORM_FIELDS
from orchid_desktop.domain.vocab import ApplicantType, EmailDirection, PipelineStage
from orchid_desktop.errors import ConflictError, UserError
from orchid_desktop.services import contacts, documents
from orchid_desktop.services.people import (
    DuplicateFound,
    PersonForm,
    clean_person,
    phone_region,
)

from .filter_bar import stage_label
from .person_form import (
    DuplicateChoice,
    PersonFields,
    ask_about_duplicate,
    ask_reload_or_keep,
    plain,
)
from .profile_form import ProfileForm

# the identity form's fields (domain/person_fields.py); every other key is the profile's
IDENTITY_FIELDS = tuple(f.key for f in FORM_FIELDS)


def _label(key: str) -> str:
    spec = PERSON_FIELDS.get(key) or BY_KEY.get(key)
    return spec.label if spec else key.replace("_", " ").capitalize()


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                value = value.astimezone().strftime("%Y-%m-%d %H:%M")
            table.setItem(r, c, QTableWidgetItem(str(value)))
    table.resizeColumnsToContents()
    table.resizeRowsToContents()


class ContactDialog(QDialog):
    def __init__(self, context: AppContext, contact_id: int, parent=None):
        super().__init__(parent)
        self.context = context
        self.contact_id = contact_id
        self.changed = False  # something was saved: the lists refresh
        self.merge_with: int | None = None  # the user chose to merge with this contact
        self.title = QLabel()
        self.title.setObjectName("contactTitle")
        self.stage_label = QLabel()
        self.stage_button = QPushButton("Change stage…")
        self.stage_button.clicked.connect(self.change_stage)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.stage_label)
        header.addWidget(self.stage_button)

        self.person = PersonFields()
        self.person.applicant_type.currentIndexChanged.connect(self._type_changed)
        self.profile = ProfileForm()
        profile_page = QWidget()
        profile_layout = QVBoxLayout(profile_page)
        profile_layout.addWidget(self.person)
        profile_layout.addWidget(self.profile)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(profile_page)

        self.tabs = QTabWidget()
        self.tabs.addTab(scroll, "Profile")
        self.tabs.addTab(self._notes_page(), "Notes")
        self.tabs.addTab(self._emails_page(), "Emails")
        self.tabs.addTab(self._documents_page(), "Documents")
        self.inquiries = _table(["Lead", "Received", "Source", "Form field", "Value"], 4)
        self.tabs.addTab(self.inquiries, "Inquiries")
        self.history = _table(["When", "Who", "What", "Why"], 2)
        self.tabs.addTab(self.history, "History")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(760, 760)
        self.load()

    # -- pages --------------------------------------------------------------------------
    def _notes_page(self) -> QWidget:
        page = QWidget()
        self.notes = _table(["When", "Who", "Note"], 2)
        self.note_text = QPlainTextEdit(placeholderText="Write a note: a call, a question, "
                                        "what was agreed…")
        self.note_text.setFixedHeight(70)
        add = QPushButton("Add note")
        add.clicked.connect(self.add_note)
        layout = QVBoxLayout(page)
        layout.addWidget(self.notes, 1)
        layout.addWidget(self.note_text)
        layout.addWidget(add)
        return page

    def _emails_page(self) -> QWidget:
        page = QWidget()
        self.emails = _table(["When", "Logged by", "Email", "Text"], 3)
        log_button = QPushButton("Log an email…")
        log_button.clicked.connect(self.log_email)
        hint = QLabel("Emails exchanged outside Orchid, logged by hand. Campaign emails will "
                      "appear here as they are sent.")
        hint.setObjectName("secondaryText")
        hint.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addWidget(self.emails, 1)
        layout.addWidget(log_button)
        return page

    def _documents_page(self) -> QWidget:
        page = QWidget()
        self.documents = _table(["File", "Size", "Added", "By"], 0)
        self.documents.doubleClicked.connect(lambda _: self.open_document())
        attach = QPushButton("Attach files…")
        attach.clicked.connect(self.attach_documents)
        open_button = QPushButton("Open")
        open_button.clicked.connect(self.open_document)
        remove = QPushButton("Remove…")
        remove.clicked.connect(self.remove_document)
        row = QHBoxLayout()
        for button in (attach, open_button, remove):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.documents, 1)
        layout.addLayout(row)
        return page

    # -- loading ------------------------------------------------------------------------
    def load(self) -> None:
        """Show the saved contact, discarding any edits in the form."""
        with self.context.sessions() as session:
            self.detail = contacts.contact_detail(session, self.contact_id)
        self.person.applicant_type.blockSignals(True)
        self.person.set_form(self.detail.form)
        self.person.applicant_type.blockSignals(False)
        self.profile.build(self.detail.applicant_type, self.detail.profile)
        self._show_header()
        self.load_tables()

    def load_tables(self) -> None:
        """Notes, emails, documents, inquiries and history: the form is left as it is."""
        with self.context.sessions() as session:
            note_rows = contacts.notes(session, self.contact_id)
            email_rows = contacts.emails(session, self.contact_id)
            self._documents = documents.documents(session, self.contact_id)
            inquiry_rows = contacts.inquiries(session, self.contact_id)
            history_rows = contacts.history(session, self.contact_id)
        _fill(self.notes, [(n.at, n.who, n.text) for n in note_rows])
        _fill(self.emails, [(e.at, e.who, e.text, e.body) for e in email_rows])
        _fill(self.documents, [(doc.file_name, f"{doc.size_bytes / 1024:,.0f} KB",
                                doc.uploaded_at, doc.uploaded_by) for doc in self._documents])
        _fill(self.inquiries, [
            (f"Lead #{i.lead_id}" if n == 0 else "", i.received_at if n == 0 else "",
             i.source if n == 0 else "", key, value)
            for i in inquiry_rows
            for n, (key, value) in enumerate(list(i.form.items()) or [("—", "entered by hand")])])
        _fill(self.history, [(h.at, h.who, h.text, h.body) for h in history_rows])
        self.tabs.setTabText(1, f"Notes ({len(note_rows)})")
        self.tabs.setTabText(2, f"Emails ({len(email_rows)})")
        self.tabs.setTabText(3, f"Documents ({len(self._documents)})")
        self.tabs.setTabText(4, f"Inquiries ({len(inquiry_rows)})")

    def _show_header(self) -> None:
        d = self.detail
        name = f"{d.form.first_name} {d.form.last_name}".strip() or "(no name)"
        self.setWindowTitle(f"Contact — {name}")
        self.title.setText(f"<b>{name}</b> · {d.applicant_type.label} · contact #{d.id}")
        stage = stage_label(d.stage)
        if d.deferred_until:
            stage += f" until {d.deferred_until:%b %d, %Y}"
        self.stage_label.setText(f"Stage: <b>{stage}</b>")

    def _type_changed(self) -> None:
        self.profile.build(ApplicantType(self.person.applicant_type.currentData()),
                           self.profile.values())

    # -- what the user changed ------------------------------------------------------------
    def _identity(self, form: PersonForm) -> dict[str, str]:
        values = {key: (getattr(form, key) or "").strip() for key in IDENTITY_FIELDS}
        # the form shows a stored phone in national format: compare like with like
        values["phone"] = display_phone(values["phone"]) if values["phone"].startswith("+") \
            else values["phone"]
        return values

    def edits(self) -> dict[str, str]:
        """Every field the user changed since the contact was loaded: name → new text."""
        mine = {**self._identity(self.person.form()), **self.profile.values()}
        saved = {**self._identity(self.detail.form), **self.detail.profile}
        return {key: value for key, value in mine.items()
                if value.strip() != (saved.get(key) or "").strip()}

    # -- saving -------------------------------------------------------------------------
    def save(self) -> bool:
        staff = self.context.staff_id
        try:
            with self.context.sessions.begin() as session:
                person = clean_person(self.person.form(), phone_region(session))
                contacts.save_contact(session, self.contact_id, self.detail.version, person,
                                      self.profile.values(), staff_id=staff)
        except DuplicateFound as found:
            choice, match = ask_about_duplicate(self, found.matches, can_add_anyway=False,
                                                link_label="Merge with this contact")
            if choice == DuplicateChoice.OPEN:
                ContactDialog(self.context, match.id, parent=self.parentWidget()).exec()
            elif choice == DuplicateChoice.LINK:
                self.merge_with = match.id
                self.reject()
            return False
        except ConflictError as conflict:
            return self._resolve_conflict(str(conflict))
        except UserError as error:
            QMessageBox.warning(self, "Not saved", plain(error))
            return False
        self.changed = True
        self.load()
        return True

    def _resolve_conflict(self, message: str) -> bool:
        """Someone saved first. Their version plus this user's edits is what "Keep mine"
        saves, so fields the user did not touch keep the other workstation's values."""
        mine = self.edits()
        original = {**self._identity(self.detail.form), **self.detail.profile}
        with self.context.sessions() as session:
            theirs = contacts.contact_detail(session, self.contact_id)
        now = {**self._identity(theirs.form), **theirs.profile}
        clashes = [(_label(key), now.get(key, ""), value) for key, value in mine.items()
                   if (now.get(key) or "").strip() != (original.get(key) or "").strip()]
        choice = self.ask_conflict(message, clashes)
        if choice == "reload":
            self.load()
        elif choice == "keep":
            self.detail = theirs
            merged = {**self._identity(theirs.form), **{k: v for k, v in mine.items()
                                                        if k in IDENTITY_FIELDS}}
            self.person.applicant_type.blockSignals(True)
            self.person.set_form(PersonForm(**merged))
            self.person.applicant_type.blockSignals(False)
            profile = {**theirs.profile, **{k: v for k, v in mine.items()
                                            if k not in IDENTITY_FIELDS}}
            self.profile.build(ApplicantType(merged["applicant_type"]), profile)
            return self.save()
        return False

    def ask_conflict(self, message: str, differences: list[tuple[str, str, str]]) -> str:
        """"reload" (take theirs), "keep" (theirs plus my edits) or "cancel"."""
        if not differences:
            return ask_reload_or_keep(self, message, "Your changes are to other fields than "
                                      "theirs: Keep mine saves both.")
        return ask_reload_or_keep(
            self, message, "Show Details lists the fields you both changed. Keep mine saves "
            "your changes on top of theirs; Reload theirs discards yours.",
            "Both of you changed:\n" + "\n".join(
                f"{label}: theirs {saved or '—'} · yours {mine or '—'}"
                for label, saved, mine in differences))

    def reject(self) -> None:
        """Closing with unsaved edits asks first."""
        if self.merge_with is None and self.edits():
            answer = self.ask_unsaved()
            if answer == "save" and not self.save():
                return
            if answer == "cancel":
                return
        super().reject()

    def ask_unsaved(self) -> str:
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save your changes to this contact before closing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    # -- actions ------------------------------------------------------------------------
    def _run(self, work, *, touches_contact: bool = False) -> bool:
        """Run an action (note, email, document, stage) without losing unsaved edits in
        the form. A stage change bumps the contact's version: adopt it when nothing else
        changed, so the user's next Save is not taken for a conflict with themselves."""
        try:
            with self.context.sessions.begin() as session:
                work(session)
        except UserError as error:
            QMessageBox.warning(self, self.windowTitle(), plain(error))
            return False
        self.changed = True
        if touches_contact:
            with self.context.sessions() as session:
                fresh = contacts.contact_detail(session, self.contact_id)
            if (fresh.form, fresh.profile) == (self.detail.form, self.detail.profile):
                self.detail = fresh
                self._show_header()
        self.load_tables()
        return True

    def change_stage(self) -> None:
        dialog = StageDialog(self.detail.stage, self)
        if dialog.exec():
            stage, reason, until = dialog.values()
            self._run(lambda s: contacts.change_stage(
                s, self.contact_id, stage, staff_id=self.context.staff_id, reason=reason,
                deferred_until=until), touches_contact=True)

    def add_note(self) -> None:
        body = self.note_text.toPlainText()
        if self._run(lambda s: contacts.add_note(s, self.contact_id, body,
                                                 staff_id=self.context.staff_id)):
            self.note_text.clear()

    def log_email(self) -> None:
        dialog = LogEmailDialog(self)
        if dialog.exec():
            direction, subject, body, when = dialog.values()
            self._run(lambda s: contacts.log_email(
                s, self.contact_id, direction=direction, subject=subject, body=body,
                occurred_at=when, staff_id=self.context.staff_id))

    def attach_documents(self, paths: list[Path] | None = None) -> None:
        if paths is None:
            names, _ = QFileDialog.getOpenFileNames(self, "Attach documents", str(Path.home()))
            paths = [Path(n) for n in names]
        if paths:
            self._run(lambda s: [documents.attach(s, self.contact_id, p,
                                                  staff_id=self.context.staff_id)
                                 for p in paths])

    def _selected_document(self):
        row = self.documents.currentRow()
        return self._documents[row] if 0 <= row < len(self._documents) else None

    def open_document(self) -> Path | None:
        document = self._selected_document()
        if document is None:
            return None
        try:
            with self.context.sessions() as session:
                path = documents.export_copy(session, document.id,
                                             self.context.paths.documents_dir / "opened")
        except UserError as error:
            QMessageBox.warning(self, "Document", str(error))
            return None
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def remove_document(self) -> None:
        document = self._selected_document()
        if document is None:
            return
        answer = QMessageBox.question(
            self, "Remove document", f"Remove {document.file_name} from this contact? The "
            "file stays in the database and the history records the removal.")
        if answer == QMessageBox.StandardButton.Yes:
            self._run(lambda s: documents.remove(s, document.id, staff_id=self.context.staff_id))


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class StageDialog(QDialog):
    def __init__(self, current: PipelineStage, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Change stage")
        self.stage = QComboBox()
        for stage in PipelineStage:
            label = stage_label(stage) + (" (side state)" if stage.is_side_state else "")
            self.stage.addItem(label, stage)
        self.stage.setCurrentIndex(self.stage.findData(current))
        self.reason = QLineEdit(placeholderText="Why (needed for Disqualified)")
        self.until = QDateEdit()
        self.until.setCalendarPopup(True)
        self.until.setDate(QDate.currentDate().addMonths(3))
        form = QFormLayout(self)
        form.addRow("Stage", self.stage)
        form.addRow("Reason", self.reason)
        form.addRow("Deferred until", self.until)
        form.addRow(ok_cancel(self))
        self.stage.currentIndexChanged.connect(self._stage_changed)
        self._stage_changed()

    def _stage_changed(self) -> None:
        self.until.setEnabled(self.stage.currentData() == PipelineStage.DEFERRED.value)

    def values(self):
        stage = PipelineStage(self.stage.currentData())
        until = self.until.date().toPython() if stage == PipelineStage.DEFERRED else None
        return stage, self.reason.text(), until


class LogEmailDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Log an email")
        self.direction = QComboBox()
        self.direction.addItem("Received from the applicant", EmailDirection.INBOUND)
        self.direction.addItem("Sent to the applicant", EmailDirection.OUTBOUND)
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self.when = QDateEdit(calendarPopup=True)
        self.when.setDate(QDate.currentDate())
        form = QFormLayout(self)
        form.addRow("Direction", self.direction)
        form.addRow("Date", self.when)
        form.addRow("Subject", self.subject)
        form.addRow("Text", self.body)
        form.addRow(ok_cancel(self))
        self.resize(520, 380)

    def values(self):
        day = self.when.date().toPython()
        now = datetime.now().astimezone()
        when = now if day == now.date() else datetime(day.year, day.month, day.day, 12,
                                                     tzinfo=now.tzinfo)
        return (self.direction.currentData(), self.subject.text(), self.body.toPlainText(),
                when.astimezone(UTC))

