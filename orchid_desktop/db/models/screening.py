"""DQ rule settings, stored evaluations, and the client and case a contact becomes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.vocab import ApplicantType, CaseStatus, ScreeningOutcome

from .base import Base, Timestamped, Versioned, enum_column, utcnow


class DQRuleSet(Base):
    """One version of the DQ settings for an applicant type. Never updated in place:
    a change inserts a new version, so stored evaluations keep meaning what they meant."""

    __tablename__ = "dq_rule_sets"
    __table_args__ = (
        Index(None, "applicant_type", "version_number", unique=True),
        Index(
            "uq_dq_rule_sets_current",
            "applicant_type",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_type: Mapped[ApplicantType] = mapped_column(
        enum_column(ApplicantType, "applicant_type")
    )
    version_number: Mapped[int]
    is_current: Mapped[bool]
    # {"age": {"enabled": true, "min_age": 21, …}, …} — see domain/dq_defaults.py
    rules: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    change_note: Mapped[str | None] = mapped_column(String(500))


class ScreeningEvaluation(Base):
    __tablename__ = "screening_evaluations"
    __table_args__ = (
        Index(None, "contact_id", "evaluated_at"),
        Index(None, "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("dq_rule_sets.id"))
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[date]  # the "today" the rules were evaluated against
    outcome: Mapped[ScreeningOutcome] = mapped_column(enum_column(ScreeningOutcome, "outcome"))
    eligible_on: Mapped[date | None]  # for a deferral
    # [{"rule": "age", "outcome": "flag", "code": "AGE_31_34", "message": "…", "inputs": {…}}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(default=list)


class Client(Versioned, Timestamped, Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A contact becomes a client at most once.
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Case(Versioned, Timestamped, Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    start_date: Mapped[date]
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "status"), default=CaseStatus.OPEN
    )
