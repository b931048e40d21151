"""Drip campaigns and mass emails over N contacts (default 100,000), on SQLite and (with
--postgres) PostgreSQL, through the services staff and the sending engine use. Prints
numbers; not a test.

    python bench/campaigns.py [--count N] [--tick-count M] [--repeat R]
                              [--postgres SERVER_URL] [--no-sqlite] [--profile STEP ...]

Measured, each in its own transaction as the app runs it:

1. ``enrolment.enrol``: all N contacts into an 8-step "Egg donor welcome" drip (a draft);
2. ``drip_lifecycle.launch_problems``: the render and daily-limit checks over N people;
3. ``drip_lifecycle.launch``: status, the same checks again, N × 8 step records planned;
4. the first ``campaign_queue.queue_due`` tick at the launch moment: the day-0 step of
   each person is due, so N outbox rows are written;
5. the outbox rows are then marked sent (one UPDATE, not timed) and the ticks the
   sending engine pays when nothing is due are timed R times (default 20; median and
   max): ``settle`` alone and a whole ``queue_due`` (which settles first). The first
   settle after the UPDATE, which mirrors N sent rows onto their step records, is
   reported on its own. The quiet tick is also timed just after launch (N × 8 pending
   step records, empty outbox);
6. a mass email to everyone (segment: all leads and contacts, the library newsletter):
   ``segments.count_audience``; ``mass_emails.schedule`` ("send now"); the ``queue_due``
   tick that freezes N recipients and writes N outbox rows; then the quiet tick again
   while those N messages wait in the outbox;
7. peak RSS of the measuring process.

``--tick-count M`` adds a second, shorter run per database for the quiet ticks alone at a
larger size (M = 125,000 gives 1,000,000 pending step records): the enrolments and the
sent day-0 outbox rows are written directly with Core (the rows enrol and the first tick
would write for people nobody blocks), the launch is the service's; the slow steps are
skipped so the size fits in the time.

Each database is fresh (a new SQLite file; a database orchid_bench_campaigns created on
SERVER_URL's server and dropped at the end) and measured in its own process, so its peak
memory is its own. Contacts are bulk-inserted with SQLAlchemy Core (egg donors, spread over
the 50 states, DC and Puerto Rico, distinct valid addresses); PostgreSQL then gets
``VACUUM ANALYZE`` as autovacuum would leave it, and ``ANALYZE`` again before the quiet ticks
(autovacuum analyses tables that grew by 10% within a minute or so; the sending engine
ticks every 30 s for ever). The app's folders live in a temporary ORCHID_HOME and the
keyring is an in-memory one, so nothing of the real user's is touched.

The launch moment is Tuesday 1 December 2026, 20:00 UTC: inside the 9:00–17:00 weekday
window in every US time zone (10:00 in Hawaii, 15:00 in New York), so every day-0 step is
due at once. The quiet ticks run an hour later (then every 30 s), when nothing is due.

``--profile STEP …`` (enrol, launch_problems, launch, pending_tick, first_tick,
first_settle, settle, quiet_tick, count_audience, schedule, mass_tick, mass_quiet_tick)
runs that step (a repeated one: its first run) under cProfile and prints the top
functions to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people_data import FIRST, LAST

BENCH_DB = "orchid_bench_campaigns"
LAUNCH = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # Tuesday; in every US zone's window
QUIET = LAUNCH + timedelta(hours=1)  # the next steps are due Wednesday 09:00 local
DELAYS = (0, 1, 2, 2, 3, 3, 4, 7)  # days after the step before; 8 steps over ~5 weeks
STATES = ("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
          "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
          "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
          "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR")
# populous states more often, as real lists have them
WEIGHTS = {"CA": 12, "TX": 9, "FL": 7, "NY": 6, "PA": 4, "IL": 4, "OH": 3, "GA": 3,
           "NC": 3, "MI": 3}
CHUNK = 20_000
STEPS = ("enrol", "launch_problems", "launch", "pending_tick", "first_tick", "first_settle",
         "settle", "quiet_tick", "count_audience", "schedule", "mass_tick", "mass_quiet_tick")


# -- one database, in its own process ---------------------------------------------------
def contact_rows(count: int, seed: int = 5):
    from orchid_desktop.domain.search_terms import search_text
    from orchid_desktop.domain.vocab import ApplicantType, LeadSource

    rng = random.Random(seed)
    states = [s for s in STATES for _ in range(WEIGHTS.get(s, 1))]
    sources = list(LeadSource)
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{n}@example.com".replace("'", "")
        phone = f"+1{rng.choice(('415', '212', '512', '305'))}{2_000_000 + n:07d}"
        yield {"first_name": first, "last_name": last, "email": email,
               "email_normalized": email, "phone_e164": phone,
               "applicant_type": ApplicantType.EGG_DONOR, "source": rng.choice(sources),
               "state": rng.choice(states), "profile": {},
               "search_text": search_text(first, last, email, phone)}


def fill_contacts(engine, count: int) -> float:
    from sqlalchemy import insert

    from orchid_desktop.db.models import Contact

    began = time.perf_counter()
    rows = contact_rows(count)
    with engine.begin() as connection:
        while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
            connection.execute(insert(Contact), chunk)
    return time.perf_counter() - began


def analyse(engine, *tables: str) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would leave the tables."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


class Clock:
    """Times steps (ms); runs the ones named in ``profile`` under cProfile, also timing
    each SQL statement they send."""

    def __init__(self, profile: list[str], engine):
        self.figures: dict[str, object] = {}
        self.profile = set(profile)
        self.engine = engine
        self.statements: dict[str, list[float]] = {}

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_began"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        spent = self.statements.setdefault(" ".join(statement.split()), [0.0, 0])
        spent[0] += time.perf_counter() - conn.info.pop("bench_began")
        spent[1] += 1

    def __call__(self, name: str, fn, *, key: str | None = None):
        from sqlalchemy import event

        profiler = cProfile.Profile() if name in self.profile else None
        if profiler:
            self.statements.clear()
            event.listen(self.engine, "before_cursor_execute", self._before)
            event.listen(self.engine, "after_cursor_execute", self._after)
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        value = fn()
        if profiler:
            profiler.disable()
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)
        elapsed = (time.perf_counter() - began) * 1000
        self.figures[key or name] = elapsed
        print(f"  {key or name}: {elapsed:,.0f} ms", file=sys.stderr, flush=True)
        if profiler:
            self.profile.discard(name)  # a repeated step: profile its first run only
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            stats.sort_stats("tottime").print_stats(18)
            stats.sort_stats("cumulative").print_stats(25)
            print(f"--- profile of {name} ---\n{out.getvalue()}", file=sys.stderr, flush=True)
            print(f"--- SQL of {name}: ms, executions, statement ---", file=sys.stderr)
            for sql, (seconds, times) in sorted(self.statements.items(),
                                                key=lambda item: -item[1][0])[:12]:
                print(f"{seconds * 1000:10.1f} {times:6d}  {sql[:400]}", file=sys.stderr)
            print(file=sys.stderr, flush=True)
        return value

    def repeated(self, name: str, fn, repeat: int, *, step: str) -> None:
        times = []
        for i in range(repeat):
            key = f"{name} #{i + 1}"
            self(step, lambda i=i: fn(i), key=key)
            times.append(self.figures.pop(key))
        self.figures[name] = (statistics.median(times), max(times))


def core_enrol(engine, campaign: int, staff: int) -> None:
    """The rows ``enrol`` writes for people nobody blocks, written directly: for the
    larger tick run, where only the tables' size matters."""
    from sqlalchemy import insert, select

    from orchid_desktop.db.models import Contact, Enrolment

    with engine.begin() as connection:
        ids = connection.scalars(select(Contact.id).order_by(Contact.id)).all()
        for start in range(0, len(ids), CHUNK):
            connection.execute(insert(Enrolment), [
                {"campaign_id": campaign, "contact_id": i, "enrolled_at": LAUNCH,
                 "enrolled_by_id": staff, "custom_variables": {}}
                for i in ids[start:start + CHUNK]])


def core_day0_sent(engine, campaign: int, sender: int) -> int:
    """For the larger tick run: the day-0 outbox rows the first tick writes, already
    sent (what step 5 of the full run has after its UPDATE), written directly."""
    from sqlalchemy import insert, select

    from orchid_desktop.db.models import (
        Contact,
        DripStep,
        Enrolment,
        EnrolmentStep,
        OutboxMessage,
        Template,
        TemplateVersion,
    )
    from orchid_desktop.domain.vocab import OutboxOrigin, OutboxStatus

    with engine.begin() as connection:
        first = connection.execute(
            select(DripStep.id, Template.kind, TemplateVersion.id)
            .join(Template, Template.id == DripStep.template_id)
            .join(TemplateVersion, TemplateVersion.template_id == Template.id)
            .where(DripStep.campaign_id == campaign, DripStep.position == 1)).one()
        rows = connection.execute(
            select(EnrolmentStep.id, EnrolmentStep.due_at, Contact.id, Contact.email,
                   Contact.first_name, Contact.last_name)
            .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
            .join(Contact, Contact.id == Enrolment.contact_id)
            .where(EnrolmentStep.step_id == first[0])).all()
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(OutboxMessage), [{
                "origin": OutboxOrigin.DRIP, "kind": first[1], "enrolment_step_id": step,
                "contact_id": contact, "to_email": email, "to_email_normalized": email,
                "to_name": f"{given} {family}", "template_version_id": first[2],
                "render_variables": {
                    "first_name": given, "last_name": family, "email": email,
                    "agency_name": "Orchid Fertility",
                    "agency_postal_address": "1 Main St, Oakland, CA 94612",
                    "application_link": "https://apply.example/start",
                    "coordinator_name": "", "unsubscribe_link": "[unsubscribe]"},
                "sender_identity_id": sender, "category": f"drip-{campaign}",
                "status": OutboxStatus.SENT, "due_at": due,
                "finished_at": LAUNCH + timedelta(minutes=20)}
                for step, due, contact, email, given, family in rows[start:start + CHUNK]])
    return len(rows)


def measure(url: str, count: int, repeat: int, profile: list[str], *,
            ticks_only: bool = False) -> dict:
    """All the steps (``ticks_only``: only the quiet ticks, around launch, with the
    enrolments and the day-0 outbox rows written directly rather than by the slow
    services, so a larger N fits in the time)."""
    import keyring
    from sqlalchemy import func, select, update

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
    # an in-memory keyring (importing it also sets a temporary ORCHID_HOME)
    from make_screenshots import _Memory

    keyring.set_keyring(_Memory())
    os.environ["ORCHID_HOME"] = tempfile.mkdtemp(prefix="orchid-bench-campaigns-")
    for name in ("ORCHID_DATABASE_URL", "SENDGRID_API_KEY", "ORCHID_SENDGRID_HOST"):
        os.environ.pop(name, None)

    from dataclasses import replace

    from orchid_desktop.app import open_context
    from orchid_desktop.db import migrate
    from orchid_desktop.db.models import Contact, EnrolmentStep, OutboxMessage, Template
    from orchid_desktop.domain.vocab import (
        CampaignTarget,
        DelayFrom,
        EnrolmentStepStatus,
        OutboxStatus,
        StepKind,
    )
    from orchid_desktop.services import (
        agency,
        campaign_queue,
        drip_lifecycle,
        drips,
        enrolment,
        mass_emails,
        senders,
    )
    from orchid_desktop.services.segments import Segment, count_audience

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    context = open_context(url)
    sessions, staff = context.sessions, context.staff_id
    print(f"filling {count:,} contacts …", file=sys.stderr, flush=True)
    filled = fill_contacts(context.engine, count)
    analyse(context.engine, "contacts")
    print(f"  {filled:.0f} s", file=sys.stderr, flush=True)

    # what launching needs: postal address, a sender whose limit takes everyone, the
    # library's eight donor-welcome emails
    form = agency.load_agency(sessions)
    agency.save_agency(sessions, replace(
        form, name="Orchid Fertility", postal_address="1 Main St, Oakland, CA 94612",
        time_zone="America/Los_Angeles", application_link="https://apply.example/start"),
        staff)
    senders.replace_senders(sessions, [senders.SenderRow(
        None, "hello@orchid.example", "Orchid Fertility", senders.MAX_DAILY_LIMIT)], staff)
    sender = senders.list_senders(sessions)[0].id
    with sessions.begin() as session:
        slugs = dict(session.execute(select(Template.slug, Template.id)).all())
        steps = [drips.StepForm(StepKind.EMAIL, days, DelayFrom.PREVIOUS_STEP, None,
                                slugs[f"donor-welcome-{n:02d}"])
                 for n, days in enumerate(DELAYS, start=1)]
        campaign = drips.save_drip(session, None, drips.DripForm(
            "Egg donor welcome", CampaignTarget.EGG_DONOR, steps, sender_identity_id=sender),
            staff_id=staff)
        contact_ids = session.scalars(select(Contact.id).order_by(Contact.id)).all()

    clock = Clock(profile, context.engine)
    figures = clock.figures

    def finish(figures):
        figures["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["fill contacts s"] = filled
        context.close()
        shutil.rmtree(os.environ["ORCHID_HOME"], ignore_errors=True)
        return figures

    def in_transaction(fn):
        def run(*_):
            with sessions.begin() as session:
                return fn(session)
        return run

    # 1–3: enrol, check, launch
    if ticks_only:
        core_enrol(context.engine, campaign, staff)
    else:
        report = clock("enrol", in_transaction(lambda s: enrolment.enrol(
            s, campaign, contact_ids=contact_ids, staff_id=staff, now=LAUNCH)))
        assert report.enrolled == count, report.summary()
        problems = clock("launch_problems", in_transaction(
            lambda s: drip_lifecycle.launch_problems(s, campaign, now=LAUNCH)))
        assert problems == [], problems
    planned = clock("launch", in_transaction(
        lambda s: drip_lifecycle.launch(s, campaign, staff_id=staff, now=LAUNCH)))
    assert planned == count * len(DELAYS), planned
    analyse(context.engine, "enrolments", "enrolment_steps")

    def tick(at):
        return in_transaction(lambda s: campaign_queue.queue_due(s, now=at))

    # the quiet tick with every step record pending and the outbox empty
    clock.repeated("quiet tick, all steps pending", lambda i: tick(
        LAUNCH - timedelta(minutes=30) + timedelta(seconds=i))(), repeat, step="pending_tick")

    # 4: the first tick at launch: everyone's day-0 email
    if ticks_only:
        assert core_day0_sent(context.engine, campaign, sender) == count
    else:
        queued = clock("first_tick", tick(LAUNCH))
        assert queued.drip_messages == count, queued

    # 5: those N handed over and sent; the ticks while nothing is due
    with sessions.begin() as session:
        session.execute(update(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.QUEUED)
            .values(status=OutboxStatus.SENT, finished_at=LAUNCH + timedelta(minutes=20)))
    clock("first_settle", in_transaction(lambda s: campaign_queue.settle(
        s, now=QUIET)), key="first settle after N sent")
    analyse(context.engine, "enrolments", "enrolment_steps", "outbox_messages")
    with sessions() as session:
        pending = session.scalar(select(func.count()).select_from(EnrolmentStep).where(
            EnrolmentStep.status == EnrolmentStepStatus.PENDING))
        sent = session.scalar(select(func.count()).select_from(EnrolmentStep).where(
            EnrolmentStep.status == EnrolmentStepStatus.SENT))
    assert (pending, sent) == (count * (len(DELAYS) - 1), count), (pending, sent)
    clock.repeated("settle, nothing due", lambda i: in_transaction(
        lambda s: campaign_queue.settle(s, now=QUIET + timedelta(seconds=30 * i)))(), repeat,
        step="settle")
    clock.repeated("quiet_tick", lambda i: tick(QUIET + timedelta(seconds=30 * i))(), repeat,
                   step="quiet_tick")
    figures["step records pending / sent"] = f"{pending:,} / {sent:,}"
    if ticks_only:
        return finish(figures)

    # 6: a mass email to everyone
    at = QUIET + timedelta(minutes=20)
    with sessions.begin() as session:
        mass = mass_emails.save_mass_email(session, None, mass_emails.MassEmailForm(
            "December newsletter", template_id=slugs["newsletter"], segment=Segment(),
            sender_identity_id=sender), staff_id=staff)
    audience = clock("count_audience", lambda: _read(sessions, lambda s: count_audience(
        s, Segment())))
    assert audience.recipients == count, audience
    clock("schedule", in_transaction(lambda s: mass_emails.schedule(
        s, mass, None, staff_id=staff, now=at)))
    started = clock("mass_tick", tick(at))
    assert started.mass_email_messages == count and not started.drip_messages, started
    analyse(context.engine, "mass_email_recipients", "outbox_messages")
    clock.repeated("quiet tick, mass email sending", lambda i: tick(
        at + timedelta(seconds=30 * (i + 1)))(), repeat, step="mass_quiet_tick")
    return finish(figures)


def _read(sessions, fn):
    with sessions() as session:
        return fn(session)


def run_measure(url: str, count: int, repeat: int, profile: list[str],
                ticks_only: bool = False) -> dict:
    command = [sys.executable, __file__, "--measure", url, "--count", str(count),
               "--repeat", str(repeat)]
    if profile:
        command += ["--profile", *profile]
    if ticks_only:
        command.append("--ticks-only")
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"the measuring run on {url} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- databases --------------------------------------------------------------------------
def sqlite_url() -> str:
    folder = Path("/tmp/orchid-campaigns-bench")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return f"sqlite:///{folder / 'orchid.db'}"


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_url(server: str) -> str:
    import psycopg

    from orchid_desktop.db.engine import parse_database_url

    server_url = parse_database_url(server)
    with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    return server_url.set(database=BENCH_DB).render_as_string(hide_password=False)


def drop_postgres(server: str) -> None:
    import psycopg

    from orchid_desktop.db.engine import parse_database_url

    with psycopg.connect(_libpq(parse_database_url(server)), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


# -- report -----------------------------------------------------------------------------
ROWS = (
    ("enrol", "1. enrol N into the 8-step drip (draft)", "s"),
    ("launch_problems", "2. launch_problems (render + daily-limit checks)", "s"),
    ("launch", "3. launch (checks again + N × 8 step records)", "s"),
    ("quiet tick, all steps pending", "   quiet queue_due tick, N × 8 pending, outbox empty", "ms"),
    ("first_tick", "4. first queue_due tick at launch (N outbox rows)", "s"),
    ("first settle after N sent", "5. first settle after N rows sent (N step records)", "s"),
    ("settle, nothing due", "   settle, nothing due", "ms"),
    ("quiet_tick", "   quiet queue_due tick (settle + due steps + mass emails)", "ms"),
    ("step records pending / sent", "   step records pending / sent", ""),
    ("count_audience", "6. count_audience (everyone)", "s"),
    ("schedule", "   schedule (send now)", "s"),
    ("mass_tick", "   queue_due tick freezing N recipients + N outbox rows", "s"),
    ("quiet tick, mass email sending", "   quiet queue_due tick, N mass-email rows queued", "ms"),
    ("peak RSS MB", "7. peak RSS, measuring process", "MB"),
    ("fill contacts s", "   (setup: Core insert of N contacts, not timed above)", "s"),
)


def report(results: dict[str, dict], title: str, rows=ROWS) -> None:
    print(f"\n{title}\n")
    print(f"| what | {' | '.join(results)} |")
    print(f"|---|{'---|' * len(results)}")
    for key, label, unit in rows:
        cells = []
        for figures in results.values():
            value = figures.get(key)
            if value is None:
                cells.append("—")
            elif isinstance(value, str):
                cells.append(value)
            elif isinstance(value, list):
                cells.append(f"{value[0]:,.1f} / {value[1]:,.1f} ms")
            elif unit == "s" and key != "fill contacts s":
                cells.append(f"{value / 1000:,.1f} s")
            elif unit == "s":
                cells.append(f"{value:,.1f} s")
            else:
                cells.append(f"{value:,.0f} {unit}")
        if any(c != "—" for c in cells):
            print(f"| {label.strip()} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--tick-count", type=int, default=0,
                        help="contacts for an extra run of the quiet ticks alone "
                             "(125000 gives 1,000,000 step records)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", metavar="SERVER_URL")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", nargs="+", default=[], choices=STEPS, metavar="STEP")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--ticks-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.count, args.repeat, args.profile,
                                 ticks_only=args.ticks_only)))
        return
    databases = [] if args.no_sqlite else [("SQLite", sqlite_url)]
    if args.postgres:
        databases.append(("PostgreSQL", lambda: postgres_url(args.postgres)))
    runs = [(args.count, False)] + ([(args.tick_count, True)] if args.tick_count else [])
    results: dict[tuple[int, bool], dict] = {run: {} for run in runs}
    try:
        for name, make in databases:
            for count, ticks_only in runs:
                print(f"measuring {name}, {count:,} contacts"
                      f"{', quiet ticks only' if ticks_only else ''} …", file=sys.stderr,
                      flush=True)
                began = time.perf_counter()
                results[count, ticks_only][name] = run_measure(make(), count, args.repeat,
                                                               args.profile, ticks_only)
                print(f"  {name} run: {time.perf_counter() - began:.0f} s", file=sys.stderr,
                      flush=True)
    finally:
        if args.postgres:
            drop_postgres(args.postgres)
        shutil.rmtree("/tmp/orchid-campaigns-bench", ignore_errors=True)
    for (count, ticks_only), by_database in results.items():
        quiet = (" (quiet ticks only; enrolments and day-0 outbox rows written directly)"
                 if ticks_only else "")
        report(by_database, f"{count:,} contacts{quiet}"
               f"; s, or ms as median / max of {args.repeat} ticks")


if __name__ == "__main__":
    main()
