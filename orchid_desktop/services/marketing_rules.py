"""Who may receive recruitment (marketing) email, decided in one place.

Enrolment refuses these people, an audience leaves them out, the campaign queue stops a
drip that reaches one of them, and the sending engine asks again at claim time — all
through the conditions below, so the rule cannot drift between the four.

A lead counts as the contact it was promoted to, and as the contact that has its
address (a duplicate lead is the same person): disqualifying the contact blocks the
lead too.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from orchid_desktop.db.lists import among
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


def _as_contact(lead, condition) -> ColumnElement[bool]:
    """``condition`` holds for the contact the lead was promoted to, or for the active
    contact with the lead's address (two EXISTS, so each uses its index)."""
    promoted_to, same_address = aliased(Contact), aliased(Contact)
    return or_(
        exists(select(promoted_to.id).where(promoted_to.id == lead.contact_id,
                                            condition(promoted_to))),
        exists(select(same_address.id).where(
            same_address.email_normalized == lead.email_normalized,
            same_address.merged_into_id.is_(None), condition(same_address))))


def lead_blocked(lead=Lead) -> ColumnElement[bool]:
    return or_(lead.email_normalized.is_(None), lead.archived_at.is_not(None),
               suppressed(lead.email_normalized), _as_contact(lead, marketing_excluded))


def contact_leaves_drips(contact=Contact) -> ColumnElement[bool]:
    """Blocked, or done with recruitment drips: replied, or already a client."""
    return or_(contact_blocked(contact), contact.replied_at.is_not(None),
               exists(select(Client.id).where(Client.contact_id == contact.id)))


def lead_leaves_drips(lead=Lead) -> ColumnElement[bool]:
    return or_(lead_blocked(lead), _as_contact(lead, lambda contact: or_(
        contact.replied_at.is_not(None),
        exists(select(Client.id).where(Client.contact_id == contact.id)))))


def why_blocked(session: Session, *, lead_ids=(), contact_ids=(),
                for_drips: bool = False) -> dict[tuple[str, int], str]:
    """Plain-words reason per blocked person, keyed ("lead" | "contact", id); people
    who may be emailed are absent. For a few people (a selection, a stop check), not a
    whole table."""
    reasons: dict[tuple[str, int], str] = {}
    for kind, model, ids in (("contact", Contact, contact_ids), ("lead", Lead, lead_ids)):
        ids = list(ids)
        if model is Contact:
            blocked = contact_leaves_drips() if for_drips else contact_blocked()
        else:
            blocked = lead_leaves_drips() if for_drips else lead_blocked()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            # the conditions above pick out the (few) blocked people in one query; only
            # they are looked at one by one, for the words
            people: Sequence[Lead | Contact] = (
                session.scalars(select(Contact).where(
                    among(session, Contact.id, chunk), blocked)).all() if model is Contact
                else session.scalars(select(Lead).where(
                    among(session, Lead.id, chunk), blocked)).all())
            for person in people:
                reasons[(kind, person.id)] = _reason(session, person, for_drips) \
                    or "may not receive recruitment email"
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
    if isinstance(person, Contact):
        people = [person]
    else:  # the contact it became, and the contact with its address
        people = list(session.scalars(select(Contact).where(or_(
            Contact.id == person.contact_id,
            and_(Contact.email_normalized == person.email_normalized,
                 Contact.merged_into_id.is_(None)))).order_by(Contact.id)))
    for contact in people:
        if contact.stage is PipelineStage.DISQUALIFIED \
                or contact.screening_outcome is ScreeningOutcome.DQ:
            return "disqualified"
        if contact.stage is PipelineStage.WITHDRAWN:
            return "withdrew"
    for contact in people if for_drips else ():
        if contact.replied_at is not None:
            return "replied"
        if session.scalar(select(Client.id).where(Client.contact_id == contact.id)):
            return "converted to client"
    return None

