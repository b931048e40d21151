"""What a person told us about our email: they replied (so the drip stops, a coordinator
takes over), or they want no more (so nothing marketing reaches that address again).

An unsubscribe is kept on the address, not the record: every lead and contact with that
address leaves their drips, and the suppression list — which the campaign queue and the
sending engine both read — keeps any later mail away. The sending engine's daily
suppression sync calls ``apply_suppressions`` for what SendGrid reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Contact,
    Enrolment,
    Lead,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.contact_points import normalize_email
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStatus,
    OutboxStatus,
    SuppressionReason,
)
from orchid_desktop.errors import UserError

from . import audit
from .drip_exit import leave_drips, stop_enrolments
from .marketing_rules import SUPPRESSION_WORDS


def mark_replied(session: Session, contact_id: int, *, staff_id: int | None) -> int:
    """The contact wrote back: their drips stop. Returns the enrolments stopped."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise UserError("That contact no longer exists.")
    if contact.replied_at is None:
        contact.replied_at = utcnow()
    stopped = leave_drips(session, contact.id, "replied")
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action="marked_replied", reason=f"{stopped} drip(s) stopped")
    return stopped


def unsubscribe(session: Session, address: str, *, staff_id: int | None,
                reason: SuppressionReason = SuppressionReason.UNSUBSCRIBE,
                note: str | None = None) -> int:
    """Add the address to the suppression list by hand (a phone call, a reply saying
    "stop"); returns the enrolments stopped."""
    email = normalize_email(address)
    stopped = apply_suppressions(session, {email: reason}, source="staff", staff_id=staff_id,
                                 details=note)
    audit.record(session, staff_id=staff_id, entity_type="suppression", entity_id=0,
                 action="added", changes={"email": email, "reason": reason.value},
                 reason=note)
    return stopped


def apply_suppressions(session: Session, reasons: dict[str, SuppressionReason], *,
                       source: str, staff_id: int | None = None,
                       details: str | None = None) -> int:
    """Record each address's suppression (once per reason) and take every person with
    it out of recruitment mail now. Returns the enrolments stopped."""
    now = utcnow()
    existing = set(session.execute(select(Suppression.email_normalized, Suppression.reason)
                                   .where(Suppression.email_normalized.in_(list(reasons)))))
    for email, reason in reasons.items():
        if (email, reason) not in existing:
            session.add(Suppression(email_normalized=email, reason=reason, source=source,
                                    details=details, created_by_id=staff_id,
                                    suppressed_at=now))
    session.flush()
    stopped = 0
    for reason in set(reasons.values()):
        emails = [e for e, r in reasons.items() if r is reason]
        stopped += _stop_for_addresses(session, emails, SUPPRESSION_WORDS[reason])
    return stopped


def _stop_for_addresses(session: Session, emails: Iterable[str], why: str) -> int:
    emails = list(emails)
    stopped = 0
    for start in range(0, len(emails), 1000):
        chunk = emails[start:start + 1000]
        leads = select(Lead.id).where(Lead.email_normalized.in_(chunk))
        contacts = select(Contact.id).where(Contact.email_normalized.in_(chunk))
        enrolment_ids = session.scalars(select(Enrolment.id).where(
            Enrolment.status == EnrolmentStatus.ACTIVE,
            or_(Enrolment.lead_id.in_(leads), Enrolment.contact_id.in_(contacts)))).all()
        stopped += stop_enrolments(session, enrolment_ids, why)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED,
                   OutboxMessage.kind == EmailKind.MARKETING,
                   OutboxMessage.to_email_normalized.in_(chunk))
            .values(status=OutboxStatus.SUPPRESSED, status_reason=why, finished_at=utcnow())
            .execution_options(synchronize_session=False))
    return stopped
