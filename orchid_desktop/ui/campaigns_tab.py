"""The Campaigns tab: drip campaigns, mass emails and the template library, one page
each. The mass email and template pages come from their own modules; until those are
installed the page says so instead of failing the whole tab."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from orchid_desktop.app import AppContext

from .drips_page import DripsPage

log = logging.getLogger(__name__)

PANELS = (  # title, module, class
    ("Mass emails", "orchid_desktop.ui.mass_emails_panel", "MassEmailsPanel"),
    ("Templates", "orchid_desktop.ui.template_library", "TemplateLibraryPanel"),
)


def load_panel(module_name: str, class_name: str, context: AppContext) -> QWidget | None:
    """The panel, or None when its module is not there (yet)."""
    try:
        module = importlib.import_module(module_name)
        panel_class = getattr(module, class_name)
    except (ImportError, AttributeError) as error:
        log.warning("campaigns: %s.%s is not available: %s", module_name, class_name, error)
        return None
    return panel_class(context)


class CampaignsTab(QWidget):
    message = Signal(str)  # for the status bar
    outbox_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.drips_page = DripsPage(context)
        self.drips_page.message.connect(self.message)
        self.drips_page.outbox_changed.connect(self.outbox_changed)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.drips_page, "Drip campaigns")
        self.panels: dict[str, QWidget | None] = {}
        for title, module_name, class_name in PANELS:
            panel = load_panel(module_name, class_name, context)
            self.panels[title] = panel
            self.pages.addTab(panel or self._missing(title), title)
            for name in ("message", "outbox_changed"):
                signal = getattr(panel, name, None)
                if signal is not None and hasattr(signal, "connect"):
                    signal.connect(getattr(self, name))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.pages)
        self.drips_page.refresh()  # the other panels read theirs as they are built

    @staticmethod
    def _missing(title: str) -> QWidget:
        label = QLabel(f"{title} are not available in this build yet.")
        label.setObjectName("hint")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def refresh(self) -> None:
        """Read the counts again on every page."""
        self.drips_page.refresh()
        for panel in self.panels.values():
            reload = getattr(panel, "refresh", None)
            if callable(reload):
                reload()
