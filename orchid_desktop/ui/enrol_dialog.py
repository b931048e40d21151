"""Enrolling people in a drip campaign: a selection of leads or contacts, or everyone an
import added or updated.

Only open campaigns are offered (draft, active, paused). Enrolling runs off the GUI
thread — a selection may be thousands of people, each checked against who may receive
recruitment mail — and the report says, in words, who joined and who did not and why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import CampaignStatus, CampaignTarget
from orchid_desktop.errors import UserError
from orchid_desktop.services.drips import DripSummary, list_drips
from orchid_desktop.services.enrolment import OPEN_STATUSES, enrol, enrol_import_batch

from .tasks import run_in_background

log = logging.getLogger(__name__)

TARGET_WORDS = {CampaignTarget.EGG_DONOR: "egg donors",
                CampaignTarget.GESTATIONAL_CARRIER: "gestational carriers",
                CampaignTarget.ANY: "anyone"}
STATUS_WORDS = {
    CampaignStatus.DRAFT: "A draft: they are enrolled now and their emails are planned when "
                          "the campaign is launched.",
    CampaignStatus.ACTIVE: "Active: their first email is planned at once.",
    CampaignStatus.PAUSED: "Paused: they are enrolled now; nothing is sent until the "
                           "campaign is resumed.",
}


def campaign_label(drip: DripSummary) -> str:
    return (f"{drip.name}  ·  {drip.status.value}  ·  for {TARGET_WORDS[drip.target]}  ·  "
            f"{drip.enrolled:,} enrolled")


class EnrolDialog(QDialog):
    """Choose an open drip; Enrol runs in the background and the report replaces the
    question. ``who`` says whom, e.g. "3 contacts"."""

    enrolled = Signal(object)  # EnrolReport

    def __init__(self, context: AppContext, who: str, *, lead_ids: Sequence[int] = (),
                 contact_ids: Sequence[int] = (), import_batch_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.lead_ids, self.contact_ids = list(lead_ids), list(contact_ids)
        self.import_batch_id = import_batch_id
        self.report = None
        self._busy = False
        self.setWindowTitle("Enrol in a drip campaign")
        with context.sessions() as session:
            self.drips = [d for d in list_drips(session) if d.status in OPEN_STATUSES]
        question = QLabel(f"Enrol {who} in:")
        question.setObjectName("fieldLabel")
        self.campaigns = QComboBox()
        self.campaigns.setMinimumWidth(460)
        for drip in self.drips:
            self.campaigns.addItem(campaign_label(drip), drip.id)
        self.campaigns.currentIndexChanged.connect(self._campaign_changed)
        self.status_note = QLabel()
        self.status_note.setObjectName("hint")
        self.status_note.setWordWrap(True)
        rules = QLabel("Anyone already on it, unsubscribed, bounced, disqualified, replied "
                       "or of another applicant type is left out, and counted with the "
                       "reason.")
        rules.setObjectName("hint")
        rules.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("checkResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.enrol_button: QPushButton = self.buttons.addButton(
            "Enrol", QDialogButtonBox.ButtonRole.AcceptRole)
        self.enrol_button.setDefault(True)
        self.close_button: QPushButton = self.buttons.addButton(
            QDialogButtonBox.StandardButton.Cancel)
        self.enrol_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(question)
        layout.addWidget(self.campaigns)
        layout.addWidget(self.status_note)
        layout.addWidget(rules)
        layout.addSpacing(6)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        if not self.drips:
            self.campaigns.hide()
            self._show_result("There is no open drip campaign. Create one on the Campaigns "
                              "tab (a draft will do), then enrol them.", False)
        self._campaign_changed()
        self.resize(560, 250)

    def chosen_campaign(self) -> DripSummary | None:
        index = self.campaigns.currentIndex()
        return self.drips[index] if 0 <= index < len(self.drips) else None

    def choose(self, campaign_id: int) -> None:
        self.campaigns.setCurrentIndex(self.campaigns.findData(campaign_id))

    def _campaign_changed(self, *_) -> None:
        drip = self.chosen_campaign()
        self.status_note.setText(STATUS_WORDS.get(drip.status, "") if drip else "")
        self.enrol_button.setEnabled(drip is not None and not self._busy
                                     and self.report is None)

    def is_busy(self) -> bool:
        return self._busy

    def start(self) -> None:
        drip = self.chosen_campaign()
        if drip is None or self._busy:
            return
        self._busy = True
        self.campaigns.setEnabled(False)
        self._campaign_changed()
        self._show_result(f"Enrolling in {drip.name}…", None)
        sessions, staff = self.context.sessions, self.context.staff_id
        leads, contacts, batch = self.lead_ids, self.contact_ids, self.import_batch_id

        def job():
            with sessions.begin() as session:
                if batch is not None:
                    return enrol_import_batch(session, drip.id, batch, staff_id=staff)
                return enrol(session, drip.id, lead_ids=leads, contact_ids=contacts,
                             staff_id=staff)

        run_in_background(job, self._done, self._failed, parent=self)

    def _done(self, report) -> None:
        self._busy = False
        self.report = report
        self._show_result(report.summary(), report.enrolled > 0 or None)
        self.close_button.setText("Close")
        self._campaign_changed()
        self.enrolled.emit(report)

    def _failed(self, error: Exception) -> None:
        self._busy = False
        self.campaigns.setEnabled(True)
        if not isinstance(error, UserError):
            log.error("enrolling failed", exc_info=error)
        self._show_result(str(error) if isinstance(error, UserError)
                          else f"Nobody was enrolled: {error}", False)
        self._campaign_changed()

    def _show_result(self, text: str, ok: bool | None) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("ok", "" if ok is None else ok)
        self.result_label.style().polish(self.result_label)

    def reject(self) -> None:
        if not self._busy:  # the enrolment finishes either way; wait for its answer
            super().reject()
