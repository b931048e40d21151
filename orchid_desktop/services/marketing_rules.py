"""Who may receive recruitment (marketing) email, decided in one place.

Enrolment refuses these people, an audience leaves them out, the campaign queue stops a
drip that reaches one of them, and the sending engine asks again at claim time — all
through the conditions below, so the rule cannot drift between the four.

A lead counts as the contact it was promoted to: disqualifying the contact blocks the
lead's address too.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, aliased

from orchid_desktop.db.models import Client, Contact, Lead, Suppression
from orchid_desktop.domain.vocab import (
    PipelineStage,
    ScreeningOutcome,
    SuppressionReason,
)

from .screening_queue import marketing_excluded

SUPPRESSION_WORDS = {
    SuppressionReason.UNSUBSCRIBE: "unsubscribed",
    SuppressionReason.GROUP_UNSUBSCRIBE: "unsubscribed from recruitment email",
    SuppressionReason.BOUNCE: "their email bounced",
    SuppressionReason.SPAM_REPORT: "marked an email as spam",
    SuppressionReason.INVALID: "the address is invalid",
    SuppressionReason.BLOCK: "their mail server blocked our email",
    SuppressionReason.MANUAL: "on the do-not-email list",
}


def suppressed(email_column) -> ColumnElement[bool]:
    return exists(select(Suppression.id).where(Suppression.email_normalized == email_column))


def contact_blocked(contact=Contact) -> ColumnElement[bool]:
    """No marketing email may reach this contact."""
    return or_(contact.email_normalized.is_(None), contact.archived_at.is_not(None),
               contact.merged_into_id.is_not(None), suppressed(contact.email_normalized),
               marketing_excluded(contact))


def lead_blocked(lead=Lead) -> ColumnElement[bool]:
    promoted_to = aliased(Contact)
    return or_(lead.email_normalized.is_(None), lead.archived_at.is_not(None),
               suppressed(lead.email_normalized),
               exists(select(promoted_to.id).where(promoted_to.id == lead.contact_id,
                                                   marketing_excluded(promoted_to))))


def contact_leaves_drips(contact=Contact) -> ColumnElement[bool]:
    """Blocked, or done with recruitment drips: replied, or already a client."""
    return or_(contact_blocked(contact), contact.replied_at.is_not(None),
               exists(select(Client.id).where(Client.contact_id == contact.id)))


def lead_leaves_drips(lead=Lead) -> ColumnElement[bool]:
    promoted_to = aliased(Contact)
    return or_(lead_blocked(lead), exists(select(promoted_to.id).where(
        promoted_to.id == lead.contact_id,
        or_(promoted_to.replied_at.is_not(None),
            exists(select(Client.id).where(Client.contact_id == promoted_to.id))))))


def why_blocked(session: Session, *, lead_ids=(), contact_ids=(),
                for_drips: bool = False) -> dict[tuple[str, int], str]:
    """Plain-words reason per blocked person, keyed ("lead" | "contact", id); people
    who may be emailed are absent. For a few people (a selection, a stop check), not a
    whole table."""
    reasons: dict[tuple[str, int], str] = {}
    for kind, model, ids in (("contact", Contact, contact_ids), ("lead", Lead, lead_ids)):
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for person in session.scalars(select(model).where(model.id.in_(chunk))):
                reason = _reason(session, person, for_drips)
                if reason:
                    reasons[(kind, person.id)] = reason
    return reasons


def _reason(session: Session, person: Lead | Contact, for_drips: bool) -> str | None:
    if not person.email_normalized:
        return "no email address"
    if person.archived_at is not None:
        return "archived"
    if isinstance(person, Contact) and person.merged_into_id is not None:
        return "merged into another contact"
    suppression = session.scalars(select(Suppression.reason).where(
        Suppression.email_normalized == person.email_normalized).limit(1)).first()
    if suppression is not None:
        return SUPPRESSION_WORDS[suppression]
    contact = person if isinstance(person, Contact) else (
        session.get(Contact, person.contact_id) if person.contact_id else None)
    if contact is None:
        return None
    if contact.stage is PipelineStage.DISQUALIFIED \
            or contact.screening_outcome is ScreeningOutcome.DQ:
        return "disqualified"
    if contact.stage is PipelineStage.WITHDRAWN:
        return "withdrew"
    if for_drips:
        if contact.replied_at is not None:
            return "replied"
        if session.scalar(select(Client.id).where(Client.contact_id == contact.id)):
            return "converted to client"
    return None

