"""A campaign whose emails SendGrid keeps refusing pauses itself, and says why, rather
than burning through its whole audience: a drip after ``threshold`` refusals counted
on the campaign (reset when staff resume it), a mass email after as many refusals of
its own in the outbox."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    DripCampaign,
    MassEmail,
    MassEmailRecipient,
    OutboxMessage,
)
from orchid_desktop.domain.vocab import CampaignStatus, MassEmailStatus, OutboxStatus

from . import audit, drip_lifecycle, mass_emails


def pause_failing(session: Session, failed_categories: Counter, *, threshold: int,
                  last_failure: str | None) -> list[str]:
    """Count this round's refusals (by SendGrid category) and pause what passed the
    threshold; returns a line per paused campaign, for the host to tell staff."""
    drips: Counter[int] = Counter()
    mass: Counter[int] = Counter()
    for category, count in failed_categories.items():
        if match := re.fullmatch(r"drip-(\d+)-step-\d+", category or ""):
            drips[int(match[1])] += count
        elif match := re.fullmatch(r"mass-email-(\d+)", category or ""):
            mass[int(match[1])] += count
    why = f"SendGrid refused {{n}} of its emails (last: {last_failure})"
    paused: list[str] = []
    for campaign in session.scalars(select(DripCampaign).where(
            DripCampaign.id.in_(list(drips)))):
        campaign.error_count += drips[campaign.id]
        if campaign.error_count >= threshold and campaign.status is CampaignStatus.ACTIVE:
            reason = "paused itself: " + why.format(n=campaign.error_count)
            drip_lifecycle.pause(session, campaign.id, staff_id=None, reason=reason)
            paused.append(f"{campaign.name} — {reason}")
    for mass_email in session.scalars(select(MassEmail).where(MassEmail.id.in_(list(mass)))):
        failed = session.scalar(
            select(func.count()).select_from(OutboxMessage)
            .join(MassEmailRecipient,
                  MassEmailRecipient.id == OutboxMessage.mass_email_recipient_id)
            .where(MassEmailRecipient.mass_email_id == mass_email.id,
                   OutboxMessage.status == OutboxStatus.FAILED)) or 0
        if failed >= threshold and mass_email.status is MassEmailStatus.SENDING:
            mass_emails.pause(session, mass_email.id, staff_id=None)
            reason = "paused itself: " + why.format(n=failed)
            audit.record(session, staff_id=None, entity_type="mass_email",
                         entity_id=mass_email.id, action="paused", reason=reason)
            paused.append(f"{mass_email.name} — {reason}")
    return paused
