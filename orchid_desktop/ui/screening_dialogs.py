"""The small dialogs behind each screening decision: what the screener must say (a reason,
a date, a note) and whether an email goes out. They only gather answers; the Screening
tab hands them to services/screening_decisions.py."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
)

from orchid_desktop.services.screening_decisions import CASE_PREFIX
from orchid_desktop.services.screening_view import ScreeningView

from .qt_convert import py_date


def _note_box(placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(80)
    return box


class DecisionDialog(QDialog):
    """A title, an explanation, a form and OK / Cancel: the shape every decision shares."""

    def __init__(self, title: str, explanation: str, ok_text: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.layout_ = QVBoxLayout(self)
        intro = QLabel(explanation)
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.buttons)


def _email_box(text: str, view: ScreeningView) -> QCheckBox:
    box = QCheckBox(text)
    if view.email:
        box.setChecked(True)
    else:
        box.setEnabled(False)
        box.setToolTip("This contact has no email address.")
    return box


APPROVING_OVER = {"dq": "The rules disqualified this person.",
                  "defer": "The rules say this person is not eligible yet.",
                  "needs_data": "The rules still miss some answers."}


class ApproveDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, parent=None):
        over_rules = APPROVING_OVER.get(view.outcome.value if view.outcome else "")
        super().__init__(
            f"Approve {view.name}",
            (f"{over_rules} Approving goes past them: say why, for the history."
             if over_rules else
             "The contact moves to Approved, ready to convert to a client."),
            "Approve", parent)
        self.note = _note_box("Why you approve (required)" if over_rules
                              else "Note for the history (optional)")
        self.form.addRow("Note", self.note)
        self.finish()


class RejectDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, parent=None):
        super().__init__(
            f"Reject {view.name}",
            "The contact is disqualified with the reason you choose and leaves every drip "
            "and marketing email now. The notice is kind and never gives the reason.",
            "Reject", parent)
        self.reason = QComboBox()
        for code, label in view.reason_choices():
            self.reason.addItem(label, code)
        self.reason.setMinimumContentsLength(40)
        self.note = _note_box("Note for the history (required for Other)")
        self.send_notice = _email_box("Send the kind rejection notice", view)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("Note", self.note)
        self.form.addRow("", self.send_notice)
        self.finish()

    def reason_code(self) -> str:
        return self.reason.currentData()


class DeferDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, today: date, parent=None):
        super().__init__(
            f"Defer {view.name}",
            "Not now: the contact leaves the queue and comes back by itself on the date.",
            "Defer", parent)
        suggested = view.eligible_on if view.eligible_on and view.eligible_on > today \
            else today + timedelta(days=90)
        self.until = QDateEdit(QDate(suggested.year, suggested.month, suggested.day))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("d MMM yyyy")
        self.until.setMinimumDate(QDate(today.year, today.month, today.day).addDays(1))
        self.note = _note_box("Why, and what to check on the date")
        self.form.addRow("Look again on", self.until)
        if view.eligible_on:
            self.form.addRow("", QLabel(f"The rules give {view.eligible_on:%d %b %Y}."))
        self.form.addRow("Note", self.note)
        self.finish()

    def date(self) -> date:
        return py_date(self.until.date())


class FlagDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, parent=None):
        super().__init__(f"Flag {view.name}",
                         "A flag puts the contact in the Flagged group for a closer look, "
                         "whatever the rules say.", "Flag", parent)
        self.note = _note_box("What needs a closer look")
        self.form.addRow("Note", self.note)
        self.finish()


class RequestInfoDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, parent=None):
        super().__init__(
            f"Ask {view.name} for more information",
            "What you list is kept in the history. The email only asks for a few more "
            "details: it never names them, since they may be medical.", "Record request",
            parent)
        missing = [line.message for line in view.lines if line.outcome.value == "needs_data"]
        self.what = _note_box("What is still needed")
        self.what.setPlainText("\n".join(missing))
        self.send_email = _email_box("Send the \"a few more details\" email", view)
        self.form.addRow("Needed", self.what)
        self.form.addRow("", self.send_email)
        self.finish()


class ConvertDialog(DecisionDialog):
    def __init__(self, view: ScreeningView, staff: list[tuple[int, str]], my_id: int,
                 today: date, parent=None):
        super().__init__(
            f"Convert {view.name} to a client",
            "This creates the client and opens a case. The contact record stays as the "
            "history of how they got here. A contact can be converted only once.",
            "Convert to client", parent)
        self.coordinator = QComboBox()
        for staff_id, name in staff:
            self.coordinator.addItem(name, staff_id)
        mine = self.coordinator.findData(my_id)
        self.coordinator.setCurrentIndex(max(mine, 0))
        self.start = QDateEdit(QDate(today.year, today.month, today.day))
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("d MMM yyyy")
        self.case_hint = QLabel()
        self.start.dateChanged.connect(self._hint)
        self._prefix = CASE_PREFIX[view.applicant_type]
        self._hint()
        self.form.addRow("Coordinator", self.coordinator)
        self.form.addRow("Case starts", self.start)
        self.form.addRow("Case number", self.case_hint)
        self.finish()

    def _hint(self) -> None:
        year = self.start.date().year()
        self.case_hint.setText(f"{self._prefix}-{year}-… (the next free number)")

    def coordinator_id(self) -> int | None:
        return self.coordinator.currentData()

    def start_date(self) -> date:
        return py_date(self.start.date())
