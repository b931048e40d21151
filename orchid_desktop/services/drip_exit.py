"""Taking a person out of recruitment mail: their active drips stop and their queued
marketing emails are cancelled, in the same transaction as the decision that caused it
(a disqualification, a rejection, a conversion to client).

Service mail (a rejection notice) is left alone: it is the reason some decisions write
an email at all.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Enrolment, Lead, OutboxMessage
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import EmailKind, EnrolmentStatus, OutboxStatus


def leave_drips(session: Session, contact_id: int, reason: str) -> int:
    """Stop the contact's active enrolments (and those of the leads it came from) and
    cancel its marketing mail not yet handed to a sender; returns the enrolments stopped."""
    now = utcnow()
    lead_ids = select(Lead.id).where(Lead.contact_id == contact_id).scalar_subquery()
    stopped = session.execute(
        update(Enrolment)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE,
               or_(Enrolment.contact_id == contact_id, Enrolment.lead_id.in_(lead_ids)))
        .values(status=EnrolmentStatus.STOPPED, stopped_at=now, stop_reason=reason[:200])
        .execution_options(synchronize_session=False)).rowcount
    # only QUEUED: a claimed or sending message may already be with SendGrid, and the
    # sending engine settles those itself
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED,
               OutboxMessage.kind == EmailKind.MARKETING,
               or_(OutboxMessage.contact_id == contact_id,
                   OutboxMessage.lead_id.in_(lead_ids)))
        .values(status=OutboxStatus.CANCELLED, status_reason=reason, finished_at=now)
        .execution_options(synchronize_session=False))
    return stopped or 0
