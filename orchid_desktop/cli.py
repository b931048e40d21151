"""The command line: ``orchid-desktop`` opens the window; subcommands do one job and exit.

A user's mistake prints one clear line and exits non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from orchid_desktop import __version__
from orchid_desktop.config.paths import AppPaths
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.errors import UserError
from orchid_desktop.logging_setup import configure_logging, terminal_quiet

log = logging.getLogger("orchid_desktop.cli")

EXIT_USER_ERROR = 2
IMPORTABLE = ".csv, .tsv, .txt, .xlsx, .xls or .ods"


def build_parser() -> argparse.ArgumentParser:
    # --database and --verbose are accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database", metavar="URL", default=argparse.SUPPRESS,
        help="use this database instead of the local one, e.g. "
             "postgresql+psycopg://orchid@dbserver/orchid (also ORCHID_DATABASE_URL); "
             "the password comes from the keyring",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="also print progress notes (first-run setup, schema upgrades, the database "
             "opened) on stderr; they always go to the log file")
    parser = argparse.ArgumentParser(
        prog="orchid-desktop", parents=[common],
        description="Orchid Desktop: leads, contacts, screening and recruitment email "
                    "for fertility agencies. With no command, opens the window.",
        epilog=f"Log file: {AppPaths.default().log_file}. A mistake prints one line on "
               "stderr and exits with status 2. 'orchid-desktop COMMAND --help' describes "
               "a command.")
    parser.add_argument("--version", action="version", version=f"orchid-desktop {__version__}")
    parser.add_argument("--smoke-test", action="store_true",
                        help="start, show the main window, quit with status 0 (bundle "
                             "check); a database that cannot be opened prints one line "
                             "and exits with status 2")
    parser.add_argument("--demo", action="store_true",
                        help="load demo leads and contacts into the database before opening")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    db = commands.add_parser(
        "db", parents=[common], help="database maintenance",
        description="Database maintenance: create or upgrade the schema, or show which "
                    "schema revision the database is at. The local database is upgraded "
                    "at every start by itself; a shared (PostgreSQL) one only by "
                    "'db upgrade', run once from one workstation.")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "upgrade", parents=[common],
        help="create or upgrade the schema (use for a shared database)",
        description="Create the schema in an empty database, or upgrade it to this "
                    "version's schema (Alembic migrations), and print what was done. "
                    "Workstations running an older version should be updated first.")
    db_commands.add_parser(
        "current", parents=[common],
        help="print the schema revision and whether it is up to date",
        description="Print the database's schema revision and whether it is up to date. "
                    "Reads only: when the local database does not exist yet, says where "
                    "it will be created (at the first start, or by 'db upgrade') and "
                    "creates nothing. Exits 0 in every such case; 2 when the database "
                    "cannot be reached.")
    commands.add_parser(
        "demo", parents=[common], help="load demo data and exit",
        description="Load 300 demo leads and 120 demo contacts (made-up people) into the "
                    "database and exit; refused, with status 2, when they are already "
                    "loaded. The import history can undo them.")
    export = commands.add_parser(
        "export", parents=[common], help="write leads or contacts to a .csv or .xlsx file",
        description="Write the active (or archived) leads or contacts, optionally "
                    "filtered like the window's lists, to a .csv or .xlsx file, and print "
                    "how many were written.")
    export.add_argument("kind", choices=("leads", "contacts"), help="what to export")
    export.add_argument("path", type=Path, metavar="PATH",
                        help="a file ending in .csv or .xlsx")
    export.add_argument("--search", default="", metavar="TEXT",
                        help="only people whose name, email or phone match")
    export.add_argument("--type", dest="types", action="append", default=[],
                        choices=[t.value for t in ApplicantType],
                        help="only this applicant type; repeatable")
    export.add_argument("--status", dest="statuses", action="append", default=[],
                        metavar="VALUE", help="lead status or contact stage; repeatable")
    export.add_argument("--archived", action="store_true",
                        help="the archived people instead of the active ones")
    _add_import_parser(commands, common)
    _add_worker_parser(commands, common)
    screen = commands.add_parser(
        "screen", parents=[common],
        help="run the current DQ rules on every contact (or the given ids) and store "
             "the evaluations",
        description="Run the current disqualification (DQ) rules on every active contact, "
                    "or on the contacts given by id, store the evaluations and print one "
                    "line saying how many were screened and what the rules found.")
    screen.add_argument("ids", nargs="*", type=int, metavar="ID",
                        help="contact ids; none means every active contact")
    commands.add_parser(
        "backup", parents=[common],
        help="back up the local database now and print where the copy is",
        description="Copy the local database to today's backup in the backups folder "
                    "(replacing an earlier one of today), check the copy, and print its "
                    "path. Daily backups 14 or more days old are deleted. A shared "
                    "database is backed up on its server instead (status 2).")
    restore = commands.add_parser(
        "restore", parents=[common],
        help="replace the local database with a backup (the window must be closed); the "
             "database as it was is kept in the backups folder first",
        description="Replace the local database with a backup file, after checking it, "
                    "and print what was done. The database as it was is kept in the "
                    "backups folder first. Refused while the window is open on this "
                    "workstation, and for a shared database.")
    restore.add_argument("path", type=Path, metavar="PATH",
                         help="a backup file (e.g. one printed by 'orchid-desktop backup')")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    database = getattr(args, "database", None)
    verbose = getattr(args, "verbose", False)
    paths = AppPaths.default()
    try:
        if args.command is None:
            configure_logging(paths.log_file, verbose=verbose, window=True)
            if _no_one_sees_a_dialog(args.smoke_test):
                _check_database_quickly(database)  # before the window's imports (~3 s)
            from orchid_desktop.ui.application import run_gui  # Qt only when needed

            return run_gui(database, smoke_test=args.smoke_test, load_demo=args.demo)
        configure_logging(paths.log_file, verbose=verbose)
        if args.command == "db":
            return _db(args.db_command, database)
        if args.command == "demo":
            return _demo(database)
        if args.command == "export":
            return _export(args, database)
        if args.command == "import":
            return _import(args, database)
        if args.command == "screen":
            return _screen(args.ids, database)
        if args.command == "worker":
            from orchid_desktop.worker import run_worker

            return run_worker(args, database)
        if args.command == "backup":
            return _backup(database)
        if args.command == "restore":
            return _restore(args.path, database)
        raise AssertionError(args.command)
    except UserError as error:
        print(f"orchid-desktop: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _no_one_sees_a_dialog(smoke_test: bool) -> bool:
    """True where an error dialog would wait for a click nobody can give: the smoke test,
    Qt's offscreen/minimal platforms, or (Linux) no display at all."""
    if smoke_test:
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if platform in ("offscreen", "minimal"):
        return True
    return (not platform and sys.platform.startswith("linux")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def _check_database_quickly(database: str | None) -> None:
    """Refuse a wrong ``--database`` (not a URL, an unsupported kind, a server that does
    not answer, a shared database never upgraded) in about a second, before the window's
    modules load. Writes nothing: a local file is created by the start that follows, and
    a shared database's schema is only read."""
    from orchid_desktop.config.secrets import SecretStore
    from orchid_desktop.config.settings import SettingsStore
    from orchid_desktop.db.engine import check_connection, create_app_engine, resolve_target

    paths = AppPaths.default()
    target = resolve_target(database, SettingsStore(paths.settings_file), paths)
    if target.is_sqlite:
        return  # nothing slow to find out; a network share is refused when it opens
    engine = create_app_engine(target, SecretStore())
    try:
        check_connection(engine)
        from orchid_desktop.app import prepare_schema

        prepare_schema(engine, target)  # a shared schema: compared, never changed
    finally:
        engine.dispose()


def _db(action: str, database: str | None) -> int:
    from orchid_desktop.app import open_database
    from orchid_desktop.db import migrate

    if action == "current":
        missing = _missing_local_database(database)
        if missing is not None:  # connecting would create an empty file
            print(f"No database yet at {missing}: it is created at the first start of "
                  "Orchid Desktop (or by 'orchid-desktop db upgrade').")
            return 0
    target, engine = open_database(database)
    try:
        if action == "upgrade":
            before, after = migrate.upgrade(engine)
            if before == after:
                print(f"{target.describe()} is up to date (schema {after}).")
            else:
                print(f"{target.describe()} upgraded from {before or 'empty'} to {after}.")
        else:
            current, head = migrate.current_revision(engine), migrate.head_revision()
            state = "up to date" if current == head else f"needs upgrade to {head}"
            print(f"{target.describe()}: schema {current or 'none'} ({state}).")
    finally:
        engine.dispose()
    return 0


def _missing_local_database(database: str | None) -> Path | None:
    """The SQLite file the target names, when it does not exist yet."""
    from orchid_desktop.config.settings import SettingsStore
    from orchid_desktop.db.engine import resolve_target

    paths = AppPaths.default()
    target = resolve_target(database, SettingsStore(paths.settings_file), paths)
    if not target.is_sqlite or target.url.database == ":memory:":
        return None
    path = target.sqlite_file
    return None if path.exists() else path


def _demo(database: str | None) -> int:
    from orchid_desktop.app import open_context
    from orchid_desktop.services.demo import load_demo_data

    context = open_context(database)
    try:
        result = load_demo_data(context.sessions, context.staff_id)
        print(f"Loaded {result.leads} demo leads and {result.contacts} demo contacts "
              f"into {context.target.describe()}.")
    finally:
        context.close()
    return 0


def _export(args: argparse.Namespace, database: str | None) -> int:
    from orchid_desktop.app import open_context
    from orchid_desktop.services.export import check_target, export_people
    from orchid_desktop.services.people_query import KINDS, PeopleFilter

    kind = KINDS[args.kind]
    unknown = [s for s in args.statuses if s not in kind.status_values]
    if unknown:
        word = "status" if args.kind == "leads" else "stage"
        raise UserError(f"Unknown {word} {', '.join(unknown)} for {kind.name}; choose from "
                        f"{', '.join(kind.status_values)}.")
    check_target(args.path)
    people = PeopleFilter(search=args.search, applicant_types=tuple(args.types),
                          statuses=tuple(args.statuses), archived=args.archived)
    context = open_context(database)
    try:
        written = export_people(context.sessions, kind, people, args.path)
        print(f"Exported {written} {kind.name} to {args.path}")
    finally:
        context.close()
    return 0


def _add_worker_parser(commands, common) -> None:
    worker = commands.add_parser(
        "worker", parents=[common],
        help="send scheduled email with no window (an office server, a workstation "
             "without a display): dispatch every 30 s, sync suppressions and stats, "
             "back up; Ctrl+C stops it",
        description="Run the sending engine with no window, for an office server or a "
                    "workstation without a display: dispatch what is due every 30 s, sync "
                    "suppressions daily and stats every 6 hours from SendGrid (when a key "
                    "is set), back up the local database daily. Prints a line for each "
                    "round that sent or queued something and for what staff must know (a "
                    "refused key, a paused campaign). Several workers may share one "
                    "PostgreSQL database; Ctrl+C stops after the requests in flight.")
    worker.add_argument("--once", action="store_true",
                        help="send what is due now, print what happened and exit")
    tuning = worker.add_argument_group("tuning (defaults suit an office)")
    tuning.add_argument("--batch-size", type=int, default=5000, metavar="N",
                        help="messages claimed and rendered together (default 5000)")
    tuning.add_argument("--concurrency", type=int, default=4, metavar="N",
                        help="SendGrid requests in flight at once (default 4)")
    tuning.add_argument("--claim-lease", type=float, default=300.0, metavar="SECONDS",
                        help="how long claimed messages stay this worker's before another "
                             "may take them back (default 300)")
    tuning.add_argument("--interval", type=float, default=30.0, metavar="SECONDS",
                        help="seconds between dispatch ticks (default 30)")


def _add_import_parser(commands, common) -> None:
    from orchid_desktop.domain.vocab import DuplicatePolicy

    parser = commands.add_parser(
        "import", parents=[common],
        help=f"import leads or contacts from a {IMPORTABLE} file",
        description=f"Import leads or contacts from a spreadsheet ({IMPORTABLE}): columns "
                    "are mapped from their headers (or the mapping last used for a file "
                    "with the same columns), every row is checked first, and everything "
                    "is written in one transaction. Prints a summary and up to 20 rejected "
                    "rows (--json: one JSON object). Exits 0 when the import ran; 2, "
                    "writing nothing, when the file cannot be imported.")
    parser.add_argument("path", type=Path, metavar="PATH",
                        help=f"the file to import: {IMPORTABLE}")
    parser.add_argument("--as", dest="target", choices=("leads", "contacts"), default="leads",
                        help="import the rows as leads or as contacts (default: leads)")
    parser.add_argument("--source", default="", metavar="TEXT",
                        help="names the import in the history; a known source in it "
                             "(e.g. 'Facebook', 'clinic') is the people's source")
    parser.add_argument("--type", dest="applicant_type", default="egg_donor",
                        choices=[t.value for t in ApplicantType],
                        help="applicant type where the file has no such column")
    parser.add_argument("--on-duplicate", default="skip",
                        choices=[p.value for p in DuplicatePolicy],
                        help="what to do with someone already known: skip them, fill their "
                             "empty fields, overwrite with the file's values, or create a "
                             "new person anyway (default: skip)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check and count everything, write nothing")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: created, updated, skipped, rejected, "
                             "errors [{row, reason}], notes, batch_id")


def _import(args: argparse.Namespace, database: str | None) -> int:
    import json

    from orchid_desktop.app import open_context
    from orchid_desktop.domain.import_values import parse_source
    from orchid_desktop.domain.vocab import DuplicatePolicy, ImportTarget, LeadSource
    from orchid_desktop.services.import_reader import open_table
    from orchid_desktop.services.importing import ImportOptions, run_import, suggest_mapping

    source = open_table(args.path)  # an unreadable file stops here, before the database
    target = ImportTarget(args.target)
    options = ImportOptions(
        target=target, on_duplicate=DuplicatePolicy(args.on_duplicate),
        source_label=args.source or args.path.stem,
        default_applicant_type=ApplicantType(args.applicant_type),
        default_source=parse_source(args.source) or LeadSource.IMPORT)
    context = open_context(database)
    try:
        with context.sessions() as session:
            mapping = suggest_mapping(session, source.headers, target).mapping
        report = run_import(context.sessions, source, mapping, options,
                            staff_id=context.staff_id, dry_run=args.dry_run)
    finally:
        context.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.summary())
        for problem in report.errors[:20]:
            print(f"  row {problem.row}: {problem.reason}")
        if len(report.errors) > 20:
            print(f"  … and {len(report.errors) - 20:,} more rejected rows (use --json "
                  "for all of them)")
    return 0


def _screen(ids: list[int], database: str | None) -> int:
    from orchid_desktop.app import open_context
    from orchid_desktop.services.screening import screen_contacts

    context = open_context(database)
    try:
        tally = screen_contacts(context.sessions, ids or None)
        print(tally.summary())
    finally:
        context.close()
    return 0


def _backup(database: str | None) -> int:
    from orchid_desktop.app import open_context
    from orchid_desktop.services.backup import SHARED_DATABASE_NOTE, daily_backup

    context = open_context(database)
    try:
        path = daily_backup(context, replace=True)
    finally:
        context.close()
    if path is None:
        raise UserError(SHARED_DATABASE_NOTE)
    print(path)
    return 0


def _restore(path: Path, database: str | None) -> int:
    from orchid_desktop.app import open_context
    from orchid_desktop.config.settings import SettingsStore
    from orchid_desktop.db.engine import resolve_target
    from orchid_desktop.services.backup import SHARED_DATABASE_NOTE, restore
    from orchid_desktop.ui.single_instance import instance_lock  # the window's lock only

    paths = AppPaths.default()
    target = resolve_target(database, SettingsStore(paths.settings_file), paths)
    if target.is_shared:
        raise UserError(SHARED_DATABASE_NOTE)
    lock = instance_lock(paths.config_dir)
    if not lock.tryLock(0):
        raise UserError("Orchid Desktop is open on this workstation; quit it (File → Quit "
                        "Orchid Desktop) and run the restore again.")
    try:  # held meanwhile, so the window cannot start halfway through
        with terminal_quiet():  # its "restored … from …" is for the log: we print the result
            result = restore(paths, path, database_file=target.sqlite_file)
        open_context(database).close()  # upgrades a backup made by an older version
    finally:
        lock.unlock()
    print(result.summary())
    return 0
