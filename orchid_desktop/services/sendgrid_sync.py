"""Pulling from SendGrid what a desktop app cannot be told by webhook: who must not be
emailed any more (unsubscribes, bounces, blocks, spam reports, invalid addresses) and how
each drip step and mass email did (delivered, opened, clicked…).

Suppressions are applied through ``email_preferences.apply_suppressions``, so a synced
bounce stops enrolments and withholds queued marketing mail exactly as a staff-entered
one does. Each page is one transaction with its progress, so a first sync of a large
account that is interrupted resumes where it stopped; afterwards each list is asked only
for what was created since the newest entry already seen (less an overlap, since SendGrid
may list an entry a little after its ``created`` time; applying one twice changes nothing).

The scheduler calls ``sync_suppressions`` daily and ``sync_stats`` every few hours; the
stats dialog's *Sync now* calls both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import (
    AgencySettings,
    AppState,
    CategoryStat,
    Contact,
    Enrolment,
    Lead,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.bulk_contact_points import normalize_emails
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStatus,
    OutboxStatus,
    SuppressionReason,
)
from orchid_desktop.mail.sendgrid_api import (
    KIND_WORDS,
    METRICS,
    SUPPRESSION_KINDS,
    CategoryDay,
    SendGridApi,
    SuppressionEntry,
)

from .email_preferences import apply_suppressions

log = logging.getLogger(__name__)

SYNC_KEY = "sendgrid_sync"  # AppState: per-list cursors and the last suppression sync
STATS_KEY = "sendgrid_stats_sync"  # AppState: the last stats sync
OVERLAP_SECONDS = 6 * 3600
SYNC_NOW_TIMEOUT_SECONDS = 30  # *Sync now*: someone is waiting for the answer
STATS_BATCH = 10  # categories per request and per transaction

KIND_REASONS = {
    "unsubscribes": SuppressionReason.UNSUBSCRIBE,
    "group_unsubscribes": SuppressionReason.GROUP_UNSUBSCRIBE,
    "bounces": SuppressionReason.BOUNCE,
    "blocks": SuppressionReason.BLOCK,
    "spam_reports": SuppressionReason.SPAM_REPORT,
    "invalid_emails": SuppressionReason.INVALID,
}
assert set(KIND_REASONS) == set(SUPPRESSION_KINDS)


@dataclass
class SuppressionSyncReport:
    pulled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUPPRESSION_KINDS, 0))
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUPPRESSION_KINDS, 0))
    skipped: int = 0  # entries with no usable address
    people_stopped: int = 0  # addresses that had a drip running
    enrolments_stopped: int = 0
    messages_withheld: int = 0  # queued marketing messages marked suppressed
    finished_at: datetime | None = None

    def summary(self) -> str:
        added = sum(self.added.values())
        if not added:
            return "No new unsubscribes, bounces or spam reports in SendGrid."
        parts = [_count(n, KIND_ONE[k], KIND_WORDS[k]) for k, n in self.added.items() if n]
        text = f"From SendGrid: {', '.join(parts)}."
        if self.people_stopped:
            text += f" {_count(self.people_stopped, 'person', 'people')} taken out of drips"
            text += (f", {_count(self.messages_withheld, 'queued email')} withheld."
                     if self.messages_withheld else ".")
        return text


@dataclass
class StatsSyncReport:
    categories: int = 0
    rows: int = 0  # (category, day) rows written
    start: date | None = None
    end: date | None = None
    finished_at: datetime | None = None

    def summary(self) -> str:
        if not self.categories:
            return "Nothing was sent through SendGrid in the last days: no figures to fetch."
        return (f"Figures for {_count(self.categories, 'email')} fetched from SendGrid "
                f"({self.start:%d %b} – {self.end:%d %b}).")


KIND_ONE = {"unsubscribes": "global unsubscribe", "group_unsubscribes": "group unsubscribe",
            "bounces": "bounce", "blocks": "block", "spam_reports": "spam report",
            "invalid_emails": "invalid email"}


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


# an API key to the client the syncs read SendGrid through (tests pass their own)
ApiFactory = Callable[[str], SendGridApi]


def sync_now(sessions: sessionmaker, api_key: str, *,
             api_factory: ApiFactory | None = None) -> str:
    """The stats dialog's *Sync now*: suppressions, then figures, through one client.
    Returns both summaries in one text; raises ``SendGridApiError`` (a ``UserError``)."""
    api = (api_factory or _sync_now_api)(api_key)
    suppressions = sync_suppressions(sessions, api)
    stats = sync_stats(sessions, api)
    return f"{stats.summary()} {suppressions.summary()}"


def _sync_now_api(api_key: str) -> SendGridApi:
    return SendGridApi(api_key, timeout=SYNC_NOW_TIMEOUT_SECONDS)


# -- suppressions ---------------------------------------------------------------------
def sync_suppressions(sessions: sessionmaker, api: SendGridApi, *,
                      now: datetime | None = None) -> SuppressionSyncReport:
    """Pull every suppression list, newest entries since the last sync, and apply them.
    Raises ``SendGridApiError`` (nothing of that list's unfinished page is kept)."""
    now = now or utcnow()
    report = SuppressionSyncReport()
    with sessions() as session:
        group_id = session.scalar(select(AgencySettings.sendgrid_asm_group_id))
        kinds = dict(_state(session, SYNC_KEY).get("kinds") or {})
    for kind in SUPPRESSION_KINDS:
        known = kinds.get(kind) or {}
        cursor = known.get("cursor")
        since = max(0, int(cursor) - OVERLAP_SECONDS) if cursor else None
        resume = known.get("resume") or {}
        offset = int(resume.get("offset", 0)) if resume.get("since") == since else 0
        newest = max(int(resume.get("newest") or 0), int(cursor or 0)) \
            if resume.get("since") == since else int(cursor or 0)
        for page in api.suppression_pages(kind, start_time=since, offset=offset,
                                          group_id=group_id):
            newest = max([newest, *(e.created for e in page.entries if e.created)])
            with sessions.begin() as session:
                _apply_page(session, kind, page.entries, report)
                _save_kind(session, kind, {"cursor": cursor, "resume": {
                    "since": since, "offset": page.next_offset, "newest": newest}})
        with sessions.begin() as session:
            _save_kind(session, kind, {"cursor": newest or None,
                                       "synced_at": now.isoformat()})
    with sessions.begin() as session:
        state = _state(session, SYNC_KEY, lock=True)
        _set_state(session, SYNC_KEY, {**state, "synced_at": now.isoformat(),
                                       "last_report": {"added": report.added,
                                                       "people_stopped": report.people_stopped}})
    report.finished_at = now
    log.info("suppression sync: pulled %s, added %s, %s enrolments stopped", report.pulled,
             report.added, report.enrolments_stopped)
    return report


def _apply_page(session: Session, kind: str, entries: list[SuppressionEntry],
                report: SuppressionSyncReport) -> None:
    report.pulled[kind] += len(entries)
    emails = _addresses(entries)
    report.skipped += len(entries) - len(emails)
    if not emails:
        return
    reason = KIND_REASONS[kind]
    already = set(session.scalars(select(Suppression.email_normalized).where(
        Suppression.reason == reason, Suppression.email_normalized.in_(emails))))
    new = [e for e in emails if e not in already]
    report.added[kind] += len(new)
    if not new:
        return
    report.people_stopped += _addresses_in_drips(session, new)
    report.messages_withheld += session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.kind == EmailKind.MARKETING,
        OutboxMessage.to_email_normalized.in_(new))) or 0
    report.enrolments_stopped += apply_suppressions(
        session, dict.fromkeys(new, reason), source="sendgrid",
        details=f"SendGrid {KIND_WORDS[kind]} list")


def _addresses(entries: list[SuppressionEntry]) -> list[str]:
    """Normalised as the app stores ``email_normalized``; an address our validator
    refuses (SendGrid's invalid list has those) is kept trimmed and lower-cased."""
    raw = [e.email for e in entries]
    normalized, _errors = normalize_emails(raw)
    found: dict[str, None] = {}
    for value, norm in zip(raw, normalized, strict=True):
        email = norm or value.strip().lower()
        if "@" in email and len(email) <= 320:
            found[email] = None
    return list(found)


def _addresses_in_drips(session: Session, emails: list[str]) -> int:
    active = Enrolment.status == EnrolmentStatus.ACTIVE
    by_lead = select(Lead.email_normalized).join(Enrolment, Enrolment.lead_id == Lead.id) \
        .where(active, Lead.email_normalized.in_(emails))
    by_contact = select(Contact.email_normalized) \
        .join(Enrolment, Enrolment.contact_id == Contact.id) \
        .where(active, Contact.email_normalized.in_(emails))
    return session.scalar(select(func.count()).select_from(
        union(by_lead, by_contact).subquery())) or 0


def _save_kind(session: Session, kind: str, value: dict) -> None:
    state = _state(session, SYNC_KEY, lock=True)
    kinds = dict(state.get("kinds") or {})
    kinds[kind] = value
    _set_state(session, SYNC_KEY, {**state, "kinds": kinds})


# -- stats ----------------------------------------------------------------------------
def sync_stats(sessions: sessionmaker, api: SendGridApi, *, today: date | None = None,
               days: int = 30) -> StatsSyncReport:
    """Fetch the daily figures of every category sent in the last ``days`` days and
    store them by (category, day); running it twice leaves the same rows."""
    today = today or utcnow().date()
    start = today - timedelta(days=days)
    report = StatsSyncReport(start=start, end=today)
    since = datetime.combine(start, time(), UTC)
    with sessions() as session:
        categories = sorted(session.scalars(select(OutboxMessage.category).distinct().where(
            OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.finished_at >= since,
            OutboxMessage.category.is_not(None))))
    report.categories = len(categories)
    for first in range(0, len(categories), STATS_BATCH):
        figures = api.category_stats(categories[first:first + STATS_BATCH], start, today)
        with sessions.begin() as session:
            report.rows += upsert_stats(session, figures)
    now = utcnow()
    with sessions.begin() as session:
        _state(session, STATS_KEY, lock=True)
        _set_state(session, STATS_KEY, {"synced_at": now.isoformat(), "start": start.isoformat(),
                                        "end": today.isoformat(),
                                        "categories": report.categories})
    report.finished_at = now
    log.info("stats sync: %s categories, %s rows", report.categories, report.rows)
    return report


def upsert_stats(session: Session, figures: list[CategoryDay]) -> int:
    """Insert or overwrite each (category, day)."""
    if not figures:
        return 0
    now = utcnow()
    rows = {(f.category, f.day): {"category": f.category, "day": f.day, "updated_at": now,
                                  **{m: int(f.metrics.get(m, 0)) for m in METRICS}}
            for f in figures}
    overwritten = (*METRICS, "updated_at")
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        pg_statement = postgresql_insert(CategoryStat).values(list(rows.values()))
        session.execute(pg_statement.on_conflict_do_update(
            index_elements=["category", "day"],
            set_={name: pg_statement.excluded[name] for name in overwritten}))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        statement = sqlite_insert(CategoryStat).values(list(rows.values()))
        session.execute(statement.on_conflict_do_update(
            index_elements=["category", "day"],
            set_={name: statement.excluded[name] for name in overwritten}))
    return len(rows)


# -- shared state ---------------------------------------------------------------------
def last_synced(session: Session) -> tuple[datetime | None, datetime | None]:
    """When suppressions and stats were last pulled (by any workstation)."""
    return (_when(_state(session, SYNC_KEY).get("synced_at")),
            _when(_state(session, STATS_KEY).get("synced_at")))


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _state(session: Session, key: str, *, lock: bool = False) -> dict:
    row = session.get(AppState, key, with_for_update=lock or None)
    return dict(row.value) if row is not None else {}


def _set_state(session: Session, key: str, value: dict) -> None:
    row = session.get(AppState, key)
    if row is None:
        session.add(AppState(key=key, value=value))
    else:
        row.value = value
    session.flush()
