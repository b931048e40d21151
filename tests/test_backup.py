"""Daily backups of the local database, pruning after 14 days, and restores that keep a
copy of what they replace: on real SQLite files, with data written during the backup."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from orchid_desktop.app import open_context
from orchid_desktop.cli import main
from orchid_desktop.config.paths import AppPaths
from orchid_desktop.db import migrate
from orchid_desktop.db.engine import DatabaseTarget
from orchid_desktop.db.models import Lead
from orchid_desktop.errors import UserError
from orchid_desktop.services import backup, leads
from tests.people_helpers import add_lead, person

DAY = date(2024, 5, 14)


def lead_names(paths_or_context) -> set[str]:
    context = open_context() if isinstance(paths_or_context, AppPaths) else paths_or_context
    try:
        with context.sessions() as session:
            return set(session.scalars(select(Lead.last_name)))
    finally:
        if context is not paths_or_context:
            context.close()


def rows(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def backup_of(context, *names: str, day: date = DAY) -> Path:
    for name in names:
        add_lead(context, last=name, email=f"{name.lower()}@example.org")
    return backup.daily_backup(context, today=day)


# -- backing up ---------------------------------------------------------------------------
def test_a_backup_is_a_consistent_copy_while_the_app_writes(context):
    """A writer commits five leads per transaction while backups are taken: every copy
    is intact and holds whole transactions only."""
    add_lead(context, last="Before", email="before@example.org")
    stop, written = threading.Event(), [0]

    def write() -> None:
        while not stop.is_set():
            with context.sessions.begin() as session:
                for _ in range(5):
                    written[0] += 1
                    leads.create_lead(session, person(last="Writer",
                                                      email=f"w{written[0]}@example.org"),
                                      staff_id=context.staff_id)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = []
        while written[0] < 50:
            time.sleep(0.01)
        for n in range(6):
            before = written[0]
            copies.append(backup.daily_backup(context, today=DAY + timedelta(days=n)))
            while written[0] < before + 10:  # at least two more transactions each time
                time.sleep(0.005)
    finally:
        stop.set()
        writer.join()
    counts = []
    for copy in copies:
        assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
        assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
        (count,), = rows(copy, "SELECT count(*) FROM leads WHERE last_name = 'Writer'")
        assert count % 5 == 0  # no half transaction
        counts.append(count)
    assert counts == sorted(counts) and counts[0] < counts[-1] < written[0]
    assert not list(context.paths.backups_dir.glob("*-wal"))


def test_one_backup_a_day_and_today_s_is_left_untouched(context):
    first = backup_of(context, "Monday")
    assert first.name == "orchid-2024-05-14.sqlite3"
    stamp = first.stat().st_mtime_ns
    add_lead(context, last="Later", email="later@example.org")
    assert backup.daily_backup(context, today=DAY) == first
    assert first.stat().st_mtime_ns == stamp
    assert rows(first, "SELECT count(*) FROM leads") == [(1,)]
    tomorrow = backup.daily_backup(context, today=DAY + timedelta(days=1))
    assert rows(tomorrow, "SELECT count(*) FROM leads") == [(2,)]
    again = backup.daily_backup(context, today=DAY, replace=True)  # "Back up now"
    assert again == first and rows(first, "SELECT count(*) FROM leads") == [(2,)]
    assert [info.date for info in backup.list_backups(context.paths)] == [
        DAY + timedelta(days=1), DAY]


def test_backups_older_than_14_days_are_pruned_and_nothing_else(context):
    folder = context.paths.backups_dir
    for n in range(20):
        backup.daily_backup(context, today=DAY + timedelta(days=n))
    last = DAY + timedelta(days=19)
    kept = sorted(p.name for p in folder.glob("orchid-20*.sqlite3"))
    assert kept == [backup.daily_name(last - timedelta(days=n)) for n in range(13, -1, -1)]
    # not ours, or kept on purpose: never touched
    strangers = [folder / "notes.txt", folder / "orchid-2001-01-01.sqlite3.bak",
                 folder / "orchid-before-restore-2001-01-01-120000.sqlite3"]
    for path in strangers:
        path.write_text("keep me")
    crashed = folder / f"{backup.TEMP_PREFIX}abc{backup.TEMP_SUFFIX}"
    crashed.write_text("half a copy")
    old = time.time() - 3 * 86_400
    os.utime(crashed, (old, old))
    backup.daily_backup(context, today=last + timedelta(days=1))
    assert not (folder / backup.daily_name(last - timedelta(days=13))).exists()
    assert all(path.exists() for path in strangers)
    assert not crashed.exists()
    infos = backup.list_backups(context.paths)
    assert len([i for i in infos if not i.before_restore]) == 14
    assert infos[0].date == last + timedelta(days=1) and infos[-1].before_restore


def test_a_shared_database_is_not_backed_up_by_a_workstation(tmp_path, caplog):
    @dataclass
    class SharedContext:  # all daily_backup may look at for a shared database
        target: DatabaseTarget
        paths: AppPaths

    shared = SharedContext(DatabaseTarget(make_url("postgresql+psycopg://orchid@db/orchid")),
                           AppPaths(tmp_path / "data", tmp_path / "config"))
    with caplog.at_level("INFO", logger="orchid_desktop.services.backup"):
        assert backup.daily_backup(shared, today=DAY) is None
    assert "backed up on its server (pg_dump)" in caplog.text
    assert not shared.paths.backups_dir.exists()
    with pytest.raises(UserError, match="backed up on its server by its administrator"):
        backup.restore(shared, tmp_path / "any.sqlite3")


@pytest.mark.postgres
def test_daily_backup_of_a_real_shared_database_is_none(pg_context):
    assert backup.daily_backup(pg_context) is None


# -- restoring ----------------------------------------------------------------------------
def test_restore_brings_back_the_old_rows_and_keeps_a_safety_copy(context):
    saved = backup_of(context, "Kept")
    add_lead(context, last="EnteredAfter", email="enteredafter@example.org")
    context.close()
    result = backup.restore(context.paths, saved)
    assert result.revision == migrate.head_revision()
    assert result.safety_copy.parent == context.paths.backups_dir
    assert rows(result.safety_copy, "SELECT last_name FROM leads ORDER BY id") == [
        ("Kept",), ("EnteredAfter",)]
    assert lead_names(context.paths) == {"Kept"}
    infos = backup.list_backups(context.paths)
    assert [i.kind for i in infos] == ["Kept before a restore", "Daily backup"]
    # and the restore can itself be undone from the copy it kept
    backup.restore(context.paths, result.safety_copy)
    assert lead_names(context.paths) == {"Kept", "EnteredAfter"}


def test_restore_from_a_context_disposes_its_engine_and_removes_the_old_wal(context):
    saved = backup_of(context, "Kept")
    add_lead(context, last="Lost", email="lost@example.org")
    database = context.paths.database_file
    assert Path(f"{database}-wal").exists()  # the running app's write-ahead log
    backup.restore(context, saved)
    assert not Path(f"{database}-wal").exists()
    assert lead_names(context.paths) == {"Kept"}


def test_an_older_backup_is_upgraded_when_the_app_opens_it(context, tmp_path):
    old = tmp_path / "made-by-an-older-version.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    engine.dispose()
    context.close()
    assert backup.restore(context.paths, old).revision == "0003"
    reopened = open_context()
    try:
        assert migrate.current_revision(reopened.engine) == migrate.head_revision()
    finally:
        reopened.close()


def test_a_damaged_backup_is_refused_and_the_database_left_alone(context):
    saved = backup_of(context, "Live")
    context.close()
    with open(saved, "r+b") as handle:  # scribble over the pages after the first few
        size = saved.stat().st_size
        handle.seek(4096 * 3)
        handle.write(os.urandom(size // 2))
    with pytest.raises(UserError, match="damaged|not an intact SQLite database"):
        backup.verify_backup(saved)
    with pytest.raises(UserError, match="damaged|not an intact SQLite database"):
        backup.restore(context.paths, saved)
    not_a_database = saved.with_name("orchid-2024-05-13.sqlite3")
    not_a_database.write_bytes(b"These are not the pages you are looking for." * 200)
    with pytest.raises(UserError, match="not an intact SQLite database"):
        backup.restore(context.paths, not_a_database)
    assert lead_names(context.paths) == {"Live"}
    assert not any(i.before_restore for i in backup.list_backups(context.paths))
    assert not list(context.paths.data_dir.glob(f"{backup.TEMP_PREFIX}*"))


def orphan_an_index(path: Path) -> None:
    """Damage a database the way integrity_check finds and reading does not: drop an
    index from the schema and leave its pages behind."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA writable_schema=ON")
    dropped = connection.execute(
        "DELETE FROM sqlite_master WHERE name = 'ix_leads_email_normalized'").rowcount
    connection.commit()
    connection.close()
    assert dropped == 1


def test_integrity_check_refuses_a_backup_whose_pages_read_fine(context, tmp_path):
    saved = backup_of(context, *(f"Name{n}" for n in range(40)))
    orphan_an_index(saved)
    with pytest.raises(UserError, match=r"is damaged and cannot be used \(Page \d+ is never "
                                        r"used.*Choose an earlier backup"):
        backup.restore(context, saved)
    assert len(lead_names(context.paths)) == 40


def test_a_damaged_database_gives_no_backup(context):
    for n in range(40):
        add_lead(context, last=f"Name{n}", email=f"n{n}@example.org")
    context.close()
    orphan_an_index(context.paths.database_file)
    with pytest.raises(UserError, match="The copy of orchid.db is damaged.*database itself "
                                        "is probably damaged"):
        backup.daily_backup(context, today=DAY)
    assert list(context.paths.backups_dir.iterdir()) == []


def test_a_backup_from_a_newer_version_or_another_program_is_refused(context, tmp_path):
    saved = backup_of(context, "Live")
    context.close()
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(saved.read_bytes())
    connection = sqlite3.connect(newer)
    connection.execute("UPDATE alembic_version SET version_num = '0099_future'")
    connection.commit()
    connection.close()
    with pytest.raises(UserError, match=r"newer Orchid Desktop \(schema 0099_future"):
        backup.restore(context.paths, newer)
    foreign = tmp_path / "someone-elses.sqlite3"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE t (x)")
    connection.close()
    with pytest.raises(UserError, match="not an Orchid Desktop database"):
        backup.verify_backup(foreign)
    with pytest.raises(UserError, match="no backup file"):
        backup.restore(context.paths, tmp_path / "missing.sqlite3")
    assert lead_names(context.paths) == {"Live"}


def test_a_restore_asked_for_in_the_window_runs_at_the_next_start(context):
    saved = backup_of(context, "Kept")
    add_lead(context, last="Lost", email="lost@example.org")
    backup.schedule_restore(context, saved)
    assert backup.pending_restore(context.paths) == saved.resolve()
    context.close()
    reopened = open_context()
    try:
        assert reopened.restored is not None and reopened.restored.backup == saved.resolve()
        assert lead_names(reopened) == {"Kept"}
    finally:
        reopened.close()
    assert backup.pending_restore(context.paths) is None
    again = open_context()  # runs once only
    assert again.restored is None
    again.close()


def test_a_pending_restore_that_cannot_run_is_reported_once(context):
    saved = backup_of(context, "Live")
    backup.schedule_restore(context, saved)
    context.close()
    saved.unlink()  # gone before the next start
    with pytest.raises(UserError, match="was not done: There is no backup file"):
        open_context()
    assert lead_names(context.paths) == {"Live"}  # the next start just opens it


# -- command line -------------------------------------------------------------------------
def test_cli_backup_then_restore(capsys):
    assert main(["backup"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name == backup.daily_name(date.today()) and path.is_file()
    paths = AppPaths.default()
    context = open_context()
    add_lead(context, last="AfterBackup", email="afterbackup@example.org")
    context.close()
    assert main(["restore", str(path)]) == 0
    assert "Restored the backup" in capsys.readouterr().out
    assert lead_names(paths) == set()
    assert main(["restore", str(paths.data_dir / "nothing.sqlite3")]) == 2
    assert "no backup file" in capsys.readouterr().err


def test_cli_restore_refuses_while_the_window_is_open(qtbot, capsys):
    from orchid_desktop.ui.single_instance import SingleInstance

    assert main(["backup"]) == 0
    path = capsys.readouterr().out.strip()
    window = SingleInstance(AppPaths.default().config_dir)
    assert window.acquire()
    try:
        assert main(["restore", path]) == 2
        assert "Orchid Desktop is open on this workstation" in capsys.readouterr().err
    finally:
        window.release()
    assert main(["restore", path]) == 0


@pytest.mark.postgres
def test_cli_backup_of_a_shared_database_says_where_it_is_backed_up(pg_url, capsys):
    engine = create_engine(pg_url)
    migrate.upgrade(engine)
    engine.dispose()
    assert main(["--database", pg_url, "backup"]) == 2
    assert "backed up on its server" in capsys.readouterr().err


# -- the dialog ---------------------------------------------------------------------------
def test_dialog_backs_up_now_and_schedules_a_restore_that_quits(window, qtbot, monkeypatch):
    context = window.context
    add_lead(context, last="Kept", email="kept@example.org")
    window.backup_action.trigger()
    dialog = window.backup_dialog
    assert dialog.isVisible() and dialog.empty_label.isVisible()
    assert not dialog.restore_button.isEnabled()
    dialog.backup_button.click()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert dialog.table.rowCount() == 1 and dialog.restore_button.isEnabled()
    assert "Backed up to orchid-" in dialog.result_label.text()
    assert dialog.table.item(0, 2).text() == "Daily backup"
    add_lead(context, last="Lost", email="lost@example.org")
    asked = []
    monkeypatch.setattr(dialog, "confirm_restore", lambda info: asked.append(info) or True)
    monkeypatch.setattr(dialog, "tell_restart", lambda info: None)
    with qtbot.waitSignal(window.quit_requested, timeout=10_000):
        dialog.restore_button.click()
    assert asked[0].path == dialog.backups[0].path
    assert backup.pending_restore(context.paths) == asked[0].path.resolve()
    assert lead_names(context) == {"Kept", "Lost"}  # nothing replaced under the window


def test_dialog_shows_why_a_backup_cannot_be_restored(context, qtbot, monkeypatch):
    from orchid_desktop.ui.backup_dialog import BackupDialog

    saved = backup_of(context, "Live")
    saved.write_bytes(b"not a database at all" * 100)
    dialog = BackupDialog(context)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "confirm_restore", lambda info: True)
    dialog.restore_selected()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert "not an intact SQLite database" in dialog.result_label.text()
    assert backup.pending_restore(context.paths) is None


def test_dialog_in_shared_mode_explains_the_server_backs_up(qtbot, tmp_path):
    from orchid_desktop.ui.backup_dialog import BackupDialog

    @dataclass
    class SharedContext:
        target: DatabaseTarget
        paths: AppPaths

    shared = SharedContext(DatabaseTarget(make_url("postgresql+psycopg://orchid@db/orchid")),
                           AppPaths(tmp_path / "data", tmp_path / "config"))
    dialog = BackupDialog(shared)
    qtbot.addWidget(dialog)
    dialog.show()
    text = " ".join(label.text() for label in dialog.findChildren(type(dialog.result_label)))
    assert "“orchid” on db" in text and "backed up on its server" in text
    assert not dialog.restore_button.isVisible() and not dialog.backup_button.isVisible()


def test_window_says_a_restore_was_done_at_start(context, qtbot):
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import MainWindow

    saved = backup_of(context, "Kept")
    backup.schedule_restore(context, saved)
    context.close()
    reopened = open_context()
    make_qapplication()
    win = MainWindow(reopened, tray_available=True)
    qtbot.addWidget(win)
    try:
        assert "Restored the backup orchid-2024-05-14.sqlite3" in win.statusBar().currentMessage()
    finally:
        win._quitting = True
        win.close()
        reopened.close()
