"""Starting and stopping the window: one instance, the database opened (and upgraded),
the main window and the tray wired together, everything closed on quit."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from orchid_desktop import __version__, assets
from orchid_desktop.app import AppContext, open_context
from orchid_desktop.config.paths import AppPaths
from orchid_desktop.errors import UserError
from orchid_desktop.self_check import check_runtime_imports
from orchid_desktop.services.demo import load_demo_data

from .icons import app_icon
from .main_window import MainWindow
from .sending_bridge import SendingBridge
from .single_instance import SingleInstance
from .tray import Tray

log = logging.getLogger(__name__)

SMOKE_TEST_MS = 300
HEADLESS_PLATFORMS = ("offscreen", "minimal")  # Qt platforms no person looks at


def make_qapplication() -> QApplication:
    existing = QApplication.instance()  # typed QCoreApplication; here it is the QApplication
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Orchid Desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Orchid")
    app.setDesktopFileName("orchid-desktop")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(assets.read_text("style.qss"))
    return app


def dialogs_can_be_seen() -> bool:
    """False on Qt's offscreen and minimal platforms: no one could close a dialog."""
    return QApplication.platformName() not in HEADLESS_PLATFORMS


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def build_window(context: AppContext) -> tuple[MainWindow, Tray | None]:
    has_tray = tray_available()
    window = MainWindow(context, tray_available=has_tray)
    tray = Tray(window, app_icon()) if has_tray else None
    return window, tray


def run_gui(database: str | None, *, smoke_test: bool = False, load_demo: bool = False) -> int:
    app = make_qapplication()
    app.setQuitOnLastWindowClosed(False)  # the tray keeps us alive; quitting is explicit
    instance = None
    if smoke_test:
        check_runtime_imports()
    else:
        instance = SingleInstance(AppPaths.default().config_dir)
        if not instance.acquire():
            print("Orchid Desktop is already running; its window was brought forward.",
                  file=sys.stderr)
            return 0
    try:
        context = open_context(database)
        if load_demo:
            try:
                result = load_demo_data(context.sessions, context.staff_id)
                log.info("loaded %d demo leads and %d contacts", result.leads, result.contacts)
            except UserError as error:
                log.warning("%s", error)
    except UserError as error:
        # the command line prints the one line; a dialog nobody can see would wait forever
        if not smoke_test and dialogs_can_be_seen():
            QMessageBox.critical(None, "Orchid Desktop cannot start", str(error))
        if instance:
            instance.release()
        raise
    window, tray = build_window(context)
    sending = SendingBridge(context, parent=window)
    window.attach_sending(sending)
    sending.start()  # sending goes on while the window is closed to the tray
    if instance:
        instance.activation_requested.connect(window.bring_forward)
    window.quit_requested.connect(app.quit)
    if tray is None:
        log.warning("no system tray here: closing the window quits the app")
    window.show()
    if smoke_test:
        QTimer.singleShot(SMOKE_TEST_MS, window.request_quit)
    try:
        return app.exec()
    finally:
        sending.stop()
        window.close()
        if tray:
            tray.hide()
        context.close()
        if instance:
            instance.release()
