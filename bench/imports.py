"""Spreadsheet import speed and memory: a CSV of N rows (default 1,000,000) and an XLSX of
M rows (default 100,000), each read, validated, de-duplicated and committed by the real
import (`services/importing.run_import`) into an empty database and into one already
holding 1,000,000 leads, on SQLite and (with --postgres) PostgreSQL. Prints numbers; not
a test.

    python bench/imports.py [--rows N] [--xlsx-rows M] [--existing E] [--postgres SERVER_URL]

Each import runs in a fresh process, so its peak memory is its own. Beside each import,
the same run measures a floor: pandas reading the same file as text plus one plain
executemany of the same rows into a table with the same columns and no index or trigger
(the least any import of these rows can cost); the import is reported as a ratio to it.
The files hold what real lists hold: about 1% repeated people, 0.5% rows with no usable
email or phone, phones written several ways, names with accents and apostrophes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people_data import FIRST, LAST

HEADERS = ["Timestamp", "Email Address", "First Name", "Last Name", "Phone Number",
           "State of residence", "I am interested in", "How did you hear about us"]
PHONE_STYLES = ("({a}) {b}-{c}", "+1 {a}-{b}-{c}", "p:+1{a}{b}{c}", "{a}{b}{c}", "{a}.{b}.{c}")
STATES = ("CA", "TX", "FL", "NY", "Illinois", "WA", "GA", "az")
TYPES = ("Egg donor", "Surrogate", "egg donation", "Gestational carrier", "")
HEARD = ("Instagram", "Facebook", "Google", "A friend", "TikTok", "")


def rows(count: int, seed: int = 11):
    rng = random.Random(seed)
    for n in range(count):
        if rng.random() < 0.01 and n > 10:  # the same person again, as lists have
            n = rng.randrange(n)
        first, last = FIRST[n % len(FIRST)], LAST[(n * 7) % len(LAST)]
        email = f"{first}.{last}{n}@example.com".replace("'", "").replace("ü", "u")
        phone = rng.choice(PHONE_STYLES).format(a=("415", "212", "512", "305")[n % 4],
                                               b=200 + (n // 10_000) % 800,
                                               c=f"{n % 10_000:04d}")
        if rng.random() < 0.005:
            email, phone = "", ""  # nobody to reach: rejected
        stamp = f"{1 + n % 12}/{1 + n % 28}/2026 {n % 24}:{n % 60:02d}:00"
        yield [stamp, email, first, last, phone, rng.choice(STATES), rng.choice(TYPES),
               rng.choice(HEARD)]


def csv_file(count: int) -> Path:
    path = Path(f"/tmp/orchid-import-bench-{count}.csv")
    if not path.exists():
        with open(path.with_suffix(".part"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            writer.writerows(rows(count))
        path.with_suffix(".part").rename(path)
    return path


def xlsx_file(count: int) -> Path:
    from openpyxl import Workbook

    path = Path(f"/tmp/orchid-import-bench-{count}.xlsx")
    if not path.exists():
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Leads")
        sheet.append(HEADERS)
        for row in rows(count, seed=12):
            sheet.append(row)
        book.save(path.with_suffix(".part.xlsx"))
        path.with_suffix(".part.xlsx").rename(path)
    return path


# -- one measurement, in its own process ------------------------------------------------
def measure(url: str, file: str, what: str) -> dict:
    from sqlalchemy import create_engine

    from orchid_desktop.db.engine import (
        DatabaseTarget,
        create_app_engine,
        parse_database_url,
        session_factory,
    )
    from orchid_desktop.services import importing as _imp
    from orchid_desktop.services.import_reader import open_table
    from orchid_desktop.services.importing import ImportOptions, suggest_mapping
    run_import = _imp.run_import

    target = DatabaseTarget(parse_database_url(url))
    engine = create_app_engine(target) if url.startswith("sqlite") else create_engine(url)
    began = time.perf_counter()
    if what == "floor":
        seconds = floor(engine, Path(file))
        out = {"seconds": seconds}
    else:
        sessions = session_factory(engine)
        source = open_table(file)
        with sessions() as session:
            mapping = suggest_mapping(session, source.headers, ImportOptions().target).mapping
        report = run_import(sessions, source, mapping, ImportOptions(source_label="bench"),
                            staff_id=None)
        out = {"seconds": time.perf_counter() - began,
               "counts": [report.created, report.updated, report.skipped, report.rejected]}
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    return out


def floor(engine, file: Path) -> float:
    """pandas reading the file as text, and one plain executemany of its rows into a
    table without indexes or triggers (rolled back)."""
    import pandas as pd
    from sqlalchemy import text

    began = time.perf_counter()
    columns = ", ".join(f"c{i} TEXT" for i in range(len(HEADERS)))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE floor_rows ({columns})")
        insert = text(f"INSERT INTO floor_rows VALUES "
                      f"({', '.join(f':c{i}' for i in range(len(HEADERS)))})")
        if file.suffix == ".csv":
            frames = pd.read_csv(file, dtype=str, keep_default_na=False, chunksize=50_000)
        else:
            frames = [pd.read_excel(file, engine="calamine", dtype=str)]
        for frame in frames:
            frame.columns = [f"c{i}" for i in range(len(HEADERS))]
            connection.execute(insert, frame.to_dict("records"))
        seconds = time.perf_counter() - began
        connection.exec_driver_sql("DROP TABLE floor_rows")
    return seconds


def in_process(url: str, file: Path, what: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--measure", url, str(file), what],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- databases --------------------------------------------------------------------------
def sqlite_copy(existing: int) -> str:
    """A fresh SQLite database: empty, or a copy of the benchmark file of N leads."""
    from sqlalchemy.engine import make_url

    from orchid_desktop.db import migrate
    from orchid_desktop.db.engine import DatabaseTarget, create_app_engine

    path = Path("/tmp/orchid-import-bench-target.db")
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    if existing:
        from people_listing import sqlite_url

        shutil.copy(sqlite_url(existing).removeprefix("sqlite:///"), path)
    else:
        engine = create_app_engine(DatabaseTarget(make_url(f"sqlite:///{path}")))
        migrate.upgrade(engine)
        engine.dispose()
    return f"sqlite:///{path}"


def postgres_db(server: str, existing: int) -> str:
    """A fresh database orchid_bench on the server, holding ``existing`` leads."""
    from people_listing import postgres_url

    return postgres_url(server, existing)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="SERVER_URL")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    files = [("CSV", csv_file(args.rows), args.rows, 20.0),
             ("XLSX", xlsx_file(args.xlsx_rows), args.xlsx_rows, 5.0)]
    databases = [] if args.no_sqlite else [("SQLite", lambda n: sqlite_copy(n))]
    if args.postgres:
        databases.append(("PostgreSQL", lambda n: postgres_db(args.postgres, n)))
    print("| file | database | already holding | import s | floor s | ratio | peak RSS | "
          "created / updated / skipped / rejected | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for db_name, make in databases:
        for existing in (0, args.existing):
            for kind, path, count, target in files:
                url = make(existing)
                floor_run = in_process(url, path, "floor")
                run = in_process(url, path, "import")
                ratio = run["seconds"] / floor_run["seconds"]
                met = "yes" if run["seconds"] <= target else "**no**"
                print(f"| {count:,} {kind} rows | {db_name} | {existing:,} | "
                      f"{run['seconds']:.1f} | {floor_run['seconds']:.1f} | {ratio:.1f}× | "
                      f"{run['rss_mb']:.0f} MB | {' / '.join(f'{c:,}' for c in run['counts'])} | "
                      f"≤ {target:.0f} s: {met} |", flush=True)
    if args.postgres:
        from people_listing import drop_postgres

        drop_postgres(args.postgres)


if __name__ == "__main__":
    main()
