"""What became of a drip campaign's or a mass email's messages: how many our outbox sent,
and what SendGrid reports for them (delivered, opened, clicked, bounced, reported as
spam, unsubscribed), per step and per day.

"Sent" is ours (outbox rows in state *sent*); everything else is SendGrid's figures per
category, as last pulled by ``sendgrid_sync.sync_stats``. A drip campaign's figures are
the sum of its steps' categories.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    CategoryStat,
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
    Template,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.vocab import OutboxStatus, StepKind
from orchid_desktop.errors import UserError
from orchid_desktop.mail.sendgrid_api import METRICS

from .campaign_queue import step_category
from .sendgrid_sync import last_synced


def mass_email_category(mass_email_id: int) -> str:
    return f"mass-email-{mass_email_id}"


@dataclass(frozen=True)
class Figures:
    sent: int = 0
    delivered: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    bounces: int = 0
    spam_reports: int = 0
    unsubscribes: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def rate(self, name: str) -> float | None:
        """Share of delivered messages (of sent ones for bounces); None with nothing to
        divide by."""
        base = self.sent if name == "bounces" else self.delivered
        return getattr(self, name) / base if base else None


@dataclass(frozen=True)
class StepFigures:
    label: str  # "1. Welcome to Bright Path"
    category: str
    figures: Figures


@dataclass(frozen=True)
class DayFigures:
    day: date
    delivered: int
    unique_opens: int
    unique_clicks: int


@dataclass(frozen=True)
class CampaignStats:
    title: str
    rows: list[StepFigures]
    total: Figures
    days: list[DayFigures]  # one per day of the window, oldest first, zeros included
    stats_synced_at: datetime | None
    suppressions_synced_at: datetime | None

    @property
    def has_figures(self) -> bool:
        return any(getattr(self.total, m) for m in METRICS)


def drip_stats(session: Session, campaign_id: int, *, days: int = 30,
               today: date | None = None) -> CampaignStats:
    campaign = session.get(DripCampaign, campaign_id)
    if campaign is None:
        raise UserError("That campaign no longer exists.")
    steps = session.execute(
        select(DripStep.id, DripStep.position, Template.name)
        .outerjoin(Template, Template.id == DripStep.template_id)
        .where(DripStep.campaign_id == campaign_id, DripStep.kind == StepKind.EMAIL)
        .order_by(DripStep.position)).all()
    sent = dict(session.execute(
        select(EnrolmentStep.step_id, func.count(OutboxMessage.id))
        .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
        .join(OutboxMessage, OutboxMessage.enrolment_step_id == EnrolmentStep.id)
        .where(Enrolment.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.SENT)
        .group_by(EnrolmentStep.step_id)).all())
    categories = {step_category(campaign_id, step_id): step_id for step_id, _, _ in steps}
    figures = _totals(session, list(categories))
    rows = [StepFigures(f"{number}. {name or 'Email'}", category,
                        _with_sent(figures.get(category), sent.get(step_id, 0)))
            for number, ((step_id, _, name), category) in enumerate(
                zip(steps, categories, strict=True), start=1)]
    return _stats(session, campaign.name, rows, list(categories), days, today)


def mass_email_stats(session: Session, mass_email_id: int, *, days: int = 30,
                     today: date | None = None) -> CampaignStats:
    mass_email = session.get(MassEmail, mass_email_id)
    if mass_email is None:
        raise UserError("That mass email no longer exists.")
    category = mass_email_category(mass_email_id)
    sent = session.scalar(
        select(func.count(OutboxMessage.id))
        .join(MassEmailRecipient, MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id)
        .where(MassEmailRecipient.mass_email_id == mass_email_id,
               OutboxMessage.status == OutboxStatus.SENT)) or 0
    row = StepFigures("All recipients", category,
                      _with_sent(_totals(session, [category]).get(category), sent))
    return _stats(session, mass_email.name, [row], [category], days, today)


def _with_sent(figures: Figures | None, sent: int) -> Figures:
    return Figures(sent, *(getattr(figures, m) if figures else 0 for m in METRICS))


def _totals(session: Session, categories: list[str]) -> dict[str, Figures]:
    if not categories:
        return {}
    rows = session.execute(
        select(CategoryStat.category, *(func.sum(getattr(CategoryStat, m)) for m in METRICS))
        .where(CategoryStat.category.in_(categories)).group_by(CategoryStat.category))
    return {category: Figures(0, *(int(v or 0) for v in values))
            for category, *values in rows}


def _stats(session: Session, title: str, rows: list[StepFigures], categories: list[str],
           days: int, today: date | None) -> CampaignStats:
    today = today or utcnow().date()
    start = today - timedelta(days=days - 1)
    by_day = {}
    if categories:
        by_day = {day: (int(d or 0), int(o or 0), int(c or 0)) for day, d, o, c in session.execute(
            select(CategoryStat.day, func.sum(CategoryStat.delivered),
                   func.sum(CategoryStat.unique_opens), func.sum(CategoryStat.unique_clicks))
            .where(CategoryStat.category.in_(categories), CategoryStat.day >= start,
                   CategoryStat.day <= today)
            .group_by(CategoryStat.day))}
    series = [DayFigures(day, *by_day.get(day, (0, 0, 0)))
              for day in (start + timedelta(days=n) for n in range(days))]
    total = sum((r.figures for r in rows), Figures())
    suppressions_at, stats_at = last_synced(session)
    return CampaignStats(title, rows, total, series, stats_at, suppressions_at)
