"""Small read-only look-ups about contacts that the Contacts tab needs before it acts
(contacts.py holds the contact's own reading and saving)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact


def email_addresses(session: Session, contact_ids: Iterable[int]) -> list[str]:
    """The contacts' email addresses, each once, in the order of their ids; contacts
    without an address (or gone) are left out."""
    ids = list(contact_ids)
    if not ids:
        return []
    return list(dict.fromkeys(session.scalars(
        select(Contact.email).where(Contact.id.in_(ids), Contact.email.is_not(None),
                                    Contact.email != "").order_by(Contact.id))))
