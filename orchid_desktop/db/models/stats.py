"""Engagement figures pulled from SendGrid: one row per category and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CategoryStat(Base):
    """SendGrid's daily figures for one category (a drip step or a mass email; see
    ``campaign_queue.step_category``). The sync overwrites a day as its figures grow —
    opens keep arriving for days after a send."""

    __tablename__ = "category_stats"

    category: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    delivered: Mapped[int] = mapped_column(default=0)
    opens: Mapped[int] = mapped_column(default=0)
    unique_opens: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    unique_clicks: Mapped[int] = mapped_column(default=0)
    bounces: Mapped[int] = mapped_column(default=0)
    spam_reports: Mapped[int] = mapped_column(default=0)
    unsubscribes: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
