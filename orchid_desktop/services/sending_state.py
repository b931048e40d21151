"""Whether the app sends, and what is waiting: the facts behind the status bar and the
tray's Pause / Resume.

Pausing is stored in the database so it holds for every workstation on a shared
database (a revoked SendGrid key must stop them all, not just the one that noticed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    AppState,
    DripCampaign,
    Enrolment,
    EnrolmentStep,
    MassEmail,
    OutboxMessage,
)
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    EnrolmentStepStatus,
    MassEmailStatus,
    OutboxStatus,
)

from . import audit

SENDING_KEY = "sending"
WAITING = (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


class SendingMode(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    LOCAL = "local mode"


@dataclass(frozen=True)
class SendingSnapshot:
    mode: SendingMode
    reason: str
    queued: int
    uncertain: int
    next_due_at: datetime | None


def pause_state(session: Session) -> tuple[bool, str]:
    row = session.get(AppState, SENDING_KEY)
    if row is None:
        return False, ""
    return bool(row.value.get("paused")), str(row.value.get("reason", ""))


def set_paused(session: Session, paused: bool, *, reason: str, staff_id: int | None) -> None:
    row = session.get(AppState, SENDING_KEY)
    value = {"paused": paused, "reason": reason if paused else "", "by": staff_id}
    if row is None:
        session.add(AppState(key=SENDING_KEY, value=value))
    else:
        row.value = value
    audit.record(session, staff_id=staff_id, entity_type="sending", entity_id=0,
                 action="paused" if paused else "resumed", reason=reason or None)


def snapshot(session: Session, *, has_api_key: bool, local_mode_setting: bool) -> SendingSnapshot:
    paused, reason = pause_state(session)
    if paused:
        mode = SendingMode.PAUSED
    elif not has_api_key or local_mode_setting:
        mode, reason = SendingMode.LOCAL, (
            "No SendGrid key is set: emails are saved to the local outbox folder, not sent."
            if not has_api_key else "Local mode is on in Settings: emails are saved, not sent."
        )
    else:
        mode = SendingMode.RUNNING
    queued, next_queued = session.execute(
        select(func.count(), func.min(OutboxMessage.due_at)).where(
            OutboxMessage.status.in_(WAITING)
        )
    ).one()
    next_due = min((t for t in (next_queued, next_planned(session)) if t is not None),
                   default=None)
    uncertain = session.scalar(
        select(func.count()).where(OutboxMessage.status == OutboxStatus.UNCERTAIN)
    )
    return SendingSnapshot(mode, reason, queued, uncertain or 0, next_due)


def next_planned(session: Session) -> datetime | None:
    """The next send not in the outbox yet: a drip step of an active campaign (the
    partial index on pending steps answers this) or a scheduled mass email."""
    step = session.scalar(
        select(EnrolmentStep.due_at)
        .join(Enrolment, Enrolment.id == EnrolmentStep.enrolment_id)
        .join(DripCampaign, DripCampaign.id == Enrolment.campaign_id)
        .where(EnrolmentStep.status == EnrolmentStepStatus.PENDING,
               EnrolmentStep.due_at.is_not(None),
               DripCampaign.status == CampaignStatus.ACTIVE)
        .order_by(EnrolmentStep.due_at).limit(1))
    mass = session.scalar(select(func.min(MassEmail.scheduled_at)).where(
        MassEmail.status == MassEmailStatus.SCHEDULED))
    if isinstance(mass, str):  # SQLite hands back min() of a datetime as text
        mass = datetime.fromisoformat(mass).replace(tzinfo=UTC)
    return min((t for t in (step, mass) if t is not None), default=None)
