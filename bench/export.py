"""Export speed: N leads (default 100,000) written to CSV and XLSX by the same service
the tabs and `orchid-desktop export` use. Prints seconds and peak memory; not a test.

    python bench/export.py [--count N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people_data import fill_leads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    count = parser.parse_args().count

    from orchid_desktop.db import migrate
    from orchid_desktop.db.engine import (
        DatabaseTarget,
        create_app_engine,
        parse_database_url,
        session_factory,
    )
    from orchid_desktop.services.export import export_people
    from orchid_desktop.services.people_query import LEADS, PeopleFilter

    folder = Path(tempfile.mkdtemp(prefix="orchid-export-bench-"))
    engine = create_app_engine(DatabaseTarget(parse_database_url(
        f"sqlite:///{folder / 'bench.db'}")))
    migrate.upgrade(engine)
    print(f"filling {count:,} leads … {fill_leads(engine, count):.0f} s")
    sessions = session_factory(engine)
    for suffix in ("csv", "xlsx"):
        target = folder / f"leads.{suffix}"
        began = time.perf_counter()
        written = export_people(sessions, LEADS, PeopleFilter(), target)
        seconds = time.perf_counter() - began
        print(f"{suffix:>4}: {written:,} rows in {seconds:.1f} s "
              f"({written / seconds:,.0f} rows/s, {target.stat().st_size / 1e6:.1f} MB)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
