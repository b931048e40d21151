"""Run work off the GUI thread and get the result back by signal.

Jobs never touch widgets: they return a value (or raise), and the ``finished`` /
``failed`` signals deliver it on the GUI thread.

Ownership, measured the hard way: a Python ``QRunnable`` left to the pool's auto-delete
is freed behind its Python wrapper, and handing the pool a plain callable instead did
the same; either way the interpreter crashed at exit after a few hundred tests. So the
runnable is not auto-deleted: its signal object (a child of the widget that asked) keeps
it, and both go when that widget does — by then the pool has long finished with it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    finished = Signal(object)  # object, not int: results may be large integers
    failed = Signal(object)  # the exception
    task: QRunnable | None = None  # see the module docstring


class Task(QRunnable):
    def __init__(self, job: Callable[[], Any]):
        super().__init__()
        self.job = job
        self.signals = TaskSignals()
        self.signals.task = self
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.job()
        except Exception as exc:  # delivered to the GUI, which decides how to show it
            log.debug("background task failed:\n%s", traceback.format_exc())
            outcome, value = self.signals.failed, exc
        else:
            outcome, value = self.signals.finished, result
        try:
            outcome.emit(value)
        except RuntimeError:  # the widget that asked has gone; nobody is waiting
            log.debug("background result dropped: its window was closed")


def run_in_background(job: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[Exception], None], *, parent: QObject) -> Task:
    """Start ``job`` on the global pool; the callbacks run on the GUI thread.

    ``parent`` owns the signal object so the callbacks die with the widget that asked.
    """
    task = Task(job)
    task.signals.setParent(parent)
    task.signals.finished.connect(on_done)
    task.signals.failed.connect(on_error)
    QThreadPool.globalInstance().start(task)
    return task
