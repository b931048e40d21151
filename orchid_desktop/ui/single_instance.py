"""One running copy per user and machine. A lock file decides who is first (Qt clears a
lock left by a crashed process); a local socket lets a second launch ask the first to
bring its window forward, then exit."""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

SHOW_MESSAGE = b"show\n"


def instance_lock(config_dir: Path) -> QLockFile:
    """The lock the running window holds; also taken by ``orchid-desktop restore`` so the
    window cannot start while the database file is being replaced."""
    config_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(config_dir / "instance.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone
    return lock


class SingleInstance(QObject):
    activation_requested = Signal()

    def __init__(self, config_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = instance_lock(config_dir)
        digest = hashlib.sha256(f"{getpass.getuser()}|{config_dir.resolve()}".encode())
        self.server_name = f"orchid-desktop-{digest.hexdigest()[:20]}"
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this process is the one instance; False after asking the running
        instance to show itself."""
        if not self._lock.tryLock(200):
            self._ask_running_instance_to_show()
            return False
        QLocalServer.removeServer(self.server_name)  # a socket file left by a crash
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._server.listen(self.server_name)
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        self._lock.unlock()

    def _ask_running_instance_to_show(self) -> None:
        socket = QLocalSocket(self)
        socket.connectToServer(self.server_name)
        if socket.waitForConnected(1000):
            socket.write(SHOW_MESSAGE)
            socket.flush()
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()
        socket.deleteLater()

    def _on_connection(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            # The message is one short line written right after connecting.
            arrived = connection.bytesAvailable() or connection.waitForReadyRead(500)
            if arrived and bytes(connection.readAll().data()).startswith(SHOW_MESSAGE.strip()):
                self.activation_requested.emit()
            connection.disconnectFromServer()
            connection.deleteLater()
