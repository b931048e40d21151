"""Writing a mass email: a name, a library template or words written here (checked and
previewed as one types), the audience with its live count, the sender, and when it goes
out — kept as a draft, now, or at a local date and time, optionally within the sending
window.

Saving always keeps a draft first; scheduling then checks what sending needs (postal
address, sender, an audience, the sender's daily limit) off the GUI thread, and what it
refuses is listed in the dialog so it can be fixed there.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from PySide6.QtCore import QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import MassEmailStatus
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import mass_emails
from orchid_desktop.services.mass_emails import MassEmailForm
from orchid_desktop.services.senders import list_senders
from orchid_desktop.services.templates import (
    TemplateDraft,
    list_templates,
    load_template,
)

from .qt_convert import py_datetime, py_time, qtime
from .segment_editor import SegmentEditor, audience_words
from .tasks import run_in_background
from .template_editor import KIND_LABELS, ContentEditor, bullets, set_tone
from .template_preview import PreviewPane

log = logging.getLogger(__name__)

DRAFT, NOW, AT = "draft", "now", "at"
SAVE_LABELS = {DRAFT: "Save draft", NOW: "Save and send now…", AT: "Save and schedule"}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_words(digits: str) -> str:
    """ISO weekday digits as staff read them: "12345" → "Monday to Friday"."""
    named = {"12345": "Monday to Friday", "1234567": "every day", "67": "weekends"}
    return named.get(digits) or ", ".join(DAYS[int(d) - 1] for d in sorted(digits))


def next_morning() -> QDateTime:
    tomorrow = datetime.now() + timedelta(days=1)
    return QDateTime(datetime.combine(tomorrow.date(), time(9, 0)))


class MassEmailEditor(QDialog):
    """A new mass email (``mass_email_id`` None) or a saved one; only a draft can be
    changed. ``saved_id`` and ``sent_now`` tell the panel what happened."""

    def __init__(self, context: AppContext, mass_email_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.mass_email_id = mass_email_id
        self.saved_id: int | None = None
        self.sent_now = False
        self._busy = False
        self.form = MassEmailForm("")
        self.setWindowTitle("New mass email" if mass_email_id is None else "Mass email")
        with context.sessions() as session:
            self.templates = list_templates(session)
        self.name = QLineEdit(placeholderText="e.g. December newsletter (staff see this; "
                                              "recipients don't)")
        self.kind = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.content = ContentEditor()
        self.preview = PreviewPane(context)
        self.audience = SegmentEditor(context)
        self.status_label = QLabel()
        self.status_label.setObjectName("checkResult")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.hide()
        self.save_button = QPushButton(SAVE_LABELS[DRAFT])
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)

        top = QFormLayout()
        top.addRow("Name", self.name)
        top.addRow("Kind", self.kind)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._content_box())
        splitter.addWidget(self.preview)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([600, 520])
        lower = QHBoxLayout()
        audience_box = QGroupBox("Audience")
        QVBoxLayout(audience_box).addWidget(self.audience)
        lower.addWidget(audience_box, 3)
        lower.addWidget(self._sending_box(), 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(lower)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.content.checked.connect(lambda _: self._preview())
        self.template_combo.currentIndexChanged.connect(self._template_chosen)
        self.resize(1240, 860)
        if mass_email_id is not None:
            self._load(mass_email_id)
        else:
            default = next((i for i, t in enumerate(self.templates)
                            if t.name.lower() == "newsletter"), 0)
            self.template_combo.setCurrentIndex(default)
            self._template_chosen()
        self._mode_changed()

    # -- layout -------------------------------------------------------------------------
    def _content_box(self) -> QGroupBox:
        box = QGroupBox("Content")
        self.use_template = QRadioButton("Use a template")
        self.write_here = QRadioButton("Write it here")
        self.use_template.setChecked(True)
        self.template_combo = QComboBox()
        for template in self.templates:
            group = f"{template.sequence}: " if template.sequence else ""
            self.template_combo.addItem(f"{group}{template.name}", template.id)
        hint = QLabel("The template's latest words are used; they are fixed when the email "
                      "is scheduled, so later edits to the template do not change it.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.template_subject = QLabel()
        self.template_subject.setTextFormat(Qt.TextFormat.PlainText)
        self.template_subject.setWordWrap(True)
        self.template_about = QLabel()
        self.template_about.setWordWrap(True)
        adapt = QPushButton("Write my own, starting from these words")
        adapt.clicked.connect(lambda: self.write_here.setChecked(True))
        details = QFormLayout()
        details.addRow("Subject", self.template_subject)
        details.addRow("Template", self.template_about)
        template_page = QWidget()
        column = QVBoxLayout(template_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.template_combo)
        column.addWidget(hint)
        column.addSpacing(8)
        column.addLayout(details)
        column.addSpacing(8)
        column.addWidget(adapt, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        self.content_pages = QStackedWidget()
        self.content_pages.addWidget(template_page)
        self.content_pages.addWidget(self.content)
        for button in (self.use_template, self.write_here):
            button.toggled.connect(self._content_mode_changed)
        choice = QHBoxLayout()
        choice.addWidget(self.use_template)
        choice.addWidget(self.write_here)
        choice.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addLayout(choice)
        layout.addWidget(self.content_pages, 1)
        return box

    def _sending_box(self) -> QGroupBox:
        box = QGroupBox("Sending")
        self.sender_combo = QComboBox()
        for sender in list_senders(self.context.sessions):
            self.sender_combo.addItem(f"{sender.from_name} <{sender.from_email}>", sender.id)
        if not self.sender_combo.count():
            self.sender_combo.addItem("No sender yet: add one in Settings → Sending", None)
        self.when = QButtonGroup(self)
        self.keep_draft = QRadioButton("Keep as draft")
        self.send_now = QRadioButton("Send now")
        self.send_at = QRadioButton("Send at")
        for value, button in ((DRAFT, self.keep_draft), (NOW, self.send_now),
                              (AT, self.send_at)):
            button.setProperty("when", value)
            self.when.addButton(button)
        self.keep_draft.setChecked(True)
        self.when.buttonToggled.connect(lambda *_: self._mode_changed())
        self.send_time = QDateTimeEdit(next_morning())
        self.send_time.setCalendarPopup(True)
        self.send_time.setDisplayFormat("ddd d MMM yyyy, HH:mm")
        self.use_window = QCheckBox("Use the sending window")
        self.use_window.setToolTip("Each recipient gets it within these hours of their own "
                                   "time zone, on the chosen weekdays")
        self.window_start = QTimeEdit(QTime(9, 0))
        self.window_end = QTimeEdit(QTime(17, 0))
        for edit in (self.window_start, self.window_end):
            edit.setDisplayFormat("HH:mm")
        self.use_window.toggled.connect(lambda _: self._mode_changed())
        self.window_days = QLabel()
        self.window_days.setObjectName("hint")
        at_row = QHBoxLayout()
        at_row.addWidget(self.send_at)
        at_row.addWidget(self.send_time, 1)
        window = QHBoxLayout()
        window.addWidget(self.window_start)
        window.addWidget(QLabel("to"))
        window.addWidget(self.window_end)
        window.addWidget(self.window_days, 1)
        grid = QGridLayout(box)
        grid.addWidget(QLabel("From"), 0, 0)
        grid.addWidget(self.sender_combo, 0, 1)
        grid.addWidget(QLabel("When"), 1, 0, Qt.AlignmentFlag.AlignTop)
        when = QVBoxLayout()
        when.addWidget(self.keep_draft)
        when.addWidget(self.send_now)
        when.addLayout(at_row)
        grid.addLayout(when, 1, 1)
        grid.addWidget(self.use_window, 2, 0, 1, 2)
        grid.addLayout(window, 3, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)
        return box

    # -- loading and the form -----------------------------------------------------------
    def _load(self, mass_email_id: int) -> None:
        with self.context.sessions() as session:
            self.form = mass_emails.load_mass_email(session, mass_email_id)
        form = self.form
        self.name.setText(form.name)
        self.kind.setCurrentIndex(self.kind.findData(form.kind))
        if form.template_id is not None:
            index = self.template_combo.findData(form.template_id)
            if index < 0:  # archived since it was chosen: still shown as the choice
                with self.context.sessions() as session:
                    name = load_template(session, form.template_id).draft.name
                self.template_combo.addItem(f"{name} (archived)", form.template_id)
                index = self.template_combo.count() - 1
            self.template_combo.setCurrentIndex(index)
        else:
            self.write_here.setChecked(True)
            self.content.set_content(form.subject, form.html_body, form.text_body or None)
        self.audience.set_segment(form.segment)
        index = self.sender_combo.findData(form.sender_identity_id)
        self.sender_combo.setCurrentIndex(max(index, 0))
        self.use_window.setChecked(form.use_send_window)
        self.window_start.setTime(qtime(form.window_start))
        self.window_end.setTime(qtime(form.window_end))
        if form.status is not MassEmailStatus.DRAFT:
            self._read_only(form.status)

    def _read_only(self, status: MassEmailStatus) -> None:
        for widget in (self.name, self.kind, self.content_pages, self.use_template,
                       self.write_here, self.audience, self.sender_combo, self.keep_draft,
                       self.send_now, self.send_at, self.send_time, self.use_window,
                       self.window_start, self.window_end):
            widget.setEnabled(False)
        self.save_button.hide()
        self.cancel_button.setText("Close")
        advice = " Unschedule it to change it." if status is MassEmailStatus.SCHEDULED else ""
        set_tone(self.status_label, f"This mass email is {status.value}: only a draft can be "
                 f"changed.{advice}", None)

    def current_form(self) -> MassEmailForm:
        from_template = self.use_template.isChecked()
        subject, html, text = self.content.content()
        return MassEmailForm(
            self.name.text(), self.kind.currentData(),
            self.template_combo.currentData() if from_template else None,
            "" if from_template else subject, "" if from_template else html,
            "" if from_template else (text or ""), self.audience.segment(),
            self.sender_combo.currentData(), self.use_window.isChecked(),
            py_time(self.window_start.time()), py_time(self.window_end.time()),
            self.form.weekdays, self.form.version)

    def when_choice(self) -> str:
        button = self.when.checkedButton()  # the group is exclusive and starts on draft
        return DRAFT if button is None else button.property("when")

    def send_at_utc(self) -> datetime:
        return py_datetime(self.send_time.dateTime()).astimezone().astimezone(UTC)

    def _content_mode_changed(self, *_) -> None:
        self.content_pages.setCurrentIndex(0 if self.use_template.isChecked() else 1)
        if self.write_here.isChecked():
            subject, html, _text = self.content.content()
            if not subject.strip() and not html.strip():
                self._start_from_template()
            self.content.check_now()
        self._preview()

    def _start_from_template(self) -> None:
        """Writing starts from the chosen template's words, to change as needed."""
        template_id = self.template_combo.currentData()
        if template_id is None:
            return
        with self.context.sessions() as session:
            draft = load_template(session, template_id).draft
        self.content.set_content(draft.subject, draft.html_body, draft.text_body)

    def _template_chosen(self, *_) -> None:
        template = next((t for t in self.templates
                         if t.id == self.template_combo.currentData()), None)
        if template is not None and self.mass_email_id is None:
            self.kind.setCurrentIndex(self.kind.findData(template.kind))
        if template is None:
            self.template_subject.clear()
            self.template_about.clear()
        else:
            with self.context.sessions() as session:
                self.template_subject.setText(load_template(session, template.id).draft.subject)
            where = f"part of “{template.sequence}”" if template.sequence else "stand-alone"
            self.template_about.setText(
                f"{template.kind.value.capitalize()}, {where}; version "
                f"{template.version_number}, last saved "
                f"{template.updated_at.astimezone():%d %b %Y}")
        self._preview()

    def _preview(self) -> None:
        if self.use_template.isChecked():
            self.preview.set_source(self.template_combo.currentData())
        else:
            self.preview.set_source(TemplateDraft(self.name.text(), self.kind.currentData(),
                                                  *self.content.content()))

    def _mode_changed(self) -> None:
        self.send_time.setEnabled(self.send_at.isChecked())
        for edit in (self.window_start, self.window_end):
            edit.setEnabled(self.use_window.isChecked())
        self.window_days.setText(f"their local time, {weekday_words(self.form.weekdays)}")
        self.save_button.setText(SAVE_LABELS[self.when_choice()])

    # -- saving and scheduling ----------------------------------------------------------
    def is_busy(self) -> bool:
        return self._busy

    def save(self) -> None:
        when = self.when_choice()
        if when == NOW and not self._confirm_send_now():
            return
        try:
            with self.context.sessions.begin() as session:
                saved_id = mass_emails.save_mass_email(session, self.mass_email_id,
                                                       self.current_form(),
                                                       staff_id=self.context.staff_id)
        except ValidationError as error:
            set_tone(self.status_label, "Not saved:\n" + bullets(error.problems), False)
            return
        except UserError as error:
            set_tone(self.status_label, f"Not saved: {error}", False)
            return
        self.mass_email_id = self.saved_id = saved_id
        with self.context.sessions() as session:
            self.form = mass_emails.load_mass_email(session, saved_id)
        if when == DRAFT:
            self.accept()
            return
        self._schedule(saved_id, None if when == NOW else self.send_at_utc())

    def _confirm_send_now(self) -> bool:
        count = self.audience.count
        who = audience_words(count).split(" · ")[0].replace(" will receive it", "") \
            if count else "its audience"
        answer = QMessageBox.question(
            self, "Send now?", f"Send “{self.name.text().strip()}” now to {who}? The "
            "recipients are fixed at once; while it sends you can pause or cancel it, but "
            "what has gone out cannot be taken back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _schedule(self, mass_email_id: int, when: datetime | None) -> None:
        self._set_busy(True)
        set_tone(self.status_label, "Saved as a draft. Checking it can be sent…", None)
        sessions, staff = self.context.sessions, self.context.staff_id

        def job() -> None:
            with sessions.begin() as session:
                mass_emails.schedule(session, mass_email_id, when, staff_id=staff)

        def done(_) -> None:
            self._set_busy(False)
            self.sent_now = when is None
            self.accept()

        def failed(error: Exception) -> None:
            self._set_busy(False)
            with self.context.sessions() as session:
                self.form = mass_emails.load_mass_email(session, mass_email_id)
            if isinstance(error, ValidationError):
                text = "Saved as a draft, but it cannot be scheduled yet:\n" + \
                    bullets(error.problems)
            elif isinstance(error, UserError):
                text = f"Saved as a draft, but it cannot be scheduled: {error}"
            else:
                log.error("scheduling a mass email failed", exc_info=error)
                text = f"Saved as a draft, but scheduling failed: {error}"
            set_tone(self.status_label, text, False)

        run_in_background(job, done, failed, parent=self)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)

    def reject(self) -> None:
        if not self._busy:
            super().reject()

