"""The background scheduler: APScheduler 3's ``BackgroundScheduler`` in this process,
with an in-memory job store (APScheduler may not share one between processes; the
database's outbox is what workstations share).

Jobs:
- dispatch: every 30 s and at once on "Send due now" — one job claiming rows in
  batches, never a job per email;
- suppression sync daily, stats sync every 6 hours (when a SendGrid key is set);
- quota reset just after midnight; deferred-contact re-check each morning;
- backup of the local SQLite database daily (kept 14 days).

Jobs run on APScheduler's worker threads: they never touch widgets. What the host must
know goes to ``on_event(kind, payload)``; the window turns that into Qt signals, the
``worker`` command into log lines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select, update

from orchid_desktop.db.models import Contact, SenderIdentity
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import PipelineStage
from orchid_desktop.mail.transport import LocalTransport, SendGridTransport
from orchid_desktop.services.dispatch import (
    Dispatcher,
    DispatchReport,
    DispatchSettings,
)

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 30
SUPPRESSION_SYNC_HOURS = 24
STATS_SYNC_HOURS = 6

EventSink = Callable[[str, object], None]


def api_key(context) -> str | None:
    """The SendGrid key: ``SENDGRID_API_KEY`` (an office server running ``worker`` may
    have no keyring), else the keyring's."""
    return context.secrets.sendgrid_api_key() or None


def local_mode(context) -> bool:
    return not api_key(context) or bool(context.settings.get("sending.local_mode"))


def transport_for(context):
    """Asked at every tick: a key typed into Settings a minute ago counts now."""
    if local_mode(context):
        return LocalTransport(context.paths.outbox_dir)
    timeout = float(context.settings.get("sending.request_timeout_seconds") or 20.0)
    return SendGridTransport(api_key(context), timeout)


def make_dispatcher(context, *, notify: EventSink | None = None,
                    settings: DispatchSettings | None = None) -> Dispatcher:
    timeout = float(context.settings.get("sending.request_timeout_seconds") or 20.0)
    settings = settings or DispatchSettings(request_timeout=timeout)
    return Dispatcher(context.sessions, lambda: transport_for(context), settings=settings,
                      notify=notify)


class SendingScheduler:
    def __init__(self, context, *, on_event: EventSink | None = None,
                 dispatch_seconds: float = DISPATCH_SECONDS,
                 settings: DispatchSettings | None = None):
        self.context = context
        self.on_event = on_event or (lambda kind, payload: None)
        self.dispatcher = make_dispatcher(context, notify=self.on_event, settings=settings)
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                          "misfire_grace_time": 60})
        self.scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        self._again = threading.Event()  # "Send due now" while a dispatch was running
        # trigger objects, not names: names are looked up through package entry points,
        # which a PyInstaller bundle does not carry
        now = datetime.now().astimezone()
        zone = _local_zone()
        self.dispatch_seconds = dispatch_seconds
        jobs = (
            (self.dispatch, IntervalTrigger(seconds=dispatch_seconds), "dispatch",
             now + timedelta(seconds=2)),
            (self.sync_suppressions, IntervalTrigger(hours=SUPPRESSION_SYNC_HOURS),
             "suppressions", now + timedelta(minutes=2)),
            (self.sync_stats, IntervalTrigger(hours=STATS_SYNC_HOURS), "stats",
             now + timedelta(minutes=5)),
            # a sender's day is the UTC day, as the claim counts it
            (self.reset_quotas, CronTrigger(hour=0, minute=5, timezone="UTC"), "quotas", None),
            (self.recheck_deferred, CronTrigger(hour=7, minute=0, timezone=zone), "deferred",
             None),
            (self.backup, IntervalTrigger(hours=24), "backup", now + timedelta(minutes=10)),
        )
        for job, trigger, job_id, first in jobs:
            extra = {"next_run_time": first} if first is not None else {}
            self.scheduler.add_job(job, trigger, id=job_id, **extra)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.scheduler.start()
        log.info("scheduler started: dispatch every %s s", self.dispatch_seconds)

    def shutdown(self, wait: bool = True) -> None:
        self.dispatcher.stop()  # the running tick claims no more; requests in flight end
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.dispatcher.close()

    def send_due_now(self) -> None:
        """Run the dispatch job at once (it never runs twice at the same time; a press
        while it runs makes it go round once more when it ends)."""
        self._again.set()
        self.scheduler.modify_job("dispatch", next_run_time=datetime.now().astimezone())

    def _job_failed(self, event) -> None:
        # the one line (and traceback) for a failed job: logging_setup drops APScheduler's.
        # event.traceback is text in APScheduler 3: the exception carries the real one
        log.error("scheduled job %s failed: %r", event.job_id, event.exception,
                  exc_info=event.exception)
        self.on_event("job failed", f"{event.job_id}: {event.exception}")

    # -- the jobs ----------------------------------------------------------------------------

    def dispatch(self) -> DispatchReport:
        while True:
            self._again.clear()
            report = self._dispatch_once()
            if not self._again.is_set():
                return report

    def _dispatch_once(self) -> DispatchReport:
        report = self.dispatcher.tick()
        if did_something(report):  # a quiet tick (every 30 s) leaves no line
            log.info("dispatch: %s", report.summary())
        self.on_event("dispatched", report)
        return report

    def sync_suppressions(self):
        if local_mode(self.context):
            return None
        from orchid_desktop.mail.sendgrid_api import SendGridApi
        from orchid_desktop.services import sendgrid_sync

        api = SendGridApi(api_key(self.context), timeout=30.0)
        report = sendgrid_sync.sync_suppressions(self.context.sessions, api)
        self.on_event("suppressions synced", report)
        return report

    def sync_stats(self):
        if local_mode(self.context):
            return None
        from orchid_desktop.mail.sendgrid_api import SendGridApi
        from orchid_desktop.services import sendgrid_sync

        api = SendGridApi(api_key(self.context), timeout=30.0)
        report = sendgrid_sync.sync_stats(self.context.sessions, api)
        self.on_event("stats synced", report)
        return report

    def reset_quotas(self) -> int:
        return reset_quotas(self.context.sessions)

    def recheck_deferred(self) -> int:
        due = deferred_due(self.context.sessions)
        if due:
            self.on_event("deferred due", due)
        return due

    def backup(self):
        from orchid_desktop.services import backup

        return backup.daily_backup(self.context)  # which logs the copy it made


def did_something(report: DispatchReport) -> bool:
    """Whether a dispatch tick is worth a line: it queued, claimed (and so sent, saved,
    failed, …) or settled something; "nothing due" is not."""
    return bool(report.claimed or report.queued or report.became_uncertain
                or report.returned_to_queue or report.campaigns_paused)


def reset_quotas(sessions, *, now: datetime | None = None) -> int:
    """Start each sender's count for the new day (claims also do this lazily, so a
    machine asleep at midnight still starts the day right)."""
    today = (now or utcnow()).date()
    with sessions.begin() as session:
        return session.execute(
            update(SenderIdentity)
            .where((SenderIdentity.sends_counted_on != today)
                   | SenderIdentity.sends_counted_on.is_(None))
            .values(sends_today=0, sends_counted_on=today)).rowcount or 0


def deferred_due(sessions, *, today=None) -> int:
    """Deferred contacts whose re-check date has come: they are back in the Screening
    queue (``awaiting_decision``); this counts them for the morning notice."""
    today = today or datetime.now().astimezone().date()
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Contact).where(
            Contact.stage == PipelineStage.DEFERRED, Contact.deferred_until <= today,
            Contact.merged_into_id.is_(None), Contact.archived_at.is_(None))) or 0


def _local_zone():
    from tzlocal import get_localzone

    return get_localzone()
