"""The agency itself: its settings, its staff, its sender identities, shared app state."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.vocab import SavedViewKind

from .base import Base, Timestamped, Versioned, enum_column, utcnow


class AgencySettings(Versioned, Timestamped, Base):
    """One row: what every workstation of the agency shares (so it lives in the
    database, not in a workstation's settings file)."""

    __tablename__ = "agency_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint("daily_send_window_end > daily_send_window_start", name="send_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    default_phone_region: Mapped[str] = mapped_column(String(2), default="US")
    application_link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    daily_send_window_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    daily_send_window_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    # ISO weekday numbers (1 = Monday) on which marketing mail may go out, e.g. "12345".
    send_weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    global_rate_per_minute: Mapped[int] = mapped_column(default=600)
    sendgrid_asm_group_id: Mapped[int | None]


class Staff(Timestamped, Base):
    """A person who uses the app; every audited act names one."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The operating-system account the app recognises the person by.
    login: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class SenderIdentity(Versioned, Timestamped, Base):
    """A verified SendGrid sender with its own daily limit and warm-up ramp."""

    __tablename__ = "sender_identities"
    __table_args__ = (CheckConstraint("daily_limit >= 0", name="daily_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_email: Mapped[str] = mapped_column(String(320), unique=True)
    from_name: Mapped[str] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    daily_limit: Mapped[int] = mapped_column(default=2000)
    # A new identity ramps up from this date (see the sending engine's warm-up rule).
    warmup_started_on: Mapped[date | None]
    sends_today: Mapped[int] = mapped_column(default=0)
    sends_counted_on: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppState(Base):
    """Small shared facts the workstations agree on through the database: whether all
    sending is paused (a revoked key pauses every workstation), sync cursors."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SavedView(Timestamped, Base):
    """A saved filter of the Leads or Contacts tab, or a mass-email audience segment."""

    __tablename__ = "saved_views"
    __table_args__ = (Index(None, "kind", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SavedViewKind] = mapped_column(enum_column(SavedViewKind, "kind"))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
