"""For the sending engine's proofs: an outbox whose batches split into several requests,
``orchid-desktop worker`` runs as subprocesses against a fake SendGrid, and the facts the
proofs check (row states, what the fake took, duplicates)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from orchid_desktop.db.models import AgencySettings, OutboxMessage
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import OutboxStatus
from tests.campaign_helpers import ready_to_send
from tests.outbox_helpers import add_people, queue_messages

KEY = "SG.test-key"
REPO = Path(__file__).resolve().parents[1]


def fill_interleaved(context, count: int, *, categories: int, run: int) -> int:
    """``count`` messages, one per person, due now, in runs of ``run`` rows per category
    in turn: a claimed batch holds several categories, so it becomes several requests
    (a category is request-wide) that the dispatcher posts side by side."""
    sender = ready_to_send(context, daily_limit=1_000_000)
    due = utcnow() - timedelta(seconds=1)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 100_000_000
        people = add_people(session, count)
        for n, start in enumerate(range(0, count, run)):
            queue_messages(session, people[start:start + run], sender_id=sender, due_at=due,
                           category=f"newsletter-{n % categories}")
    return sender


def set_request_timeout(context, seconds: float) -> None:
    """What the worker reads for its SendGrid timeout (its SENDING lease is 3× + 30 s)."""
    context.settings.set("sending.request_timeout_seconds", seconds)
    context.settings.save()


def worker_env(fake_host: str) -> dict[str, str]:
    return {**os.environ, "ORCHID_SENDGRID_HOST": fake_host, "SENDGRID_API_KEY": KEY,
            "QT_QPA_PLATFORM": "offscreen"}


def start_worker(log_dir: Path, name: str, fake_host: str, *, database: str | None = None,
                 batch_size: int = 200, concurrency: int = 4, claim_lease: float = 2.0,
                 ) -> subprocess.Popen:
    """``orchid-desktop worker --once`` in its own process (ORCHID_HOME is the test's, so
    it opens the same local database unless ``database`` names another)."""
    command = [sys.executable, "-m", "orchid_desktop"]
    if database:
        command += ["--database", database]
    command += ["worker", "--once", "--claim-lease", str(claim_lease),
                "--batch-size", str(batch_size), "--concurrency", str(concurrency)]
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{name}.out", "wb") as out, open(log_dir / f"{name}.err", "wb") as err:
        return subprocess.Popen(command, stdout=out, stderr=err, cwd=REPO,
                                env=worker_env(fake_host))


def worker_output(log_dir: Path, name: str) -> tuple[str, str]:
    return ((log_dir / f"{name}.out").read_text(errors="replace"),
            (log_dir / f"{name}.err").read_text(errors="replace"))


def sent_by(stdout: str) -> int:
    """The emails a worker reported sent, over all its ticks ("dispatch: 1,200 sent, …")."""
    return sum(int(n.replace(",", "")) for n in re.findall(r"dispatch: ([\d,]+) sent", stdout))


def statuses(context) -> dict[OutboxStatus, int]:
    with context.sessions() as session:
        return dict(session.execute(select(OutboxMessage.status, func.count())
                                    .group_by(OutboxMessage.status)).all())


def ids_with(context, status: OutboxStatus) -> set[int]:
    with context.sessions() as session:
        return set(session.scalars(select(OutboxMessage.id)
                                   .where(OutboxMessage.status == status)))


def rows_by_email(context) -> dict[str, tuple[int, OutboxStatus, str | None]]:
    with context.sessions() as session:
        return {email: (row_id, status, message_id) for row_id, email, status, message_id
                in session.execute(select(OutboxMessage.id, OutboxMessage.to_email,
                                          OutboxMessage.status,
                                          OutboxMessage.sendgrid_message_id))}


def duplicates(addresses: list[str]) -> dict[str, int]:
    return {a: n for a, n in Counter(a.lower() for a in addresses).items() if n > 1}


def let_leases_run_out(context, now: datetime | None = None) -> int:
    """Every worker that held a lease is dead: move the leases' end into the past, as
    if the SENDING lease (3 × timeout + 30 s) had been waited out. The next tick's
    ``expire_leases`` then does the real work. Returns the rows concerned."""
    past = (now or utcnow()) - timedelta(seconds=1)
    with context.sessions.begin() as session:
        return session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.CLAIMED, OutboxStatus.SENDING)))
            .values(lease_until=past).execution_options(synchronize_session=False)).rowcount


def database_sessions(context) -> set[int]:
    """PostgreSQL: the server processes now serving this database (none on SQLite)."""
    if context.engine.dialect.name != "postgresql":
        return set()
    with context.engine.connect() as connection:
        return set(connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))


def wait_for_sessions_to_end(context, before: set[int], timeout: float = 20.0) -> None:
    """After a worker is killed, PostgreSQL may still be reading what it sent (a COMMIT
    already on the wire counts): wait until the sessions opened since ``before`` (the
    test's own) have ended, so what the test reads next is what the worker left."""
    end = time.monotonic() + timeout
    while database_sessions(context) - before:
        if time.monotonic() > end:
            raise TimeoutError("a killed worker's PostgreSQL sessions did not end")
        time.sleep(0.02)
