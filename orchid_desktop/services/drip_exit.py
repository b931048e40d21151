"""Taking a person out of recruitment mail: their active drips stop and their queued
marketing emails are cancelled, in the same transaction as the decision that caused it
(a disqualification, a rejection, a conversion to client, an unsubscribe, a reply).

Service mail (a rejection notice) is left alone: it is the reason some decisions write
an email at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, Enrolment, EnrolmentStep, Lead, OutboxMessage
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.db.results import rowcount
from orchid_desktop.domain.vocab import EmailKind, EnrolmentStatus, OutboxStatus

from .drip_schedule import skip_pending


def leave_drips(session: Session, contact_id: int, reason: str) -> int:
    """Stop the contact's active enrolments (and those of the leads it came from or that
    share its address: the same person) and cancel its marketing mail not yet handed to
    a sender; returns the enrolments stopped."""
    address = session.scalar(select(Contact.email_normalized).where(Contact.id == contact_id))
    lead_ids = select(Lead.id).where(or_(
        Lead.contact_id == contact_id,
        *((Lead.email_normalized == address,) if address else ()))).scalar_subquery()
    enrolment_ids = session.scalars(select(Enrolment.id).where(
        Enrolment.status == EnrolmentStatus.ACTIVE,
        or_(Enrolment.contact_id == contact_id, Enrolment.lead_id.in_(lead_ids)))).all()
    stop_enrolments(session, enrolment_ids, reason)
    # only QUEUED: a claimed or sending message may already be with SendGrid, and the
    # sending engine settles those itself
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED,
               OutboxMessage.kind == EmailKind.MARKETING,
               or_(OutboxMessage.contact_id == contact_id,
                   OutboxMessage.lead_id.in_(lead_ids)))
        .values(status=OutboxStatus.CANCELLED, status_reason=reason, finished_at=utcnow())
        .execution_options(synchronize_session=False))
    return len(enrolment_ids)


def stop_enrolments(session: Session, enrolment_ids: Iterable[int], reason: str,
                    now: datetime | None = None) -> int:
    """Stop these enrolments (those still active): their queued drip messages are
    cancelled and their pending steps skipped, each with ``reason``."""
    now = now or utcnow()
    ids = list(enrolment_ids)
    stopped = 0
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        stopped += rowcount(session.execute(
            update(Enrolment)
            .where(Enrolment.id.in_(chunk), Enrolment.status == EnrolmentStatus.ACTIVE)
            .values(status=EnrolmentStatus.STOPPED, stopped_at=now, stop_reason=reason[:200])
            .execution_options(synchronize_session=False)))
        steps = select(EnrolmentStep.id).where(EnrolmentStep.enrolment_id.in_(chunk))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED,
                   OutboxMessage.enrolment_step_id.in_(steps))
            .values(status=OutboxStatus.CANCELLED, status_reason=f"drip stopped: {reason}",
                    finished_at=now)
            .execution_options(synchronize_session=False))
    skip_pending(session, ids, f"drip stopped: {reason}", now)
    return stopped
