"""Create or edit a drip campaign: who it is for, who it sends as, when it may send, who
joins it by themselves, and its steps (ui/drip_steps_table.py), with a live line saying
what the sequence amounts to for someone enrolled now.

Steps change only while the campaign is a draft; the rest can change at any time (the
service moves pending sends to fit). What stops a save is listed in the dialog, which
stays open with everything typed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.drip_timing import SendWindow, StepPlan, Timeline, plan_steps
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    CampaignTarget,
    EmailKind,
    StepKind,
)
from orchid_desktop.errors import ConflictError, UserError, ValidationError
from orchid_desktop.services import drips, senders
from orchid_desktop.services.drip_schedule import agency_zone_name
from orchid_desktop.services.templates import list_templates

from .campaign_words import TARGET_LABELS, day_label, plural
from .drip_steps_table import StepsEditor
from .library_sequences import library_sequences, sequence_steps, sequence_target
from .problem_list import ProblemList
from .qt_convert import py_date

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
APPLICANT_TYPES = ((None, "any applicant type"), ("egg_donor", "egg donors only"),
                   ("gestational_carrier", "gestational carriers only"), ("other", "other only"))
EMPTY_SEQUENCE = "An empty sequence"


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class OptionalDate(QWidget):
    """A date, or none: "no date" ticked leaves the campaign open on that side."""

    def __init__(self, none_text: str, value: date | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("ddd d MMM yyyy")
        self.edit.setMinimumWidth(150)
        self.edit.setDate(QDate(value) if value else QDate.currentDate())
        self.none_box = QCheckBox(none_text)
        self.none_box.toggled.connect(lambda off: self.edit.setEnabled(not off))
        self.none_box.setChecked(value is None)
        self.edit.setEnabled(value is not None)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.none_box)
        row.addStretch(1)

    def value(self) -> date | None:
        return None if self.none_box.isChecked() else py_date(self.edit.date())


class DripEditorDialog(QDialog):
    def __init__(self, context: AppContext, campaign_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.campaign_id = campaign_id
        self.saved_id: int | None = None
        with context.sessions() as session:
            self.form = drips.load_drip(session, campaign_id) if campaign_id else \
                drips.DripForm("", CampaignTarget.EGG_DONOR)
            templates = list_templates(session, include_archived=True,
                                       kind=EmailKind.MARKETING)
            self.sequences = library_sequences(templates)
            self.zone_name = agency_zone_name(session)
        self.senders = senders.list_senders(context.sessions)
        self.setWindowTitle(f"Edit “{self.form.name}”" if campaign_id else
                            "New drip campaign")
        self.steps_editor = StepsEditor(templates)
        self.problems = ProblemList("Not saved yet — please fix:")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self._campaign_box())
        layout.addWidget(self._steps_box(), 1)
        layout.addWidget(self.problems)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._load(self.form)
        self.resize(1040, 820)

    # -- layout -------------------------------------------------------------------------
    def _campaign_box(self) -> QGroupBox:
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(200)
        self.name_edit.setPlaceholderText("e.g. Egg donor welcome")
        self.target_box = QComboBox()
        for target, label in TARGET_LABELS.items():
            self.target_box.addItem(label, target.value)
        self.sender_box = QComboBox()
        self.sender_box.setMinimumContentsLength(34)
        self.starts = OptionalDate("no start date", None)
        self.ends = OptionalDate("no end date", None)
        self.window_start = QTimeEdit()
        self.window_end = QTimeEdit()
        for edit in (self.window_start, self.window_end):
            edit.setDisplayFormat("HH:mm")
        self.weekday_boxes = [QCheckBox(name) for name in WEEKDAYS]
        self.auto_box = QCheckBox("Enrol automatically:")
        self.event_box = QComboBox()
        for key, label in drips.AUTO_ENROL_EVENTS.items():
            self.event_box.addItem(f"each {label.removeprefix('a ')}", key)
        self.type_box = QComboBox()
        for value, label in APPLICANT_TYPES:
            self.type_box.addItem(label, value)
        self.auto_box.toggled.connect(self._auto_toggled)

        name_row = QHBoxLayout()
        name_row.setSpacing(8)
        name_row.addWidget(self.name_edit, 3)
        name_row.addSpacing(16)
        name_row.addWidget(QLabel("For"))
        name_row.addWidget(self.target_box, 1)
        sender_row = QHBoxLayout()
        sender_row.setSpacing(8)
        sender_row.addWidget(self.sender_box)
        self.sender_hint = _hint("No sender identity yet: add one in Settings → Sending.")
        sender_row.addWidget(self.sender_hint, 1)
        sender_row.addStretch(0 if not self.senders else 1)
        window_row = QHBoxLayout()
        window_row.setSpacing(8)
        window_row.addWidget(self.window_start)
        window_row.addWidget(QLabel("to"))
        window_row.addWidget(self.window_end)
        window_row.addSpacing(14)
        window_row.addWidget(QLabel("on"))
        for day_box in self.weekday_boxes:
            window_row.addWidget(day_box)
        window_row.addStretch(1)
        auto_row = QHBoxLayout()
        auto_row.setSpacing(8)
        auto_row.addWidget(self.auto_box)
        auto_row.addWidget(self.event_box)
        auto_row.addWidget(QLabel("of"))
        auto_row.addWidget(self.type_box)
        auto_row.addStretch(1)
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        form.addRow("Name", name_row)
        form.addRow("Sends as", sender_row)
        form.addRow("Starts on", self.starts)
        form.addRow("Ends on", self.ends)
        form.addRow("Sending hours", window_row)
        form.addRow("", _hint("Hours on each recipient's own clock (their state's time "
                              "zone)."))
        form.addRow("Joining", auto_row)
        box = QGroupBox("Campaign")
        box.setLayout(form)
        return box

    def _steps_box(self) -> QGroupBox:
        self.start_from = QComboBox()
        self.start_from.addItem(EMPTY_SEQUENCE, None)
        for name in self.sequences:
            self.start_from.addItem(f"the library's “{name}” sequence", name)
        self.start_from.activated.connect(self._start_from_chosen)
        self.start_row = QWidget()
        start_layout = QHBoxLayout(self.start_row)
        start_layout.setContentsMargins(0, 0, 0, 0)
        start_layout.addWidget(QLabel("Start from"))
        start_layout.addWidget(self.start_from)
        start_layout.addStretch(1)
        self.locked_note = _hint("Steps cannot change once a campaign has launched: the "
                                 "people on it are scheduled by them. Copy the campaign to "
                                 "build a changed sequence.")
        self.summary = QLabel()
        self.summary.setObjectName("stepsSummary")
        self.summary.setStyleSheet("#stepsSummary { color: #3b3140; font-weight: 600; }")
        self.steps_editor.changed.connect(self.update_summary)
        for signal in (self.window_start.timeChanged, self.window_end.timeChanged,
                       self.starts.edit.dateChanged, self.ends.edit.dateChanged,
                       self.starts.none_box.toggled, self.ends.none_box.toggled):
            signal.connect(self.update_summary)
        for day_box in self.weekday_boxes:
            day_box.toggled.connect(self.update_summary)
        layout = QVBoxLayout()
        layout.addWidget(self.start_row)
        layout.addWidget(self.locked_note)
        layout.addWidget(self.steps_editor, 1)
        layout.addWidget(self.summary)
        box = QGroupBox("Steps")
        box.setLayout(layout)
        return box

    # -- the form -----------------------------------------------------------------------
    def _load(self, form: drips.DripForm) -> None:
        self.name_edit.setText(form.name)
        target = self.target_box.findData(CampaignTarget(form.target).value)
        self.target_box.setCurrentIndex(max(target, 0))
        self.sender_box.addItem("Choose a sender…", None)
        for sender in self.senders:
            self.sender_box.addItem(f"{sender.from_name} <{sender.from_email}>", sender.id)
        if form.sender_identity_id and self.sender_box.findData(form.sender_identity_id) < 0:
            self.sender_box.addItem("A sender no longer active", form.sender_identity_id)
        self.sender_box.setCurrentIndex(max(self.sender_box.findData(form.sender_identity_id), 0))
        if len(self.senders) == 1 and form.sender_identity_id is None:
            self.sender_box.setCurrentIndex(1)
        self.sender_box.setEnabled(self.sender_box.count() > 1)
        self.sender_hint.setVisible(not self.senders)
        for edit, value in ((self.starts, form.starts_on), (self.ends, form.ends_on)):
            edit.none_box.setChecked(value is None)
            if value:
                edit.edit.setDate(QDate(value))
        self.window_start.setTime(QTime(form.window_start.hour, form.window_start.minute))
        self.window_end.setTime(QTime(form.window_end.hour, form.window_end.minute))
        for digit, box in enumerate(self.weekday_boxes, start=1):
            box.setChecked(str(digit) in form.weekdays)
        rule = form.auto_enrol_rule or {}
        self.auto_box.setChecked(bool(form.auto_enrol_rule))
        self.event_box.setCurrentIndex(max(self.event_box.findData(rule.get("on")), 0))
        self.type_box.setCurrentIndex(max(self.type_box.findData(rule.get("applicant_type")), 0))
        self._auto_toggled(self.auto_box.isChecked())
        self.steps_editor.set_steps(form.steps)
        draft = form.status is CampaignStatus.DRAFT
        self.steps_editor.set_read_only(not draft)
        self.locked_note.setVisible(not draft)
        self.start_row.setVisible(self.campaign_id is None)
        if form.status is CampaignStatus.ARCHIVED:
            self.locked_note.setText("This campaign is archived: nothing in it can change.")
            for widget in self.findChildren(QWidget):
                if isinstance(widget, (QLineEdit, QComboBox, QCheckBox, QDateEdit, QTimeEdit)):
                    widget.setEnabled(False)
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.update_summary()

    def _auto_toggled(self, on: bool) -> None:
        self.event_box.setEnabled(on)
        self.type_box.setEnabled(on)

    def collect(self) -> drips.DripForm:
        rule = None
        if self.auto_box.isChecked():
            rule = {"on": self.event_box.currentData()}
            if self.type_box.currentData():
                rule["applicant_type"] = self.type_box.currentData()
        return drips.DripForm(
            self.name_edit.text(), CampaignTarget(self.target_box.currentData()),
            self.steps_editor.steps(),
            self.starts.value(), self.ends.value(), self._time(self.window_start),
            self._time(self.window_end),
            "".join(str(d) for d, box in enumerate(self.weekday_boxes, start=1)
                    if box.isChecked()),
            self.sender_box.currentData(), rule, self.form.version, self.form.status)

    @staticmethod
    def _time(edit: QTimeEdit) -> time:
        return time(edit.time().hour(), edit.time().minute())

    def _start_from_chosen(self) -> None:
        name = self.start_from.currentData()
        if name is None:
            self.steps_editor.set_steps([])
            return
        self.steps_editor.set_steps(sequence_steps(self.sequences[name]))
        if not self.name_edit.text().strip():
            self.name_edit.setText(name)
        target = sequence_target(name)
        if target is not None:
            self.target_box.setCurrentIndex(self.target_box.findData(target.value))

    # -- the summary line ---------------------------------------------------------------
    def update_summary(self) -> None:
        self.summary.setText(self.summary_text(datetime.now(UTC)))

    def summary_text(self, now: datetime) -> str:
        steps = self.steps_editor.steps()
        emails = sum(s.kind is StepKind.EMAIL for s in steps)
        if not emails:
            return "No emails yet: add an email step, or start from a library sequence."
        weekdays = [d for d, box in enumerate(self.weekday_boxes, start=1) if box.isChecked()]
        start, end = self._time(self.window_start), self._time(self.window_end)
        if not weekdays or end <= start:
            return f"{plural(emails, 'email')} — choose the sending hours and days to see " \
                   "when they go."
        zone = ZoneInfo(self.zone_name)
        try:
            plans = plan_steps([StepPlan(s.kind, s.delay_days, s.delay_from, s.send_time)
                                for s in steps], enrolled_at=now, zone=zone,
                               window=SendWindow(start, end, frozenset(weekdays)),
                               timeline=Timeline(self.starts.value(), self.ends.value()))
        except ValueError:
            return f"{plural(emails, 'email')}."
        first_day = max(now.astimezone(zone).date(), self.starts.value() or date.min)
        sent = [p for p in plans if p.kind is StepKind.EMAIL and p.local_due is not None]
        skipped = emails - len(sent)
        if not sent:
            return f"{plural(emails, 'email')}, all after the end date: none would be sent."
        days = (sent[-1].local_day - first_day).days
        span = "all on the day someone joins" if days == 0 else f"over {plural(days, 'day')}"
        zone_city = self.zone_name.split('/')[-1].replace('_', ' ')
        text = f"{plural(emails, 'email')} {span} — someone enrolled now gets the first on " \
               f"{day_label(sent[0].local_day)} at {sent[0].local_due:%H:%M}, the last on " \
               f"{day_label(sent[-1].local_day)} ({zone_city} time)"
        if skipped:
            text += f"; {skipped} would be skipped (after the end date)"
        return text + "."

    # -- saving -------------------------------------------------------------------------
    def save(self) -> None:
        problems = self.steps_editor.problems()
        if problems:
            self.problems.show_problems(problems)
            return
        form = self.collect()
        try:
            with self.context.sessions.begin() as session:
                saved = drips.save_drip(session, self.campaign_id, form,
                                        staff_id=self.context.staff_id)
        except ValidationError as error:
            self.problems.show_problems(error.problems)
            return
        except ConflictError as error:
            self.show_error("Changed on another workstation", str(error))
            return
        except UserError as error:
            self.show_error("Campaign not saved", str(error))
            return
        self.saved_id = saved
        self.accept()

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)
