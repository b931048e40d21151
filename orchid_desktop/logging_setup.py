"""One place that decides where log lines go: a rotating file in the data folder gets
everything from INFO up; the terminal gets warnings and errors only, unless ``verbose``
(``orchid-desktop -v``) asks for the progress notes too.

A command prints its own result on stdout; first-run setup, migrations and what was
opened are notes for the log file, not for the person at the terminal."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Libraries that log routine work at INFO: kept out of the file and the terminal alike.
# APScheduler says "Running job …" and "… executed successfully" at every 30 s tick;
# Alembic announces every migration step (migrate.py logs one line per upgrade itself).
QUIET_LIBRARIES = ("apscheduler", "alembic")

_TERMINAL = "orchid-desktop terminal"  # the name of our terminal handler


def _not_scheduler_noise(record: logging.LogRecord) -> bool:
    """Two APScheduler warnings that say nothing wrong: a failed job with its traceback
    ("Job … raised an exception"), which SendingScheduler logs itself, in our words, with
    the same traceback; and "Execution of job … skipped: maximum number of running
    instances reached", which is the design (one dispatch at a time; a tick, or "Send due
    now", that comes while one runs makes it go round once more)."""
    if record.name.startswith("apscheduler.executors") and record.exc_info:
        return False
    return not (record.name.startswith("apscheduler.scheduler")
                and "maximum number of running instances" in str(record.msg))


class _CommandLineFormatter(logging.Formatter):
    """``orchid-desktop: warning: …`` for problems, bare text for progress notes; no
    traceback on the terminal (it is in the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            return message
        details = " (the details are in the log file)" if record.exc_info else ""
        return f"orchid-desktop: {record.levelname.lower()}: {message}{details}"


def configure_logging(log_file: Path | None, *, verbose: bool = False,
                      window: bool = False) -> None:
    """``window``: the terminal lines name their level and logger (a developer running the
    window from a terminal); otherwise they read as the command's own messages."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    terminal = logging.StreamHandler(sys.stderr)
    terminal.set_name(_TERMINAL)
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s")
                          if window else _CommandLineFormatter())
    terminal.addFilter(_not_scheduler_noise)
    root.addHandler(terminal)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        to_file.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        to_file.addFilter(_not_scheduler_noise)
        root.addHandler(to_file)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def terminal_quiet() -> Iterator[None]:
    """While a command reports a result itself, its warnings-level log line about the same
    thing (e.g. "restored … from …") goes to the log file only, not twice to the screen.
    Errors still show."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == _TERMINAL]
    levels = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(max(handler.level, logging.ERROR))
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)
