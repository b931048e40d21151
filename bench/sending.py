"""The sending engine (``services/dispatch.py``): throughput from outbox to a loopback
SendGrid, the quiet tick over a large outbox, and peak memory, on SQLite and PostgreSQL.
Prints numbers; not a test.

    python bench/sending.py [--database sqlite|postgresql|both] [--count N]
                            [--distinct-count M] [--quiet-sizes S ...] [--repeat R]
                            [--servers fake lean] [--server-url URL] [--skip WHAT ...]
                            [--profile]

1. Throughput: N (default 100,000) personalised emails — outbox rows of a mass email in
   progress, each with its template version (the library newsletter, ``{{ first_name }}``
   …) and its own variables, as ``mass_email_queue`` writes them — sent by
   ``Dispatcher.tick()`` until the outbox is empty, to a loopback server in its own
   process: ``fake`` is ``tests/fakes/sendgrid_server.FakeSendGrid`` (JSON-schema
   validation of every body), ``lean`` a plain ``http.server`` that reads the body and
   answers 202. Also M (default 10,000) fully distinct emails (one-off rows, a different
   body each: one personalization per request). The floor is the same request bodies
   (captured by the server) posted by ``urllib`` with the same concurrency (4) to a
   fresh server of the same kind: what moving those bytes costs, without the engine.
   The engine's time is broken down with timers around the Dispatcher's internals
   (main thread: tick start, claim, load, render/prepare, build requests, waiting for
   the posts; request threads, summed over the 4: mark SENDING, HTTP, finish);
   ``--profile`` adds cProfile (main thread and request threads) to stderr.
2. Quiet tick: a whole ``Dispatcher.tick()`` with nothing due, the outbox grown to each
   size S (default 10,000, 100,000, 1,000,000 rows; ~96% sent, the rest failed,
   suppressed, uncertain, a few queued for tomorrow; 70% mass-email rows, 30% drip rows
   with their step records, and active enrolments with steps pending in the next weeks),
   written with executemany (SQLite) or COPY (PostgreSQL), then ANALYZE on PostgreSQL as
   autovacuum would. Median / max of R ticks (default 20) per size.
3. Peak RSS of each measuring process (one process per run and database).

Each throughput run gets a fresh database (a new SQLite file; a database orchid_bench on
URL's server, default postgresql://postgres@127.0.0.1:5432/postgres, dropped at the end).
The app's folders live in a temporary ORCHID_HOME and the keyring is in memory.
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
import threading
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("ORCHID_BENCH_DB", "orchid_bench")
KEY = "SG.test-key"
SQLITE_DIR = Path("/tmp/orchid-sending-bench")
CHUNK = 20_000
SENDER_LIMIT = 1_000_000  # senders.MAX_DAILY_LIMIT
RATE = 100_000_000  # AgencySettings.global_rate_per_minute: never the limit here


# -- loopback servers (each in its own process) ------------------------------------------
def serve(kind: str, capture: str | None) -> None:
    """Print the port, serve until stdin closes, then write what was accepted (one JSON
    body a line) to ``capture`` and print the process's CPU seconds."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    bodies: list[bytes] = []
    if kind == "fake":
        from tests.fakes.sendgrid_server import FakeSendGrid

        fake = FakeSendGrid()
        fake.__enter__()
        port = fake._server.server_address[1]
    else:
        class Lean(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if capture:
                    bodies.append(raw)
                self.send_response(202)
                self.send_header("X-Message-Id", os.urandom(11).hex())
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Lean)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
    print(port, flush=True)
    sys.stdin.read()
    if kind == "fake":
        fake.__exit__(None, None, None)
        bodies = [json.dumps(b).encode() for b in fake.accepted]
        rejected = len(fake.rejected)
    else:
        server.shutdown()
        rejected = 0
    if capture:
        with open(capture, "wb") as out:
            out.writelines(body + b"\n" for body in bodies)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "rejected": rejected}),
          flush=True)


class Server:
    def __init__(self, kind: str, capture: str | None = None):
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind] + (["--capture", capture]
                                                            if capture else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.host = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def stop(self) -> dict:
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait()
        return json.loads(out.strip().splitlines()[-1])


def floor(kind: str, capture: str, concurrency: int = 4) -> dict:
    """The captured bodies posted to a fresh server of the same kind by plain urllib (a
    new connection per request, as the sendgrid client makes), ``concurrency`` at once."""
    bodies = Path(capture).read_bytes().splitlines()
    server = Server(kind)
    url = server.host + "/v3/mail/send"

    def post(body: bytes) -> int:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
            "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return answer.status

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(post, bodies))
    elapsed = time.perf_counter() - began
    used = server.stop()
    assert all(s == 202 for s in statuses), set(statuses)
    return {"seconds": elapsed, "requests": len(bodies), "server_cpu": used["cpu"],
            "bytes": sum(map(len, bodies))}


# -- the measuring process: common setup -------------------------------------------------
def _environment() -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}  # noqa: RUF012 - one store for the process

        def get_password(self, service, user):
            return self.store.get((service, user))

        def set_password(self, service, user, password):
            self.store[(service, user)] = password

        def delete_password(self, service, user):
            self.store.pop((service, user), None)

    keyring.set_keyring(Memory())
    os.environ["ORCHID_HOME"] = tempfile.mkdtemp(prefix="orchid-bench-sending-")
    for name in ("ORCHID_DATABASE_URL", "SENDGRID_API_KEY"):
        os.environ.pop(name, None)


def open_bench(url: str):
    _environment()
    from dataclasses import replace

    from sqlalchemy import update

    from orchid_desktop.app import open_context
    from orchid_desktop.db import migrate
    from orchid_desktop.db.models import AgencySettings
    from orchid_desktop.services import agency, senders

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    context = open_context(url)
    form = agency.load_agency(context.sessions)
    agency.save_agency(context.sessions, replace(
        form, name="Orchid Fertility", postal_address="1 Main St, Oakland, CA 94612",
        time_zone="America/Los_Angeles", application_link="https://apply.example/start"),
        context.staff_id)
    senders.replace_senders(context.sessions, [senders.SenderRow(
        None, "hello@orchid.example", "Orchid Fertility", SENDER_LIMIT)], context.staff_id)
    sender = senders.list_senders(context.sessions)[0].id
    with context.sessions.begin() as session:
        session.execute(update(AgencySettings).values(global_rate_per_minute=RATE))
    return context, sender


def analyse(engine, *tables: str) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def add_contacts(engine, start: int, count: int) -> list[int]:
    """``count`` egg donors with distinct names and addresses; returns their ids."""
    from people_data import FIRST, LAST
    from sqlalchemy import insert, select

    from orchid_desktop.db.models import Contact
    from orchid_desktop.domain.search_terms import search_text
    from orchid_desktop.domain.vocab import ApplicantType, LeadSource

    rng = random.Random(start + 7)

    def rows():
        for n in range(start, start + count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{last.lower()}{n}@example.com".replace("'", "")
            yield {"first_name": first, "last_name": last, "email": email,
                   "email_normalized": email, "applicant_type": ApplicantType.EGG_DONOR,
                   "source": LeadSource.WEBSITE, "state": "CA", "profile": {},
                   "search_text": search_text(first, last, email, None)}

    with engine.begin() as connection:
        before = connection.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1)) or 0
        generator = rows()
        while chunk := [row for _, row in zip(range(CHUNK), generator, strict=False)]:
            connection.execute(insert(Contact), chunk)
        return connection.scalars(select(Contact.id).where(Contact.id > before)
                                  .order_by(Contact.id)).all()


def people(engine, ids: list[int]):
    from sqlalchemy import select

    from orchid_desktop.db.models import Contact

    found = []
    with engine.connect() as connection:
        for start in range(0, len(ids), 30_000):
            part = ids[start:start + 30_000]
            found += connection.execute(
                select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
                .where(Contact.id.between(part[0], part[-1])).order_by(Contact.id)).all()
    return found


def variables(first: str, last: str, email: str) -> dict:
    return {"first_name": first, "last_name": last, "email": email,
            "agency_name": "Orchid Fertility",
            "agency_postal_address": "1 Main St, Oakland, CA 94612",
            "application_link": "https://apply.example/start", "coordinator_name": "",
            "unsubscribe_link": "%unsubscribe_link%"}


def library_version(session, slug: str):
    from sqlalchemy import select

    from orchid_desktop.db.models import Template, TemplateVersion

    return session.execute(
        select(TemplateVersion.id, Template.kind).join(Template)
        .where(Template.slug == slug).order_by(TemplateVersion.version_number.desc())
        .limit(1)).one()


def new_mass_email(session, name: str, sender: int, version: int, status, at: datetime,
                   count: int) -> int:
    from orchid_desktop.db.models import MassEmail
    from orchid_desktop.domain.vocab import EmailKind

    mass = MassEmail(name=name, kind=EmailKind.MARKETING, status=status,
                     template_version_id=version, segment={}, sender_identity_id=sender,
                     scheduled_at=at, started_at=at, recipient_count=count)
    session.add(mass)
    session.flush()
    return mass.id


# -- 1. throughput ----------------------------------------------------------------------
class Timers:
    """Seconds and calls per name, added from any thread."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - began
                with self._lock:
                    self.seconds[name] += spent
                    self.calls[name] += 1
        return timed


def instrument(timers: Timers, profiles: list | None):
    """Timers around the Dispatcher's internals (patched on the class and the module's
    names; nothing in the package is edited)."""
    from orchid_desktop.services import dispatch

    dispatcher = dispatch.Dispatcher
    for name in ("expire_leases", "queue_due", "claim", "build_requests"):
        setattr(dispatch, name, timers.wrap(name, getattr(dispatch, name)))
    for name in ("_send", "_load", "_prepare", "_finish", "_post", "_post_again"):
        setattr(dispatcher, name, timers.wrap(name, getattr(dispatcher, name)))
    if profiles is not None:  # a cProfile per request thread
        local = threading.local()
        post = dispatcher._post

        def profiled(self, *args):
            if not hasattr(local, "profile"):
                local.profile = cProfile.Profile()
                profiles.append(local.profile)
            local.profile.enable()
            try:
                return post(self, *args)
            finally:
                local.profile.disable()
        dispatcher._post = profiled


def fill_template_rows(context, sender: int, count: int, due: datetime) -> int:
    """A mass email in progress, as ``mass_email_queue`` leaves it: recipients and one
    queued row each, rendered from the library newsletter with each person's values."""
    from sqlalchemy import insert

    from orchid_desktop.db.models import MassEmailRecipient, OutboxMessage
    from orchid_desktop.domain.vocab import (
        MassEmailStatus,
        OutboxOrigin,
        OutboxStatus,
    )

    engine = context.engine
    ids = add_contacts(engine, 0, count)
    folks = people(engine, ids)
    with context.sessions.begin() as session:
        version, kind = library_version(session, "newsletter")
        mass = new_mass_email(session, "December newsletter", sender, version,
                              MassEmailStatus.SENDING, due, count)
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            part = folks[start:start + CHUNK]
            connection.execute(insert(MassEmailRecipient), [
                {"mass_email_id": mass, "contact_id": cid, "email_normalized": email,
                 "custom_variables": {}} for cid, _f, _l, email in part])
        recipients = dict(connection.execute(
            MassEmailRecipient.__table__.select().with_only_columns(
                MassEmailRecipient.contact_id, MassEmailRecipient.id)).all())
        for start in range(0, count, CHUNK):
            connection.execute(insert(OutboxMessage), [{
                "origin": OutboxOrigin.MASS_EMAIL, "kind": kind,
                "mass_email_recipient_id": recipients[cid], "contact_id": cid,
                "to_email": email, "to_email_normalized": email, "to_name": f"{first} {last}",
                "template_version_id": version,
                "render_variables": variables(first, last, email),
                "sender_identity_id": sender, "category": f"mass-email-{mass}",
                "status": OutboxStatus.QUEUED, "due_at": due, "attempts": 0}
                for cid, first, last, email in folks[start:start + CHUNK]])
    return count


def fill_distinct_rows(context, sender: int, count: int, due: datetime) -> int:
    """One-off rows whose bodies all differ (a line written for each person)."""
    from sqlalchemy import insert

    from orchid_desktop.db.models import OutboxMessage
    from orchid_desktop.domain.vocab import EmailKind, OutboxOrigin, OutboxStatus

    engine = context.engine
    folks = people(engine, add_contacts(engine, 0, count))
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            connection.execute(insert(OutboxMessage), [{
                "origin": OutboxOrigin.SINGLE, "kind": EmailKind.MARKETING, "contact_id": cid,
                "to_email": email, "to_email_normalized": email, "to_name": f"{first} {last}",
                "subject": f"Your application, {first} (ref. A-{cid})",
                "html_body": f"<p>Hi {first},</p><p>Your application A-{cid} is complete: "
                             f"thank you. A coordinator will call you within two working "
                             f"days at the number you gave us.</p><p>Orchid Fertility</p>",
                "sender_identity_id": sender, "category": "application-complete",
                "status": OutboxStatus.QUEUED, "due_at": due, "attempts": 0,
                "render_variables": {}}
                for cid, first, last, email in folks[start:start + CHUNK]])
    return count


def throughput(url: str, count: int, mode: str, profile: bool) -> dict:
    """In a measuring process; ORCHID_SENDGRID_HOST points at the server."""
    from sqlalchemy import func, select

    context, sender = open_bench(url)
    from orchid_desktop.db.models import OutboxMessage
    from orchid_desktop.domain.vocab import OutboxStatus
    from orchid_desktop.mail.transport import SendGridTransport
    from orchid_desktop.services.dispatch import Dispatcher, DispatchSettings

    due = datetime.now(UTC) - timedelta(minutes=1)
    began = time.perf_counter()
    (fill_template_rows if mode == "template" else fill_distinct_rows)(
        context, sender, count, due)
    analyse(context.engine, "contacts", "mass_email_recipients", "outbox_messages")
    filled = time.perf_counter() - began
    print(f"  filled {count:,} rows in {filled:.1f} s", file=sys.stderr, flush=True)

    timers = Timers()
    profiles: list | None = [] if profile else None
    instrument(timers, profiles)
    settings = DispatchSettings()
    engine = Dispatcher(context.sessions, lambda: SendGridTransport(KEY, 20.0),
                        settings=settings)
    # the transport's post, timed (each tick asks for a new transport)
    make = engine.transport

    def transport():
        made = make()
        made.post = timers.wrap("http post", made.post)
        return made
    engine.transport = transport
    rss_before = _rss_now()
    main_profile = cProfile.Profile() if profile else None
    totals = defaultdict(int)
    ticks = 0
    began = time.perf_counter()
    if main_profile:
        main_profile.enable()
    while True:
        report = engine.tick()
        ticks += 1
        for name in ("claimed", "sent", "failed", "retry_later", "uncertain", "requests",
                     "suppressed"):
            totals[name] += getattr(report, name)
        if not report.claimed:
            break
    if main_profile:
        main_profile.disable()
    elapsed = time.perf_counter() - began
    engine.close()
    with context.sessions() as session:
        statuses = {str(s): n for s, n in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
    assert statuses == {str(OutboxStatus.SENT): count}, statuses
    if profile:
        _print_profile("dispatch, main thread", main_profile)
        _print_profile("dispatch, request threads (summed)", *profiles)
    context.close()
    shutil.rmtree(os.environ["ORCHID_HOME"], ignore_errors=True)
    return {"seconds": elapsed, "ticks": ticks, **totals, "fill s": filled,
            "timers": dict(timers.seconds), "calls": dict(timers.calls),
            "rss before MB": rss_before, "peak RSS MB": _peak_rss()}


def _rss_now() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_profile(title: str, *profiles) -> None:
    if not profiles:
        return
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for more in profiles[1:]:
        stats.add(more)
    stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(35)
    print(f"--- profile: {title} ---\n{out.getvalue()}", file=sys.stderr, flush=True)


# -- 2. the quiet tick ---------------------------------------------------------------------
class Writer:
    """Bulk rows with explicit ids: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def value(self, v):
        if isinstance(v, datetime):
            return v if self.pg else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, dict):
            return json.dumps(v)
        if isinstance(v, str):
            return str(v)  # StrEnum → its value
        return v

    def write(self, table: str, columns: tuple[str, ...], rows) -> int:
        written = 0
        with self.engine.begin() as connection:
            if self.pg:
                raw = connection.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([self.value(v) for v in row])
                        written += 1
            else:
                sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                       f"({', '.join('?' * len(columns))})")
                cursor = connection.connection.driver_connection.cursor()
                generator = ([self.value(v) for v in row] for row in rows)
                while chunk := [r for _, r in zip(range(CHUNK), generator, strict=False)]:
                    cursor.executemany(sql, chunk)
                    written += len(chunk)
        return written

    def next_id(self, table: str) -> int:
        with self.engine.connect() as connection:
            return (connection.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0) + 1

    def fix_sequences(self, *tables: str) -> None:
        if not self.pg:
            return
        with self.engine.begin() as connection:
            for table in tables:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")


OUTBOX_COLUMNS = ("id", "origin", "kind", "enrolment_step_id", "mass_email_recipient_id",
                  "contact_id", "to_email", "to_email_normalized", "to_name",
                  "template_version_id", "render_variables", "sender_identity_id",
                  "category", "status", "due_at", "attempts", "sendgrid_message_id",
                  "status_reason", "finished_at")
DRIP_CAMPAIGNS = 4
STEPS = 8


class QuietFill:
    """Grows a database to look like months of use: per 10 outbox rows one contact; 70%
    of the rows from mass emails to everyone (sent), 30% from drips (8 steps; three
    enrolments in four completed, the others 2 steps sent and 6 pending over the next
    weeks); outcomes ~96% sent, 2% failed, 1.5% suppressed, 0.1% uncertain."""

    def __init__(self, context, sender: int, now: datetime):
        from sqlalchemy import select, update

        from orchid_desktop.db.models import DripCampaign, DripStep
        from orchid_desktop.domain.vocab import (
            CampaignStatus,
            CampaignTarget,
            DelayFrom,
            StepKind,
        )
        from orchid_desktop.services import drips

        self.context, self.sender, self.now = context, sender, now
        self.writer = Writer(context.engine)
        self.rng = random.Random(11)
        self.contacts: list[tuple] = []  # (id, first, last, email)
        self.size = 0
        self.pairs = 0  # (campaign, contact) pairs enrolled so far
        self.mass = None  # (mass email id, contacts reached so far)
        self.mass_count = 0
        with context.sessions.begin() as session:
            self.newsletter = library_version(session, "newsletter")
            self.campaigns = []
            for c in range(DRIP_CAMPAIGNS):
                versions = [library_version(session, f"donor-welcome-{n:02d}")
                            for n in range(1, STEPS + 1)]
                from orchid_desktop.db.models import Template

                templates = dict(session.execute(select(Template.slug, Template.id)).all())
                steps = [drips.StepForm(StepKind.EMAIL, d, DelayFrom.PREVIOUS_STEP, None,
                                        templates[f"donor-welcome-{n:02d}"])
                         for n, d in enumerate((0, 1, 2, 2, 3, 3, 4, 7), start=1)]
                campaign = drips.save_drip(session, None, drips.DripForm(
                    f"Donor welcome {c + 1}", CampaignTarget.EGG_DONOR, steps,
                    sender_identity_id=sender), staff_id=context.staff_id)
                session.execute(update(DripCampaign).where(DripCampaign.id == campaign)
                                .values(status=CampaignStatus.ACTIVE,
                                        launched_at=now - timedelta(days=120)))
                step_ids = session.scalars(select(DripStep.id).where(
                    DripStep.campaign_id == campaign).order_by(DripStep.position)).all()
                self.campaigns.append((campaign, list(zip(step_ids, versions, strict=False))))

    def outcome(self):
        from orchid_desktop.domain.vocab import OutboxStatus

        r = self.rng.random()
        if r < 0.96:
            return OutboxStatus.SENT, None
        if r < 0.98:
            return OutboxStatus.FAILED, "SendGrid refused the email (400): invalid address"
        if r < 0.995:
            return OutboxStatus.SUPPRESSED, "not sent: unsubscribed"
        if r < 0.996:
            return OutboxStatus.UNCERTAIN, ("The sending computer stopped before "
                                            "SendGrid answered.")
        return OutboxStatus.SENT, None

    def grow(self, size: int) -> float:
        from orchid_desktop.domain.vocab import MassEmailStatus

        began = time.perf_counter()
        added = size - self.size
        want_contacts = max(1000, size // 10)
        if want_contacts > len(self.contacts):
            ids = add_contacts(self.context.engine, len(self.contacts),
                               want_contacts - len(self.contacts))
            self.contacts += people(self.context.engine, ids)
        drip_rows = int(added * 0.3)
        self._drips(drip_rows)
        mass_rows = added - drip_rows - 50
        while mass_rows > 0:
            if self.mass is None or self.mass[1] >= len(self.contacts):
                self.mass_count += 1
                with self.context.sessions.begin() as session:
                    mass = new_mass_email(
                        session, f"Newsletter {self.mass_count}", self.sender,
                        self.newsletter[0], MassEmailStatus.SENT,
                        self.now - timedelta(days=200 - self.mass_count),
                        len(self.contacts))
                self.mass = (mass, 0)
            take = min(mass_rows, len(self.contacts) - self.mass[1])
            self._mass(self.mass[0], self.contacts[self.mass[1]:self.mass[1] + take])
            self.mass = (self.mass[0], self.mass[1] + take)
            mass_rows -= take
        self._queued_tomorrow(50)
        self.size = size
        self.writer.fix_sequences("contacts", "enrolments", "enrolment_steps",
                                  "mass_email_recipients", "outbox_messages")
        analyse(self.context.engine, "contacts", "enrolments", "enrolment_steps",
                "mass_email_recipients", "outbox_messages", "mass_emails", "drip_campaigns")
        return time.perf_counter() - began

    def _mass(self, mass: int, folks) -> None:
        from orchid_desktop.domain.vocab import EmailKind, OutboxOrigin

        w = self.writer
        first_recipient = w.next_id("mass_email_recipients")
        w.write("mass_email_recipients",
                ("id", "mass_email_id", "contact_id", "email_normalized", "custom_variables"),
                ((first_recipient + i, mass, cid, email, {})
                 for i, (cid, _f, _l, email) in enumerate(folks)))
        first = w.next_id("outbox_messages")
        sent_at = self.now - timedelta(days=200 - self.mass_count)

        def rows():
            for i, (cid, given, family, email) in enumerate(folks):
                status, reason = self.outcome()
                yield (first + i, OutboxOrigin.MASS_EMAIL, EmailKind.MARKETING, None,
                       first_recipient + i, cid, email, email, f"{given} {family}",
                       self.newsletter[0], variables(given, family, email), self.sender,
                       f"mass-email-{mass}", status, sent_at, 1,
                       os.urandom(11).hex() if reason is None else None, reason, sent_at)
        w.write("outbox_messages", OUTBOX_COLUMNS, rows())

    def _drips(self, rows_wanted: int) -> None:
        from orchid_desktop.domain.vocab import (
            EmailKind,
            EnrolmentStatus,
            EnrolmentStepStatus,
            OutboxOrigin,
        )
        from orchid_desktop.services.campaign_queue import STEP_OUTCOME

        w = self.writer
        enrolment_id = w.next_id("enrolments")
        step_id = w.next_id("enrolment_steps")
        outbox_id = w.next_id("outbox_messages")
        enrolments, steps, outbox = [], [], []
        written = 0
        while written < rows_wanted:
            campaign, campaign_steps = self.campaigns[self.pairs % DRIP_CAMPAIGNS]
            cid, given, family, email = self.contacts[self.pairs // DRIP_CAMPAIGNS]
            self.pairs += 1
            active = self.rng.random() < 0.25
            start = self.now - timedelta(days=self.rng.randint(3, 150)) if not active \
                else self.now - timedelta(days=1, hours=self.rng.randint(1, 20))
            enrolments.append((enrolment_id, campaign, cid,
                               EnrolmentStatus.ACTIVE if active else EnrolmentStatus.COMPLETED,
                               start, {}))
            due = start
            for position, ((drip_step, (version, kind)), delay) in enumerate(zip(
                    campaign_steps, (0, 1, 2, 2, 3, 3, 4, 7), strict=False)):
                due = due + timedelta(days=delay)
                if active and position >= 2:
                    due = max(due, self.now + timedelta(days=position - 1))
                    steps.append((step_id, enrolment_id, drip_step,
                                  EnrolmentStepStatus.PENDING, due, None, None))
                else:
                    status, reason = self.outcome()
                    # an uncertain row's step stays pending until staff decide
                    steps.append((step_id, enrolment_id, drip_step,
                                  STEP_OUTCOME.get(status, EnrolmentStepStatus.PENDING),
                                  due, due if status in STEP_OUTCOME else None, reason))
                    outbox.append((
                        outbox_id, OutboxOrigin.DRIP, EmailKind(kind), step_id, None, cid,
                        email, email, f"{given} {family}", version,
                        variables(given, family, email), self.sender,
                        f"drip-{campaign}-step-{drip_step}", status, due, 1,
                        os.urandom(11).hex() if reason is None else None, reason,
                        due + timedelta(minutes=2)))
                    outbox_id += 1
                    written += 1
                step_id += 1
            enrolment_id += 1
        w.write("enrolments", ("id", "campaign_id", "contact_id", "status", "enrolled_at",
                               "custom_variables"), enrolments)
        w.write("enrolment_steps", ("id", "enrolment_id", "step_id", "status", "due_at",
                                    "finished_at", "reason"), steps)
        w.write("outbox_messages", OUTBOX_COLUMNS, outbox)

    def _queued_tomorrow(self, count: int) -> None:
        """A few one-off emails scheduled for tomorrow: queued, not due."""
        from orchid_desktop.domain.vocab import EmailKind, OutboxOrigin, OutboxStatus

        first = self.writer.next_id("outbox_messages")
        tomorrow = self.now + timedelta(days=1)
        cols = (*OUTBOX_COLUMNS[:-3], "subject", "html_body")
        self.writer.write("outbox_messages", cols, (
            (first + i, OutboxOrigin.SINGLE, EmailKind.SERVICE, None, None, cid, email,
             email, given, None, {}, self.sender, "single", OutboxStatus.QUEUED, tomorrow, 0,
             "Your appointment", "<p>See you tomorrow.</p>")
            for i, (cid, given, _f, email) in enumerate(self.contacts[:count])))


def quiet(url: str, sizes: list[int], repeat: int, profile: bool) -> dict:
    from sqlalchemy import event, func, select

    context, sender = open_bench(url)
    from orchid_desktop.db.models import EnrolmentStep, OutboxMessage
    from orchid_desktop.mail.transport import SendGridTransport
    from orchid_desktop.services.dispatch import Dispatcher

    os.environ["ORCHID_SENDGRID_HOST"] = "http://127.0.0.1:9"  # never called: nothing due
    fill = QuietFill(context, sender, datetime.now(UTC))
    timers = Timers()
    instrument(timers, None)
    engine = Dispatcher(context.sessions, lambda: SendGridTransport(KEY, 5.0))
    statements: dict[str, list[float]] = {}

    def before(conn, cursor, statement, parameters, context_, executemany):
        conn.info["bench_began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context_, executemany):
        spent = statements.setdefault(" ".join(statement.split()), [0.0, 0])
        spent[0] += time.perf_counter() - conn.info.pop("bench_began")
        spent[1] += 1

    results = {}
    for size in sizes:
        print(f"  growing the outbox to {size:,} rows …", file=sys.stderr, flush=True)
        grown = fill.grow(size)
        with context.sessions() as session:
            counts = {str(s): n for s, n in session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
            steps = {str(s): n for s, n in session.execute(
                select(EnrolmentStep.status, func.count()).group_by(EnrolmentStep.status))}
        print(f"  {grown:.0f} s; outbox {counts}; steps {steps}", file=sys.stderr, flush=True)
        engine.tick()  # warm: plans, caches
        times, parts = [], defaultdict(list)
        statements.clear()
        event.listen(context.engine, "before_cursor_execute", before)
        event.listen(context.engine, "after_cursor_execute", after)
        for _ in range(repeat):
            timers.seconds.clear()
            began = time.perf_counter()
            report = engine.tick()
            times.append((time.perf_counter() - began) * 1000)
            assert not report.claimed and not report.queued, report.summary()
            for name in ("expire_leases", "queue_due", "claim"):
                parts[name].append(timers.seconds.get(name, 0.0) * 1000)
        event.remove(context.engine, "before_cursor_execute", before)
        event.remove(context.engine, "after_cursor_execute", after)
        top = sorted(statements.items(), key=lambda item: -item[1][0])[:8]
        results[str(size)] = {
            "median": statistics.median(times), "max": max(times), "fill s": grown,
            "parts": {k: statistics.median(v) for k, v in parts.items()},
            "outbox": counts, "steps": steps,
            "top sql": [(round(s * 1000 / repeat, 2), n // repeat, sql[:300])
                        for sql, (s, n) in top]}
        print(f"  quiet tick at {size:,}: median {statistics.median(times):.1f} ms, max "
              f"{max(times):.1f} ms; parts {results[str(size)]['parts']}", file=sys.stderr,
              flush=True)
        for ms, n, sql in results[str(size)]["top sql"]:
            print(f"    {ms:8.2f} ms {n:3d}×  {sql[:200]}", file=sys.stderr)
        if profile:
            p = cProfile.Profile()
            p.enable()
            engine.tick()
            p.disable()
            _print_profile(f"quiet tick at {size:,}", p)
    engine.close()
    results["peak RSS MB"] = _peak_rss()
    context.close()
    shutil.rmtree(os.environ["ORCHID_HOME"], ignore_errors=True)
    return results


# -- databases and the runs -----------------------------------------------------------------
def sqlite_url() -> str:
    shutil.rmtree(SQLITE_DIR, ignore_errors=True)
    SQLITE_DIR.mkdir()
    return f"sqlite:///{SQLITE_DIR / 'orchid.db'}"


def _admin(server: str):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server).set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def postgres_url(server: str) -> str:
    from sqlalchemy.engine import make_url

    with _admin(server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    return make_url(server).set(drivername="postgresql+psycopg", database=BENCH_DB) \
        .render_as_string(hide_password=False)


def drop_postgres(server: str) -> None:
    with _admin(server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def run_measure(args: list[str], env: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], check=False,
                          stdout=subprocess.PIPE, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    if done.returncode:
        sys.exit(f"the measuring run {args} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_throughput(make_url, count: int, mode: str, kind: str, profile: bool) -> dict:
    capture = tempfile.mktemp(prefix="orchid-bench-bodies-")
    server = Server(kind, capture)
    try:
        figures = run_measure(["--measure", "throughput", "--url", make_url(), "--count",
                               str(count), "--mode", mode] + (["--profile"] if profile else []),
                              {"ORCHID_SENDGRID_HOST": server.host})
    finally:
        used = server.stop()
    figures["server cpu"] = used["cpu"]
    figures["server rejected"] = used["rejected"]
    figures["floor"] = floor(kind, capture)
    os.unlink(capture)
    return figures


def print_throughput(results: dict) -> None:
    print("\nThroughput: outbox → loopback SendGrid, Dispatcher ticks until empty; floor = "
          "the same bodies posted by urllib, 4 at once\n")
    print("| database | emails | server | engine | emails/s | requests | floor | ratio | "
          "server CPU | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (database, mode, kind), f in results.items():
        print(f"| {database} | {f['sent']:,} {mode} | {kind} | {f['seconds']:.1f} s | "
              f"{f['sent'] / f['seconds']:,.0f} | {f['requests']:,} | "
              f"{f['floor']['seconds']:.1f} s | {f['seconds'] / f['floor']['seconds']:.1f}× | "
              f"{f['server cpu']:.1f} s | {f['peak RSS MB']:.0f} MB |")
    print("\nWhere the engine's time goes (s; main thread wall, then request threads "
          "summed over the 4)\n")
    heads = ("tick start (leases + queue_due/settle)", "claim", "load", "render/prepare",
             "build requests", "posting (wall)", "mark SENDING Σ", "HTTP post Σ",
             "finish Σ")
    print(f"| run | total | {' | '.join(heads)} |")
    print(f"|---|---|{'---|' * len(heads)}")
    for (database, mode, kind), f in results.items():
        t = defaultdict(float, f["timers"])
        posting = t["_send"] - t["_load"] - t["_prepare"] - t["build_requests"]
        finish_thread = t["_finish"]  # in the threads: almost all (failures: none here)
        cells = (t["expire_leases"] + t["queue_due"], t["claim"], t["_load"], t["_prepare"],
                 t["build_requests"], posting, t["_post"] - t["_post_again"],
                 t["http post"], finish_thread)
        print(f"| {database} {mode} {kind} | {f['seconds']:.1f} | "
              f"{' | '.join(f'{c:.2f}' for c in cells)} |")


def print_quiet(results: dict) -> None:
    print("\nQuiet tick: whole Dispatcher.tick(), nothing due; median / max of the ticks, ms\n")
    sizes = sorted({s for r in results.values() for s in r if s.isdigit()}, key=int)
    print(f"| database | {' | '.join(f'{int(s):,} rows' for s in sizes)} | peak RSS |")
    print(f"|---|{'---|' * len(sizes)}---|")
    for database, r in results.items():
        cells = [f"{r[s]['median']:.1f} / {r[s]['max']:.1f}" for s in sizes]
        print(f"| {database} | {' | '.join(cells)} | {r['peak RSS MB']:.0f} MB |")
    for database, r in results.items():
        for s in sizes:
            print(f"  {database} {int(s):,}: parts {r[s]['parts']}, fill {r[s]['fill s']:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--distinct-count", type=int, default=10_000)
    parser.add_argument("--quiet-sizes", type=int, nargs="+",
                        default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--servers", nargs="+", choices=("fake", "lean"),
                        default=["fake", "lean"])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("template", "distinct", "quiet"))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--capture", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.capture)
        return
    if args.measure == "throughput":
        print(json.dumps(throughput(args.url, args.count, args.mode, args.profile)))
        return
    if args.measure == "quiet":
        print(json.dumps(quiet(args.url, args.quiet_sizes, args.repeat, args.profile)))
        return
    databases = []
    if args.database in ("sqlite", "both"):
        databases.append(("SQLite", sqlite_url))
    if args.database in ("postgresql", "both"):
        databases.append(("PostgreSQL", lambda: postgres_url(args.server_url)))
    sends, quiets = {}, {}
    try:
        for name, make in databases:
            for mode, count in (("template", args.count), ("distinct", args.distinct_count)):
                if mode in args.skip:
                    continue
                for kind in args.servers:
                    print(f"{name}: {count:,} {mode} emails to the {kind} server …",
                          file=sys.stderr, flush=True)
                    sends[name, mode, kind] = f = run_throughput(make, count, mode, kind,
                                                                 args.profile)
                    print(f"  {f['seconds']:.1f} s, {f['requests']:,} requests; floor "
                          f"{f['floor']['seconds']:.1f} s; timers "
                          f"{ {k: round(v, 2) for k, v in f['timers'].items()} }",
                          file=sys.stderr, flush=True)
            if "quiet" not in args.skip:
                print(f"{name}: quiet ticks …", file=sys.stderr, flush=True)
                quiets[name] = run_measure(
                    ["--measure", "quiet", "--url", make(), "--repeat", str(args.repeat),
                     "--quiet-sizes", *map(str, args.quiet_sizes)]
                    + (["--profile"] if args.profile else []))
    finally:
        if args.database in ("postgresql", "both"):
            drop_postgres(args.server_url)
        shutil.rmtree(SQLITE_DIR, ignore_errors=True)
    if sends:
        print_throughput(sends)
    if quiets:
        print_quiet(quiets)


if __name__ == "__main__":
    main()
