"""Backups of the local SQLite database: one a day, kept 14 days, and a restore that first
keeps a copy of what it replaces.

A shared PostgreSQL database is not backed up here: its server does that (pg_dump, the
host's snapshots), because a copy taken by one workstation would be neither complete nor
anyone's responsibility.

Why the sqlite3 backup API and not a file copy: the app may be writing while the copy is
made (WAL mode); the backup API reads one consistent snapshot through the WAL, in one
step, without blocking writers. Every file is written under a temporary name, checked,
fsynced and only then renamed, so a half-written copy never carries a backup's name.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.script import ScriptDirectory

from orchid_desktop.config.paths import AppPaths
from orchid_desktop.db import migrate
from orchid_desktop.errors import UserError

if TYPE_CHECKING:  # app.py imports this module (pending restores), so no import back
    from orchid_desktop.app import AppContext

log = logging.getLogger(__name__)

KEEP_DAYS = 14
DAILY = re.compile(r"^orchid-(\d{4}-\d{2}-\d{2})\.sqlite3$")
BEFORE_RESTORE = re.compile(r"^orchid-before-restore-(\d{4}-\d{2}-\d{2})-\d{6}(?:-\d+)?\.sqlite3$")
TEMP_PREFIX, TEMP_SUFFIX = ".orchid-backup-", ".tmp"
PENDING_FILE = "restore-pending.json"
DAMAGED_DATABASE = ("The database itself is probably damaged: restore the newest good "
                    "backup (File → Back up and restore…).")
SHARED_DATABASE_NOTE = ("The shared database is backed up on its server by its "
                        "administrator (for example with pg_dump), not by a workstation; "
                        "ask them to restore it.")


@dataclass(frozen=True)
class BackupInfo:
    date: date
    size: int
    path: Path
    taken_at: datetime  # the file's time, local and aware
    before_restore: bool = False  # the copy a restore kept of the database it replaced

    @property
    def kind(self) -> str:
        return "Kept before a restore" if self.before_restore else "Daily backup"


@dataclass(frozen=True)
class RestoreResult:
    backup: Path
    database: Path
    safety_copy: Path | None
    revision: str

    def summary(self) -> str:
        kept = (f" The database as it was is kept as {self.safety_copy.name} in the backups "
                "folder." if self.safety_copy else "")
        return f"Restored the backup {self.backup.name}.{kept}"


def daily_name(day: date) -> str:
    return f"orchid-{day.isoformat()}.sqlite3"


# -- backing up ---------------------------------------------------------------------------
def daily_backup(context: AppContext, today: date | None = None, *,
                 replace: bool = False) -> Path | None:
    """Today's backup of the local database (made now unless it exists; ``replace`` makes
    a fresh one anyway), then backups older than 14 days are deleted. None for a shared
    database, which its server backs up."""
    if not context.target.is_sqlite:
        log.info("no workstation backup of %s: a shared database is backed up on its "
                 "server (pg_dump)", context.target.describe())
        return None
    today = today or date.today()
    folder = context.paths.backups_dir
    target = folder / daily_name(today)
    if replace or not target.exists():
        database = context.target.sqlite_file
        _guard(lambda: _write_copy(database, target, verify=True),
               f"The backup of {database} could not be made")
        log.info("backed up %s to %s", database, target)
    prune(folder, today)
    return target


def prune(folder: Path, today: date) -> list[Path]:
    """Delete daily backups from 14 or more days ago, and temporary files a crash left.
    Only our own names are touched; copies kept before a restore stay until removed by
    hand, as they may hold the only copy of work a restore replaced."""
    removed = []
    cutoff = today - timedelta(days=KEEP_DAYS)
    yesterday = datetime.now().timestamp() - 86_400
    for path in folder.iterdir() if folder.is_dir() else ():
        match = DAILY.match(path.name)
        day = _parse_day(match[1]) if match else None
        expired = day is not None and day <= cutoff
        stale_temp = (path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)
                      and path.stat().st_mtime < yesterday)
        if expired or stale_temp:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("removed %d old backup files", len(removed))
    return removed


def list_backups(paths: AppPaths) -> list[BackupInfo]:
    """Daily backups and the copies kept before restores, newest first."""
    found = []
    folder = paths.backups_dir
    for path in folder.iterdir() if folder.is_dir() else ():
        daily, before = DAILY.match(path.name), BEFORE_RESTORE.match(path.name)
        found_name = daily or before
        day = _parse_day(found_name[1]) if found_name else None
        if day is None:
            continue
        stat = path.stat()
        found.append(BackupInfo(day, stat.st_size, path,
                                datetime.fromtimestamp(stat.st_mtime).astimezone(),
                                before_restore=before is not None))
    return sorted(found, key=lambda info: (info.date, info.taken_at), reverse=True)


# -- restoring ----------------------------------------------------------------------------
def verify_backup(backup_path: Path) -> str:
    """Check a backup without changing it: a SQLite database, intact, of a schema this
    version knows. Returns its schema revision; raises UserError saying what is wrong."""
    backup_path = Path(backup_path)
    if not backup_path.is_file():
        raise UserError(f"There is no backup file {backup_path}.")

    def check() -> str:
        connection = _connect_read_only(backup_path)
        try:
            _check_integrity(connection, backup_path.name)
            return _check_revision(connection, backup_path.name)
        finally:
            connection.close()

    return _guard(check, f"{backup_path.name} cannot be read as a backup")


def restore(context_or_paths: AppContext | AppPaths, backup_path: Path, *,
            database_file: Path | None = None) -> RestoreResult:
    """Replace the local database with a backup. Nothing may have the database open: an
    AppContext's engine is disposed here, and the window must be closed (the command line
    checks its lock). The backup is copied beside the database and checked first; then a
    copy of the current database goes to the backups folder; only then is the file
    replaced. Opening the database afterwards (``open_context``) upgrades it."""
    paths, database = _local_database(context_or_paths, database_file)
    backup_path = Path(backup_path)
    if not backup_path.is_file():
        raise UserError(f"There is no backup file {backup_path}.")
    if database.exists() and backup_path.resolve() == database.resolve():
        raise UserError(f"{backup_path} is the database itself, not a backup of it.")
    database.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(database)

    def replace() -> RestoreResult:
        _sqlite_copy(backup_path, temp)
        connection = sqlite3.connect(temp)
        try:
            _check_integrity(connection, backup_path.name)
            revision = _check_revision(connection, backup_path.name)
        finally:
            connection.close()
        safety = _safety_copy(database, paths.backups_dir) if database.exists() else None
        _fsync(temp)
        # The old -wal must go before the new file arrives: SQLite would replay it onto
        # the restored database. Its content is in the safety copy.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(temp, database)
        _fsync_dir(database.parent)
        return RestoreResult(backup_path, database, safety, revision)

    try:
        result = _guard(replace, f"The backup {backup_path.name} could not be restored")
    finally:
        temp.unlink(missing_ok=True)
    (paths.data_dir / PENDING_FILE).unlink(missing_ok=True)  # done, whoever asked
    log.warning("restored %s from %s (schema %s); the previous database is kept as %s",
                database, backup_path, result.revision, result.safety_copy)
    return result


def schedule_restore(context_or_paths: AppContext | AppPaths, backup_path: Path) -> Path:
    """Check the backup now, so a damaged or too-new one is refused while the person is
    still in the dialog, and ask for the restore to run at the next start, before anything
    opens the database (``apply_pending_restore``). Returns the note written."""
    paths, database = _local_database(context_or_paths, None, dispose=False)
    verify_backup(backup_path)
    note = paths.data_dir / PENDING_FILE
    note.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(note)
    temp.write_text(json.dumps({"backup": str(Path(backup_path).resolve()),
                                "database": str(database),
                                "requested_at": datetime.now().astimezone().isoformat()}),
                    encoding="utf-8")
    os.replace(temp, note)
    log.info("restore of %s from %s will run at the next start", database, backup_path)
    return note


def pending_restore(paths: AppPaths) -> Path | None:
    """The backup a restore is waiting to put in place at the next start, if any."""
    try:
        return Path(json.loads((paths.data_dir / PENDING_FILE).read_text("utf-8"))["backup"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def apply_pending_restore(paths: AppPaths) -> RestoreResult | None:
    """Run a restore asked for in the window, before the database is opened. The note is
    removed first, so a restore that fails is reported once, never retried forever."""
    note = paths.data_dir / PENDING_FILE
    if not note.exists():
        return None
    try:
        request = json.loads(note.read_text("utf-8"))
        backup_path, database = Path(request["backup"]), Path(request["database"])
    except (OSError, ValueError, KeyError, TypeError):
        note.unlink(missing_ok=True)
        raise UserError("A restore was asked for, but its note in the data folder cannot be "
                        "read, so nothing was restored; the database was not changed. Open "
                        "Orchid Desktop again, then choose the backup again.") from None
    note.unlink(missing_ok=True)
    try:
        return restore(paths, backup_path, database_file=database)
    except UserError as error:
        raise UserError(f"The restore asked for was not done: {error} The database was not "
                        "changed; open Orchid Desktop again to continue with it.") from None


# -- the pieces ---------------------------------------------------------------------------
def _local_database(context_or_paths, database_file: Path | None, *,
                    dispose: bool = True) -> tuple[AppPaths, Path]:
    if isinstance(context_or_paths, AppPaths):
        return context_or_paths, Path(database_file or context_or_paths.database_file)
    context = context_or_paths
    if not context.target.is_sqlite:
        raise UserError(SHARED_DATABASE_NOTE)
    if dispose:
        context.engine.dispose()
    return context.paths, Path(database_file or context.target.url.database)


def _guard(work, what: str):
    """sqlite3 and file-system errors, in plain words."""
    try:
        return work()
    except sqlite3.DatabaseError as error:
        detail = str(error)
        if "not a database" in detail or "malformed" in detail:
            detail = "it is not an intact SQLite database"
        raise UserError(f"{what}: {detail}.") from None
    except OSError as error:
        raise UserError(f"{what}: {error.strerror or error} ({error.filename or ''}).") \
            from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` in ``target`` as one self-contained file."""
    if not source.is_file():
        raise UserError(f"There is no database file {source}.")
    reader = _connect_read_only(source)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)  # all pages in one step: one snapshot
            writer.execute("PRAGMA journal_mode=DELETE")  # no -wal beside a backup
        finally:
            writer.close()
    finally:
        reader.close()


def _write_copy(source: Path, target: Path, *, verify: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(target)
    try:
        _sqlite_copy(source, temp)
        if verify:
            connection = sqlite3.connect(temp)
            try:
                _check_integrity(connection, f"The copy of {source.name}", DAMAGED_DATABASE)
            finally:
                connection.close()
        _fsync(temp)
        os.replace(temp, target)
        _fsync_dir(target.parent)
    finally:
        temp.unlink(missing_ok=True)


def _safety_copy(database: Path, folder: Path) -> Path:
    """The database as it is, before a restore replaces it. A damaged database (perhaps
    the reason for the restore) is copied byte for byte instead, with its -wal."""
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
    target, n = folder / f"orchid-before-restore-{stamp}.sqlite3", 1
    while target.exists():
        n += 1
        target = folder / f"orchid-before-restore-{stamp}-{n}.sqlite3"
    try:
        _write_copy(database, target, verify=False)
    except sqlite3.DatabaseError:
        log.warning("the database could not be read for a copy; copying its files as they are")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database, target)
        wal = Path(f"{database}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{target}-wal"))
    return target


def _check_integrity(connection: sqlite3.Connection, name: str, advice: str = "Choose an "
                     "earlier backup.") -> None:
    found = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    problems = [line for text in found for line in text.splitlines()
                if line and not line.startswith("*** in database")]
    if problems != ["ok"]:
        more = f", and {len(problems) - 1:,} more problems" if len(problems) > 1 else ""
        raise UserError(f"{name} is damaged and cannot be used ({problems[0]}{more}). "
                        f"{advice}")


def _check_revision(connection: sqlite3.Connection, name: str) -> str:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        row = None
    if not row:
        raise UserError(f"{name} is not an Orchid Desktop database (it has no schema "
                        "version).")
    revision = row[0]
    script = ScriptDirectory.from_config(migrate.alembic_config())
    if revision not in {rev.revision for rev in script.walk_revisions()}:
        raise UserError(f"{name} was made by a newer Orchid Desktop (schema {revision}; this "
                        f"version knows up to {script.get_current_head()}). Install the newer "
                        "version to restore it.")
    return revision


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _temp_beside(path: Path) -> Path:
    """A new empty file in the same folder, so the final rename stays on one disk."""
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(handle)
    return Path(name)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; Windows cannot open a folder, and commits renames itself."""
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
