"""The Leads tab over a million leads, on SQLite and (with --postgres) on PostgreSQL: the
list's queries (count, pages, sorts, searches, a filter) and the window itself (first rows
painted, a search, jumping to the last row, peak memory). Prints numbers; not a test.

    python bench/people_listing.py [--count N] [--repeat R] [--postgres SERVER_URL]

Times are "first call / median of the next R calls" in milliseconds. SQLite: the filled
file is kept at /tmp/orchid-bench-<count>-<schema head>.db (filling a million leads takes
minutes); the window is measured once with the file dropped from the OS cache (as after
a reboot) and once with it read into the cache, as are the queries. PostgreSQL:
SERVER_URL names any database on the server (postgresql://postgres@127.0.0.1:5432/postgres);
a database orchid_bench is created there, filled with COPY, vacuumed and analysed (as
autovacuum would leave it), measured and dropped. Each window run is a fresh process
(``--window URL``), so its first window is a cold start and its peak memory its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people_data import fill_leads, lead_rows

PAGE = 200
SEARCHES = ("jo", "jessica", "jessica smith", "smith", "555", "(415) 555-0123", "müller",
            "example")  # "(415) 555-0123" is nobody's; "example" is in every lead's email
TARGETS = (("first rows", "< 200 ms"), ("open:", "< 200 ms"), ("search", "< 150 ms"),
           ("last", "< 100 ms"), ("RSS", "< 300 MB"))
BENCH_DB = "orchid_bench"


def ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def timed(fn, repeat: int, setup=lambda: None) -> tuple[float, float]:
    """(first call, median of the next ``repeat``) in ms; ``setup`` runs untimed before each."""
    times = []
    for _ in range(repeat + 1):
        setup()
        times.append(ms(fn))
    return times[0], statistics.median(times[1:])


# -- databases ------------------------------------------------------------------------
def sqlite_url(count: int) -> str:
    from sqlalchemy.engine import make_url

    from orchid_desktop.db import migrate
    from orchid_desktop.db.engine import DatabaseTarget, create_app_engine

    path = Path(f"/tmp/orchid-bench-{count}-{migrate.head_revision()}.db")
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        engine = create_app_engine(DatabaseTarget(make_url(f"sqlite:///{building}")))
        migrate.upgrade(engine)
        print(f"filling {count:,} leads into {path} …", flush=True)
        print(f"  {fill_leads(engine, count):.0f} s", flush=True)
        engine.dispose()
        building.rename(path)
    return f"sqlite:///{path}"


def os_cache(sqlite: str, *, cached: bool) -> None:
    """Drop the SQLite file from the OS cache, or read all of it into the cache."""
    database = Path(sqlite.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        with open(path, "rb") as file:
            if cached:
                while file.read(1 << 20):
                    pass
            else:
                os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_url(server: str, count: int) -> str:
    import psycopg
    from sqlalchemy import create_engine

    from orchid_desktop.db import migrate
    from orchid_desktop.db.engine import parse_database_url

    server_url = parse_database_url(server)
    with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    url = server_url.set(database=BENCH_DB)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    columns = ("first_name", "last_name", "email", "email_normalized", "phone_e164",
               "applicant_type", "source", "status", "received_at", "raw_form_data",
               "search_text")
    print(f"copying {count:,} leads into PostgreSQL {BENCH_DB} …", flush=True)
    began = time.perf_counter()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        with conn.cursor() as cursor, cursor.copy(
                f"COPY leads ({', '.join(columns)}) FROM STDIN") as copy:
            for row in lead_rows(count):
                row["raw_form_data"] = json.dumps(row["raw_form_data"])
                for enum in ("applicant_type", "source", "status"):
                    row[enum] = row[enum].value
                copy.write_row([row[c] for c in columns])
        conn.execute("VACUUM ANALYZE leads")
    print(f"  {time.perf_counter() - began:.0f} s (COPY, VACUUM ANALYZE)", flush=True)
    return url.render_as_string(hide_password=False)


def drop_postgres(server: str) -> None:
    import psycopg

    from orchid_desktop.db.engine import parse_database_url

    with psycopg.connect(_libpq(parse_database_url(server)), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


# -- the list's queries ---------------------------------------------------------------
def service_figures(url: str, repeat: int) -> dict[str, object]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from orchid_desktop.db.engine import DatabaseTarget, create_app_engine, session_factory
    from orchid_desktop.services.listing import lead_listing
    from orchid_desktop.services.people_query import PeopleFilter

    engine = create_app_engine(DatabaseTarget(make_url(url)))
    listing = lead_listing(session_factory(engine))
    newest, total = listing.kind.default_sort, listing.count()
    with engine.connect() as connection:  # someone's phone, typed as staff would
        phone = connection.scalar(text("SELECT phone_e164 FROM leads WHERE id = :id"),
                                  {"id": total // 3})
    searches = (*SEARCHES, f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}")

    def page(offset, sort=newest, descending=True, people=None, of=total):
        people = people or PeopleFilter()
        return lambda: listing.page(offset, PAGE, sort, descending, people, total=of)

    def opened(people=None):  # what the table does: count, then the first page
        people = people or PeopleFilter()
        return lambda: page(0, people=people, of=listing.count(people))()

    figures: dict[str, object] = {
        "count (no filter)": timed(listing.count, repeat),
        "open: count + first page (newest first)": timed(opened(), repeat),
        "first page only": timed(page(0), repeat),
        "middle page (offset total/2 - 100)": timed(page(total // 2 - PAGE // 2), repeat),
        "last page (offset total - 200)": timed(page(total - PAGE), repeat),
    }
    for index, column in enumerate(listing.columns):
        figures[f"sorted by {column.header}, ascending: first page"] = timed(
            page(0, index, False), repeat)
    for typed in searches:
        figures[f'search "{typed}": count + first page'] = timed(
            opened(PeopleFilter(search=typed)), repeat)
    combined = PeopleFilter(statuses=("in_review",), applicant_types=("gestational_carrier",))
    figures["status In review + type Carrier: count + first page"] = timed(
        opened(combined), repeat)
    figures["(matches)"] = {typed: listing.count(PeopleFilter(search=typed))
                            for typed in searches}
    engine.dispose()
    return figures


# -- the window, in a fresh process ---------------------------------------------------
def window_figures(url: str, repeat: int) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ORCHID_DATABASE_URL"] = url
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
    import keyring
    from make_screenshots import _Memory  # an in-memory keyring; sets a temp ORCHID_HOME
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.app import open_context
    from orchid_desktop.services.listing import Listing
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import MainWindow
    from orchid_desktop.ui.people_tab import PeopleTab

    spent = {"Listing.count": [0.0, 0], "Listing.page": [0.0, 0], "fit columns": [0.0, 0]}

    def clocked(name, method):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name][0] += (time.perf_counter() - start) * 1000
                spent[name][1] += 1
        return run

    Listing.count = clocked("Listing.count", Listing.count)
    Listing.page = clocked("Listing.page", Listing.page)
    PeopleTab._fit_columns = clocked("fit columns", PeopleTab._fit_columns)
    keyring.set_keyring(_Memory())
    start = time.perf_counter()
    context = open_context()
    figures: dict[str, object] = {"open_context": (time.perf_counter() - start) * 1000}
    make_qapplication()

    def shown_window() -> MainWindow:
        window = MainWindow(context, tray_available=True)
        window.show()
        QApplication.processEvents()
        assert window.leads_tab.model.index(0, 0).data()
        return window

    start = time.perf_counter()
    window = shown_window()
    figures["window: first window, first rows painted"] = (time.perf_counter() - start) * 1000
    for name, (spent_ms, calls) in spent.items():
        figures[f"  of which {name} ({calls}×, both tabs)"] = spent_ms
    others = []
    for _ in range(repeat):
        start = time.perf_counter()
        another = shown_window()
        others.append((time.perf_counter() - start) * 1000)
        window.request_quit()
        window.close()
        window = another
    figures["window: another window, first rows painted"] = statistics.median(others)
    tab, model = window.leads_tab, window.leads_tab.model

    def search(typed: str):
        tab.filters.search.setText(typed)
        tab.filters._emit()
        QApplication.processEvents()
        assert model.index(0, 0).data() is not None

    def to_bottom():
        tab.table.scrollToBottom()
        QApplication.processEvents()
        assert model.index(model.total_rows() - 1, 0).data() is not None

    def reopened():  # what the tab does after any change: count again, first rows
        tab.refresh()
        QApplication.processEvents()
        assert model.index(0, 0).data() is not None

    def whole_list():  # no filter, no cached pages, at the top
        search("")
        model.reload()
        tab.table.scrollToTop()
        QApplication.processEvents()

    figures['window: search "jessica" to first row'] = timed(
        lambda: search("jessica"), repeat, setup=lambda: search(""))
    figures["window: scrollToBottom to last row"] = timed(to_bottom, repeat, whole_list)
    figures["window: Leads tab refresh() to first rows"] = timed(reopened, repeat, whole_list)
    figures["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.request_quit()
    window.close()
    context.close()
    shutil.rmtree(os.environ["ORCHID_HOME"], ignore_errors=True)
    return figures


def run_window(url: str, repeat: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--window", url, "--repeat", str(repeat)],
                          check=False, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the window run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- report ---------------------------------------------------------------------------
def report(results: dict[str, dict], count: int) -> None:
    print(f"\n{count:,} leads; ms as first call / median of the next runs\n")
    print(f"{'what':<56}" + "".join(f"{name:>22}" for name in results) + "   target")
    for what in dict.fromkeys(key for figures in results.values() for key in figures):
        if what == "(matches)":
            continue
        cells = [results[name].get(what) for name in results]
        cells = ["—" if v is None else f"{v:9.1f}" if isinstance(v, (int, float))
                 else f"{v[0]:9.1f} / {v[1]:8.1f}" for v in cells]
        target = next((t for word, t in TARGETS if word in what and "of which" not in what), "")
        print(f"{what:<56}" + "".join(f"{c:>22}" for c in cells) + f"   {target}")
    for name, figures in results.items():
        if "(matches)" in figures:
            print(f"\nleads matching each search on {name}: {figures['(matches)']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", metavar="SERVER_URL")
    parser.add_argument("--window", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.window:
        print(json.dumps(window_figures(args.window, args.repeat)))
        return
    sqlite = sqlite_url(args.count)
    results = {}
    try:
        print("measuring SQLite …", flush=True)
        os_cache(sqlite, cached=False)
        results["SQLite, cold file"] = run_window(sqlite, args.repeat)
        os_cache(sqlite, cached=True)
        results["SQLite"] = {**run_window(sqlite, args.repeat),
                             **service_figures(sqlite, args.repeat)}
        if args.postgres:
            postgres = postgres_url(args.postgres, args.count)
            print("measuring PostgreSQL …", flush=True)
            results["PostgreSQL"] = {**run_window(postgres, args.repeat),
                                     **service_figures(postgres, args.repeat)}
    finally:
        if args.postgres:
            drop_postgres(args.postgres)
    report(results, args.count)


if __name__ == "__main__":
    main()
