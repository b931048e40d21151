"""What one claimed batch needs before it can be rendered: the agency's footer details,
the senders, the template versions — read in one short session — and a sender for
rows that came without one, counted against its allowance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import (
    AgencySettings,
    OutboxMessage,
    SenderIdentity,
    TemplateVersion,
)
from orchid_desktop.domain.vocab import OutboxStatus
from orchid_desktop.mail.payloads import Sender

from .outbox_claims import (
    ClaimedRow,
    count_sends,
    next_day_start,
    release,
    writer_session,
)

HELD = -1  # the sender of a row held for tomorrow: it is not sent this round


@dataclass
class Batch:
    postal_address: str
    asm_group_id: int | None
    senders: dict[int, Sender]
    versions: dict[int, TemplateVersion]
    sender_of: dict[int, int | None]  # outbox id → sender identity id (or HELD)

    def sender_id_of(self, outbox_id: int) -> int:
        """The sender a prepared message goes out as: the dispatcher fails the rows that
        have none before preparing any."""
        sender_id = self.sender_of[outbox_id]
        if sender_id is None or sender_id not in self.senders:
            raise LookupError(f"outbox message {outbox_id} has no sender to go out as")
        return sender_id


def load_batch(sessions: sessionmaker[Session], rows: Sequence[ClaimedRow], *, owner: str,
               now: datetime) -> Batch:
    with sessions() as session:
        agency = session.get(AgencySettings, 1)
        versions = {v.id: v for v in session.scalars(select(TemplateVersion).where(
            TemplateVersion.id.in_({r.template_version_id for r in rows
                                    if r.template_version_id})))}
        for version in versions.values():
            session.expunge(version)
        identities = {s.id: s for s in session.scalars(select(SenderIdentity))}
        senders = {i: Sender.of(s) for i, s in identities.items()}
        sender_of = {r.id: r.sender_identity_id for r in rows}
        # a row without a sender, or whose sender was removed in Settings since it was
        # queued (SendGrid may no longer accept it), gets one here
        unassigned = [r for r in rows if r.sender_identity_id is None
                      or not getattr(identities.get(r.sender_identity_id), "is_active", False)]
        if unassigned:
            last = _last_senders(session, unassigned, identities)
            active = sorted(i for i, s in identities.items() if s.is_active)
            for row in unassigned:
                sender_of[row.id] = last.get(row.to_email.lower()) or \
                    (active[0] if active else None)
    if unassigned:
        _count_unassigned(sessions, unassigned, sender_of, owner=owner, now=now)
    return Batch(agency.postal_address if agency else "",
                 agency.sendgrid_asm_group_id if agency else None,
                 senders, versions, sender_of)


def _last_senders(session: Session, rows: Sequence[ClaimedRow], identities) -> dict[str, int]:
    """The same person keeps the same sender where possible."""
    addresses = sorted({r.to_email.lower() for r in rows})
    found: dict[str, int] = {}
    for start in range(0, len(addresses), 1000):
        for email, sender_id in session.execute(
                select(OutboxMessage.to_email_normalized, OutboxMessage.sender_identity_id)
                .where(OutboxMessage.to_email_normalized.in_(addresses[start:start + 1000]),
                       OutboxMessage.sender_identity_id.is_not(None),
                       OutboxMessage.status == OutboxStatus.SENT)
                .order_by(OutboxMessage.id)):
            if sender_id is not None and identities.get(sender_id) is not None \
                    and identities[sender_id].is_active:
                found[email] = sender_id
    return found


def _count_unassigned(sessions: sessionmaker[Session], rows: Sequence[ClaimedRow],
                      sender_of: dict, *, owner: str, now: datetime) -> None:
    """The claim counted rows with a sender; these are counted here, the same way."""
    by_sender: dict[int | None, list[ClaimedRow]] = defaultdict(list)
    for row in rows:
        by_sender[sender_of[row.id]].append(row)
    held: list[int] = []
    with writer_session(sessions) as session, session.begin():
        for sender_id in sorted(k for k in by_sender if k is not None):  # lock order
            mine = by_sender[sender_id]
            fit = count_sends(session, sender_id, len(mine), now.date())
            held += [row.id for row in mine[fit:]]
        if held:
            release(session, held, owner=owner, retry_at=next_day_start(now),
                    count_attempt=False, reason="waiting: the sender reached its daily limit")
    for row_id in held:
        sender_of[row_id] = HELD
