"""The command line: one clear line and a non-zero status for a user's mistake."""

import subprocess
import sys

import pytest

from orchid_desktop import __version__
from orchid_desktop.cli import main


def test_version_works_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "orchid_desktop", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"orchid-desktop {__version__}"


def test_db_upgrade_then_current_on_the_local_database(capsys):
    assert main(["db", "upgrade"]) == 0
    assert "upgraded from empty to" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--database", "mysql://u@h/x", "db", "upgrade"], "is not supported"),
    (["db", "upgrade", "--database", "postgresql+psycopg://u@127.0.0.1:1/x"],
     "Cannot connect to the database"),
])
def test_a_user_mistake_is_one_line_without_traceback(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_demo_command_loads_data_then_refuses_twice(capsys):
    assert main(["demo"]) == 0
    assert "Loaded 300 demo leads and 120 demo contacts" in capsys.readouterr().out
    assert main(["demo"]) == 2
    assert "already loaded" in capsys.readouterr().err


@pytest.mark.postgres
def test_db_upgrade_builds_the_schema_on_postgresql(pg_url, capsys):
    assert main(["--database", pg_url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "Shared database" in out and "upgraded from empty" in out


@pytest.mark.postgres
def test_the_window_refuses_a_shared_database_that_was_not_upgraded(pg_url):
    from orchid_desktop.app import open_context
    from orchid_desktop.errors import UserError

    with pytest.raises(UserError, match="db upgrade"):
        open_context(pg_url)


@pytest.mark.postgres
def test_smoke_test_on_an_upgraded_shared_database(pg_url, tmp_path):
    import os

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    upgrade = subprocess.run([sys.executable, "-m", "orchid_desktop", "--database", pg_url,
                              "db", "upgrade"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    smoke = subprocess.run([sys.executable, "-m", "orchid_desktop", "--database", pg_url,
                            "--smoke-test"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert smoke.returncode == 0, smoke.stderr


def test_smoke_test_creates_the_local_database(tmp_path):
    import os

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    smoke = subprocess.run([sys.executable, "-m", "orchid_desktop", "--smoke-test"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert smoke.returncode == 0, smoke.stderr
    assert (tmp_path / "home" / "data" / "orchid.db").exists()


def test_screen_runs_the_rules_on_everyone_or_the_given_ids(capsys):
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["screen"]) == 0
    everyone = capsys.readouterr().out
    assert everyone.startswith("Screened ") and "of" in everyone and "passed" in everyone
    assert main(["screen", "1"]) == 0
    assert capsys.readouterr().out.startswith("Screened 1 of 1 contacts")


# -- what the terminal shows: the command's result, warnings and errors; chatter goes to
# -- the log file ----------------------------------------------------------------------------
def _log_text() -> str:
    from orchid_desktop.config.paths import AppPaths

    return AppPaths.default().log_file.read_text(encoding="utf-8")


def test_demo_twice_prints_one_line_each_time_and_first_run_goes_to_the_log(capsys):
    assert main(["demo"]) == 0
    first = capsys.readouterr()
    assert first.out.count("\n") == 1 and first.out.startswith("Loaded 300 demo leads")
    assert first.err == ""
    assert main(["demo"]) == 2
    second = capsys.readouterr()
    assert second.out == ""
    assert second.err == ("orchid-desktop: Demo data is already loaded (see the import "
                          "history to undo it).\n")
    log_lines = _log_text().splitlines()
    first_run = [line for line in log_lines if "first run:" in line]
    assert len(first_run) == 1 and "22 library templates" in first_run[0]
    assert not any("apscheduler" in line or "alembic" in line for line in log_lines)


def test_a_mistake_on_a_fresh_folder_is_one_line(capsys):
    assert main(["screen", "999999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "orchid-desktop: That contact no longer exists.\n"
    assert "first run: created agency settings" in _log_text()


def test_verbose_shows_the_progress_notes_too(capsys):
    assert main(["db", "upgrade", "-v"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "upgraded from empty" in captured.out
    assert "database upgraded from empty" in captured.err
    assert main(["-v", "demo"]) == 0
    assert "first run: created" in capsys.readouterr().err


def test_import_prints_its_summary_once(tmp_path, capsys):
    from tests import import_corpus as corpus

    path = corpus.messy_csv(tmp_path)
    assert main(["import", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"{path.name}: created 4")
    assert sum(line.startswith(f"{path.name}:") for line in lines) == 1
    assert all(line.startswith("  row ") for line in lines[1:]) and len(lines) == 3
    assert _log_text().count(f"{path.name}: created 4") == 1  # and once in the log


def test_import_of_a_folder_says_it_is_a_folder(tmp_path, capsys):
    folder = tmp_path / "leads.csv"  # even named like a file
    folder.mkdir()
    assert main(["import", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"orchid-desktop: {folder} is a folder, not a file: give a "
                            ".csv, .tsv, .txt, .xlsx, .xls or .ods file.\n")


def test_restore_prints_its_result_once(capsys):
    assert main(["backup"]) == 0
    path = capsys.readouterr().out.strip()
    assert main(["restore", path]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("\n") == 1 and captured.out.startswith("Restored the backup")
    assert "restored " in _log_text()  # the log keeps its own line


def test_db_current_on_a_fresh_folder_creates_no_database(capsys):
    from orchid_desktop.config.paths import AppPaths

    database = AppPaths.default().database_file
    assert main(["db", "current"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (f"No database yet at {database}: it is created at the first "
                            "start of Orchid Desktop (or by 'orchid-desktop db upgrade').\n")
    assert captured.err == ""
    assert not database.exists()
    assert not list(database.parent.glob("orchid.db*"))
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "current"]) == 0
    assert "(up to date)" in capsys.readouterr().out


def test_db_current_with_a_sqlite_url_to_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "elsewhere" / "other.db"
    assert main(["--database", f"sqlite:///{missing}", "db", "current"]) == 0
    assert f"No database yet at {missing}" in capsys.readouterr().out
    assert not missing.exists()


# -- a wrong --database for the window: one line, at once, never a dialog nobody sees ---
def _children_cpu_seconds() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("url, message", [
    ("postgresql+psycopg://orchid@127.0.0.1:{port}/orchid", "Cannot connect to the database"),
    ("garbage", "is not a database URL"),
    ("mysql://u@h/x", "is not supported"),
])
@pytest.mark.parametrize("smoke", [True, False], ids=["smoke-test", "window"])
def test_a_wrong_database_for_the_window_is_one_line_at_once(tmp_path, url, message, smoke):
    import os
    import time

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    command = [sys.executable, "-m", "orchid_desktop", "--database",
               url.format(port=_free_port())] + (["--smoke-test"] if smoke else [])
    cpu_before = _children_cpu_seconds()
    started = time.monotonic()
    # without --smoke-test this used to wait forever behind an error dialog
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.monotonic() - started
    cpu = None if cpu_before is None else _children_cpu_seconds() - cpu_before
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("orchid-desktop: ")
    # ~0.5 s here; the window's modules alone took ~3 s of CPU before the answer. The
    # CPU time is the sharp bound (a busy test machine stretches the wall time)
    assert elapsed < 15, f"took {elapsed:.1f} s"
    if cpu is not None:
        assert cpu < 2, f"used {cpu:.1f} s of CPU"
    assert not (tmp_path / "home" / "data" / "orchid.db").exists()


@pytest.mark.postgres
def test_the_window_on_a_shared_database_never_upgraded_is_one_line(pg_url, tmp_path):
    import os

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "orchid_desktop", "--database", pg_url],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "db upgrade" in result.stderr


@pytest.mark.parametrize("visible", [True, False], ids=["real display", "offscreen"])
def test_run_gui_shows_the_error_dialog_only_where_someone_can_see_it(
        qapp, monkeypatch, visible):
    from PySide6.QtWidgets import QMessageBox

    from orchid_desktop.errors import UserError
    from orchid_desktop.ui import application

    assert application.dialogs_can_be_seen() is False  # the tests run offscreen
    shown = []
    monkeypatch.setattr(application, "dialogs_can_be_seen", lambda: visible)
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text: shown.append(text)))
    with pytest.raises(UserError, match="is not supported"):
        application.run_gui("mysql://u@h/x")
    assert len(shown) == (1 if visible else 0)


# -- --help -----------------------------------------------------------------------------
def _all_parsers(parser):
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_every_command_has_a_description_and_every_option_a_help():
    import argparse

    from orchid_desktop.cli import build_parser

    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) == 11  # the program, its 8 commands and db's 2 actions
    for parser in parsers:
        assert parser.description and len(parser.description) > 60, parser.prog
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(choice.help for choice in action._choices_actions), parser.prog
                continue
            assert action.help, f"{parser.prog} {action.option_strings or action.dest}"


def test_import_help_lists_every_accepted_file(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert ".csv, .tsv, .txt, .xlsx, .xls or .ods" in text
    assert "--as {leads,contacts} import the rows as leads or as contacts" in text


# -- the scheduler: no line for a quiet tick, in the log or on the terminal ------------
def test_worker_logs_nothing_for_quiet_ticks(tmp_path):
    import os
    import signal
    import time

    home = tmp_path / "home"
    env = dict(os.environ, ORCHID_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    worker = subprocess.Popen([sys.executable, "-m", "orchid_desktop", "worker",
                               "--interval", "0.2"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        log_file = home / "data" / "logs" / "orchid-desktop.log"
        deadline = time.monotonic() + 60
        while "scheduler started" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.1)
        time.sleep(3.5)  # the first tick runs 2 s after the start, then every 0.2 s
        worker.send_signal(signal.SIGINT)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert err == ""
    assert out.splitlines()[1:] == ["Sending every 0.2 s; Ctrl+C stops.",
                                    "Stopping: finishing the requests in flight…"]
    log = log_file.read_text()
    assert "Running job" not in log and "executed successfully" not in log
    assert "dispatch:" not in log
    assert len(log.splitlines()) == 4  # migrated, first run, opened, scheduler started


def test_a_dispatch_tick_logs_one_line_only_when_it_did_something(context, caplog):
    from orchid_desktop.scheduler.jobs import SendingScheduler
    from orchid_desktop.services.dispatch import DispatchReport

    scheduler = SendingScheduler(context)
    reports = iter([DispatchReport(), DispatchReport(claimed=3, sent=2, failed=1)])
    scheduler.dispatcher.tick = lambda: next(reports)
    caplog.clear()
    try:
        with caplog.at_level("INFO"):
            scheduler.dispatch()
            assert caplog.records == []
            scheduler.dispatch()
    finally:
        scheduler.shutdown()
    assert [r.getMessage() for r in caplog.records] == ["dispatch: 2 sent, 1 failed"]


def test_the_scheduler_library_is_quiet_below_warnings(capsys):
    import logging

    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("apscheduler.executors.default").getEffectiveLevel() \
        == logging.WARNING
    # by design, not a problem: "Send due now" (or a tick) while a dispatch runs
    logging.getLogger("apscheduler.scheduler").warning(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        "SendingScheduler.dispatch", 1)
    logging.getLogger("apscheduler.scheduler").warning("a real problem")
    assert capsys.readouterr().err == "orchid-desktop: warning: a real problem\n"
    log = _log_text()
    assert "a real problem" in log and "skipped" not in log


def test_a_failed_job_is_one_line_on_the_terminal_and_one_traceback_in_the_log(
        context, capsys):
    import threading

    from orchid_desktop.logging_setup import configure_logging
    from orchid_desktop.scheduler.jobs import SendingScheduler

    configure_logging(context.paths.log_file)
    failed = threading.Event()
    scheduler = SendingScheduler(
        context, on_event=lambda kind, payload: kind == "job failed" and failed.set())

    def tick():
        raise RuntimeError("boom")

    scheduler.dispatcher.tick = tick
    scheduler.start()
    try:
        scheduler.send_due_now()
        assert failed.wait(30)
    finally:
        scheduler.shutdown()
    assert capsys.readouterr().err == (
        "orchid-desktop: error: scheduled job dispatch failed: RuntimeError('boom') "
        "(the details are in the log file)\n")
    log = context.paths.log_file.read_text(encoding="utf-8")
    assert log.count("Traceback") == 1 and "RuntimeError: boom" in log
    assert "raised an exception" not in log  # APScheduler's copy of the same
