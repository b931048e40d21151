"""One-off mass emails: Draft → Scheduled → Sending → Sent, or Cancelled, with Pause
and Resume while sending.

The content is a library template or a subject and body written here; the audience a
segment (segments.py). Scheduling checks what launching a drip checks — the postal
address, a sender, content that renders, the sender's daily limit — so nothing is
discovered at send time. The recipients are frozen when sending starts
(mass_email_queue.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    AgencySettings,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
    SenderIdentity,
    Template,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.db.results import rowcount
from orchid_desktop.domain.templating import check_template
from orchid_desktop.domain.vocab import EmailKind, MassEmailStatus, OutboxStatus
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit
from .mass_email_queue import queue_recipients
from .segments import Segment, count_audience
from .templates import latest_version


@dataclass
class MassEmailForm:
    name: str
    kind: EmailKind = EmailKind.MARKETING
    template_id: int | None = None  # a library template, or the fields below
    subject: str = ""
    html_body: str = ""
    text_body: str = ""
    segment: Segment = field(default_factory=Segment)
    sender_identity_id: int | None = None
    use_send_window: bool = False
    window_start: time = time(9, 0)
    window_end: time = time(17, 0)
    weekdays: str = "12345"
    version: int | None = None
    status: MassEmailStatus = MassEmailStatus.DRAFT
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class MassEmailSummary:
    id: int
    name: str
    kind: EmailKind
    status: MassEmailStatus
    scheduled_at: datetime | None
    recipients: int
    served: int
    queued: int
    failed: int
    audience: str


def validate(session: Session, form: MassEmailForm) -> list[str]:
    problems = []
    if not form.name.strip():
        problems.append("Give the mass email a name (staff see it; recipients don't).")
    if form.template_id is not None:
        template = session.get(Template, form.template_id)
        if template is None or template.archived_at is not None:
            problems.append("The chosen template no longer exists or is archived.")
    else:
        problems += check_template(form.subject, form.html_body, form.text_body or None)
    if form.use_send_window and form.window_end <= form.window_start:
        problems.append("The sending window must end after it starts.")
    if form.use_send_window and not form.weekdays:
        problems.append("Choose at least one weekday for sending.")
    return problems


def save_mass_email(session: Session, mass_email_id: int | None, form: MassEmailForm, *,
                    staff_id: int | None) -> int:
    problems = validate(session, form)
    if problems:
        raise ValidationError(problems)
    if mass_email_id is None:
        mass_email = MassEmail(created_by_id=staff_id)
        session.add(mass_email)
    else:
        mass_email = _get(session, mass_email_id)
        if mass_email.version != form.version:
            raise ConflictError(f"“{mass_email.name}” was changed on another workstation; "
                                "open it again to see the changes.")
        if mass_email.status is not MassEmailStatus.DRAFT:
            raise UserError(f"“{mass_email.name}” is {mass_email.status.value}: only a draft "
                            "can be edited. Unschedule it first.")
    mass_email.name, mass_email.kind = form.name.strip(), form.kind
    mass_email.template_version_id = None
    mass_email.subject = None if form.template_id else form.subject.strip()
    mass_email.html_body = None if form.template_id else form.html_body
    mass_email.text_body = None if form.template_id else (form.text_body or None)
    mass_email.template_id = form.template_id
    mass_email.segment = form.segment.to_json()
    mass_email.sender_identity_id = form.sender_identity_id
    mass_email.use_send_window = form.use_send_window
    mass_email.window_start, mass_email.window_end = form.window_start, form.window_end
    mass_email.window_weekdays = "".join(sorted(set(form.weekdays))) or "12345"
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="mass_email", entity_id=mass_email.id,
                 action="created" if mass_email_id is None else "updated")
    return mass_email.id


def load_mass_email(session: Session, mass_email_id: int) -> MassEmailForm:
    m = _get(session, mass_email_id)
    return MassEmailForm(m.name, m.kind, m.template_id, m.subject or "", m.html_body or "",
                         m.text_body or "", Segment.from_json(m.segment), m.sender_identity_id,
                         m.use_send_window, m.window_start, m.window_end, m.window_weekdays,
                         m.version, m.status, m.scheduled_at)


def schedule_problems(session: Session, mass_email: MassEmail) -> list[str]:
    problems = []
    agency = session.get(AgencySettings, 1)
    if mass_email.kind is EmailKind.MARKETING and not (agency and agency.postal_address.strip()):
        problems.append("Set the agency's postal address in Settings: the law requires it "
                        "in every marketing email.")
    sender = session.get(SenderIdentity, mass_email.sender_identity_id) \
        if mass_email.sender_identity_id else None
    if sender is None or not sender.is_active:
        problems.append("Choose the sender identity the email goes out as.")
    template = session.get(Template, mass_email.template_id) if mass_email.template_id \
        else None
    if mass_email.template_id and (template is None or template.archived_at is not None):
        problems.append("The chosen template no longer exists or is archived: choose "
                        "another, or restore it.")
    elif mass_email.template_id:
        version = latest_version(session, mass_email.template_id)
        problems += check_template(version.subject, version.html_body, version.text_body)
    else:
        problems += check_template(mass_email.subject or "", mass_email.html_body or "",
                                   mass_email.text_body)
    count = count_audience(session, Segment.from_json(mass_email.segment)).recipients
    if count == 0:
        problems.append("Nobody matches the audience (or everyone who does may not receive "
                        "marketing email).")
    elif sender is not None and mass_email.use_send_window is False and \
            count > sender.daily_limit:
        problems.append(f"{count:,} recipients is more than {sender.from_email} may send in "
                        f"a day ({sender.daily_limit:,}). Raise its limit or narrow the "
                        "audience.")
    return problems


def schedule(session: Session, mass_email_id: int, when: datetime | None, *,
             staff_id: int | None, now: datetime | None = None) -> None:
    """Send at ``when``, or as soon as the sending engine next looks (None)."""
    now = now or utcnow()
    mass_email = _get(session, mass_email_id)
    if mass_email.status is not MassEmailStatus.DRAFT:
        raise UserError(f"“{mass_email.name}” is already {mass_email.status.value}.")
    if when is not None and when < now:
        raise ValidationError(["That time has passed: choose a later one, or Send now."])
    problems = schedule_problems(session, mass_email)
    if problems:
        raise ValidationError(problems)
    if mass_email.template_id:
        mass_email.template_version_id = latest_version(session, mass_email.template_id).id
    mass_email.status, mass_email.scheduled_at = MassEmailStatus.SCHEDULED, when or now
    audit.record(session, staff_id=staff_id, entity_type="mass_email", entity_id=mass_email.id,
                 action="scheduled", changes={"scheduled_at": [None, (when or now).isoformat()]})


def unschedule(session: Session, mass_email_id: int, *, staff_id: int | None) -> None:
    mass_email = _get(session, mass_email_id)
    if mass_email.status is not MassEmailStatus.SCHEDULED:
        raise UserError(f"“{mass_email.name}” is {mass_email.status.value}, not scheduled.")
    mass_email.status, mass_email.scheduled_at = MassEmailStatus.DRAFT, None
    mass_email.template_version_id = None
    audit.record(session, staff_id=staff_id, entity_type="mass_email", entity_id=mass_email.id,
                 action="unscheduled")


def pause(session: Session, mass_email_id: int, *, staff_id: int | None) -> None:
    """Stop handing its messages to the sender; those already claimed finish."""
    mass_email = _transition(session, mass_email_id, MassEmailStatus.SENDING,
                             MassEmailStatus.PAUSED, staff_id)
    session.execute(delete(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.QUEUED,
        OutboxMessage.mass_email_recipient_id.in_(_recipient_ids(mass_email.id)))
        .execution_options(synchronize_session=False))


def resume(session: Session, mass_email_id: int, *, staff_id: int | None,
           now: datetime | None = None) -> int:
    mass_email = _transition(session, mass_email_id, MassEmailStatus.PAUSED,
                             MassEmailStatus.SENDING, staff_id)
    return queue_recipients(session, mass_email, now or utcnow())


def cancel(session: Session, mass_email_id: int, *, staff_id: int | None,
           now: datetime | None = None) -> int:
    """Nothing more goes out; returns the messages cancelled. Already sent stays sent."""
    mass_email = _get(session, mass_email_id)
    if mass_email.status in (MassEmailStatus.SENT, MassEmailStatus.CANCELLED):
        raise UserError(f"“{mass_email.name}” is already {mass_email.status.value}.")
    before = mass_email.status
    cancelled = rowcount(session.execute(
        update(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.mass_email_recipient_id.in_(_recipient_ids(mass_email.id)))
        .values(status=OutboxStatus.CANCELLED, status_reason="mass email cancelled",
                finished_at=now or utcnow())
        .execution_options(synchronize_session=False)))
    mass_email.status, mass_email.finished_at = MassEmailStatus.CANCELLED, now or utcnow()
    audit.record(session, staff_id=staff_id, entity_type="mass_email", entity_id=mass_email.id,
                 action="cancelled", changes={"status": [before.value, "cancelled"]},
                 reason=f"{cancelled:,} queued messages cancelled")
    return cancelled


def list_mass_emails(session: Session, *, include_finished: bool = True) -> list[MassEmailSummary]:
    counts = {row[0]: row[1:] for row in session.execute(
        select(MassEmailRecipient.mass_email_id,
               func.sum(case((OutboxMessage.status.in_(
                   (OutboxStatus.SENT, OutboxStatus.SAVED_LOCALLY)), 1), else_=0)),
               func.sum(case((OutboxMessage.status.in_(
                   (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)), 1),
                   else_=0)),
               func.sum(case((OutboxMessage.status == OutboxStatus.FAILED, 1), else_=0)))
        .join(OutboxMessage, OutboxMessage.mass_email_recipient_id == MassEmailRecipient.id)
        .group_by(MassEmailRecipient.mass_email_id))}
    query = select(MassEmail).order_by(MassEmail.created_at.desc())
    if not include_finished:
        query = query.where(MassEmail.status.not_in((MassEmailStatus.SENT,
                                                     MassEmailStatus.CANCELLED)))
    summaries: list[MassEmailSummary] = []
    for m in session.scalars(query):
        served, queued, failed = (int(v or 0) for v in counts.get(m.id, (0, 0, 0)))
        summaries.append(MassEmailSummary(m.id, m.name, m.kind, m.status, m.scheduled_at,
                                          m.recipient_count, served, queued, failed,
                                          Segment.from_json(m.segment).describe()))
    return summaries


def _recipient_ids(mass_email_id: int):
    return select(MassEmailRecipient.id).where(MassEmailRecipient.mass_email_id == mass_email_id)


def _transition(session, mass_email_id, current, new, staff_id) -> MassEmail:
    mass_email = _get(session, mass_email_id)
    if mass_email.status is not current:
        raise UserError(f"“{mass_email.name}” is {mass_email.status.value}, not "
                        f"{current.value}.")
    mass_email.status = new
    audit.record(session, staff_id=staff_id, entity_type="mass_email", entity_id=mass_email.id,
                 action=new.value, changes={"status": [current.value, new.value]})
    return mass_email


def _get(session: Session, mass_email_id: int) -> MassEmail:
    mass_email = session.get(MassEmail, mass_email_id)
    if mass_email is None:
        raise UserError("That mass email no longer exists.")
    return mass_email
