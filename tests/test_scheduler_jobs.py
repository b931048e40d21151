"""The scheduler's jobs other than dispatch: what is scheduled when, the daily quota
reset, the deferred-contact re-check, and the jobs that do nothing in local mode."""

from __future__ import annotations

from datetime import date, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from orchid_desktop.db.models import Contact, SenderIdentity
from orchid_desktop.domain.vocab import PipelineStage
from orchid_desktop.scheduler.jobs import SendingScheduler, deferred_due, reset_quotas
from tests.campaign_helpers import ready_to_send
from tests.people_helpers import add_contact


def test_the_jobs_and_their_schedules(context):
    scheduler = SendingScheduler(context, dispatch_seconds=30)
    try:
        jobs = {job.id: job.trigger for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {"dispatch", "suppressions", "stats", "quotas", "deferred",
                             "backup"}
        assert jobs["dispatch"].interval == timedelta(seconds=30)
        assert jobs["suppressions"].interval == timedelta(hours=24)
        assert jobs["stats"].interval == timedelta(hours=6)
        assert isinstance(jobs["quotas"], CronTrigger)
        assert isinstance(jobs["backup"], IntervalTrigger)
    finally:
        scheduler.shutdown()


def test_quota_reset_starts_each_senders_day(context):
    sender = ready_to_send(context)
    with context.sessions.begin() as session:
        row = session.get(SenderIdentity, sender)
        row.sends_today, row.sends_counted_on = 900, date(2026, 11, 30)
    assert reset_quotas(context.sessions) == 1
    with context.sessions() as session:
        row = session.get(SenderIdentity, sender)
        assert row.sends_today == 0 and row.sends_counted_on is not None
    assert reset_quotas(context.sessions) == 0  # already today's


def test_deferred_contacts_due_for_a_recheck_are_counted(context):
    due = add_contact(context, "Ana", "Silva", "ana@example.org")
    later = add_contact(context, "Bea", "Silva", "bea@example.org")
    with context.sessions.begin() as session:
        for contact_id, until in ((due, date(2026, 12, 1)), (later, date(2027, 3, 1))):
            contact = session.get(Contact, contact_id)
            contact.stage, contact.deferred_until = PipelineStage.DEFERRED, until
    assert deferred_due(context.sessions, today=date(2026, 12, 1)) == 1
    assert deferred_due(context.sessions, today=date(2027, 3, 1)) == 2


def test_deferred_recheck_tells_the_host_and_syncs_skip_local_mode(context):
    due = add_contact(context, "Ana", "Silva", "ana@example.org")
    with context.sessions.begin() as session:
        contact = session.get(Contact, due)
        contact.stage, contact.deferred_until = PipelineStage.DEFERRED, date(2020, 1, 1)
    events = []
    scheduler = SendingScheduler(context, on_event=lambda kind, payload: events.append(
        (kind, payload)))
    try:
        assert scheduler.recheck_deferred() == 1
        assert events == [("deferred due", 1)]
        assert scheduler.sync_suppressions() is None  # no key: local mode, nothing asked
        assert scheduler.sync_stats() is None
    finally:
        scheduler.shutdown()
