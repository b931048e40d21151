"""Several reasons at once, shown as a list a person can work down: inside a dialog that
stays open (``ProblemList``), or in a small window of their own (``ReasonsDialog``)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

STYLE = """
#problemList { background: #fdf1f0; border: 1px solid #f0c8c4; border-radius: 6px;
               color: #7a1d16; padding: 6px 10px; }
"""


def bullets_html(problems: list[str]) -> str:
    items = "".join(f"<li style='margin-bottom: 4px'>{escape(p)}</li>" for p in problems)
    return f"<ul style='margin: 0 0 0 -24px'>{items}</ul>"


class ProblemList(QLabel):
    """What stops a save, one bullet per problem; hidden while there are none."""

    def __init__(self, intro: str = "Not saved yet:", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("problemList")
        self.setStyleSheet(STYLE)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.intro = intro
        self.problems: list[str] = []
        self.hide()

    def show_problems(self, problems: list[str]) -> None:
        self.problems = list(problems)
        self.setText(f"<b>{escape(self.intro)}</b>{bullets_html(self.problems)}")
        self.setVisible(bool(self.problems))

    def clear_problems(self) -> None:
        self.show_problems([])


class ReasonsDialog(QDialog):
    """"Not launched" and every reason why, as bullet points."""

    def __init__(self, title: str, intro: str, problems: list[str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.problems = list(problems)
        heading = QLabel(intro)
        heading.setWordWrap(True)
        heading.setStyleSheet("font-weight: 600; color: #3b3140;")
        self.list_label = QLabel(bullets_html(self.problems))
        self.list_label.setTextFormat(Qt.TextFormat.RichText)
        self.list_label.setWordWrap(True)
        self.list_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(heading)
        layout.addWidget(self.list_label, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
