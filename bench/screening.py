"""Screening speed: N demo-like contacts (default 10,000) re-screened by the same service
*Re-screen all* and `orchid-desktop screen` use (batches of 200, one transaction each),
and the Screening tab's group counts and first page over them. Prints seconds; not a test.

    python bench/screening.py [--count N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be emptied")
    args = parser.parse_args()

    from sqlalchemy import create_engine, insert

    from orchid_desktop.db import migrate
    from orchid_desktop.db.engine import (
        DatabaseTarget,
        create_app_engine,
        parse_database_url,
        session_factory,
    )
    from orchid_desktop.db.models import Base, Contact
    from orchid_desktop.services import demo, first_run, screening
    from orchid_desktop.services.listing import Listing
    from orchid_desktop.services.people_query import SCREENING, PeopleFilter, where_clause
    from orchid_desktop.services.screening_queue import group_counts

    if args.postgres:
        engine = create_engine(args.postgres)
        with engine.begin() as c:
            Base.metadata.drop_all(c)
            c.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    else:
        folder = Path(tempfile.mkdtemp())
        engine = create_app_engine(DatabaseTarget(parse_database_url(
            f"sqlite:///{folder}/bench.db")))
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    first_run.ensure_first_run(sessions, None)
    rng = random.Random(1)
    now = datetime.now(UTC)
    people = demo._unique_people(rng, args.count)
    with sessions.begin() as session:
        rows = []
        for index, person in enumerate(people):
            contact = demo._contact(rng, person, index, now, None, None)
            rows.append({c.key: getattr(contact, c.key) for c in Contact.__table__.columns
                         if getattr(contact, c.key) is not None and c.key != "id"})
        session.execute(insert(Contact), rows)
    started = time.perf_counter()
    tally = screening.screen_contacts(sessions, None)
    took = time.perf_counter() - started
    print(f"{engine.dialect.name}: re-screened {tally.done:,} contacts in {took:.1f} s "
          f"({tally.done / took:,.0f} a second): {tally.summary()}")
    with sessions() as session:
        started = time.perf_counter()
        group_counts(session, where_clause(SCREENING, PeopleFilter(), engine.dialect.name))
        counted = time.perf_counter() - started
    listing = Listing(sessions, SCREENING)
    started = time.perf_counter()
    total = listing.count()
    listing.page(0, 200, SCREENING.default_sort, True, total=total)
    paged = time.perf_counter() - started
    print(f"{engine.dialect.name}: group counts {counted * 1000:.0f} ms; queue count + "
          f"first page of 200 (with each row's latest evaluation) {paged * 1000:.0f} ms "
          f"over {total:,} queued contacts")
    engine.dispose()


if __name__ == "__main__":
    main()
