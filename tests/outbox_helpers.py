"""Filling the outbox directly, for the sending engine's tests and benchmarks: people
and one message each, written in bulk (a service call per person would make 10,000
messages take minutes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from orchid_desktop.db.models import Contact, OutboxMessage
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import (
    ApplicantType,
    EmailKind,
    LeadSource,
    OutboxOrigin,
    OutboxStatus,
)

SUBJECT = "A note for {{ first_name }}"
HTML = "<p>Hello {{ first_name }},</p><p>Thank you for your interest in donating.</p>"


def add_people(session, count: int, *, start: int = 0, domain: str = "example.org") -> list[int]:
    rows = [{"first_name": f"Person{n}", "last_name": "Test", "email": f"p{n}@{domain}",
             "email_normalized": f"p{n}@{domain}", "applicant_type": ApplicantType.EGG_DONOR,
             "source": LeadSource.WEBSITE, "state": "CA"}
            for n in range(start, start + count)]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Contact), rows[chunk:chunk + 5000])
    emails = [r["email_normalized"] for r in rows]
    found = dict(session.execute(select(Contact.email_normalized, Contact.id)
                                 .where(Contact.email_normalized.in_(emails))).all()) \
        if len(emails) <= 30000 else None
    if found is None:
        found = dict(session.execute(select(Contact.email_normalized, Contact.id)).all())
    return [found[e] for e in emails]


def queue_messages(session, contact_ids: list[int], *, sender_id: int | None,
                   kind: EmailKind = EmailKind.MARKETING, due_at: datetime | None = None,
                   category: str = "newsletter-1", subject: str = "Our autumn newsletter",
                   html: str | None = None) -> None:
    """One already-written message per contact (origin "single": content on the row)."""
    due_at = due_at or utcnow()
    people = session.execute(select(Contact.id, Contact.email, Contact.email_normalized,
                                    Contact.first_name)
                             .where(Contact.id.in_(contact_ids))).all() \
        if len(contact_ids) <= 30000 else session.execute(
            select(Contact.id, Contact.email, Contact.email_normalized, Contact.first_name)).all()
    wanted = set(contact_ids)
    rows = [{"origin": OutboxOrigin.SINGLE, "kind": kind, "contact_id": cid,
             "to_email": email, "to_email_normalized": normalized, "to_name": first,
             "subject": subject,
             "html_body": html or "<p>Hello,</p><p>News from the agency.</p>",
             "sender_identity_id": sender_id, "category": category,
             "status": OutboxStatus.QUEUED, "due_at": due_at, "render_variables": {}}
            for cid, email, normalized, first in people if cid in wanted]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(OutboxMessage), rows[chunk:chunk + 5000])
