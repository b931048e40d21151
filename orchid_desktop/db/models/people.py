"""Leads and contacts, and everything staff keep about a contact.

Fields the app filters, sorts, screens or mails on are columns; the long tail of the
application form (medications, prior births, partner details…) lives in ``profile`` so a
new form field never needs a migration.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.search_terms import search_text
from orchid_desktop.domain.vocab import (
    ApplicantType,
    ContactMethod,
    EmailDirection,
    LeadSource,
    LeadStatus,
    PipelineStage,
    ScreeningOutcome,
)

from .base import Base, Timestamped, Versioned, enum_column, utcnow


class PersonFields:
    """Who someone is and how to reach them; shared by leads and contacts. Each column is
    described in domain/person_fields.py, which the services and forms read."""

    first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(320))
    # lower-cased, trimmed: what duplicates and suppressions are matched on
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    applicant_type: Mapped[ApplicantType] = mapped_column(
        enum_column(ApplicantType, "applicant_type")
    )
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource, "source"))
    state: Mapped[str | None] = mapped_column(String(2))  # US state, for time zone & rules
    preferred_contact_method: Mapped[ContactMethod | None] = mapped_column(
        enum_column(ContactMethod, "preferred_contact_method"))
    # Name, email and phone as folded words (domain/search_terms.py), kept by the services
    # and indexed for search by the migrations: FTS5 on SQLite, a GIN tsvector on
    # PostgreSQL. Those search indexes are not in the metadata (db/search_index.py).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


def list_indexes(table: str, active: str, *orderings: tuple[str, ...]) -> tuple[Index, ...]:
    """One index per way the list can be sorted, each ending in the id that breaks ties,
    and partial on the rows the list shows (``active``) so a count or a page of the list
    never reads the table itself."""
    where = text(active)
    return tuple(
        Index(f"ix_{table}_list_{'_'.join(cols[:2])}", *cols, "id",
              sqlite_where=where, postgresql_where=where)
        for cols in orderings
    )


LEAD_ACTIVE = "archived_at IS NULL"
CONTACT_ACTIVE = "merged_into_id IS NULL AND archived_at IS NULL"


class Lead(PersonFields, Versioned, Timestamped, Base):
    """An inquiry: light, possibly repeated, never unique by email (the same person may
    ask twice; duplicates are found and merged, not forbidden)."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(
            "email_normalized IS NOT NULL OR phone_e164 IS NOT NULL", name="reachable"
        ),
        # duplicate look-ups, archived or not
        Index(None, "email_normalized"),
        Index(None, "phone_e164"),
        *list_indexes(
            "leads", LEAD_ACTIVE,
            ("last_name", "first_name"), ("email_normalized",), ("phone_e164",),
            ("applicant_type", "received_at"), ("source", "received_at"),
            ("status", "received_at"), ("received_at",),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[LeadStatus] = mapped_column(
        enum_column(LeadStatus, "status"), default=LeadStatus.NEW
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    ignore_reason: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None]
    # The form exactly as it arrived (web form, lead-ad export row, unmapped columns).
    raw_form_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Contact(PersonFields, Versioned, Timestamped, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "email_normalized IS NOT NULL OR phone_e164 IS NOT NULL", name="reachable"
        ),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="merge_self"),
        # One active person per address: a second one is a duplicate to merge.
        Index(
            "uq_contacts_active_email",
            "email_normalized",
            unique=True,
            sqlite_where=text("merged_into_id IS NULL AND archived_at IS NULL"),
            postgresql_where=text("merged_into_id IS NULL AND archived_at IS NULL"),
        ),
        Index(None, "phone_e164"),
        *list_indexes(
            "contacts", CONTACT_ACTIVE,
            ("last_name", "first_name"), ("email_normalized",), ("phone_e164",),
            ("applicant_type", "created_at"), ("stage", "created_at"),
            ("state", "created_at"), ("created_at",), ("screening_outcome", "created_at"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[PipelineStage] = mapped_column(
        enum_column(PipelineStage, "stage"), default=PipelineStage.PRE_SCREEN
    )
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deferred_until: Mapped[date | None]
    dq_reason_code: Mapped[str | None] = mapped_column(String(60))
    # The latest screening, kept on the row so the queue groups and counts in SQL; what
    # each rule found is in screening_evaluations.
    screening_outcome: Mapped[ScreeningOutcome | None] = mapped_column(
        enum_column(ScreeningOutcome, "screening_outcome"))
    screened_at: Mapped[datetime | None]
    # Screening decisions that are not stages: a person's flag, and a request for more
    # information (the answer arrives as an edit, which screens the contact again).
    flagged_at: Mapped[datetime | None]
    flag_note: Mapped[str | None] = mapped_column(Text)
    info_requested_at: Mapped[datetime | None]
    date_of_birth: Mapped[date | None]
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US")
    referrer: Mapped[str | None] = mapped_column(String(200))
    # Separate, never pre-ticked consents (email marketing, SMS) with when they were given.
    email_consent_at: Mapped[datetime | None]
    sms_consent_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]  # set by staff: stops drips
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    archived_at: Mapped[datetime | None]
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class ContactNote(Timestamped, Base):
    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)


class ContactEmail(Timestamped, Base):
    """An email staff logged by hand, or (later) one the campaigns sent."""

    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[EmailDirection] = mapped_column(enum_column(EmailDirection, "direction"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))


class ContactDocument(Timestamped, Base):
    """A file kept in the document store, addressed by its SHA-256 so edits to the
    contact never lose it; removal is a mark, the file stays until purged."""

    __tablename__ = "contact_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    removed_at: Mapped[datetime | None]


class PersonTag(Base):
    __tablename__ = "person_tags"
    __table_args__ = (
        CheckConstraint("(lead_id IS NULL) <> (contact_id IS NULL)", name="one_person"),
        Index(None, "tag_id", "lead_id", unique=True),
        Index(None, "tag_id", "contact_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )


class AuditEntry(Base):
    """Who did what, when, old → new, and why. Written by the services, never edited."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity_type", "entity_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    # {"field": [old, new], …} for edits; anything else the action needs to be read later
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)


def _keep_search_text(mapper, connection, person: PersonFields) -> None:
    """Every ORM write keeps the searchable words in step with the fields (bulk Core
    inserts, as imports make, call ``search_text`` themselves)."""
    person.search_text = search_text(person.first_name, person.last_name, person.email,
                                     person.phone_e164)


for _model in (Lead, Contact):
    event.listen(_model, "before_insert", _keep_search_text)
    event.listen(_model, "before_update", _keep_search_text)


class DocumentContent(Base):
    """A document's bytes, stored once per SHA-256 in the database itself so every
    workstation of a shared database can open it and no edit of a contact can lose it."""

    __tablename__ = "document_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
