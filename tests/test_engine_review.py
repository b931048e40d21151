"""Review of the sending engine: each test states a promise of the engine (DESIGN.md and
docs/architecture.md, "Sending engine") that the code does not keep yet."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from orchid_desktop.db.models import (
    AgencySettings,
    Contact,
    Enrolment,
    EnrolmentStep,
    OutboxMessage,
    SenderIdentity,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStatus,
    EnrolmentStepStatus,
    OutboxOrigin,
    OutboxStatus,
    ScreeningOutcome,
)
from orchid_desktop.mail.transport import (
    Answer,
    LocalTransport,
    PostResult,
    SendGridTransport,
)
from orchid_desktop.services import (
    campaign_queue,
    dispatch,
    dispatch_batch,
    drip_lifecycle,
    email_preferences,
    enrolment,
    senders,
    uncertain,
)
from orchid_desktop.services.dispatch import Dispatcher, DispatchSettings
from orchid_desktop.services.outbox_claims import (
    ClaimedRow,
    claim,
    expire_leases,
    writer_session,
)
from tests.campaign_helpers import (
    TUESDAY_10AM_PACIFIC,
    email_step,
    make_drip,
    outbox,
    ready_to_send,
    template_id,
)
from tests.fakes.sendgrid_server import FakeSendGrid, Fault
from tests.outbox_helpers import add_people, queue_messages
from tests.people_helpers import add_contact

KEY = "SG.test-key"
NOW = TUESDAY_10AM_PACIFIC


@pytest.fixture
def fake(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", server.host)
        yield server


def _fill(context, count: int, *, daily_limit: int = 100_000, **kwargs) -> int:
    sender = ready_to_send(context, daily_limit=daily_limit)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 1_000_000
        queue_messages(session, add_people(session, count), sender_id=sender, **kwargs)
    return sender


def _statuses(context) -> dict[OutboxStatus, int]:
    with context.sessions() as session:
        return dict(session.execute(select(OutboxMessage.status, func.count())
                                    .group_by(OutboxMessage.status)).all())


def _drip(context, *, one_step: bool = False) -> tuple[int, int]:
    """A launched donor welcome for one contact, its first email queued at NOW; returns
    (outbox id, enrolment id)."""
    sender = ready_to_send(context)
    steps = [email_step(template_id(context, "donor-welcome-01"))] if one_step else None
    campaign = make_drip(context, sender_id=sender, steps=steps)
    person = add_contact(context, "Ana", "Silva", email="ana@example.org")
    with context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=[person], staff_id=None, now=NOW)
        drip_lifecycle.launch(session, campaign, staff_id=None, now=NOW)
        campaign_queue.queue_due(session, now=NOW)
    [message] = outbox(context)
    with context.sessions() as session:
        enrolment_id = session.scalar(select(Enrolment.id))
    return message.id, enrolment_id


# -- accounting -------------------------------------------------------------------------

def test_a_message_retried_after_a_503_counts_once_against_the_senders_daily_limit(
        context, fake):
    """A 5xx sends nothing; the retry must not find the sender's day already spent."""
    sender = _fill(context, 10)
    with context.sessions.begin() as session:
        session.get(SenderIdentity, sender).daily_limit = 10
    fake.faults.append(Fault(503))
    engine = Dispatcher(context.sessions, lambda: SendGridTransport(KEY, 5.0),
                        settings=DispatchSettings(request_timeout=5.0))
    engine.tick()
    assert _statuses(context) == {OutboxStatus.QUEUED: 10} and fake.accepted == []
    with context.sessions() as session:
        retry_at = session.scalar(select(func.max(OutboxMessage.next_attempt_at)))
    later = retry_at + timedelta(seconds=1)
    engine.clock = lambda: later
    engine.tick()
    engine.close()
    assert _statuses(context) == {OutboxStatus.SENT: 10}


# -- at most once -----------------------------------------------------------------------

class _SplitThenSteal:
    """SendGrid refuses the first request (400). While that answer is on its way, the
    rows' lease lapses (another workstation's tick makes them uncertain), staff resend
    them, and another workstation claims them. Later posts are recorded."""

    def __init__(self, context):
        self.context = context
        self.posts: list[list[str]] = []

    def post(self, body):
        self.posts.append([to["email"] for p in body["personalizations"] for to in p["to"]])
        if len(self.posts) > 1:
            return PostResult(Answer.ACCEPTED, "accepted", 202, f"id-{len(self.posts)}")
        later = utcnow() + timedelta(minutes=10)
        with writer_session(self.context.sessions) as session, session.begin():
            expire_leases(session, later)
            ids = session.scalars(select(OutboxMessage.id)).all()
            uncertain.resend(session, ids, staff_id=None)
        with writer_session(self.context.sessions) as session, session.begin():
            taken = claim(session, owner="desk-2", now=later, limit=100,
                          lease=timedelta(minutes=5))
        assert len(taken.rows) == len(ids)  # desk-2 now holds every row and will send it
        return PostResult(Answer.REJECTED, "SendGrid refused the email (400): bad", 400)


def test_a_400_split_posts_only_rows_still_leased_to_this_dispatcher(context):
    _fill(context, 4, html="<p>News from the agency.</p>")  # one body: one request
    transport = _SplitThenSteal(context)
    engine = Dispatcher(context.sessions, lambda: transport)
    engine.tick()
    engine.close()
    assert len(transport.posts[0]) == 4
    with context.sessions() as session:
        assert set(session.scalars(select(OutboxMessage.lease_owner))) == {"desk-2"}
    # every row is desk-2's now: posting any of them again here sends it twice
    assert transport.posts[1:] == []


# -- lost messages / drips --------------------------------------------------------------

def test_a_lost_lease_on_a_drip_message_whose_enrolment_stopped_does_not_stay_queued(
        context, tmp_path):
    """desk-2 claimed the message, then the person unsubscribed (the claimed row is left
    to the engine), then desk-2 died. The row must end (cancelled/suppressed) and its
    step record with it — not sit QUEUED, unclaimable, for ever."""
    message_id, _ = _drip(context)
    with writer_session(context.sessions) as session, session.begin():
        taken = claim(session, owner="desk-2", now=NOW, limit=10, lease=timedelta(minutes=5))
    assert [r.id for r in taken.rows] == [message_id]
    with context.sessions.begin() as session:
        email_preferences.unsubscribe(session, "ana@example.org", staff_id=None)
    later = NOW + timedelta(hours=1)
    engine = Dispatcher(context.sessions, lambda: LocalTransport(tmp_path / "outbox"),
                        clock=lambda: later)
    engine.tick()
    engine.tick()
    engine.close()
    with context.sessions() as session:
        row = session.get(OutboxMessage, message_id)
        step = session.get(EnrolmentStep, row.enrolment_step_id)
        assert row.status is not OutboxStatus.QUEUED
        assert step.status is not EnrolmentStepStatus.PENDING


def test_a_drip_stopped_at_claim_time_is_stopped_not_completed(context, tmp_path):
    """The claim-time check finds the person disqualified (re-screened, no hook ran): the
    enrolment stops with that reason, whichever step it was on."""
    message_id, enrolment_id = _drip(context, one_step=True)
    with context.sessions.begin() as session:
        session.execute(update(Contact).values(screening_outcome=ScreeningOutcome.DQ))
    later = NOW + timedelta(minutes=1)
    engine = Dispatcher(context.sessions, lambda: LocalTransport(tmp_path / "outbox"),
                        clock=lambda: later)
    report = engine.tick()
    engine.close()
    assert report.suppressed == 1
    with context.sessions() as session:
        assert session.get(OutboxMessage, message_id).status is OutboxStatus.SUPPRESSED
        stopped = session.get(Enrolment, enrolment_id)
        assert stopped.status is EnrolmentStatus.STOPPED
        assert "disqualified" in (stopped.stop_reason or "")


# -- scheduler shutdown -----------------------------------------------------------------

def test_shutdown_finishes_the_requests_in_flight_but_claims_no_more(
        context, fake, monkeypatch):
    """Quitting (or SIGTERM to the worker) finishes what is in flight; it must not keep
    claiming and posting new batches for the rest of the tick's 25-second budget."""
    from orchid_desktop.scheduler.jobs import SendingScheduler

    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    _fill(context, 40, html="<p>News from the agency.</p>")
    fake.delay_seconds = 0.4
    scheduler = SendingScheduler(context, dispatch_seconds=3600, settings=DispatchSettings(
        batch_size=4, concurrency=1, request_timeout=5.0))
    scheduler.start()
    try:
        scheduler.send_due_now()
        deadline = time.monotonic() + 10
        while fake.posts_started < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.posts_started >= 1
    finally:
        started_at_stop = fake.posts_started
        scheduler.shutdown(wait=True)
    assert fake.posts_started <= started_at_stop + 1, (
        f"{fake.posts_started - started_at_stop} requests were posted after shutdown")


# -- PostgreSQL: sender row locks -------------------------------------------------------

@pytest.mark.postgres
def test_two_dispatchers_counting_default_senders_do_not_deadlock(pg_context, monkeypatch):
    """Rows without a sender get one (the sender each person last heard from) and are
    counted against it under a row lock. Two workers whose batches list the same two
    senders in opposite orders must not deadlock."""
    context = pg_context
    ready_to_send(context, daily_limit=1000)
    first = senders.list_senders(context.sessions)[0]
    senders.replace_senders(context.sessions, [
        first, senders.SenderRow(None, "team@orchid.example", "Orchid Team", 1000)],
        context.staff_id)
    one, two = sorted(s.id for s in senders.list_senders(context.sessions))

    real = dispatch_batch.count_sends
    barrier = threading.Barrier(2, timeout=3)
    seen: set[int] = set()

    def count_sends(session, sender_id, count, today):
        fit = real(session, sender_id, count, today)  # holds that sender's row lock
        me = threading.get_ident()
        if me not in seen:  # both workers hold their first sender before either goes on
            seen.add(me)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return fit

    monkeypatch.setattr(dispatch_batch, "count_sends", count_sends)

    def row(i: int) -> ClaimedRow:
        return ClaimedRow(i, OutboxOrigin.SINGLE, EmailKind.SERVICE, f"p{i}@example.org",
                          None, None, {}, "s", "<p>x</p>", None, None, None, 1)

    errors: list[BaseException] = []

    def work(owner: str, order: list[tuple[int, int]]) -> None:
        rows = [row(i) for i, _ in order]
        try:
            dispatch_batch._count_unassigned(context.sessions, rows, dict(order),
                                             owner=owner, now=utcnow())
        except BaseException as exc:
            errors.append(exc)

    a = threading.Thread(target=work, args=("desk-a", [(1, one), (2, two)]))
    b = threading.Thread(target=work, args=("desk-b", [(3, two), (4, one)]))
    a.start(), b.start()
    a.join(30), b.join(30)
    assert errors == [], f"a dispatcher's tick failed: {errors[0]!r}"


# -- Send due now -----------------------------------------------------------------------

def test_send_due_now_during_a_running_dispatch_runs_again_right_after_it(context):
    """Staff queue a message and press *Send due now* while a tick is busy: the press
    must not be dropped (APScheduler skips a run when max_instances is reached, and the
    next run is then a whole interval away)."""
    from orchid_desktop.scheduler.jobs import SendingScheduler

    scheduler = SendingScheduler(context, dispatch_seconds=3600)
    release, runs = threading.Event(), []

    def slow_tick():
        runs.append(time.monotonic())
        if len(runs) == 1:
            release.wait(10)
        return dispatch.DispatchReport()

    scheduler.dispatcher.tick = slow_tick
    scheduler.start()
    try:
        scheduler.send_due_now()
        deadline = time.monotonic() + 5
        while not runs and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(runs) == 1  # a long tick is running
        time.sleep(0.2)
        scheduler.send_due_now()  # pressed again: something new is due
        time.sleep(0.5)
        release.set()
        deadline = time.monotonic() + 5
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        release.set()
        scheduler.shutdown(wait=True)
    assert len(runs) == 2, "the second Send due now was dropped; next run in an hour"


# -- SQLite: the answer must be recorded even when the GUI holds the write lock ----------

def test_an_accepted_request_is_recorded_sent_when_the_database_was_briefly_busy(
        context, fake):
    """SQLite, one workstation: while SendGrid is answering, the window holds the write
    lock a little longer than busy_timeout (an import chunk, a big re-screen). SendGrid
    accepted the email and gave its id; the engine must still record it SENT, not leave
    it SENDING (→ uncertain, offered to staff for a resend: sent twice)."""
    import sqlite3

    _fill(context, 3, html="<p>News from the agency.</p>")
    fake.delay_seconds = 0.5
    engine = Dispatcher(context.sessions, lambda: SendGridTransport(KEY, 5.0),
                        settings=DispatchSettings(request_timeout=5.0))
    errors: list[BaseException] = []

    def run():
        try:
            engine.tick()
        except BaseException as exc:
            errors.append(exc)

    ticking = threading.Thread(target=run)
    ticking.start()
    deadline = time.monotonic() + 10
    while fake.posts_started < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    gui = sqlite3.connect(context.engine.url.database, isolation_level=None)
    gui.execute("BEGIN IMMEDIATE")  # the window's long write
    time.sleep(16.5)  # busy_timeout is 15 s
    gui.execute("COMMIT")
    gui.close()
    ticking.join(30)
    engine.close()
    assert fake.accepted, "SendGrid took the request"
    assert _statuses(context) == {OutboxStatus.SENT: 3}, errors
