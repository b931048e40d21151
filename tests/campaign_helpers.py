"""Setting up campaigns in tests through the same services staff use."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from sqlalchemy import select

from orchid_desktop.db.models import OutboxMessage, Template
from orchid_desktop.domain.vocab import CampaignTarget, DelayFrom, StepKind
from orchid_desktop.services import agency, drips, senders
from orchid_desktop.services.drips import DripForm, StepForm

# Tuesday 1 December 2026, 10:00 in California
TUESDAY_10AM_PACIFIC = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def ready_to_send(context, *, daily_limit: int = 1000) -> int:
    """Postal address, application link and one sender: what launching needs."""
    form = agency.load_agency(context.sessions)
    agency.save_agency(context.sessions, replace(
        form, name="Orchid Fertility", postal_address="1 Main St, Oakland, CA 94612",
        time_zone="America/Los_Angeles", application_link="https://apply.example/start"),
        context.staff_id)
    senders.replace_senders(context.sessions, [senders.SenderRow(
        None, "hello@orchid.example", "Orchid Fertility", daily_limit)], context.staff_id)
    return senders.list_senders(context.sessions)[0].id


def template_id(context, slug: str) -> int:
    with context.sessions() as session:
        return session.scalar(select(Template.id).where(Template.slug == slug))


def email_step(template: int, days: int = 0, *, send_time: time | None = None,
               delay_from: DelayFrom = DelayFrom.PREVIOUS_STEP) -> StepForm:
    return StepForm(StepKind.EMAIL, days, delay_from, send_time, template)


def make_drip(context, *, name="Donor welcome", sender_id=None, steps=None,
              target=CampaignTarget.EGG_DONOR, **fields) -> int:
    if steps is None:
        steps = [email_step(template_id(context, "donor-welcome-01")),
                 email_step(template_id(context, "donor-welcome-02"), 1)]
    form = DripForm(name, target, steps, sender_identity_id=sender_id, **fields)
    with context.sessions.begin() as session:
        return drips.save_drip(session, None, form, staff_id=context.staff_id)


def outbox(context) -> list[OutboxMessage]:
    with context.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
