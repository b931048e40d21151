"""Proofs of the sending engine's promises, end to end: ``orchid-desktop worker`` killed
at random moments loses and duplicates nothing (only what was in flight at a kill
becomes uncertain); four workers on one PostgreSQL database send 10,000 emails once
each; a run of SendGrid faults in sequence ends with nothing lost or sent twice; local
mode's files are real emails, written once even across a crash."""

from __future__ import annotations

import email
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from orchid_desktop.db.models import OutboxMessage
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import EmailKind, OutboxStatus
from orchid_desktop.mail.transport import LocalTransport, SendGridTransport
from orchid_desktop.services import sending_state
from orchid_desktop.services.dispatch import Dispatcher, DispatchSettings
from orchid_desktop.services.outbox_claims import claim, writer_session
from tests.campaign_helpers import ready_to_send
from tests.fakes.sendgrid_server import FakeSendGrid, Fault
from tests.outbox_helpers import add_people, queue_messages
from tests.sending_proof_helpers import (
    KEY,
    database_sessions,
    duplicates,
    fill_interleaved,
    ids_with,
    let_leases_run_out,
    rows_by_email,
    sent_by,
    set_request_timeout,
    start_worker,
    statuses,
    wait_for_sessions_to_end,
    worker_output,
)

FINAL = {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SUPPRESSED,
         OutboxStatus.CANCELLED}


@pytest.fixture
def fake():
    with FakeSendGrid() as server:
        yield server


# -- 1. crash safety ----------------------------------------------------------------------

CRASH_MESSAGES = 2000
KILLS = 10  # a run resolves ~150 rows before its kill: the queue outlasts the kills
BATCH = 200


def kill_repeatedly_then_finish(context, fake: FakeSendGrid, log_dir, *, seed: int,
                                database: str | None = None) -> None:
    """Fill 2,000 messages; start a worker, SIGKILL it at a random moment after its first
    request reached SendGrid, KILLS times; let the leases run out; run a last worker to
    the end; then check every row against what the fake server took."""
    fill_interleaved(context, CRASH_MESSAGES, categories=8, run=25)  # a batch: 8 requests
    set_request_timeout(context, 5.0)
    fake.delay_seconds = 0.3  # a slow SendGrid: a kill finds requests in flight
    rng = random.Random(seed)
    started = time.monotonic()
    in_flight_at_a_kill: set[int] = set()
    kills = 0
    while kills < KILLS:
        name = f"killed-{kills}"
        posts, ours = fake.posts_started, database_sessions(context)
        worker = start_worker(log_dir, name, fake.host, database=database, batch_size=BATCH)
        deadline = time.monotonic() + 60
        while fake.posts_started == posts and worker.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        assert fake.posts_started > posts or worker.poll() is not None, \
            "the worker sent nothing within a minute"
        if worker.poll() is None:
            time.sleep(rng.uniform(0.0, 0.6))
        if worker.poll() is not None:  # it found the queue empty: no kill to count
            assert kills >= 8, (f"worker {kills} ran out of work already "
                                f"({statuses(context)}): {worker_output(log_dir, name)}")
            break
        worker.kill()  # SIGKILL: no handler, no clean-up
        worker.wait()
        kills += 1
        wait_for_sessions_to_end(context, ours)
        # a dead worker's SENDING rows: the only ones that may end UNCERTAIN — at most
        # one claimed batch (ticks do not overlap; a batch is sent before the next claim)
        sending = ids_with(context, OutboxStatus.SENDING)
        assert len(sending - in_flight_at_a_kill) <= BATCH, \
            f"kill {kills} left {len(sending - in_flight_at_a_kill)} rows in flight"
        in_flight_at_a_kill |= sending
    fake.wait_idle()  # requests of killed workers still being handled finish now
    for n in range(kills):
        _out, err = worker_output(log_dir, f"killed-{n}")
        assert "Traceback" not in err, err
    let_leases_run_out(context)
    last = start_worker(log_dir, "last", fake.host, database=database)
    assert last.wait(timeout=180) == 0, worker_output(log_dir, "last")
    out, err = worker_output(log_dir, "last")
    assert "Traceback" not in err, err
    assert "uncertain after a lost lease" in out, out
    fake.wait_idle()
    elapsed = time.monotonic() - started

    counts = statuses(context)
    accepted = fake.recipients()
    assert duplicates(accepted) == {}, "an email went to SendGrid twice"
    rows = rows_by_email(context)
    assert len(rows) == CRASH_MESSAGES
    assert set(counts) <= FINAL | {OutboxStatus.UNCERTAIN}, counts
    assert counts.get(OutboxStatus.QUEUED, 0) == 0
    sent, uncertain = counts.get(OutboxStatus.SENT, 0), counts.get(OutboxStatus.UNCERTAIN, 0)
    assert sent + uncertain == CRASH_MESSAGES, counts
    assert ids_with(context, OutboxStatus.UNCERTAIN) == in_flight_at_a_kill
    ids_of = fake.message_id_of()
    for address in accepted:
        assert rows[address][1] in (OutboxStatus.SENT, OutboxStatus.UNCERTAIN)
    for address, (_row_id, status, message_id) in rows.items():
        if status is OutboxStatus.SENT:  # sent means SendGrid took it, with that id
            assert message_id and message_id == ids_of.get(address), address
    taken_but_unanswered = sum(1 for a in accepted if rows[a][1] is OutboxStatus.UNCERTAIN)
    assert uncertain > 0
    print(f"\n[{context.engine.dialect.name}] {kills} SIGKILLs, {CRASH_MESSAGES} messages: "
          f"{sent} sent, {uncertain} uncertain (in flight at a kill; SendGrid took "
          f"{taken_but_unanswered} of them), {len(accepted)} accepted by the fake, "
          f"0 duplicates, {elapsed:.1f} s")


def test_killed_workers_lose_and_duplicate_nothing_on_sqlite(context, fake, tmp_path):
    kill_repeatedly_then_finish(context, fake, tmp_path / "logs", seed=20261201)


@pytest.mark.postgres
def test_killed_workers_lose_and_duplicate_nothing_on_postgresql(pg_context, pg_url, fake,
                                                                  tmp_path):
    kill_repeatedly_then_finish(pg_context, fake, tmp_path / "logs", seed=20261202,
                                database=pg_url)


# -- 2. four workers, one database --------------------------------------------------------

@pytest.mark.postgres
def test_a_postgresql_claim_takes_at_most_its_limit(pg_context):
    """Batch size and the rate limit rest on this; so does how much one killed worker
    leaves uncertain. (PostgreSQL may run ``id IN (SELECT … LIMIT n FOR UPDATE SKIP
    LOCKED)`` as a nested loop that re-runs the subquery per row — each run skipping the
    rows the UPDATE already changed — so the limit must be applied exactly once.)"""
    fill_interleaved(pg_context, 2000, categories=8, run=25)
    taken: list[set[int]] = []
    for owner in ("a", "b", "c"):
        with writer_session(pg_context.sessions) as session, session.begin():
            result = claim(session, owner=owner, now=utcnow(), limit=200,
                           lease=timedelta(minutes=5))
        taken.append({row.id for row in result.rows})
    assert [len(ids) for ids in taken] == [200, 200, 200]
    assert not (taken[0] & taken[1]) and not (taken[1] & taken[2])
    assert statuses(pg_context) == {OutboxStatus.CLAIMED: 600, OutboxStatus.QUEUED: 1400}


@pytest.mark.postgres
def test_four_workers_send_ten_thousand_once_each(pg_context, pg_url, fake, tmp_path):
    count, workers = 10_000, 4
    fill_interleaved(pg_context, count, categories=4, run=100)  # batch: 4 × 100
    fake.delay_seconds = 0.1
    started = time.monotonic()
    procs = [start_worker(tmp_path / "logs", f"worker-{n}", fake.host, database=pg_url,
                          batch_size=400, concurrency=4, claim_lease=60)
             for n in range(workers)]
    codes = [proc.wait(timeout=300) for proc in procs]
    elapsed = time.monotonic() - started
    outputs = [worker_output(tmp_path / "logs", f"worker-{n}") for n in range(workers)]
    assert codes == [0] * workers, outputs
    assert not any("Traceback" in err for _out, err in outputs), outputs

    accepted = fake.recipients()
    assert duplicates(accepted) == {}
    assert len(accepted) == count
    assert statuses(pg_context) == {OutboxStatus.SENT: count}
    ids_of = fake.message_id_of()
    rows = rows_by_email(pg_context)
    assert all(message_id and message_id == ids_of[address]
               for address, (_i, _s, message_id) in rows.items())
    shares = [sent_by(out) for out, _err in outputs]
    assert sum(shares) == count
    assert sum(1 for share in shares if share) >= 2, shares  # they really ran side by side
    print(f"\n4 workers, one PostgreSQL database: {count:,} sent once each in "
          f"{elapsed:.1f} s (shares {shares}; at most {fake.max_in_flight} requests in "
          f"flight at once; {len(fake.accepted)} requests)")


# -- 3. faults in sequence ------------------------------------------------------------------

def free_port() -> int:
    """A port nothing listens on (so connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_sequence_of_sendgrid_faults_loses_and_duplicates_nothing(context, fake,
                                                                   monkeypatch):
    """60 messages (30 due now, 30 in two hours), batches of 10, one request each:
    429 + Retry-After, then 500, 503, 429 + X-RateLimit-Reset, then SendGrid out of
    reach, then a stall after SendGrid took the email, a 400 for one address, a revoked
    key, and a new key — with a fake clock moved past each wait."""
    sender = ready_to_send(context, daily_limit=100_000)
    t0 = utcnow()
    with context.sessions.begin() as session:
        people = add_people(session, 60)
        queue_messages(session, people[:30], sender_id=sender, due_at=t0)
        queue_messages(session, people[30:], sender_id=sender, due_at=t0 + timedelta(hours=2))
    monkeypatch.setenv("ORCHID_SENDGRID_HOST", fake.host)
    clock = [t0]
    key = [KEY]
    told: list[tuple[str, object]] = []
    engine = Dispatcher(context.sessions, lambda: SendGridTransport(key[0], 1.0),
                        settings=DispatchSettings(batch_size=10, concurrency=1,
                                                  request_timeout=1.0),
                        clock=lambda: clock[0], notify=lambda k, t: told.append((k, t)))

    def rows(ids=None):
        with context.sessions() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            return [r for r in session.scalars(query) if ids is None or r.to_email in ids]

    def emails(numbers):
        return {f"p{n}@example.org" for n in numbers}

    try:
        # 429 with Retry-After: the batch waits 120 s, and nobody posts meanwhile
        fake.faults.append(Fault(429, {"Retry-After": "120"}))
        report = engine.tick()
        # (the next batch, claimed while the first was posting, goes back unposted too)
        assert (report.sent, report.requests) == (0, 1) and report.retry_later in (10, 20)
        waits = {r.next_attempt_at.replace(tzinfo=None) for r in rows(emails(range(10)))}
        assert waits == {(t0 + timedelta(seconds=120)).replace(tzinfo=None)}
        posts = fake.posts_started
        engine.tick()
        assert fake.posts_started == posts

        # 500, 503, then 429 with X-RateLimit-Reset (a Unix time): the last batch waits
        # until then, and the tick stops posting
        clock[0] = t0 + timedelta(seconds=121)
        reset = int(clock[0].timestamp()) + 300
        fake.faults += [Fault(500), Fault(503), Fault(429, {"X-RateLimit-Reset": str(reset)})]
        report = engine.tick()
        assert (report.retry_later, report.sent, report.requests) == (30, 0, 3)
        waits = {r.next_attempt_at.replace(tzinfo=None) for r in rows(emails(range(20, 30)))}
        assert waits == {datetime.fromtimestamp(reset, UTC).replace(tzinfo=None)}
        assert statuses(context) == {OutboxStatus.QUEUED: 60}

        # SendGrid out of reach (connection refused): tried, nothing taken, all kept
        clock[0] = t0 + timedelta(seconds=121 + 301)
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", f"http://127.0.0.1:{free_port()}")
        report = engine.tick()
        assert report.retry_later == 30 and report.sent == 0
        assert statuses(context) == {OutboxStatus.QUEUED: 60}
        assert all(r.status_reason.startswith("will retry: could not reach SendGrid")
                   for r in rows(emails(range(30))))

        # back up: a stall after SendGrid took the first batch (→ uncertain), and a 400
        # for one address (only that one fails, in SendGrid's words); the rest go
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", fake.host)
        clock[0] = t0 + timedelta(hours=1, minutes=10)
        fake.faults.append(Fault(202, stall_seconds=2.5, accept_first=True))
        fake.refuse["p25@example.org"] = "Does not contain a valid address."
        report = engine.tick()
        assert (report.uncertain, report.failed, report.sent) == (10, 1, 19)

        # the key is revoked: all sending pauses, says why, and loses nothing
        fake.valid_keys = set()
        clock[0] = t0 + timedelta(hours=2, minutes=1)
        report = engine.tick()
        assert report.paused and report.sent == 0
        with context.sessions() as session:
            paused, reason = sending_state.pause_state(session)
        assert paused and "refused the API key" in reason
        assert ("key refused", report.paused) in told
        later = rows(emails(range(30, 60)))
        assert {r.status for r in later} == {OutboxStatus.QUEUED}
        assert {r.attempts for r in later} == {0}  # a refused key is not the email's fault
        posts = fake.posts_started
        assert engine.tick().paused and fake.posts_started == posts  # paused stays paused

        # a new key, sending resumed: everything left goes
        fake.valid_keys = {"SG.new-key"}
        key[0] = "SG.new-key"
        with context.sessions.begin() as session:
            sending_state.set_paused(session, False, reason="", staff_id=None)
        clock[0] += timedelta(minutes=1)
        report = engine.tick()
        assert report.sent == 30
        engine.tick()  # and nothing more: the uncertain ones are never resent
    finally:
        engine.close()
    fake.wait_idle()

    assert statuses(context) == {OutboxStatus.SENT: 49, OutboxStatus.UNCERTAIN: 10,
                                 OutboxStatus.FAILED: 1}
    accepted = fake.recipients()
    assert duplicates(accepted) == {}
    assert sorted(accepted) == sorted(emails(n for n in range(60) if n != 25))
    by_email = {r.to_email: r for r in rows()}
    assert {e for e, r in by_email.items() if r.status is OutboxStatus.UNCERTAIN} \
        == emails(range(10))
    failed = by_email["p25@example.org"]
    assert failed.status is OutboxStatus.FAILED
    assert failed.status_reason == ("SendGrid refused the email (400): Does not contain a "
                                    "valid address. (personalizations.0.to)")
    ids_of = fake.message_id_of()
    assert all(r.sendgrid_message_id == ids_of[e] for e, r in by_email.items()
               if r.status is OutboxStatus.SENT)


# -- 5. local mode --------------------------------------------------------------------------

class CrashAfterWriting(LocalTransport):
    """Writes the file (the real ``write_eml``), then the process "dies" before the
    database hears of it."""

    def __init__(self, folder, victim: int):
        super().__init__(folder)
        self.victim = victim

    def save(self, message, sender):
        path = super().save(message, sender)
        if message.outbox_id == self.victim:
            raise SystemExit("crashed after writing the file")
        return path


def test_local_mode_files_are_whole_emails_written_once_across_a_crash(context, tmp_path):
    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        people = add_people(session, 4)
        queue_messages(session, people[:3], sender_id=sender)
        queue_messages(session, people[3:], sender_id=sender, kind=EmailKind.SERVICE,
                       category="screening", subject="Your application",
                       html="<p>We received your application.</p>")
    with context.sessions() as session:
        ids = list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    folder = tmp_path / "outbox"
    settings = DispatchSettings(claim_lease=timedelta(seconds=30))
    crashing = Dispatcher(context.sessions, lambda: CrashAfterWriting(folder, ids[1]),
                          settings=settings)
    with pytest.raises(SystemExit):
        crashing.tick()
    crashing.close()
    written = {p.name for p in folder.glob("*.eml")}
    assert len(written) == 2  # the first, and the victim's, before the "crash"
    assert statuses(context) == {OutboxStatus.CLAIMED: 4}

    later = utcnow() + timedelta(minutes=1)  # the claim lease has run out
    engine = Dispatcher(context.sessions, lambda: LocalTransport(folder), settings=settings,
                        clock=lambda: later)
    report = engine.tick()
    engine.close()
    assert report.returned_to_queue == 4 and report.saved_locally == 4
    assert statuses(context) == {OutboxStatus.SAVED_LOCALLY: 4}
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 4 and written <= {f.name for f in files}
    assert not list(folder.glob(".orchid-*"))  # no temporary file left behind
    with context.sessions() as session:
        paths = {r.id: r.local_path for r in session.scalars(select(OutboxMessage))}
    assert sorted(paths.values()) == sorted(str(f) for f in files)

    for row_id, path in paths.items():
        message = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert message["X-Orchid-Outbox-Id"] == str(row_id)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert text.strip() and "<p>" in html
        marketing = row_id != ids[3]
        if marketing:
            assert "1 Main St, Oakland, CA 94612" in text and "1 Main St, Oakland" in html
            assert message["List-Unsubscribe"] == \
                "<mailto:hello@orchid.example?subject=unsubscribe>"
            assert "mailto:hello@orchid.example?subject=unsubscribe" in html
            assert "mailto:hello@orchid.example?subject=unsubscribe" in text
            assert message["Subject"] == "Our autumn newsletter"
        else:
            assert message["List-Unsubscribe"] is None and "unsubscribe" not in html.lower()
            assert message["Subject"] == "Your application"
