"""Building a mass email's audience: which people (leads, contacts or both), narrowed by
applicant type, lead status, contact stage, source, dates and tags, with the count of
who will receive it worked out off the GUI thread a moment after each change.

The choices are the Leads and Contacts tabs' own (filter_bar), so an audience reads the
same as a filter there.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.vocab import (
    ApplicantType,
    LeadSource,
    LeadStatus,
    PipelineStage,
)
from orchid_desktop.services.segments import (
    PEOPLE_CHOICES,
    AudienceCount,
    Segment,
    count_audience,
    tag_names,
)

from .filter_bar import ChoiceButton, DateRangeButton, status_label
from .tasks import run_in_background

log = logging.getLogger(__name__)

COUNT_PAUSE_MS = 400  # changes this close together are counted once


def audience_words(count: AudienceCount) -> str:
    """ "1,204 people will receive it · 37 left out: unsubscribed, bounced or
    disqualified" """
    if count.recipients == 0:
        text = "Nobody matches this audience"
    elif count.recipients == 1:
        text = "1 person will receive it"
    else:
        text = f"{count.recipients:,} people will receive it"
    if count.excluded:
        text += f" · {count.excluded:,} left out: unsubscribed, bounced or disqualified"
    return text


class SegmentEditor(QWidget):
    changed = Signal()  # the audience changed (before it is counted)
    counted = Signal(object)  # AudienceCount, once counting the latest audience finishes

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.count: AudienceCount | None = None
        self._generation = 0  # only the latest count is shown
        self._counting = False
        self.people = QComboBox()
        for value, label in PEOPLE_CHOICES.items():
            self.people.addItem(label, value)
        self.types = ChoiceButton("Type", [(t.value, t.label) for t in ApplicantType])
        self.sources = ChoiceButton("Source", [(s.value, s.label) for s in LeadSource])
        self.lead_statuses = ChoiceButton("Lead status",
                                          [(s.value, status_label(s.value)) for s in LeadStatus])
        self.stages = ChoiceButton("Contact stage", [(s.value, s.label) for s in PipelineStage])
        with context.sessions() as session:
            tags = tag_names(session)
        self.tags = ChoiceButton("Tags", [(t, t) for t in tags])
        if not tags:
            self.tags.setEnabled(False)
            self.tags.setToolTip("No one has been tagged yet")
        self.dates = DateRangeButton("Received or added")
        self.count_label = QLabel("Counting…")
        self.count_label.setObjectName("audienceCount")
        # the drop-down arrow gets room of its own, clear of the text
        self.setStyleSheet("QToolButton { padding: 4px 18px 4px 8px; }"
                           "#audienceCount { font-size: 14px; font-weight: 600; "
                           "color: #3b3140; }")
        self.count_label.setWordWrap(True)
        self._pause = QTimer(self, singleShot=True, interval=COUNT_PAUSE_MS)
        self._pause.timeout.connect(self.count_now)
        self.people.currentIndexChanged.connect(self._changed)
        for control in (self.types, self.sources, self.lead_statuses, self.stages, self.tags,
                        self.dates):
            control.changed.connect(self._changed)

        who = QHBoxLayout()
        who.addWidget(QLabel("Send to"))
        who.addWidget(self.people)
        who.addStretch(1)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setColumnStretch(3, 1)
        for position, widget in enumerate((self.types, self.sources, self.dates,
                                           self.lead_statuses, self.stages, self.tags)):
            grid.addWidget(widget, *divmod(position, 3))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(who)
        layout.addLayout(grid)
        layout.addWidget(self.count_label)
        self._people_changed()
        self._pause.start()

    # -- the audience -------------------------------------------------------------------
    def segment(self) -> Segment:
        people = self.people.currentData()
        start, end = self.dates.range
        if self.dates.last_days is not None:  # "the last 30 days" from today
            end = date.today()
            start = end - timedelta(days=self.dates.last_days)
        return Segment(
            people=people, applicant_types=self.types.selected(),
            lead_statuses=self.lead_statuses.selected() if people != "contacts" else (),
            stages=self.stages.selected() if people != "leads" else (),
            sources=self.sources.selected(), date_from=start, date_to=end,
            tags=self.tags.selected())

    def set_segment(self, segment: Segment) -> None:
        self.people.blockSignals(True)
        self.people.setCurrentIndex(max(self.people.findData(segment.people), 0))
        self.people.blockSignals(False)
        self.types.set_selected(segment.applicant_types)
        self.sources.set_selected(segment.sources)
        self.lead_statuses.set_selected(segment.lead_statuses)
        self.stages.set_selected(segment.stages)
        self.tags.set_selected(segment.tags)
        self.dates.set_range(segment.date_from, segment.date_to)
        self._changed()

    def _changed(self, *_) -> None:
        self._people_changed()
        self.count_label.setText("Counting…")
        self._pause.start()
        self.changed.emit()

    def _people_changed(self) -> None:
        people = self.people.currentData()
        self.lead_statuses.setEnabled(people != "contacts")
        self.stages.setEnabled(people != "leads")

    # -- counting -----------------------------------------------------------------------
    def is_counting(self) -> bool:
        return self._counting or self._pause.isActive()

    def count_now(self) -> None:
        self._pause.stop()
        self._generation += 1
        generation, segment, sessions = self._generation, self.segment(), self.context.sessions
        self._counting = True

        def job() -> AudienceCount:
            with sessions() as session:
                return count_audience(session, segment)

        run_in_background(job, lambda count: self._counted(generation, count),
                          lambda error: self._failed(generation, error), parent=self)

    def _counted(self, generation: int, count: AudienceCount) -> None:
        if generation != self._generation:
            return
        self._counting = False
        self.count = count
        self.count_label.setText(audience_words(count))
        self.counted.emit(count)

    def _failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self._counting = False
        log.error("counting an audience failed", exc_info=error)
        self.count_label.setText(f"The audience could not be counted: {error}")
