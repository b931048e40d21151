"""The system-tray icon: the app keeps running (and sending) there when the window is
closed. Show, Pause / Resume sending, Quit."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from orchid_desktop.services.sending_state import SendingSnapshot

from .main_window import MainWindow


class Tray:
    def __init__(self, window: MainWindow, icon: QIcon):
        self.window = window
        self.icon = QSystemTrayIcon(icon, window)
        self.menu = QMenu()
        self.show_action = QAction("Show Orchid Desktop", self.menu)
        self.show_action.triggered.connect(window.bring_forward)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(window.pause_action)
        self.menu.addSeparator()
        self.menu.addAction(window.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        window.hidden_to_tray.connect(self._on_hidden)
        window.status_changed.connect(self._on_status)
        self.icon.setToolTip("Orchid Desktop")
        self.icon.show()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.window.bring_forward()

    def _on_hidden(self) -> None:
        settings = self.window.context.settings
        if settings.get("ui.tray_hint_shown"):
            return
        self.icon.showMessage(
            "Orchid Desktop is still running",
            "Scheduled emails keep going out. Use the tray icon to open the window or quit.",
            QSystemTrayIcon.MessageIcon.Information, 8000)
        settings.set("ui.tray_hint_shown", True)
        settings.save()

    def _on_status(self, snap: SendingSnapshot) -> None:
        self.icon.setToolTip(f"Orchid Desktop — sending: {snap.mode.value}, "
                             f"{snap.queued:,} waiting")

    def hide(self) -> None:
        self.icon.hide()
