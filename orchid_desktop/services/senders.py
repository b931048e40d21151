"""Sender identities: the verified From addresses campaigns send as, each with its own
daily limit; and the check that the SendGrid key they send through may send mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import SenderIdentity
from orchid_desktop.domain.contact_points import InvalidEmail, normalize_email
from orchid_desktop.errors import ValidationError
from orchid_desktop.mail import sendgrid_check
from orchid_desktop.mail.sendgrid_check import KeyCheck

from . import audit

MAX_DAILY_LIMIT = 1_000_000


@dataclass
class SenderRow:
    id: int | None  # None for a new one
    from_email: str
    from_name: str
    daily_limit: int
    # a new address ramps up (50 the first day, doubling) before reaching its limit
    warm_up: bool = False


def list_senders(sessions: sessionmaker[Session]) -> list[SenderRow]:
    with sessions() as session:
        return [SenderRow(s.id, s.from_email, s.from_name, s.daily_limit,
                          s.warmup_started_on is not None)
                for s in session.scalars(select(SenderIdentity)
                                         .where(SenderIdentity.is_active)
                                         .order_by(SenderIdentity.from_email))]


def validate(rows: list[SenderRow]) -> list[SenderRow]:
    problems, cleaned, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        try:
            address = normalize_email(row.from_email)
        except InvalidEmail as exc:
            problems.append(f"Sender {number}: {exc}.")
            continue
        if address in seen:
            problems.append(f"Sender {number}: {address} is listed twice.")
        seen.add(address)
        if not row.from_name.strip():
            problems.append(f"Sender {number}: give the name recipients will see.")
        if not 1 <= row.daily_limit <= MAX_DAILY_LIMIT:
            problems.append(f"Sender {number}: the daily limit must be between 1 and "
                            f"{MAX_DAILY_LIMIT:,}.")
        cleaned.append(SenderRow(row.id, address, row.from_name.strip(), row.daily_limit,
                                 row.warm_up))
    if problems:
        raise ValidationError(problems)
    return cleaned


def replace_senders(sessions: sessionmaker[Session], rows: list[SenderRow],
                    staff_id: int | None) -> None:
    """Make the active senders exactly ``rows``. A removed sender is deactivated, not
    deleted: queued and sent messages still name it."""
    rows = validate(rows)
    today = date.today()
    with sessions.begin() as session:
        existing = {s.id: s for s in session.scalars(select(SenderIdentity))}
        by_email = {s.from_email: s for s in existing.values()}
        kept: set[int] = set()
        for row in rows:
            sender = existing.get(row.id) if row.id else by_email.get(row.from_email)
            if sender is None:
                sender = SenderIdentity(from_email=row.from_email, from_name=row.from_name,
                                        daily_limit=row.daily_limit,
                                        warmup_started_on=today if row.warm_up else None)
                session.add(sender)
                session.flush()
                audit.record(session, staff_id=staff_id, entity_type="sender_identity",
                             entity_id=sender.id, action="created",
                             changes={"from_email": [None, row.from_email]})
            else:
                changes = {f: [getattr(sender, f), getattr(row, f)]
                           for f in ("from_email", "from_name", "daily_limit")
                           if getattr(sender, f) != getattr(row, f)}
                if not sender.is_active:
                    changes["is_active"] = [False, True]
                sender.from_email, sender.from_name = row.from_email, row.from_name
                sender.daily_limit, sender.is_active = row.daily_limit, True
                if row.warm_up != (sender.warmup_started_on is not None):
                    changes["warm_up"] = [not row.warm_up, row.warm_up]
                    sender.warmup_started_on = today if row.warm_up else None
                if changes:
                    audit.record(session, staff_id=staff_id, entity_type="sender_identity",
                                 entity_id=sender.id, action="updated", changes=changes)
            kept.add(sender.id)
        for sender in existing.values():
            if sender.id not in kept and sender.is_active:
                sender.is_active = False
                audit.record(session, staff_id=staff_id, entity_type="sender_identity",
                             entity_id=sender.id, action="deactivated")


def check_api_key(api_key: str) -> KeyCheck:
    """Ask SendGrid whether the key works and may send mail, without sending anything.
    Waits on the network (run it off the GUI thread); never raises for SendGrid's answer:
    ``ok`` and ``message`` (a sentence to show) say how it went."""
    return sendgrid_check.check_api_key(api_key)
