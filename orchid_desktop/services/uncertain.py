"""Messages that may or may not have gone out, and what staff decide about them.

A message becomes *uncertain* when its request may have reached SendGrid but no answer
came back (the app crashed, the read timed out). SendGrid has no idempotency key, so
the app never resends one on its own: staff either **resend** it (back in the queue, due
now — the person may get it twice) or **drop** it (cancelled; a drip moves on).

Both act only on rows that are still uncertain when the change is written: another
workstation may have decided first, and its decision stands. A resend refuses, and
drops instead, a message that could no longer be sent anyway: marketing mail to someone
since unsubscribed, suppressed or disqualified, a drip step whose enrolment stopped, a
mass email that was cancelled.

A dropped drip message's step record becomes *skipped* with the drop's reason when
``campaign_queue.settle`` next runs (every dispatch tick), as for any cancelled row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from orchid_desktop.db.models import (
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
    Staff,
    Suppression,
    TemplateVersion,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.templating import RenderError, render
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStatus,
    MassEmailStatus,
    OutboxOrigin,
    OutboxStatus,
    StepKind,
)
from orchid_desktop.errors import UserError

from . import audit, marketing_rules

CHUNK = 500
DROPPED_REASON = "dropped by staff: it may or may not have been delivered"
LEASE_CLEARED = {"lease_owner": None, "lease_until": None, "next_attempt_at": None}


@dataclass(frozen=True)
class UncertainRow:
    id: int
    to_email: str
    to_name: str | None
    subject: str
    origin: OutboxOrigin
    kind: EmailKind
    belongs_to: str  # "Egg donor welcome, email 2", "Mass email: June newsletter", …
    tried_at: datetime | None
    attempts: int
    status_reason: str | None

    @property
    def recipient(self) -> str:
        return f"{self.to_name} <{self.to_email}>" if self.to_name else self.to_email


@dataclass
class ResendReport:
    resent: int = 0
    dropped: dict[str, list[str]] = field(default_factory=dict)  # reason → addresses
    unchanged: int = 0  # no longer uncertain: someone else decided first

    @property
    def dropped_count(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    def summary(self) -> str:
        parts = []
        if self.resent:
            parts.append(f"{_messages(self.resent)} queued to send again.")
        for reason, addresses in self.dropped.items():
            who = ", ".join(addresses[:3]) + (f" and {len(addresses) - 3:,} more"
                                              if len(addresses) > 3 else "")
            parts.append(f"Not resent, dropped instead ({reason}): {who}.")
        if self.unchanged:
            parts.append(f"{_messages(self.unchanged)} left as "
                         f"{'it was' if self.unchanged == 1 else 'they were'}: already "
                         "dealt with, perhaps on another workstation.")
        return " ".join(parts) or "Nothing was changed."


def _messages(n: int) -> str:
    return f"{n:,} message" if n == 1 else f"{n:,} messages"


# -- listing ---------------------------------------------------------------------------

def _email_number() -> ColumnElement[int]:
    """The step's number among its campaign's email steps (waits are not counted), as
    the campaign screens number them."""
    other = aliased(DripStep)
    return (select(func.count(other.id))
            .where(other.campaign_id == DripStep.campaign_id, other.kind == StepKind.EMAIL,
                   other.position <= DripStep.position)
            .correlate(DripStep).scalar_subquery())


def _listing_query(search: str | None):
    message = OutboxMessage
    query = (
        select(message.id, message.to_email, message.to_name, message.origin, message.kind,
               message.subject, TemplateVersion.subject.label("template_subject"),
               message.render_variables, DripCampaign.name.label("campaign"),
               _email_number().label("email_number"), MassEmail.name.label("mass_email"),
               message.finished_at, message.updated_at, message.attempts,
               message.status_reason)
        .outerjoin(TemplateVersion, TemplateVersion.id == message.template_version_id)
        .outerjoin(EnrolmentStep, EnrolmentStep.id == message.enrolment_step_id)
        .outerjoin(DripStep, DripStep.id == EnrolmentStep.step_id)
        .outerjoin(DripCampaign, DripCampaign.id == DripStep.campaign_id)
        .outerjoin(MassEmailRecipient, MassEmailRecipient.id == message.mass_email_recipient_id)
        .outerjoin(MassEmail, MassEmail.id == MassEmailRecipient.mass_email_id)
        .where(message.status == OutboxStatus.UNCERTAIN))
    for word in (search or "").split():
        query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
            message.to_email, message.to_name, message.subject, TemplateVersion.subject,
            DripCampaign.name, MassEmail.name))))
    return query


def list_uncertain(session: Session, *, search: str | None = None,
                   limit: int = 2000) -> list[UncertainRow]:
    """Uncertain messages, the most recently tried first; ``search`` matches every word
    against the address, name, subject and campaign or mass email name."""
    query = _listing_query(search).order_by(
        func.coalesce(OutboxMessage.finished_at, OutboxMessage.updated_at).desc(),
        OutboxMessage.id.desc()).limit(limit)
    return [UncertainRow(
        row.id, row.to_email, row.to_name, _subject(row), row.origin, row.kind,
        _belongs_to(row), row.finished_at or row.updated_at, row.attempts, row.status_reason)
        for row in session.execute(query)]


def count_uncertain(session: Session, *, search: str | None = None) -> int:
    return session.scalar(select(func.count()).select_from(
        _listing_query(search).subquery())) or 0


def _subject(row) -> str:
    """The subject as the person would have seen it: a one-off body's own, else the
    template version's filled in with the row's variables (as written if that fails)."""
    if row.subject:
        return row.subject
    template = row.template_subject or ""
    try:
        return render(template, "", None, row.render_variables or {}).subject
    except RenderError:
        return template


def _belongs_to(row) -> str:
    if row.origin is OutboxOrigin.DRIP and row.campaign:
        return f"{row.campaign}, email {row.email_number}"
    if row.origin is OutboxOrigin.MASS_EMAIL and row.mass_email:
        return f"Mass email: {row.mass_email}"
    return "Single message"


# -- deciding --------------------------------------------------------------------------

def resend(session: Session, ids: Iterable[int], *, staff_id: int | None) -> ResendReport:
    """Put these uncertain messages back in the queue, due now, keeping their attempt
    count; those that may no longer be sent are dropped instead, with the reason."""
    ids = _wanted(ids)
    report = ResendReport()
    rows = _still_uncertain(session, ids)
    refused = _why_not_resend(session, rows)
    now = utcnow()
    resent_reason = f"resent by {_staff_name(session, staff_id)} after an uncertain send"
    resend_ids = [row.id for row in rows if row.id not in refused]
    resent = _change(session, resend_ids, status=OutboxStatus.QUEUED, due_at=now,
                     finished_at=None, status_reason=resent_reason, **LEASE_CLEARED)
    for message_id in resent:
        audit.record(session, staff_id=staff_id, entity_type="outbox_message",
                     entity_id=message_id, action="resent",
                     changes={"status": ["uncertain", "queued"]}, reason=resent_reason)
    _reopen_mass_emails(session, resent)
    report.resent = len(resent)
    by_reason: dict[str, list[int]] = {}
    for message_id, why in refused.items():
        by_reason.setdefault(why, []).append(message_id)
    addresses = {row.id: row.to_email for row in rows}
    for why, message_ids in sorted(by_reason.items()):
        reason = f"not resent ({why}): it may or may not have been delivered"
        dropped = _change(session, message_ids, status=OutboxStatus.CANCELLED,
                          finished_at=now, status_reason=reason, **LEASE_CLEARED)
        for message_id in dropped:
            audit.record(session, staff_id=staff_id, entity_type="outbox_message",
                         entity_id=message_id, action="dropped",
                         changes={"status": ["uncertain", "cancelled"]}, reason=reason)
        if dropped:
            report.dropped[why] = [addresses[i] for i in sorted(dropped)]
    report.unchanged = len(ids) - report.resent - report.dropped_count
    return report


def drop(session: Session, ids: Iterable[int], *, staff_id: int | None) -> int:
    """Give up on these uncertain messages (cancelled, with the reason); returns how many
    changed — those another workstation already dealt with are left as they are."""
    dropped = _change(session, _wanted(ids), status=OutboxStatus.CANCELLED,
                      finished_at=utcnow(), status_reason=DROPPED_REASON, **LEASE_CLEARED)
    for message_id in dropped:
        audit.record(session, staff_id=staff_id, entity_type="outbox_message",
                     entity_id=message_id, action="dropped",
                     changes={"status": ["uncertain", "cancelled"]}, reason=DROPPED_REASON)
    return len(dropped)


def _wanted(ids: Iterable[int]) -> list[int]:
    chosen = sorted(set(ids))
    if not chosen:
        raise UserError("Choose one or more messages first.")
    return chosen


def _change(session: Session, ids: list[int], **values) -> list[int]:
    """Apply ``values`` to those of ``ids`` still uncertain; the ids that changed."""
    changed: list[int] = []
    for start in range(0, len(ids), CHUNK):
        changed += session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids[start:start + CHUNK]),
                   OutboxMessage.status == OutboxStatus.UNCERTAIN)
            .values(**values).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).all()
    return sorted(changed)


def _still_uncertain(session: Session, ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    rows: list[Row[*tuple[Any, ...]]] = []
    for start in range(0, len(ids), CHUNK):
        rows += session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.origin,
                   OutboxMessage.lead_id, OutboxMessage.contact_id, OutboxMessage.to_email,
                   OutboxMessage.to_email_normalized, Enrolment.status.label("enrolment"),
                   Enrolment.stop_reason, MassEmail.status.label("mass_email"))
            .outerjoin(EnrolmentStep, EnrolmentStep.id == OutboxMessage.enrolment_step_id)
            .outerjoin(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
            .outerjoin(MassEmailRecipient,
                       MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id)
            .outerjoin(MassEmail, MassEmail.id == MassEmailRecipient.mass_email_id)
            .where(OutboxMessage.id.in_(ids[start:start + CHUNK]),
                   OutboxMessage.status == OutboxStatus.UNCERTAIN)).all()
    return rows


def _why_not_resend(session: Session, rows) -> dict[int, str]:
    """Plain-words reason per message that must not go out again."""
    reasons: dict[int, str] = {}
    for row in rows:
        if row.enrolment is not None and row.enrolment is not EnrolmentStatus.ACTIVE:
            stopped = (row.stop_reason or "").strip()
            reasons[row.id] = f"the drip stopped for them: {stopped}" if stopped \
                else "the drip stopped for them"
        elif row.mass_email is MassEmailStatus.CANCELLED:
            reasons[row.id] = "the mass email was cancelled"
    marketing = [row for row in rows if row.kind is EmailKind.MARKETING
                 and row.id not in reasons]
    for for_drips in (False, True):
        group = [row for row in marketing if (row.origin is OutboxOrigin.DRIP) == for_drips]
        people = marketing_rules.why_blocked(
            session, lead_ids={r.lead_id for r in group if r.lead_id},
            contact_ids={r.contact_id for r in group if r.contact_id}, for_drips=for_drips)
        for row in group:
            why = people.get(("lead", row.lead_id)) or people.get(("contact", row.contact_id))
            if why:
                reasons[row.id] = why
    # the address the message was written to, which may no longer be the person's own
    left = [row for row in marketing if row.id not in reasons]
    addresses = sorted({row.to_email_normalized for row in left})
    words: dict[str, str] = {}
    for start in range(0, len(addresses), CHUNK):
        for address, why in session.execute(
                select(Suppression.email_normalized, Suppression.reason)
                .where(Suppression.email_normalized.in_(addresses[start:start + CHUNK]))
                .order_by(Suppression.suppressed_at)):
            words.setdefault(address, marketing_rules.SUPPRESSION_WORDS[why])
    for row in left:
        if row.to_email_normalized in words:
            reasons[row.id] = words[row.to_email_normalized]
    return reasons


def _reopen_mass_emails(session: Session, message_ids: list[int]) -> None:
    """A mass email whose other messages had all finished counts as sent; one of its
    messages queued again makes it sending until that one is done (``settle`` marks it
    sent again), or the sending engine would not take the message."""
    for start in range(0, len(message_ids), CHUNK):
        of_these = (select(MassEmailRecipient.mass_email_id)
                    .join(OutboxMessage,
                          OutboxMessage.mass_email_recipient_id == MassEmailRecipient.id)
                    .where(OutboxMessage.id.in_(message_ids[start:start + CHUNK])))
        session.execute(
            update(MassEmail)
            .where(and_(MassEmail.status == MassEmailStatus.SENT, MassEmail.id.in_(of_these)))
            .values(status=MassEmailStatus.SENDING, finished_at=None)
            .execution_options(synchronize_session=False))


def _staff_name(session: Session, staff_id: int | None) -> str:
    name = session.scalar(select(Staff.display_name).where(Staff.id == staff_id)) \
        if staff_id is not None else None
    return name or "staff"
