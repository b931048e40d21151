"""An email as one person would get it: "Preview for:" a recent lead or contact (typed to
search), the subject, and the body as HTML or as its plain-text part.

With nobody in the database yet the preview is written for a sample person, Alex
Example, whose values are made up here for display only and never stored or sent.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.templating import (
    UNSUBSCRIBE_LINK_TAG,
    RenderedEmail,
    RenderError,
    check_template,
    render,
)
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import staff, template_variables
from orchid_desktop.services.agency import load_agency
from orchid_desktop.services.templates import (
    PersonRef,
    TemplateDraft,
    load_template,
    preview,
)

RECENT = 40  # of each kind: the people staff most likely want to see it for
SAMPLE_NAME = "Alex Example"
SAMPLE_KEY = "sample"
Source = TemplateDraft | int | None  # what is being previewed: words, or a saved template


def key(ref: PersonRef) -> str:
    """A combo box item's data: plain text, which Qt compares by value."""
    return f"{ref.kind}:{ref.id}"


def recent_people(context: AppContext) -> list[tuple[PersonRef, str]]:
    """The newest contacts, then leads, that have an address, as "Name · kind · email"."""
    with context.sessions() as session:
        people = template_variables.recent_people(session, limit=RECENT)
    return [(person.ref, f"{person.name or '(no name)'}  ·  {person.ref.kind}  ·  "
                         f"{person.email}") for person in people]


def sample_variables(context: AppContext) -> dict[str, str]:
    """Alex Example's values, with the agency's real details where they are set."""
    agency = load_agency(context.sessions)
    with context.sessions() as session:
        coordinator = staff.display_name(session, context.staff_id)
    return {"first_name": "Alex", "last_name": "Example", "email": "alex@example.com",
            "coordinator_name": coordinator if coordinator is not None else "Your coordinator",
            "agency_name": agency.name or "Your agency",
            "agency_postal_address": agency.postal_address or "1 Example Street",
            "application_link": agency.application_link or "https://example.com/apply",
            "unsubscribe_link": UNSUBSCRIBE_LINK_TAG}


class PersonPicker(QComboBox):
    """Recent people, searchable by typing; the sample person when there is nobody."""

    person_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self._refs: dict[str, PersonRef] = {}
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(300)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(28)
        line = self.lineEdit()  # an editable combo box has one, and a completer
        if line is not None:
            line.setPlaceholderText("Type a name or email")
        completer = self.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.currentIndexChanged.connect(self._chosen)
        self.reload()

    def reload(self) -> None:
        current = self.current_ref()
        self.blockSignals(True)
        self.clear()
        people = recent_people(self.context)
        self._refs = {key(ref): ref for ref, _ in people}
        for ref, label in people:
            self.addItem(label, key(ref))
        if not people:
            self.addItem(f"{SAMPLE_NAME} (a sample person: nobody is in the database yet)",
                         SAMPLE_KEY)
        index = self.findData(key(current)) if current is not None else -1
        self.setCurrentIndex(max(index, 0))
        self._show_start()
        self.blockSignals(False)
        self.person_changed.emit()

    def _chosen(self, _index: int) -> None:
        self._show_start()
        self.person_changed.emit()

    def _show_start(self) -> None:
        """The name, not the end of the address."""
        line = self.lineEdit()
        if line is not None:
            line.setCursorPosition(0)

    def current_ref(self) -> PersonRef | None:
        """The chosen person, or None for the sample person."""
        return self._refs.get(self.currentData())

    def is_sample(self) -> bool:
        return self.currentData() == SAMPLE_KEY

    def choose(self, ref: PersonRef) -> None:
        index = self.findData(key(ref))
        if index < 0:  # not among the recent ones: listed for this preview
            self._refs[key(ref)] = ref
            self.addItem(f"{ref.kind.capitalize()} #{ref.id}", key(ref))
            index = self.count() - 1
        self.setCurrentIndex(index)


class PreviewPane(QWidget):
    """Shows ``source`` written for the chosen person; ``refresh()`` after a change."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.source: Source = None
        self.rendered: RenderedEmail | None = None
        self.picker = PersonPicker(context)
        self.picker.person_changed.connect(self.refresh)
        self.plain_toggle = QCheckBox("Plain text")
        self.plain_toggle.setToolTip("Show the plain-text part that goes with the HTML")
        self.plain_toggle.toggled.connect(lambda _: self._paint())
        self.subject_label = QLabel()
        self.subject_label.setObjectName("previewSubject")
        self.subject_label.setTextFormat(Qt.TextFormat.PlainText)  # never markup
        self.subject_label.setWordWrap(True)
        self.subject_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subject_label.setStyleSheet("font-size: 14px; font-weight: 600; color: #3b3140;")
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # a link in a preview goes nowhere
        self.browser.setStyleSheet("QTextBrowser { background: white; border: 1px solid "
                                   "#e2dce6; border-radius: 4px; padding: 6px; }")
        self.message_label = QLabel()
        self.message_label.setObjectName("hint")
        self.message_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preview for:"))
        top.addWidget(self.picker, 1)
        top.addWidget(self.plain_toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.subject_label)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.message_label)

    def set_source(self, source: Source) -> None:
        self.source = source
        self.refresh()

    def refresh(self) -> None:
        if self.source is None:
            self._show(None, "Choose a template to see it here.")
            return
        ref = self.picker.current_ref()
        if ref is None and not self.picker.is_sample():
            self._show(None, "Choose whom to preview it for.")
            return
        try:
            if ref is None:
                rendered = self._render_sample(self.source)
            else:
                with self.context.sessions() as session:
                    rendered = preview(session, self.source, ref,
                                       staff_id=self.context.staff_id)
        except ValidationError:
            self._show(None, "The preview appears once the problems are fixed.")
            return
        except UserError as error:
            self._show(None, str(error))
            return
        note = f"Written for the sample person {SAMPLE_NAME}; nothing is stored." \
            if ref is None else ""
        self._show(rendered, note)

    def _render_sample(self, source: TemplateDraft | int) -> RenderedEmail:
        if isinstance(source, int):
            with self.context.sessions() as session:
                source = load_template(session, source).draft
        if check_template(source.subject, source.html_body, source.text_body):
            raise ValidationError(["not ready"])
        try:
            return render(source.subject, source.html_body, source.text_body,
                          sample_variables(self.context))
        except RenderError as error:
            raise UserError(str(error)) from None

    def _show(self, rendered: RenderedEmail | None, note: str) -> None:
        self.rendered = rendered
        self.message_label.setText(note)
        self.message_label.setVisible(bool(note))
        self._paint()

    def _paint(self) -> None:
        if self.rendered is None:
            self.subject_label.setText("")
            self.browser.clear()
        else:
            self.subject_label.setText(self.rendered.subject)
            if self.plain_toggle.isChecked():
                self.browser.setPlainText(self.rendered.text)
            else:
                self.browser.setHtml(self.rendered.html)
