"""Templates, drip campaigns with their enrolments, and mass emails with recipients."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.vocab import (
    CampaignStatus,
    CampaignTarget,
    DelayFrom,
    EmailKind,
    EnrolmentStatus,
    EnrolmentStepStatus,
    MassEmailStatus,
    StepKind,
)

from .base import Base, Timestamped, Versioned, enum_column, utcnow


class Template(Versioned, Timestamped, Base):
    """A named template; its content lives in immutable versions so a message already
    queued keeps the words it was written with."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str | None] = mapped_column(String(100), unique=True)  # library templates
    kind: Mapped[EmailKind] = mapped_column(enum_column(EmailKind, "kind"))
    sequence: Mapped[str] = mapped_column(String(200), default="", server_default="")
    archived_at: Mapped[datetime | None]


class TemplateVersion(Base):
    __tablename__ = "template_versions"
    __table_args__ = (Index(None, "template_id", "version_number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"))
    version_number: Mapped[int]
    subject: Mapped[str] = mapped_column(String(500))
    html_body: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)  # derived from HTML when empty
    # the variables the version uses, checked against the declared set when saved
    variables: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class SendWindowFields:
    """When a campaign may send: hours in the recipient's local time, on these weekdays."""

    window_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    window_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    window_weekdays: Mapped[str] = mapped_column(String(7), default="12345")


class DripCampaign(SendWindowFields, Versioned, Timestamped, Base):
    __tablename__ = "drip_campaigns"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="timeline"),
        CheckConstraint("window_end > window_start", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    target: Mapped[CampaignTarget] = mapped_column(enum_column(CampaignTarget, "target"))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "status"), default=CampaignStatus.DRAFT, index=True
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    sender_identity_id: Mapped[int | None] = mapped_column(ForeignKey("sender_identities.id"))
    # e.g. {"on": "lead_created", "applicant_type": "egg_donor"}; null = enrol by hand only
    auto_enrol_rule: Mapped[dict[str, Any] | None]
    error_count: Mapped[int] = mapped_column(default=0)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    launched_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class DripStep(Base):
    __tablename__ = "drip_steps"
    __table_args__ = (
        Index(None, "campaign_id", "position", unique=True),
        CheckConstraint("delay_days >= 0", name="delay"),
        CheckConstraint("kind = 'wait' OR template_id IS NOT NULL", name="email_has_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("drip_campaigns.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind, "kind"))
    delay_days: Mapped[int] = mapped_column(default=0)
    delay_from: Mapped[DelayFrom] = mapped_column(
        enum_column(DelayFrom, "delay_from"), default=DelayFrom.ENROLMENT
    )
    send_time: Mapped[time | None] = mapped_column(Time)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("(lead_id IS NULL) <> (contact_id IS NULL)", name="one_person"),
        # One enrolment per person per campaign.
        Index(None, "campaign_id", "lead_id", unique=True),
        Index(None, "campaign_id", "contact_id", unique=True),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("drip_campaigns.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_column(EnrolmentStatus, "status"), default=EnrolmentStatus.ACTIVE
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(200))
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    # per-recipient variables that override the defaults when rendering
    custom_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EnrolmentStep(Base):
    __tablename__ = "enrolment_steps"
    __table_args__ = (
        Index(None, "enrolment_id", "step_id", unique=True),
        # what the campaign queue asks every tick: which pending steps are due?
        Index("ix_enrolment_steps_pending_due", "due_at",
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("drip_steps.id"))
    status: Mapped[EnrolmentStepStatus] = mapped_column(
        enum_column(EnrolmentStepStatus, "status"), default=EnrolmentStepStatus.PENDING
    )
    due_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class MassEmail(SendWindowFields, Versioned, Timestamped, Base):
    __tablename__ = "mass_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EmailKind] = mapped_column(
        enum_column(EmailKind, "kind"), default=EmailKind.MARKETING
    )
    status: Mapped[MassEmailStatus] = mapped_column(
        enum_column(MassEmailStatus, "status"), default=MassEmailStatus.DRAFT, index=True
    )
    # a library template chosen while a draft; its latest version is pinned when the
    # email is scheduled (written subject and body are kept as a hidden template then)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("template_versions.id"))
    subject: Mapped[str | None] = mapped_column(String(500))
    html_body: Mapped[str | None] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    saved_view_id: Mapped[int | None] = mapped_column(ForeignKey("saved_views.id"))
    sender_identity_id: Mapped[int | None] = mapped_column(ForeignKey("sender_identities.id"))
    scheduled_at: Mapped[datetime | None]
    use_send_window: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recipient_count: Mapped[int] = mapped_column(default=0)
    served_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class MassEmailRecipient(Base):
    """The audience frozen when sending starts: each address once per mass email."""

    __tablename__ = "mass_email_recipients"
    __table_args__ = (
        Index(None, "mass_email_id", "email_normalized", unique=True),
        CheckConstraint("lead_id IS NOT NULL OR contact_id IS NOT NULL", name="person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mass_email_id: Mapped[int] = mapped_column(ForeignKey("mass_emails.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    email_normalized: Mapped[str] = mapped_column(String(320))
    custom_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
