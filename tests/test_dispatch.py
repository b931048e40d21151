"""The dispatch tick against the fake SendGrid server: what each answer does to the
outbox rows (sent, failed with the reason, retried later, uncertain, sending paused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import AgencySettings, OutboxMessage, SenderIdentity
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import EmailKind, OutboxStatus
from orchid_desktop.mail.transport import LocalTransport, SendGridTransport
from orchid_desktop.services import sending_state
from orchid_desktop.services.dispatch import Dispatcher, DispatchSettings
from tests.campaign_helpers import ready_to_send
from tests.fakes.sendgrid_server import FakeSendGrid, Fault
from tests.outbox_helpers import add_people, queue_messages

KEY = "SG.test-key"


@pytest.fixture
def fake(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", server.host)
        yield server


def fill(context, count: int, **kwargs) -> int:
    sender = ready_to_send(context, daily_limit=100_000)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 1_000_000
        queue_messages(session, add_people(session, count), sender_id=sender, **kwargs)
    return sender


def dispatcher(context, *, timeout=5.0, key=KEY, **settings) -> Dispatcher:
    return Dispatcher(context.sessions, lambda: SendGridTransport(key, timeout),
                      settings=DispatchSettings(request_timeout=timeout, **settings))


def statuses(context) -> dict[OutboxStatus, int]:
    with context.sessions() as session:
        return dict(session.execute(select(OutboxMessage.status, func.count())
                                    .group_by(OutboxMessage.status)).all())


def recipients(fake: FakeSendGrid) -> list[str]:
    return [to["email"] for body in fake.accepted for p in body["personalizations"]
            for to in p["to"]]


def test_due_messages_go_out_batched_with_message_ids(context, fake):
    fill(context, 2500, html="<p>News from the agency.</p>")  # one body: 3 requests
    engine = dispatcher(context)
    report = engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SENT: 2500}
    assert report.sent == 2500 and report.requests == 3
    assert sorted(recipients(fake)) == sorted(f"p{n}@example.org" for n in range(2500))
    assert all(len(b["personalizations"]) <= 1000 for b in fake.accepted)
    with context.sessions() as session:
        assert session.scalar(select(func.count()).where(
            OutboxMessage.sendgrid_message_id.is_(None))) == 0


def test_400_fails_only_the_bad_message_with_sendgrids_reason(context, fake):
    fill(context, 40)
    with context.sessions.begin() as session:  # an address SendGrid's schema refuses
        bad = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[7]
        bad.to_email = "p7@example.org\u00a0x"
    engine = dispatcher(context)
    engine.tick()
    engine.close()
    with context.sessions() as session:
        row = session.get(OutboxMessage, bad.id)
    assert row.status is OutboxStatus.FAILED
    assert "refused" in row.status_reason or "written" in row.status_reason
    assert statuses(context)[OutboxStatus.SENT] == 39


@pytest.mark.parametrize("fault", [
    Fault(429, {"Retry-After": "120"}), Fault(500), Fault(503),
])
def test_try_later_answers_retry_after_a_wait_and_lose_nothing(context, fake, fault):
    fill(context, 10)
    fake.faults.append(fault)
    engine = dispatcher(context)
    report = engine.tick()
    assert statuses(context) == {OutboxStatus.QUEUED: 10} and report.retry_later == 10
    with context.sessions() as session:
        retry_at = session.scalar(select(func.min(OutboxMessage.next_attempt_at)))
    if fault.headers.get("Retry-After"):
        assert retry_at.replace(tzinfo=None) >= (utcnow() + timedelta(seconds=100)) \
            .replace(tzinfo=None)
    later = retry_at + timedelta(seconds=1)
    engine.clock = lambda: later
    engine._hold_until = None
    engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SENT: 10}
    assert len(recipients(fake)) == 10


def test_a_timeout_after_the_request_went_out_is_uncertain_not_resent(context, fake):
    fill(context, 5)
    fake.faults.append(Fault(202, stall_seconds=3))
    engine = dispatcher(context, timeout=1.0)
    report = engine.tick()
    assert statuses(context) == {OutboxStatus.UNCERTAIN: 5} and report.uncertain == 5
    engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.UNCERTAIN: 5}


def test_refused_connection_is_retried_later(context, monkeypatch):
    fill(context, 5)
    monkeypatch.setenv("ORCHID_SENDGRID_HOST", "http://127.0.0.1:9")  # nothing listens
    engine = dispatcher(context)
    report = engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.QUEUED: 5} and report.retry_later == 5


def test_a_refused_key_pauses_all_sending_and_says_why(context, fake):
    fill(context, 5)
    told = []
    engine = dispatcher(context, key="SG.revoked")
    engine.notify = lambda kind, text: told.append((kind, text))
    report = engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.QUEUED: 5}
    with context.sessions() as session:
        paused, reason = sending_state.pause_state(session)
        attempts = session.scalar(select(func.max(OutboxMessage.attempts)))
    assert paused and "refused the API key" in reason and attempts == 0
    assert report.paused and [t for k, t in told if k == "key refused"] == [report.paused]


def test_local_mode_writes_eml_files_and_sends_nothing(context, fake, tmp_path):
    fill(context, 3)
    engine = Dispatcher(context.sessions, lambda: LocalTransport(tmp_path / "outbox"))
    report = engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SAVED_LOCALLY: 3} and report.saved_locally == 3
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3 and fake.accepted == []
    text = files[0].read_text()
    assert "Subject: Our autumn newsletter" in text and "1 Main St, Oakland" in text
    with context.sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert {r.status_reason for r in rows} == {"not sent — local mode"}
    assert {r.local_path for r in rows} == {str(f) for f in files}


def test_sender_daily_limit_holds_the_rest_until_tomorrow(context, fake):
    sender = fill(context, 30)
    with context.sessions.begin() as session:
        session.get(SenderIdentity, sender).daily_limit = 20
    engine = dispatcher(context)
    engine.tick()
    engine.close()
    counts = statuses(context)
    assert counts == {OutboxStatus.SENT: 20, OutboxStatus.QUEUED: 10}


def test_service_mail_reaches_an_unsubscribed_person_marketing_does_not(context, fake):
    from orchid_desktop.services import email_preferences

    fill(context, 2)
    with context.sessions.begin() as session:
        queue_messages(session, [1], sender_id=None, kind=EmailKind.SERVICE,
                       category="screening", subject="Your application")
        email_preferences.unsubscribe(session, "p0@example.org", staff_id=None)
    engine = dispatcher(context)
    report = engine.tick()
    engine.close()
    assert sorted(recipients(fake)) == ["p0@example.org", "p1@example.org"]
    assert statuses(context) in ({OutboxStatus.SENT: 2, OutboxStatus.SUPPRESSED: 1},
                                 {OutboxStatus.SENT: 2, OutboxStatus.CANCELLED: 1})
    assert report.sent == 2


def test_the_global_rate_limit_caps_a_tick(context, fake):
    fill(context, 50)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 20
    engine = dispatcher(context)
    engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SENT: 20, OutboxStatus.QUEUED: 30}


def test_a_warming_up_sender_sends_50_on_its_first_day(context, fake):
    from orchid_desktop.services import senders

    fill(context, 80)
    rows = senders.list_senders(context.sessions)
    senders.replace_senders(context.sessions, [senders.SenderRow(
        rows[0].id, rows[0].from_email, rows[0].from_name, 10_000, warm_up=True)],
        context.staff_id)
    assert senders.list_senders(context.sessions)[0].warm_up
    engine = dispatcher(context)
    engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SENT: 50, OutboxStatus.QUEUED: 30}
    with context.sessions() as session:
        waiting = session.scalars(select(OutboxMessage.status_reason).where(
            OutboxMessage.status == OutboxStatus.QUEUED)).all()
    assert set(waiting) == {"waiting: the sender reached its daily limit"}


def test_a_drip_whose_emails_sendgrid_keeps_refusing_pauses_itself(context, fake):
    """Ten refusals (e.g. a sender SendGrid no longer accepts for these addresses)."""
    from datetime import time

    from orchid_desktop.db.models import DripCampaign
    from orchid_desktop.domain.vocab import CampaignStatus
    from orchid_desktop.services import drip_lifecycle, enrolment
    from tests.campaign_helpers import make_drip
    from tests.people_helpers import add_contact

    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 100_000
    campaign = make_drip(context, sender_id=sender, window_start=time(0, 0),
                         window_end=time(23, 59), weekdays="1234567")
    people = [add_contact(context, f"Ana{n}", "Silva", f"ana{n}@example.org")
              for n in range(12)]
    for n in range(12):
        fake.refuse[f"ana{n}@example.org"] = ("Does not contain a valid address.",
                                              "personalizations.0.to")
    with context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=people, staff_id=None)
        drip_lifecycle.launch(session, campaign, staff_id=None)
    told = []
    engine = dispatcher(context)
    engine.notify = lambda kind, text: told.append((kind, text))
    report = engine.tick()
    engine.close()
    with context.sessions() as session:
        row = session.get(DripCampaign, campaign)
        assert row.status is CampaignStatus.PAUSED
        assert row.paused_reason.startswith("paused itself: SendGrid refused 12")
    assert report.campaigns_paused and [k for k, _ in told].count("campaign paused") == 1


def test_a_removed_sender_is_replaced_by_an_active_one(context, fake):
    from orchid_desktop.services import senders

    fill(context, 3)
    old = senders.list_senders(context.sessions)[0]
    senders.replace_senders(context.sessions, [senders.SenderRow(
        None, "team@orchid.example", "Orchid Team", 1000)], context.staff_id)
    engine = dispatcher(context)
    engine.tick()
    engine.close()
    assert statuses(context) == {OutboxStatus.SENT: 3}
    assert {b["from"]["email"] for b in fake.accepted} == {"team@orchid.example"}
    assert old.from_email != "team@orchid.example"
