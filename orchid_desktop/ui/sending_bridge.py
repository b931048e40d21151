"""The scheduler's jobs run on worker threads; widgets live on the GUI thread. This
object carries the jobs' news across as a Qt signal (a queued connection, since it is
emitted from another thread) and owns the scheduler's start and stop."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from orchid_desktop.scheduler.jobs import SendingScheduler


class SendingBridge(QObject):
    # (kind, payload): "dispatched" / "progress" → DispatchReport; "key refused",
    # "campaign paused", "job failed" → text; "deferred due" → a count. ``object``
    # rather than int: counts may pass 2**31.
    # what the scheduler reports (kind, payload); not "event", which is QObject.event()
    news = Signal(str, object)

    def __init__(self, context, *, dispatch_seconds: float | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        if dispatch_seconds:
            self.scheduler = SendingScheduler(context, on_event=self._emit,
                                              dispatch_seconds=dispatch_seconds)
        else:
            self.scheduler = SendingScheduler(context, on_event=self._emit)
        self._stopped = False

    def _emit(self, kind: str, payload: object) -> None:
        if not self._stopped:
            self.news.emit(kind, payload)

    def start(self) -> None:
        self.scheduler.start()

    def send_due_now(self) -> None:
        self.scheduler.send_due_now()

    def stop(self) -> None:
        """Finish the requests in flight (so nothing is left "sending"), then stop."""
        self._stopped = True
        self.scheduler.shutdown(wait=True)
