"""What a tab shows before it has anything: what belongs here and how to begin."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    def __init__(self, title: str, body: str,
                 actions: Sequence[tuple[str, Callable[[], None]]] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title_label = QLabel(title)
        self.title_label.setObjectName("emptyStateTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body_label = QLabel(body)
        self.body_label.setObjectName("emptyStateBody")
        self.body_label.setWordWrap(True)
        self.body_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body_label.setFixedWidth(540)  # a readable measure; wraps to its height
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addStretch(1)
        for index, (label, callback) in enumerate(actions):
            button = QPushButton(label)
            button.setDefault(index == 0)
            button.clicked.connect(callback)
            self.buttons[label] = button
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title_label)
        layout.addSpacing(8)
        layout.addWidget(self.body_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addLayout(row)
        layout.addStretch(3)

    def showEvent(self, event) -> None:
        # A wrapped label inside a centred layout is not given its height-for-width;
        # reserve it once the style sheet has set the font.
        self.body_label.setMinimumHeight(self.body_label.heightForWidth(self.body_label.width()))
        super().showEvent(event)
