"""Claiming outbox rows for sending, and recording how each one ended.

A row's life: QUEUED → CLAIMED (leased to one dispatcher; no HTTP call yet) → SENDING
(the call may have started) → SENT / FAILED / SUPPRESSED / CANCELLED, or UNCERTAIN when
the call may have reached SendGrid but no answer came. A lease that runs out tells
which: a CLAIMED row goes back to the queue (nothing left this machine), a SENDING row
becomes UNCERTAIN (SendGrid has no idempotency key, so it is shown to staff rather than
resent). Leases carry the owner, so a late answer from a slow dispatcher still records
what really happened.

The claim is one statement on both databases — ``UPDATE … WHERE id IN (SELECT …
LIMIT n) RETURNING …`` — with ``FOR UPDATE SKIP LOCKED`` in the inner select on
PostgreSQL (several workstations claim side by side, never the same row) and under
``BEGIN IMMEDIATE`` on SQLite (one writer; see ``writer_session``).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    and_,
    bindparam,
    case,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.lists import among
from orchid_desktop.db.models import (
    EnrolmentStep,
    OutboxMessage,
    SenderIdentity,
    Suppression,
)
from orchid_desktop.db.results import rowcount
from orchid_desktop.domain.send_limits import daily_allowance
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStepStatus,
    OutboxOrigin,
    OutboxStatus,
    SuppressionReason,
)

from . import marketing_rules
from .campaign_queue import STEP_OUTCOME, no_longer_wanted, still_wanted
from .drip_exit import stop_enrolments
from .drip_schedule import complete_enrolments

log = logging.getLogger(__name__)

# Service mail (a screening decision, a test) still goes to someone who unsubscribed
# from recruitment mail, but not to an address known not to work.
UNDELIVERABLE = (SuppressionReason.BOUNCE, SuppressionReason.INVALID)
CHUNK = 1000  # ids per IN (…) list: well inside both databases' parameter limits


@dataclass(frozen=True)
class ClaimedRow:
    """What the dispatcher needs of a claimed row, read once in the claiming transaction
    so rendering and sending happen outside it."""

    id: int
    origin: OutboxOrigin
    kind: EmailKind
    to_email: str
    to_name: str | None
    template_version_id: int | None
    render_variables: dict[str, Any]
    subject: str | None
    html_body: str | None
    text_body: str | None
    sender_identity_id: int | None
    category: str | None
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """How one row ended (or, with ``retry_at``, when to try it again)."""

    outbox_id: int
    status: OutboxStatus
    reason: str | None = None
    message_id: str | None = None
    local_path: str | None = None
    retry_at: datetime | None = None


def writer_session(sessions: sessionmaker[Session]) -> Session:
    """A session whose transactions start with ``BEGIN IMMEDIATE`` on SQLite: it holds the
    write lock from its first read, so what it read is still true when it writes."""
    engine = sessions.kw["bind"]
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    return sessions(bind=engine)


# -- leases -----------------------------------------------------------------------------

def expire_leases(session: Session, now: datetime) -> tuple[int, int]:
    """Resolve rows whose dispatcher stopped answering (crashed, killed, lost its network):
    CLAIMED ones go back to the queue — or end CANCELLED when their drip or mass email
    stopped meanwhile (the claim would never take them again) — and SENDING ones become
    UNCERTAIN. The lapsed claims' sends go back to their senders' allowance. Returns
    (back to the queue, uncertain)."""
    lapsed = and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until < now)
    claimed = session.execute(select(OutboxMessage.id, OutboxMessage.sender_identity_id,
                                     no_longer_wanted()).where(lapsed)).all()
    gone = [row.id for row in claimed if row[2]]
    if gone:
        finish(session, [Outcome(i, OutboxStatus.CANCELLED, "not sent: its drip or mass "
                                 "email stopped while it was being sent") for i in gone],
               now=now)
    back = rowcount(session.execute(
        update(OutboxMessage).where(lapsed)
        .values(status=OutboxStatus.QUEUED, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))) or 0
    give_back_sends(session, Counter(row.sender_identity_id for row in claimed
                                     if row.sender_identity_id is not None), now.date())
    uncertain = rowcount(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
        .values(status=OutboxStatus.UNCERTAIN, finished_at=now,
                status_reason="The sending computer stopped before SendGrid answered: the "
                              "email may or may not have been delivered.")
        .execution_options(synchronize_session=False))) or 0
    if back or uncertain:
        log.warning("expired leases: %d back to the queue, %d uncertain", back, uncertain)
    return back, uncertain


# -- claiming ---------------------------------------------------------------------------

_CLAIMED_COLUMNS = (
    OutboxMessage.id, OutboxMessage.origin, OutboxMessage.kind, OutboxMessage.to_email,
    OutboxMessage.to_name, OutboxMessage.template_version_id, OutboxMessage.render_variables,
    OutboxMessage.subject, OutboxMessage.html_body, OutboxMessage.text_body,
    OutboxMessage.sender_identity_id, OutboxMessage.category, OutboxMessage.attempts,
)


def due_now(now: datetime) -> ColumnElement[bool]:
    # the status as a literal: a generic plan (psycopg prepares a statement run 5 times)
    # could not use the partial index of queued rows, whose condition it must imply
    queued: ColumnClause[str] = literal_column(f"'{OutboxStatus.QUEUED.value}'")
    return and_(OutboxMessage.status == queued, OutboxMessage.due_at <= now,
                or_(OutboxMessage.next_attempt_at.is_(None),
                    OutboxMessage.next_attempt_at <= now))


@dataclass(frozen=True)
class Claim:
    rows: list[ClaimedRow]  # leased to the claimer, to be sent
    taken: int  # rows the claim took off the queue, including those below
    suppressed: int  # ended SUPPRESSED by the claim-time check
    held: int  # back in the queue until tomorrow: their sender's allowance is spent


def claim(session: Session, *, owner: str, now: datetime, limit: int, lease: timedelta,
          ) -> Claim:
    """Lease up to ``limit`` due rows to ``owner``; rows whose person may no longer be
    emailed end SUPPRESSED here (and a drip that reached them stops), and rows over
    their sender's allowance for today wait for tomorrow. Commit soon after."""
    inner = (select(OutboxMessage.id)
             .where(due_now(now), still_wanted())
             .order_by(OutboxMessage.due_at, OutboxMessage.id)
             .limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # a CTE runs once: as ``IN (subquery)`` PostgreSQL may re-run the LIMIT … SKIP
        # LOCKED subquery per row (a nested-loop semi join), each run skipping the rows
        # this UPDATE already changed, and so claim far more than ``limit`` rows
        picked = (inner.with_for_update(skip_locked=True, of=OutboxMessage)
                  .cte("picked").prefix_with("MATERIALIZED"))
        inner = select(picked.c.id)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(inner.scalar_subquery()),
               OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CLAIMED, lease_owner=owner, lease_until=now + lease,
                attempts=OutboxMessage.attempts + 1)
        .returning(*_CLAIMED_COLUMNS, OutboxMessage.lead_id, OutboxMessage.contact_id,
                   OutboxMessage.to_email_normalized, OutboxMessage.enrolment_step_id)
        .execution_options(synchronize_session=False))
    taken = result.all()
    if not taken:
        return Claim([], 0, 0, 0)
    blocked = _blocked(session, taken)
    if blocked:
        _suppress_at_claim(session, taken, blocked, now)
    wanted = [row for row in taken if row.id not in blocked]
    rows = _within_allowances(session, wanted, now)
    return Claim([ClaimedRow(*row[:len(_CLAIMED_COLUMNS)]) for row in rows], len(taken),
                 len(blocked), len(wanted) - len(rows))


def _blocked(session: Session, rows: Sequence) -> dict[int, str]:
    """The claim-time check: who may no longer get this email, and why."""
    addresses = {row.to_email_normalized for row in rows}
    suppressions: dict[str, SuppressionReason] = {}
    listed = sorted(addresses)
    for start in range(0, len(listed), CHUNK):
        for email, reason in session.execute(
                select(Suppression.email_normalized, Suppression.reason)
                .where(among(session, Suppression.email_normalized, listed[start:start + CHUNK]))):
            if email not in suppressions or reason in UNDELIVERABLE:
                suppressions[email] = reason
    marketing = [row for row in rows if row.kind is EmailKind.MARKETING]
    people: dict[tuple[tuple[str, int], bool], str] = {}
    for drips in (False, True):  # a drip also stops for a reply or a new client
        these = [r for r in marketing if (r.enrolment_step_id is not None) is drips]
        if these:
            found = marketing_rules.why_blocked(
                session, lead_ids={r.lead_id for r in these if r.lead_id and not r.contact_id},
                contact_ids={r.contact_id for r in these if r.contact_id}, for_drips=drips)
            people.update({(key, drips): why for key, why in found.items()})
    blocked: dict[int, str] = {}
    for row in rows:
        suppressed = suppressions.get(row.to_email_normalized)
        if suppressed is not None and (row.kind is EmailKind.MARKETING
                                       or suppressed in UNDELIVERABLE):
            blocked[row.id] = marketing_rules.SUPPRESSION_WORDS[suppressed]
        elif row.kind is EmailKind.MARKETING:
            person = ("contact", row.contact_id) if row.contact_id else ("lead", row.lead_id)
            key = (person, row.enrolment_step_id is not None)
            if person[1] is not None and key in people:
                blocked[row.id] = people[key]
    return blocked


def _suppress_at_claim(session: Session, rows: Sequence, blocked: dict[int, str],
                       now: datetime) -> None:
    """The drip stops first (STOPPED, with the reason), then the message is finished —
    finishing first would complete the enrolment as if its last email had gone."""
    by_step = {row.enrolment_step_id: row for row in rows
               if row.id in blocked and row.enrolment_step_id is not None}
    steps = list(by_step)
    by_reason: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(steps), CHUNK):
        for enrolment_id, step_id in session.execute(
                select(EnrolmentStep.enrolment_id, EnrolmentStep.id)
                .where(among(session, EnrolmentStep.id, steps[start:start + CHUNK]))):
            by_reason[blocked[by_step[step_id].id]].append(enrolment_id)
    for reason, enrolment_ids in by_reason.items():
        stop_enrolments(session, enrolment_ids, reason, now)
    finish(session, [Outcome(row.id, OutboxStatus.SUPPRESSED, f"not sent: {blocked[row.id]}")
                     for row in rows if row.id in blocked], now=now)


def _within_allowances(session: Session, rows: Sequence, now: datetime) -> list:
    """Count the claimed rows against each sender's allowance for today (a new sender's
    warm-up ramp, else its daily limit); rows beyond it go back to the queue until the
    next day. Rows without a sender are left to the dispatcher's default sender, whose
    allowance it checks the same way when it picks one."""
    today = now.date()
    by_sender: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.sender_identity_id is not None:
            by_sender[row.sender_identity_id].append(row)
    if not by_sender:
        return list(rows)
    held: set[int] = set()
    senders = session.scalars(select(SenderIdentity)
                              .where(SenderIdentity.id.in_(list(by_sender)))
                              .order_by(SenderIdentity.id)  # one lock order: no deadlock
                              .with_for_update()).all()
    for sender in senders:
        mine = by_sender[sender.id]
        held.update(row.id for row in mine[_take_allowance(sender, len(mine), today):])
    if held:
        tomorrow = next_day_start(now)
        for chunk in _chunks(sorted(held)):
            session.execute(
                update(OutboxMessage).where(among(session, OutboxMessage.id, chunk))
                .values(status=OutboxStatus.QUEUED, lease_owner=None, lease_until=None,
                        attempts=OutboxMessage.attempts - 1, next_attempt_at=tomorrow,
                        status_reason="waiting: the sender reached its daily limit")
                .execution_options(synchronize_session=False))
        log.info("%d messages wait for tomorrow: sender daily limits reached", len(held))
    session.flush()
    return [row for row in rows if row.id not in held]


def next_day_start(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)


def count_sends(session: Session, sender_id: int, count: int, today: date) -> int:
    """Count ``count`` sends against a sender (rows that had none, given the default
    sender by the dispatcher); returns how many of them fit today's allowance."""
    sender = session.get(SenderIdentity, sender_id, with_for_update=True)
    return 0 if sender is None else _take_allowance(sender, count, today)


def _take_allowance(sender: SenderIdentity, wanted: int, today: date) -> int:
    """Count up to ``wanted`` sends against a (locked) sender's allowance for today —
    its daily limit, or less while warming up; returns how many fit."""
    if sender.sends_counted_on != today:
        sender.sends_today, sender.sends_counted_on = 0, today
    fit = max(0, min(wanted, daily_allowance(sender.daily_limit, sender.warmup_started_on,
                                             today) - sender.sends_today))
    sender.sends_today += fit
    return fit


def give_back_sends(session: Session, counts: dict[int, int], today: date) -> None:
    """Rows counted at claim that were not sent after all (retried later, refused, saved
    locally, a lapsed claim) stop using their sender's allowance for today."""
    for sender_id in sorted(counts):  # the claim's lock order
        if counts[sender_id] <= 0:
            continue
        session.execute(
            update(SenderIdentity)
            .where(SenderIdentity.id == sender_id, SenderIdentity.sends_counted_on == today)
            .values(sends_today=case(
                (SenderIdentity.sends_today > counts[sender_id],
                 SenderIdentity.sends_today - counts[sender_id]), else_=0))
            .execution_options(synchronize_session=False))


# -- marking and finishing ---------------------------------------------------------------

def mark_sending(session: Session, ids: Iterable[int], *, owner: str, lease_until: datetime,
                 ) -> int:
    """Just before the HTTP call: from here on a lost lease means *uncertain*."""
    changed = 0
    for chunk in _chunks(ids):
        changed += rowcount(session.execute(
            update(OutboxMessage)
            .where(among(session, OutboxMessage.id, chunk),
                   OutboxMessage.status == OutboxStatus.CLAIMED,
                   OutboxMessage.lease_owner == owner)
            .values(status=OutboxStatus.SENDING, lease_until=lease_until)
            .execution_options(synchronize_session=False))) or 0
    return changed


def renew_sending(session: Session, ids: Iterable[int], *, owner: str,
                  lease_until: datetime) -> set[int]:
    """Extend the lease of rows still SENDING and ours; returns those ids (a row whose
    lease lapsed meanwhile may be another dispatcher's now: it must not be posted)."""
    renewed: set[int] = set()
    for chunk in _chunks(ids):
        renewed.update(session.scalars(
            update(OutboxMessage)
            .where(among(session, OutboxMessage.id, chunk),
                   OutboxMessage.status == OutboxStatus.SENDING,
                   OutboxMessage.lease_owner == owner)
            .values(lease_until=lease_until).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)))
    return renewed


def release(session: Session, ids: Iterable[int], *, owner: str, retry_at: datetime | None,
            reason: str | None, count_attempt: bool = True) -> list[int]:
    """Back to the queue (SendGrid said "not now", or sending stopped before the call);
    returns the ids released."""
    released: list[int] = []
    for chunk in _chunks(ids):
        values: dict[str, Any] = {"status": OutboxStatus.QUEUED, "lease_owner": None,
                                      "lease_until": None, "next_attempt_at": retry_at,
                                      "status_reason": reason}
        if not count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        released += session.scalars(
            update(OutboxMessage)
            .where(among(session, OutboxMessage.id, chunk),
                   OutboxMessage.status.in_((OutboxStatus.CLAIMED, OutboxStatus.SENDING)),
                   OutboxMessage.lease_owner == owner)
            .values(**values).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).all()
    return released


def finish(session: Session, outcomes: Sequence[Outcome], *, now: datetime,
           owner: str | None = None) -> int:
    """Record final states, and mirror them onto the drip step records in the same
    transaction (so nothing has to scan the outbox afterwards). With ``owner``, only rows
    still leased to it change — or rows that meanwhile turned UNCERTAIN through a lost
    lease, since a real answer is better knowledge than "uncertain"."""
    open_states: tuple[OutboxStatus, ...] = (
        OutboxStatus.CLAIMED, OutboxStatus.SENDING, OutboxStatus.UNCERTAIN)
    if owner is None:
        open_states = (OutboxStatus.QUEUED, *open_states)
    # equalities, not IN: the per-file statement below runs as an executemany
    mine = and_(or_(*(OutboxMessage.status == state for state in open_states)),
                *((OutboxMessage.lease_owner == owner,) if owner is not None else ()))
    # one statement per (outcome, reason, message id): all rows of one request share
    # SendGrid's X-Message-Id; only local-mode files differ row by row
    groups: dict[tuple, list[int]] = defaultdict(list)
    files = [o for o in outcomes if o.local_path]
    for outcome in outcomes:
        if not outcome.local_path:
            groups[(outcome.status, outcome.reason, outcome.message_id)].append(
                outcome.outbox_id)
    steps: list[tuple[int, OutboxStatus, str | None]] = []
    for (status, reason, message_id), ids in groups.items():
        for chunk in _chunks(ids):
            steps += [(step, status, reason) for step in session.scalars(
                update(OutboxMessage).where(among(session, OutboxMessage.id, chunk), mine)
                .values(status=status, status_reason=reason, sendgrid_message_id=message_id,
                        finished_at=now, lease_owner=None, lease_until=None,
                        next_attempt_at=None)
                .returning(OutboxMessage.enrolment_step_id)
                .execution_options(synchronize_session=False)) if step is not None]
    done = sum(len(ids) for ids in groups.values())
    for start in range(0, len(files), CHUNK):
        batch = files[start:start + CHUNK]
        wanted = set(session.scalars(select(OutboxMessage.id).where(
            among(session, OutboxMessage.id, [o.outbox_id for o in batch]), mine)))
        params = [{"b_id": o.outbox_id, "b_status": o.status, "b_reason": o.reason,
                   "b_local_path": o.local_path} for o in batch if o.outbox_id in wanted]
        if params:  # the condition again in the UPDATE: nothing changed hands since
            session.connection().execute(_FINISH_FILE.where(mine).values(finished_at=now),
                                         params)
            by_id = {o.outbox_id: o for o in batch}
            steps += [(step, by_id[i].status, by_id[i].reason) for i, step in session.execute(
                select(OutboxMessage.id, OutboxMessage.enrolment_step_id).where(
                    among(session, OutboxMessage.id, [p["b_id"] for p in params]),
                    OutboxMessage.enrolment_step_id.is_not(None))) if step is not None]
        done += len(params)
    _mirror_steps(session, steps, now)
    return done


_FINISH_FILE = (update(OutboxMessage)
                .where(OutboxMessage.id == bindparam("b_id"))
                .values(status=bindparam("b_status"), status_reason=bindparam("b_reason"),
                        local_path=bindparam("b_local_path"), lease_owner=None,
                        lease_until=None, next_attempt_at=None))


def _mirror_steps(session: Session, steps: list[tuple[int, OutboxStatus, str | None]],
                  now: datetime) -> None:
    """Each finished drip row's step record takes its outcome now; an enrolment with
    nothing left to send completes."""
    by_outcome: dict[tuple, list[int]] = defaultdict(list)
    for step_id, status, reason in steps:
        if status in STEP_OUTCOME:
            by_outcome[(STEP_OUTCOME[status], reason)].append(step_id)
    enrolment_ids: set[int] = set()
    for (step_status, reason), step_ids in by_outcome.items():
        for chunk in _chunks(step_ids):
            enrolment_ids.update(session.scalars(
                update(EnrolmentStep)
                .where(among(session, EnrolmentStep.id, chunk),
                       EnrolmentStep.status == EnrolmentStepStatus.PENDING)
                .values(status=step_status, finished_at=now, reason=reason)
                .returning(EnrolmentStep.enrolment_id)
                .execution_options(synchronize_session=False)))
    complete_enrolments(session, enrolment_ids, now)


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ids = list(ids)
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]

