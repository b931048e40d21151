"""Writing an email: the subject and HTML body (with an optional plain-text part), an
"Insert variable" menu, the problems found as one types, and a live preview for a real
person. ``ContentEditor`` is shared with the mass-email editor; ``TemplateEditorDialog``
edits a library template and sends a test of it.

Saving a template that messages were already written with makes a new version: those
messages keep the words they were written with.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.domain.templating import VARIABLE_HELP, check_template
from orchid_desktop.domain.vocab import EmailKind
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import sending_state
from orchid_desktop.services.sending_state import SendingMode
from orchid_desktop.services.staff import email_address
from orchid_desktop.services.templates import (
    TemplateDetail,
    TemplateDraft,
    load_template,
    queue_test_email,
    save_template,
)

from .template_preview import PreviewPane

CHECK_PAUSE_MS = 350  # typing pauses this long before the words are checked again
KIND_LABELS = {EmailKind.MARKETING: "Marketing (recruitment: consent, unsubscribe link and "
                                    "postal address)",
               EmailKind.SERVICE: "Service (transactional: a notice, a reply)"}


def bullets(problems: list[str]) -> str:
    return "\n".join(f"•  {problem}" for problem in problems)


def set_tone(label: QLabel, text: str, ok: bool | None) -> None:
    """A #checkResult label: green when ok, red when not, plain when None."""
    label.setText(text)
    label.setVisible(bool(text))
    label.setProperty("ok", "" if ok is None else ok)
    label.style().polish(label)


class ContentEditor(QWidget):
    """Subject, HTML body and optional plain text, checked after each pause in typing.
    ``checked`` fires then, with the problems (an empty list when it is fine)."""

    checked = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.subject = QLineEdit(placeholderText="Subject, e.g. Welcome to {{ agency_name }}")
        self.html = QPlainTextEdit()
        self.html.setFont(mono)
        self.html.setPlaceholderText("<p>Hi {{ first_name | default(\"there\") }},</p>")
        self.html.setTabChangesFocus(True)
        self.text = QPlainTextEdit()
        self.text.setFont(mono)
        self.text.setPlaceholderText("Derived from the HTML when empty")
        self.text.setTabChangesFocus(True)
        self.text.hide()
        self.text_toggle = QToolButton()
        self.text_toggle.setText("Plain-text version (derived from the HTML when empty)")
        self.text_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.text_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.text_toggle.setCheckable(True)
        self.text_toggle.setAutoRaise(True)
        self.text_toggle.toggled.connect(self._show_text)
        self.insert_button = QPushButton("Insert variable")
        self.insert_button.setToolTip("Put a variable where the cursor is: the subject, the "
                                      "body or the plain text")
        menu = QMenu(self.insert_button)
        for name, help_text in VARIABLE_HELP.items():
            action = menu.addAction(f"{{{{ {name} }}}}    {help_text}")
            action.triggered.connect(lambda _=False, n=name: self.insert_variable(n))
        self.insert_button.setMenu(menu)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("checkResult")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.PlainText)
        self._target: QLineEdit | QPlainTextEdit = self.html  # where Insert puts a variable
        for editor in (self.subject, self.html, self.text):
            editor.installEventFilter(self)
        self._pause = QTimer(self, singleShot=True, interval=CHECK_PAUSE_MS)
        self._pause.timeout.connect(self.check_now)
        self.subject.textChanged.connect(lambda _: self._pause.start())
        self.html.textChanged.connect(self._pause.start)
        self.text.textChanged.connect(self._pause.start)
        self.problems: list[str] = []

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Body (HTML)"))
        tools.addStretch(1)
        tools.addWidget(self.insert_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Subject"))
        layout.addWidget(self.subject)
        layout.addLayout(tools)
        layout.addWidget(self.html, 3)
        layout.addWidget(self.text_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text, 2)
        layout.addWidget(self.problems_label)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # watched: the subject, HTML or text editor (the filter is on those three)
        if event.type() == QEvent.Type.FocusIn and isinstance(watched,
                                                              (QLineEdit, QPlainTextEdit)):
            self._target = watched
        return super().eventFilter(watched, event)

    def content(self) -> tuple[str, str, str | None]:
        return (self.subject.text(), self.html.toPlainText(),
                self.text.toPlainText() if self.text.toPlainText().strip() else None)

    def set_content(self, subject: str, html: str, text: str | None) -> None:
        self.subject.setText(subject)
        self.html.setPlainText(html)
        self.text.setPlainText(text or "")
        self.text_toggle.setChecked(bool((text or "").strip()))
        self.check_now()

    def insert_variable(self, name: str) -> None:
        target = self._target
        if target is self.text and not self.text.isVisible():
            target = self.html
        target.insert(f"{{{{ {name} }}}}") if isinstance(target, QLineEdit) \
            else target.insertPlainText(f"{{{{ {name} }}}}")
        target.setFocus()

    def check_now(self) -> list[str]:
        self._pause.stop()
        self.problems = check_template(*self.content())
        set_tone(self.problems_label, bullets(self.problems) if self.problems
                 else "No problems found.", not self.problems)
        self.checked.emit(self.problems)
        return self.problems

    def _show_text(self, shown: bool) -> None:
        self.text.setVisible(shown)
        self.text_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                      else Qt.ArrowType.RightArrow)


class TemplateEditorDialog(QDialog):
    """A new template (``template_id`` None) or a library one. Save keeps it open and
    says what happened; ``saved`` tells the library to read the list again."""

    saved = Signal(object)  # SavedTemplate
    test_queued = Signal()  # a test email is in the outbox

    def __init__(self, context: AppContext, template_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.template_id = template_id
        self.detail: TemplateDetail | None = None
        self.setWindowTitle("New template" if template_id is None else "Edit template")
        self.name = QLineEdit(placeholderText="e.g. Egg donor welcome 1 — Welcome")
        self.kind = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.version_label = QLabel()
        self.version_label.setObjectName("hint")
        self.version_label.setWordWrap(True)
        self.content = ContentEditor()
        self.preview = PreviewPane(context)
        self.content.checked.connect(lambda _: self.preview.set_source(self.draft()))
        self.status_label = QLabel()
        self.status_label.setObjectName("checkResult")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.hide()
        self.test_button = QPushButton("Send a test to me…")
        self.test_button.clicked.connect(self.send_test)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.content)
        splitter.addWidget(self.preview)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([560, 560])
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addLayout(form)
        layout.addWidget(self.version_label)
        layout.addSpacing(6)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.resize(1180, 760)
        if template_id is not None:
            self._load(template_id)
        else:
            self.content.check_now()
            self._show_version()

    def _load(self, template_id: int) -> None:
        with self.context.sessions() as session:
            self.detail = load_template(session, template_id)
        draft = self.detail.draft
        self.name.setText(draft.name)
        self.kind.setCurrentIndex(self.kind.findData(draft.kind))
        self.content.set_content(draft.subject, draft.html_body, draft.text_body)
        self._show_version()

    def _show_version(self) -> None:
        detail = self.detail
        if detail is None:
            text = "A new template: saved as version 1."
        elif detail.in_use:
            text = (f"Version {detail.version_number}. Messages were already written with "
                    f"it, so saving a change makes version {detail.version_number + 1}; "
                    "those messages keep their words.")
        else:
            text = f"Version {detail.version_number}. No message uses it yet: saving " \
                   "changes it in place."
        if detail is not None and detail.archived:
            text += " Archived: restore it from the library to use it in campaigns."
        self.version_label.setText(text)

    def draft(self) -> TemplateDraft:
        return TemplateDraft(self.name.text(), self.kind.currentData(), *self.content.content())

    def save(self) -> bool:
        staff = self.context.staff_id
        expected = self.detail.version if self.detail else None
        try:
            with self.context.sessions.begin() as session:
                saved = save_template(session, self.template_id, self.draft(),
                                      expected_version=expected, staff_id=staff)
        except ValidationError as error:
            set_tone(self.status_label, "Not saved:\n" + bullets(error.problems), False)
            return False
        except UserError as error:
            set_tone(self.status_label, f"Not saved: {error}", False)
            return False
        new = self.template_id is None
        self.template_id = saved.template_id
        self._load(saved.template_id)
        self.setWindowTitle("Edit template")
        if saved.created_new_version and not new:
            note = (f"Saved as version {saved.version_number} — messages already queued keep "
                    "the words they were written with.")
        else:
            note = "Saved."
        set_tone(self.status_label, note, True)
        self.saved.emit(saved)
        return True

    # -- test sends ---------------------------------------------------------------------
    def staff_email(self) -> str:
        with self.context.sessions() as session:
            return email_address(session, self.context.staff_id)

    def send_test(self) -> None:
        ref = self.preview.picker.current_ref()
        if ref is None:
            set_tone(self.status_label, "A test is written for a real person: add a lead or "
                     "contact, then choose them under “Preview for”.", False)
            return
        address, ok = QInputDialog.getText(
            self, "Send a test", "Send a test of this email, written for the person in the "
            "preview, to:", QLineEdit.EchoMode.Normal, self.staff_email())
        if not ok or not address.strip():
            return
        try:
            with self.context.sessions.begin() as session:
                queue_test_email(session, self.draft(), ref, to_email=address,
                                 staff_id=self.context.staff_id)
        except ValidationError as error:
            set_tone(self.status_label, "The test was not sent:\n" + bullets(error.problems),
                     False)
            return
        except UserError as error:
            set_tone(self.status_label, f"The test was not sent: {error}", False)
            return
        message = f"A test to {address.strip()} was queued in the outbox. "
        mode = self._sending_mode()
        if mode is SendingMode.LOCAL:
            message += ("Sending is in local mode, so it is saved to the local outbox folder "
                        f"({self.context.paths.outbox_dir}) with the next send instead of "
                        "going out.")
        elif mode is SendingMode.PAUSED:
            message += "Sending is paused: it goes out once sending is resumed."
        else:
            message += "It goes out with the next send, usually within a minute."
        set_tone(self.status_label, message, True)
        self.test_queued.emit()
        QMessageBox.information(self, "Test queued", message)

    def _sending_mode(self) -> SendingMode:
        with self.context.sessions() as session:
            return sending_state.snapshot(
                session, has_api_key=bool(self.context.secrets.sendgrid_api_key()),
                local_mode_setting=self.context.settings.get("sending.local_mode")).mode
