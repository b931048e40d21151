"""The values a template is rendered with for one person, or for many at once.

Only the declared variables (domain/templating.py): names, the address, the agency's
details and the coordinator. Nothing from the application form, so no health detail can
reach an email through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import AgencySettings, Contact, Lead, Staff
from orchid_desktop.domain.templating import UNSUBSCRIBE_LINK_TAG
from orchid_desktop.errors import UserError

_CHUNK = 500  # ids per IN (…): under every driver's parameter limit


PersonKind = Literal["lead", "contact"]


@dataclass(frozen=True)
class PersonRef:
    kind: PersonKind
    id: int

    @staticmethod
    def of(row: Any) -> PersonRef:
        """The person a row with ``lead_id`` / ``contact_id`` names (an enrolment, a mass
        email recipient); their tables' check constraints make one of the two set."""
        if row.lead_id:
            return PersonRef("lead", row.lead_id)
        if row.contact_id:
            return PersonRef("contact", row.contact_id)
        raise ValueError(f"{type(row).__name__} {row.id} names neither a lead nor a contact.")


@dataclass(frozen=True)
class RecentPerson:
    """Someone a template can be previewed for."""

    ref: PersonRef
    name: str  # first and last name; "" when neither is known
    email: str


def recent_people(session: Session, *, limit: int) -> list[RecentPerson]:
    """The newest contacts, then the newest leads (``limit`` of each), that have an
    address and are neither archived nor merged: whom staff most likely want to see an
    email written for."""
    people: list[RecentPerson] = []
    kinds: tuple[tuple[Literal["lead", "contact"], type[Contact] | type[Lead]], ...] = (
        ("contact", Contact), ("lead", Lead))
    for kind, model in kinds:
        query = select(model.id, model.first_name, model.last_name, model.email) \
            .where(model.email.is_not(None), model.archived_at.is_(None)) \
            .order_by(model.id.desc()).limit(limit)
        if model is Contact:
            query = query.where(Contact.merged_into_id.is_(None))
        for id_, first, last, email in session.execute(query):
            people.append(RecentPerson(PersonRef(kind, id_), f"{first} {last}".strip(),
                                       email or ""))
    return people


def person_variables(session: Session, ref: PersonRef, *,
                     staff_id: int | None) -> dict[str, str]:
    """The variables for one lead or contact. The coordinator is the contact's assigned
    staff member, else the person acting (``staff_id``)."""
    found = person_variables_bulk(session, [ref], staff_id=staff_id)
    if ref not in found:
        raise UserError(f"That {ref.kind} no longer exists.")
    return found[ref]


def person_variables_bulk(session: Session, refs: Iterable[PersonRef], *,
                          staff_id: int | None = None) -> dict[PersonRef, dict[str, str]]:
    """``person_variables`` for many people in a few queries (one per 500 leads or
    contacts, one for the agency, one for the acting staff member). People who no longer
    exist are left out of the answer."""
    refs = list(dict.fromkeys(refs))
    if unknown := {r.kind for r in refs} - {"lead", "contact"}:
        raise ValueError(f"not a kind of person: {sorted(unknown)}")
    agency = _agency_variables(session)
    acting = session.scalar(select(Staff.display_name).where(Staff.id == staff_id)) \
        if staff_id is not None else None
    result: dict[PersonRef, dict[str, str]] = {}
    lead_ids = [r.id for r in refs if r.kind == "lead"]
    contact_ids = [r.id for r in refs if r.kind == "contact"]
    for start in range(0, len(lead_ids), _CHUNK):
        rows = session.execute(select(Lead.id, Lead.first_name, Lead.last_name, Lead.email)
                               .where(Lead.id.in_(lead_ids[start:start + _CHUNK])))
        for id_, first, last, email in rows:
            result[PersonRef("lead", id_)] = _variables(first, last, email, acting, agency)
    for start in range(0, len(contact_ids), _CHUNK):
        contact_rows = session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.email,
                   Staff.display_name)
            .outerjoin(Staff, Staff.id == Contact.assigned_to_id)
            .where(Contact.id.in_(contact_ids[start:start + _CHUNK])))
        for id_, first, last, email, coordinator in contact_rows:
            result[PersonRef("contact", id_)] = _variables(first, last, email,
                                                           coordinator or acting, agency)
    return {r: result[r] for r in refs if r in result}


def _agency_variables(session: Session) -> dict[str, str]:
    agency = session.get(AgencySettings, 1)
    return {
        "agency_name": (agency.name if agency else "") or "",
        "agency_postal_address": (agency.postal_address if agency else "") or "",
        "application_link": (agency.application_link if agency else "") or "",
    }


def _variables(first: str | None, last: str | None, email: str | None,
               coordinator: str | None, agency: dict[str, str]) -> dict[str, str]:
    return {
        "first_name": (first or "").strip(), "last_name": (last or "").strip(),
        "email": email or "", **agency, "coordinator_name": coordinator or "",
        "unsubscribe_link": UNSUBSCRIBE_LINK_TAG,
    }
