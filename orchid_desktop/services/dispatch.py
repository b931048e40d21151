"""The dispatch tick: the one job that moves email from the outbox to SendGrid (or, in
local mode, to ``.eml`` files).

Each tick: resolve expired leases; queue what fell due (``campaign_queue.queue_due``);
then, unless sending is paused, claim due rows in batches, render them outside any
transaction, group them into requests of up to 1,000 personalizations and post several
requests at once. Every request is marked SENDING in its own short transaction just
before the call and finished in another right after, so a crash at any moment leaves
each row either queued (nothing left this machine), final, or uncertain — never sent
twice by the engine.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import (
    AgencySettings,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.send_limits import MAX_ATTEMPTS, RateLimiter, backoff
from orchid_desktop.domain.templating import RenderError
from orchid_desktop.domain.vocab import OutboxStatus
from orchid_desktop.mail.payloads import (
    InvalidMessage,
    MailRequest,
    PreparedMessage,
    build_requests,
    prepare_message,
)
from orchid_desktop.mail.rendering import SharedBodies, source_of
from orchid_desktop.mail.transport import (
    Answer,
    LocalTransport,
    MailTransport,
    PostResult,
)

from . import sending_state
from .campaign_errors import pause_failing
from .campaign_queue import QueueReport, queue_due
from .dispatch_batch import HELD, Batch, load_batch
from .outbox_claims import (
    ClaimedRow,
    Outcome,
    claim,
    expire_leases,
    finish,
    give_back_sends,
    mark_sending,
    release,
    renew_sending,
    writer_session,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

LOCAL_MODE_NOTE = "not sent — local mode"
NO_SENDER = "No sender identity is set up: add one in Settings → Sending."


@dataclass
class DispatchSettings:
    batch_size: int = 5000  # rows claimed at once (rendered together, then posted)
    concurrency: int = 4  # requests in flight at once
    request_timeout: float = 20.0  # seconds; the client has none unless given one
    claim_lease: timedelta = timedelta(minutes=5)  # claimed → must be SENDING by then
    error_threshold: int = 10  # refused emails before a campaign pauses itself
    time_budget: float = 25.0  # seconds a tick may keep claiming (ticks are ≤ 30 s apart)

    @property
    def sending_lease(self) -> timedelta:
        """Long enough for the call and the write after it; a lease lost sooner would
        make a live request look crashed."""
        return timedelta(seconds=self.request_timeout * 3 + 30)


@dataclass
class DispatchReport:
    queued: QueueReport | None = None
    returned_to_queue: int = 0
    became_uncertain: int = 0
    claimed: int = 0
    sent: int = 0
    saved_locally: int = 0
    failed: int = 0
    suppressed: int = 0
    retry_later: int = 0
    uncertain: int = 0
    requests: int = 0
    paused: str | None = None
    campaigns_paused: list[str] = field(default_factory=list)
    failed_categories: Counter[str] = field(default_factory=Counter)
    last_failure: str | None = None

    def summary(self) -> str:
        parts = [f"{n:,} {label}" for n, label in (
            (self.sent, "sent"), (self.saved_locally, "saved to the local outbox"),
            (self.failed, "failed"), (self.suppressed, "suppressed at claim"),
            (self.retry_later, "to retry later"), (self.uncertain, "uncertain"),
            (self.returned_to_queue, "back in the queue after a lost lease"),
            (self.became_uncertain, "uncertain after a lost lease")) if n]
        if self.queued:
            parts.insert(0, f"{self.queued.drip_messages + self.queued.mass_email_messages:,} "
                            "queued")
        if self.paused:
            parts.append(f"sending paused: {self.paused}")
        parts += [f"campaign paused: {name}" for name in self.campaigns_paused]
        return ", ".join(parts) or "nothing due"


def default_owner() -> str:
    """Who holds a lease: this computer and process, plus a per-run tag."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Dispatcher:
    """One per process. ``transport()`` is asked each tick (the key may have been fixed
    since); it returns a ``MailTransport`` or, in local mode, a ``LocalTransport``.
    ``notify(kind, text)`` tells the host (the window's tray, the worker's log) about
    what staff must know: "key refused", "campaign paused"."""

    def __init__(self, sessions: sessionmaker[Session],
                 transport: Callable[[], MailTransport | LocalTransport], *,
                 settings: DispatchSettings | None = None, owner: str | None = None,
                 notify: Callable[[str, object], None] | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.transport = transport
        self.settings = settings or DispatchSettings()
        self.owner = owner or default_owner()
        self.notify = notify or (lambda kind, text: None)
        self.clock = clock
        self.limiter = RateLimiter(600)
        self._pool = ThreadPoolExecutor(self.settings.concurrency,
                                        thread_name_prefix="orchid-send")
        self._tick_lock = threading.Lock()
        self._key_refused = threading.Event()
        self._hold_until: datetime | None = None  # SendGrid said 429: nobody posts before
        self._report_lock = threading.Lock()  # request threads add to one report
        self._transport: MailTransport | LocalTransport | None = None
        self._category_of: dict[int, str | None] = {}
        self._sender_of: dict[int, int | None] = {}  # the sender each row was counted to
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Claim nothing more and post no new request; those in flight finish."""
        self._stopping.set()

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=True)

    # -- the tick ------------------------------------------------------------------------

    def tick(self) -> DispatchReport:
        """Run one dispatch; ticks never overlap within a process."""
        with self._tick_lock:
            return self._tick()

    def _tick(self) -> DispatchReport:
        report = DispatchReport()
        now = self.clock()
        with writer_session(self.sessions) as session, session.begin():
            report.returned_to_queue, report.became_uncertain = expire_leases(session, now)
        with writer_session(self.sessions) as session, session.begin():
            report.queued = queue_due(session, now=now)
        with self.sessions() as session:
            paused, reason = sending_state.pause_state(session)
            rate = session.scalar(select(AgencySettings.global_rate_per_minute)) or 600
        if paused:
            report.paused = reason or "paused"
            return report
        if self._stopping.is_set() or (self._hold_until is not None and now < self._hold_until):
            return report
        self.limiter.set_rate(rate)
        transport = self._transport = self.transport()
        self._key_refused.clear()
        deadline = time.monotonic() + self.settings.time_budget
        self._category_of, self._sender_of = {}, {}
        in_flight: list[Future] = []  # the previous batch's requests, posting meanwhile
        while time.monotonic() < deadline and not self._key_refused.is_set() \
                and not self._stopping.is_set():
            wanted = self.limiter.take(self.settings.batch_size)
            if not wanted:
                break
            with writer_session(self.sessions) as session, session.begin():
                claimed = claim(session, owner=self.owner, now=self.clock(), limit=wanted,
                                lease=self.settings.claim_lease)
            self.limiter.give_back(wanted - len(claimed.rows))
            report.suppressed += claimed.suppressed
            report.retry_later += claimed.held
            if not claimed.taken:
                break
            report.claimed += len(claimed.rows)
            if claimed.rows:
                # this batch renders while the previous one is still being posted
                posting = self._send(claimed.rows, transport, report)
                _wait(in_flight)
                in_flight = posting
                self.notify("progress", report)  # the status bar's "sending now…"
            if self._hold_until is not None and self.clock() < self._hold_until:
                break
        _wait(in_flight)
        if report.failed_categories:
            self._pause_failing_campaigns(report)
        if report.paused:
            self.notify("key refused", report.paused)
        return report

    # -- one claimed batch ----------------------------------------------------------------

    def _send(self, rows: list[ClaimedRow], transport, report: DispatchReport) -> list[Future]:
        """Render a claimed batch and start posting it; returns the requests in flight."""
        self._category_of.update((row.id, row.category) for row in rows)
        batch = self._load(rows)
        self._sender_of.update(batch.sender_of)
        prepared, failures = self._prepare(rows, batch)
        self._finish(failures, report)
        if not prepared:
            return []
        if isinstance(transport, LocalTransport):
            self._save_locally(prepared, batch, transport, report)
            return []
        requests: list[tuple[MailRequest, dict[int, ClaimedRow]]] = []
        by_id = {row.id: row for row in rows}
        by_sender: dict[int, list[PreparedMessage]] = defaultdict(list)
        for message in prepared:
            by_sender[batch.sender_id_of(message.outbox_id)].append(message)
        for sender_id, messages in by_sender.items():
            for request in build_requests(messages, sender=batch.senders[sender_id],
                                          asm_group_id=batch.asm_group_id):
                requests.append((request, {i: by_id[i] for i in request.outbox_ids}))
        return [self._pool.submit(self._post, request, owned, report)
                for request, owned in requests]

    def _load(self, rows: Sequence[ClaimedRow]) -> Batch:
        return load_batch(self.sessions, rows, owner=self.owner, now=self.clock())

    def _prepare(self, rows: Sequence[ClaimedRow], batch: Batch):
        prepared: list[PreparedMessage] = []
        failures: list[Outcome] = []
        shared = SharedBodies()
        for row in rows:
            sender_id = batch.sender_of[row.id]
            if sender_id == HELD:
                continue
            if sender_id is None or sender_id not in batch.senders:
                failures.append(Outcome(row.id, OutboxStatus.FAILED, NO_SENDER))
                continue
            try:
                source = source_of(row, batch.versions.get(row.template_version_id)) \
                    if row.template_version_id else source_of(row)
                prepared.append(prepare_message(
                    row.id, source, row.render_variables, kind=row.kind,
                    postal_address=batch.postal_address, to_email=row.to_email,
                    to_name=row.to_name, category=row.category, shared_bodies=shared))
            except (RenderError, InvalidMessage, ValueError) as exc:
                failures.append(Outcome(row.id, OutboxStatus.FAILED, f"could not be "
                                        f"written: {exc}"))
        return prepared, failures

    def _save_locally(self, prepared: list[PreparedMessage], batch: Batch,
                      transport: LocalTransport, report: DispatchReport) -> None:
        """A file per message; writing is idempotent per outbox id (an existing file is
        kept), so a crash between file and database cannot make a second one."""
        outcomes = []
        for message in prepared:
            sender = batch.senders[batch.sender_id_of(message.outbox_id)]
            try:
                path = transport.save(message, sender)
            except OSError as exc:
                outcomes.append(Outcome(message.outbox_id, OutboxStatus.FAILED,
                                        f"could not write the local outbox file: {exc}"))
                continue
            outcomes.append(Outcome(message.outbox_id, OutboxStatus.SAVED_LOCALLY,
                                    LOCAL_MODE_NOTE, local_path=str(path)))
        self._finish(outcomes, report)

    # -- one request ------------------------------------------------------------------------

    def _post(self, request: MailRequest, rows: dict[int, ClaimedRow],
              report: DispatchReport) -> None:
        ids = list(request.outbox_ids)
        if self._should_not_post():
            self._release(ids, None, "not sent yet: sending stopped", report, count=False)
            return

        def mark(session: Session) -> set[int]:
            lease_until = self.clock() + self.settings.sending_lease
            if mark_sending(session, ids, owner=self.owner, lease_until=lease_until) \
                    == len(ids):
                return set(ids)
            # a lease ran out meanwhile: post only what is still ours
            return renew_sending(session, ids, owner=self.owner, lease_until=lease_until)

        request = _only(request, self._write(mark))
        if request.outbox_ids:
            self._post_again(request, rows, report)

    def _should_not_post(self) -> bool:
        return self._key_refused.is_set() or self._on_hold() or self._stopping.is_set()

    def _settle_request(self, request: MailRequest, rows: dict[int, ClaimedRow],
                        result: PostResult, report: DispatchReport) -> None:
        ids = list(request.outbox_ids)
        if result.answer is Answer.ACCEPTED:
            self._finish([Outcome(i, OutboxStatus.SENT, None, result.message_id)
                          for i in ids], report)
        elif result.answer is Answer.REJECTED:
            if len(ids) > 1:  # one bad personalization refuses the lot: find it
                for half in _halves(request):
                    if self._should_not_post():
                        self._release(list(half.outbox_ids), None,
                                      "not sent yet: sending stopped", report, count=False)
                        continue
                    lease_until = self.clock() + self.settings.sending_lease
                    half = _only(half, self._write(partial(
                        renew_sending, ids=half.outbox_ids, owner=self.owner,
                        lease_until=lease_until)))
                    if half.outbox_ids:
                        self._post_again(half, rows, report)
            else:
                self._finish([Outcome(ids[0], OutboxStatus.FAILED, result.reason)], report)
        elif result.answer is Answer.KEY_REFUSED:
            self._key_refused.set()
            self._release(ids, None, result.reason, report, count=False)
            self._write(lambda session: sending_state.set_paused(
                session, True, staff_id=None,
                reason=f"{result.reason}. Fix the key in Settings → Sending, then resume "
                       "sending."))
            report.paused = result.reason
        elif result.answer is Answer.TRY_LATER:
            now = self.clock()
            if result.status == 429:
                self._hold_until = backoff(1, now, result.headers)
            gave_up = [i for i in ids if rows[i].attempts >= MAX_ATTEMPTS]
            if gave_up:
                self._finish([Outcome(i, OutboxStatus.FAILED, f"gave up after {MAX_ATTEMPTS} "
                                      f"tries: {result.reason}") for i in gave_up], report)
            again = [i for i in ids if rows[i].attempts < MAX_ATTEMPTS]
            by_attempt: dict[int, list[int]] = defaultdict(list)
            for i in again:
                by_attempt[rows[i].attempts].append(i)
            for attempts, chunk in by_attempt.items():
                self._release(chunk, backoff(attempts, now, result.headers),
                              f"will retry: {result.reason}", report)
        else:
            self._finish([Outcome(i, OutboxStatus.UNCERTAIN, result.reason) for i in ids],
                         report)

    def _post_again(self, request: MailRequest, rows, report) -> None:
        """Post a request whose rows are SENDING and ours (or part of a refused one)."""
        transport = self._transport  # set by the tick that claimed these rows
        if transport is None or isinstance(transport, LocalTransport):
            raise RuntimeError("a SendGrid request is posted only by a SendGrid transport")
        result = transport.post(request.body)
        with self._report_lock:
            report.requests += 1
        self._settle_request(request, rows, result, report)

    def _on_hold(self) -> bool:
        return self._hold_until is not None and self.clock() < self._hold_until

    # -- recording ----------------------------------------------------------------------

    def _finish(self, outcomes: list[Outcome], report: DispatchReport) -> None:
        if not outcomes:
            return
        # rows not sent after all stop using their sender's allowance
        unsent = Counter(self._sender_of.get(o.outbox_id) for o in outcomes
                         if o.status in (OutboxStatus.FAILED, OutboxStatus.SAVED_LOCALLY))

        def write(session: Session) -> None:
            finish(session, outcomes, now=self.clock(), owner=self.owner)
            give_back_sends(session, _counted(unsent), self.clock().date())

        self._write(write)
        counts = Counter(o.status for o in outcomes)
        with self._report_lock:
            report.sent += counts[OutboxStatus.SENT]
            report.saved_locally += counts[OutboxStatus.SAVED_LOCALLY]
            report.failed += counts[OutboxStatus.FAILED]
            report.uncertain += counts[OutboxStatus.UNCERTAIN]
            report.failed_categories.update(
                self._category_of.get(o.outbox_id) or "" for o in outcomes
                if o.status is OutboxStatus.FAILED)
            if counts[OutboxStatus.FAILED]:
                report.last_failure = next(o.reason for o in outcomes
                                           if o.status is OutboxStatus.FAILED)

    def _release(self, ids: list[int], retry_at: datetime | None, reason: str,
                 report: DispatchReport, *, count: bool = True) -> None:
        def write(session: Session) -> list[int]:
            released = release(session, ids, owner=self.owner, retry_at=retry_at,
                               reason=reason, count_attempt=count)
            give_back_sends(session, _counted(Counter(
                self._sender_of.get(i) for i in released)), self.clock().date())
            return released

        released = self._write(write)
        with self._report_lock:
            report.retry_later += len(released)

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in its own write transaction, waiting out a database that is
        briefly busy (SQLite's one writer may be an import in the window): an answer
        from SendGrid that is not recorded would turn a sent email into an uncertain
        one. Gives up after half the sending lease."""
        give_up = time.monotonic() + self.settings.sending_lease.total_seconds() / 2
        delay = 0.5
        while True:
            try:
                with writer_session(self.sessions) as session, session.begin():
                    return work(session)
            except OperationalError:
                if time.monotonic() > give_up:
                    raise
                log.warning("database busy; recording again in %.1f s", delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _pause_failing_campaigns(self, report: DispatchReport) -> None:
        with writer_session(self.sessions) as session, session.begin():
            report.campaigns_paused += pause_failing(
                session, report.failed_categories, threshold=self.settings.error_threshold,
                last_failure=report.last_failure)
        for line in report.campaigns_paused:
            self.notify("campaign paused", line)


def _wait(futures: list[Future]) -> None:
    """Wait for every request (none is abandoned half-recorded), then raise the first
    error among them."""
    errors = [future.exception() for future in futures]
    if error := next((e for e in errors if e is not None), None):
        raise error


def _counted(senders: Counter) -> dict[int, int]:
    """Only real sender ids: None (no sender) and -1 (held for tomorrow) count nothing."""
    return {k: v for k, v in senders.items() if k is not None and k > 0}


def _only(request: MailRequest, ids: Iterable[int]) -> MailRequest:
    keep = set(ids)
    pairs = [(p, i) for p, i in zip(request.body["personalizations"], request.outbox_ids,
                                    strict=True)
             if i in keep]
    return MailRequest({**request.body, "personalizations": [p for p, _ in pairs]},
                       tuple(i for _, i in pairs), request.substituted)


def _halves(request: MailRequest) -> list[MailRequest]:
    ids = request.outbox_ids
    middle = len(ids) // 2
    return [_only(request, ids[:middle]), _only(request, ids[middle:])]
