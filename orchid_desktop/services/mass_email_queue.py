"""Starting a mass email whose time has come: the audience is frozen into recipients and
each recipient gets its one outbox row, in the same transaction.

Freezing at the start (not at scheduling) means the newsletter reaches whoever matches
when it goes out; freezing once means that people added later do not join a mailing
already under way, and the unique (mass email, address) key reaches each address once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Contact,
    Lead,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
    Template,
    TemplateVersion,
)
from orchid_desktop.domain.drip_timing import (
    SendWindow,
    next_window_slot,
    zone_for_state,
)
from orchid_desktop.domain.templating import RenderCheck, variables_used
from orchid_desktop.domain.vocab import (
    EmailKind,
    MassEmailStatus,
    OutboxOrigin,
    OutboxStatus,
)
from orchid_desktop.errors import UserError

from . import marketing_rules
from .drip_schedule import agency_zone_name
from .segments import Segment, audience
from .templates import PersonRef, person_variables_bulk

BATCH = 5000
MASS_EMAIL_SEQUENCE = "Mass emails"  # written bodies are kept as templates of this name


def start_due_mass_emails(session: Session, now: datetime, report) -> None:
    for mass_email in session.scalars(select(MassEmail).where(
            MassEmail.status == MassEmailStatus.SCHEDULED, MassEmail.scheduled_at <= now)
            .order_by(MassEmail.scheduled_at)):
        recipients = freeze(session, mass_email, now)
        report.mass_emails_started += 1
        report.mass_email_messages += queue_recipients(session, mass_email, now)
        mass_email.recipient_count = recipients


def content_version(session: Session, mass_email: MassEmail) -> TemplateVersion:
    """The template version the messages render: the chosen template's, or the written
    subject and body kept as a hidden template so every outbox row stays small."""
    if mass_email.template_version_id:
        chosen = session.get(TemplateVersion, mass_email.template_version_id)
        if chosen is None:  # the foreign key keeps a version in use from being deleted
            raise UserError(f"The template of the mass email {mass_email.name} no longer "
                            "exists.")
        return chosen
    template = Template(name=f"Mass email {mass_email.id}: {mass_email.name}"[:200],
                        kind=mass_email.kind, sequence=MASS_EMAIL_SEQUENCE,
                        archived_at=mass_email.updated_at)
    session.add(template)
    session.flush()
    version = TemplateVersion(
        template_id=template.id, version_number=1, subject=mass_email.subject or "",
        html_body=mass_email.html_body or "", text_body=mass_email.text_body or None,
        variables=sorted(variables_used(mass_email.subject or "", mass_email.html_body or "",
                                        mass_email.text_body or "")))
    session.add(version)
    session.flush()
    mass_email.template_version_id = version.id
    return version


def freeze(session: Session, mass_email: MassEmail, now: datetime) -> int:
    """The recipients, once; returns how many."""
    mass_email.status, mass_email.started_at = MassEmailStatus.SENDING, now
    people = audience(session, Segment.from_json(mass_email.segment))
    rows: list[dict[str, Any]] = [{"mass_email_id": mass_email.id, "email_normalized": email,
             "lead_id": ref.id if ref.kind == "lead" else None,
             "contact_id": ref.id if ref.kind == "contact" else None, "custom_variables": {}}
            for ref, email in people]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(MassEmailRecipient), rows[start:start + BATCH])
    return len(rows)


def queue_recipients(session: Session, mass_email: MassEmail, now: datetime) -> int:
    """An outbox row for each recipient that has none (all of them when sending starts,
    the rest after a pause). Returns the rows queued."""
    version = content_version(session, mass_email)
    check = RenderCheck(version.subject, version.html_body, version.text_body,
                        version.variables)
    window = SendWindow.from_digits(mass_email.window_start, mass_email.window_end,
                                    mass_email.window_weekdays) \
        if mass_email.use_send_window else None
    fallback = agency_zone_name(session)
    start_at = max(mass_email.scheduled_at or now, now)
    queued, last_id = 0, 0
    while True:
        recipients = session.execute(
            select(MassEmailRecipient, Contact.state, Lead.state)
            .outerjoin(Contact, Contact.id == MassEmailRecipient.contact_id)
            .outerjoin(Lead, Lead.id == MassEmailRecipient.lead_id)
            .where(MassEmailRecipient.mass_email_id == mass_email.id,
                   MassEmailRecipient.id > last_id,
                   ~exists(select(OutboxMessage.id).where(
                       OutboxMessage.mass_email_recipient_id == MassEmailRecipient.id)))
            .order_by(MassEmailRecipient.id).limit(BATCH)).all()
        if not recipients:
            return queued
        last_id = recipients[-1][0].id
        refs = {r.id: PersonRef.of(r) for r, *_ in recipients}
        variables = person_variables_bulk(session, list(refs.values()))
        # whoever may no longer get marketing mail (unsubscribed, disqualified… while a
        # paused mailing waited) gets their one row as suppressed, not queued
        blocked = marketing_rules.why_blocked(
            session, lead_ids=[r.id for r in refs.values() if r.kind == "lead"],
            contact_ids=[r.id for r in refs.values() if r.kind == "contact"]) \
            if mass_email.kind is EmailKind.MARKETING else {}
        slots: dict[str, datetime] = {}
        messages = []
        for recipient, contact_state, lead_state in recipients:
            values = {**variables[refs[recipient.id]], **(recipient.custom_variables or {})}
            due = start_at
            if window is not None:
                zone = zone_for_state(contact_state or lead_state, fallback)
                if zone.key not in slots:
                    slots[zone.key] = next_window_slot(start_at.astimezone(ZoneInfo(zone.key)),
                                                       window).astimezone(start_at.tzinfo)
                due = slots[zone.key]
            status, reason = OutboxStatus.QUEUED, None
            ref = refs[recipient.id]
            if (missing := check.missing(values)) is not None:
                status = OutboxStatus.FAILED
                reason = f"no value for {{{{ {missing} }}}} and the email gives no default"
            if (ref.kind, ref.id) in blocked:
                status, reason = OutboxStatus.SUPPRESSED, blocked[(ref.kind, ref.id)]
            messages.append({
                "origin": OutboxOrigin.MASS_EMAIL, "kind": mass_email.kind,
                "mass_email_recipient_id": recipient.id, "lead_id": recipient.lead_id,
                "contact_id": recipient.contact_id, "to_email": values.get("email") or
                recipient.email_normalized, "to_email_normalized": recipient.email_normalized,
                "to_name": " ".join(filter(None, (values.get("first_name"),
                                                  values.get("last_name")))) or None,
                "template_version_id": version.id, "render_variables": values,
                "sender_identity_id": mass_email.sender_identity_id,
                "category": f"mass-email-{mass_email.id}", "status": status,
                "status_reason": reason, "due_at": due, "finished_at": now if reason else None,
            })
        session.execute(insert(OutboxMessage), messages)
        queued += sum(m["status"] is OutboxStatus.QUEUED for m in messages)

