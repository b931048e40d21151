"""The outbox — the database is the sending queue — and the suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.vocab import (
    EmailKind,
    OutboxOrigin,
    OutboxStatus,
    SuppressionReason,
)

from .base import Base, Timestamped, enum_column, utcnow


class OutboxMessage(Timestamped, Base):
    """One row per email that will ever be sent, written before it is sent.

    The unique keys on the enrolment step and on the mass-email recipient make a second
    message to the same person for the same reason impossible, whatever crashes.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(
            "(origin = 'drip') = (enrolment_step_id IS NOT NULL)", name="drip_has_step"
        ),
        CheckConstraint(
            "(origin = 'mass_email') = (mass_email_recipient_id IS NOT NULL)",
            name="mass_email_has_recipient",
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        # what the dispatcher asks, every tick: which queued rows are due?
        Index(None, "status", "due_at"),
        # the claim: queued rows in order, so it reads ``limit`` of them and stops (the
        # index above sorts only by due_at; rows due at once were all read and sorted)
        Index("ix_outbox_messages_queued_due", "due_at", "id",
              sqlite_where=text("status = 'queued'"),
              postgresql_where=text("status = 'queued'")),
        # expired leases to resolve
        Index(
            "ix_outbox_messages_lease_until_open",
            "lease_until",
            sqlite_where=text("status IN ('claimed', 'sending')"),
            postgresql_where=text("status IN ('claimed', 'sending')"),
        ),
        Index(None, "to_email_normalized"),
        Index(None, "contact_id"),
        Index(None, "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[OutboxOrigin] = mapped_column(enum_column(OutboxOrigin, "origin"))
    kind: Mapped[EmailKind] = mapped_column(enum_column(EmailKind, "kind"))
    enrolment_step_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment_steps.id"), unique=True
    )
    mass_email_recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("mass_email_recipients.id"), unique=True
    )
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    to_email: Mapped[str] = mapped_column(String(320))
    to_email_normalized: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("template_versions.id"))
    # the exact variables the message is (or was) rendered with
    render_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # set when the content is not a template's (a one-off mass email body)
    subject: Mapped[str | None] = mapped_column(String(500))
    html_body: Mapped[str | None] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    sender_identity_id: Mapped[int | None] = mapped_column(ForeignKey("sender_identities.id"))
    category: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "status"), default=OutboxStatus.QUEUED
    )
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    sendgrid_message_id: Mapped[str | None] = mapped_column(String(120))
    status_reason: Mapped[str | None] = mapped_column(Text)
    local_path: Mapped[str | None] = mapped_column(String(1000))  # the .eml in local mode
    finished_at: Mapped[datetime | None]


class Suppression(Base):
    """An address that must not receive marketing mail (and, for bounces and invalid
    addresses, no mail at all). Pulled from SendGrid daily and added by staff."""

    __tablename__ = "suppressions"
    __table_args__ = (Index(None, "email_normalized", "reason", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_normalized: Mapped[str] = mapped_column(String(320))
    reason: Mapped[SuppressionReason] = mapped_column(enum_column(SuppressionReason, "reason"))
    source: Mapped[str] = mapped_column(String(40))  # "sendgrid", "staff", "one-click"
    details: Mapped[str | None] = mapped_column(Text)
    suppressed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
