"""The system-tray icon: the app keeps running (and sending) there when the window is
closed. Show, Pause / Resume sending, Send due now, Quit; the tooltip tells what is
waiting and when the next email goes; notifications for what staff must act on (a
refused SendGrid key, a campaign that paused itself, a finished import)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from orchid_desktop.services.sending_state import SendingSnapshot

from .main_window import MainWindow

NOTICE_MS = 10_000


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
        self.menu.addAction(window.send_now_action)
        self.menu.addSeparator()
        self.menu.addAction(window.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        window.hidden_to_tray.connect(self._on_hidden)
        window.status_changed.connect(self._on_status)
        window.notice.connect(self.notify)
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

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, NOTICE_MS)

    def _on_status(self, snap: SendingSnapshot) -> None:
        self.icon.setToolTip(tooltip(snap))

    def hide(self) -> None:
        self.icon.hide()


def tooltip(snap: SendingSnapshot) -> str:
    lines = [f"Orchid Desktop — sending: {snap.mode.value}",
             f"{snap.queued:,} email{'s' if snap.queued != 1 else ''} waiting"]
    if snap.next_due_at is not None:
        lines.append(f"Next send: {snap.next_due_at.astimezone().strftime('%a %d %b, %H:%M')}")
    if snap.uncertain:
        lines.append(f"{snap.uncertain:,} uncertain — open the window to decide")
    return "\n".join(lines)
