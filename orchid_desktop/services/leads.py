"""What staff do to leads: add and edit (phone inquiries), promote to a contact, ignore
with a reason, archive and bring back. Every change is audited; edits are checked
against the version that was read, so two workstations never overwrite each other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.domain.person_fields import SHARED_COLUMNS
from orchid_desktop.domain.vocab import LeadStatus, PipelineStage
from orchid_desktop.errors import ConflictError, UserError

from . import audit, screening
from .enrolment import apply_enrol_rules
from .people import (
    CleanPerson,
    DuplicateFound,
    PersonForm,
    find_duplicates,
    no_silent_overwrite,
    person_form,
)

IGNORE_REASONS = ("Spam", "Not qualified", "Duplicate inquiry", "Asked not to be contacted")


@dataclass(frozen=True)
class LeadDetail:
    id: int
    version: int
    form: PersonForm
    status: LeadStatus
    received_at: Any
    raw_form_data: dict[str, Any]
    ignore_reason: str | None
    contact_id: int | None
    archived: bool


def lead_detail(session: Session, lead_id: int) -> LeadDetail:
    lead = _get(session, lead_id)
    return LeadDetail(lead.id, lead.version, person_form(lead), lead.status, lead.received_at,
                      dict(lead.raw_form_data or {}), lead.ignore_reason, lead.contact_id,
                      lead.archived_at is not None)


def _get(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise UserError("That lead no longer exists; it may have been removed on another "
                        "workstation.")
    return lead


def create_lead(session: Session, person: CleanPerson, *, staff_id: int | None,
                allow_duplicate: bool = False, raw_form_data: dict | None = None) -> Lead:
    """A new lead; raises DuplicateFound when the person is already known, unless the
    user chose to add them anyway."""
    if not allow_duplicate:
        matches = find_duplicates(session, person.email_normalized, person.phone_e164)
        if matches:
            raise DuplicateFound(matches)
    lead = Lead(raw_form_data=raw_form_data or {}, created_by_id=staff_id,
                status=LeadStatus.NEW)
    person.apply_to(lead)
    session.add(lead)
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="lead", entity_id=lead.id,
                 action="created", changes={"source": person.source.value})
    apply_enrol_rules(session, "lead_created", [lead.id], staff_id=staff_id)
    return lead


def update_lead(session: Session, lead_id: int, expected_version: int, person: CleanPerson,
                *, staff_id: int | None) -> dict[str, list]:
    lead = _get(session, lead_id)
    if lead.version != expected_version:
        raise ConflictError("This lead was changed on another workstation since you opened "
                            "it. Reload it to see the changes, then edit again.")
    changes = person.apply_to(lead)
    if changes:
        with no_silent_overwrite("This lead"):
            session.flush()
        audit.record(session, staff_id=staff_id, entity_type="lead", entity_id=lead.id,
                     action="edited", changes=changes)
    return changes


@dataclass(frozen=True)
class Promotion:
    lead_id: int
    contact_id: int
    linked_to_existing: bool


def promote(session: Session, lead_id: int, *, staff_id: int | None,
            link_to_contact: int | None = None) -> Promotion:
    """Make the lead a contact (stage pre-screen), carrying its identity and form data.

    If the person is already an active contact this raises DuplicateFound, and the UI
    offers to open that contact or to add the lead to it (``link_to_contact``): the lead
    is then marked promoted and linked, and the contact's history says so.
    """
    lead = _get(session, lead_id)
    if lead.status == LeadStatus.PROMOTED and lead.contact_id:
        raise UserError(f"{_name(lead)} is already a contact.")
    if link_to_contact is None:
        matches = find_duplicates(session, lead.email_normalized, lead.phone_e164, leads=False)
        if matches:
            raise DuplicateFound(matches)
        contact = Contact(
            # every field both records have (domain/person_fields.py)
            **{column: getattr(lead, column) for column in SHARED_COLUMNS},
            stage=PipelineStage.PRE_SCREEN, created_by_id=staff_id,
            profile={"lead_form": dict(lead.raw_form_data)} if lead.raw_form_data else {},
        )
        session.add(contact)
        with no_silent_overwrite(_name(lead)):
            session.flush()
        audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                     action="created", changes={"stage": [None, PipelineStage.PRE_SCREEN.value]},
                     reason=f"promoted from lead #{lead.id}")
        screening.screen_contact(session, contact.id)
        apply_enrol_rules(session, "contact_created", [contact.id], staff_id=staff_id)
    else:
        linked = session.get(Contact, link_to_contact)
        if linked is None or linked.merged_into_id is not None:
            raise UserError("That contact no longer exists.")
        contact = linked
        audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                     action="lead_linked", changes={"lead_id": lead.id},
                     reason=f"repeat inquiry: lead #{lead.id} added to this contact")
    old = lead.status.value
    lead.status = LeadStatus.PROMOTED
    lead.contact_id = contact.id
    with no_silent_overwrite("This lead"):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="lead", entity_id=lead.id,
                 action="promoted", changes={"status": [old, LeadStatus.PROMOTED.value],
                                             "contact_id": [None, contact.id]})
    return Promotion(lead.id, contact.id, link_to_contact is not None)


# What a status change replaced, lead by lead, so Undo puts back exactly that.
PreviousStatus = dict[int, tuple[str, str | None]]


def ignore(session: Session, lead_ids: Iterable[int], reason: str, *,
           staff_id: int | None) -> PreviousStatus:
    reason = reason.strip()
    if not reason:
        raise UserError("Say why these leads are ignored (for example: spam, not qualified).")
    return _set_status(session, lead_ids, LeadStatus.IGNORED, staff_id=staff_id, reason=reason,
                       skip=(LeadStatus.PROMOTED, LeadStatus.IGNORED))


def restore(session: Session, lead_ids: Iterable[int], *,
            staff_id: int | None) -> PreviousStatus:
    """Ignored leads back to new."""
    return _set_status(session, lead_ids, LeadStatus.NEW, staff_id=staff_id, reason=None,
                       skip=(LeadStatus.PROMOTED, LeadStatus.NEW, LeadStatus.IN_REVIEW))


def mark_in_review(session: Session, lead_ids: Iterable[int], *,
                   staff_id: int | None) -> PreviousStatus:
    return _set_status(session, lead_ids, LeadStatus.IN_REVIEW, staff_id=staff_id, reason=None,
                       skip=(LeadStatus.PROMOTED, LeadStatus.IN_REVIEW))


def undo_status(session: Session, previous: PreviousStatus, *, staff_id: int | None) -> int:
    """Put back what ``ignore`` / ``restore`` / ``mark_in_review`` replaced; a lead that
    has since been promoted is left alone."""
    count = 0
    for lead in _many(session, previous):
        status, reason = previous[lead.id]
        if lead.status == LeadStatus.PROMOTED or lead.status.value == status:
            continue
        audit.record(session, staff_id=staff_id, entity_type="lead", entity_id=lead.id,
                     action="status_changed", changes={"status": [lead.status.value, status]},
                     reason="undone")
        lead.status, lead.ignore_reason = LeadStatus(status), reason
        count += 1
    with no_silent_overwrite("One of these leads"):
        session.flush()
    return count


def _set_status(session: Session, lead_ids: Iterable[int], status: LeadStatus, *,
                staff_id: int | None, reason: str | None, skip: tuple) -> PreviousStatus:
    previous: PreviousStatus = {}
    for lead in _many(session, lead_ids):
        if lead.status in skip:
            continue
        previous[lead.id] = (lead.status.value, lead.ignore_reason)
        lead.status = status
        lead.ignore_reason = reason if status == LeadStatus.IGNORED else None
        audit.record(session, staff_id=staff_id, entity_type="lead", entity_id=lead.id,
                     action="status_changed",
                     changes={"status": [previous[lead.id][0], status.value]}, reason=reason)
    with no_silent_overwrite("One of these leads"):
        session.flush()
    return previous


def _many(session: Session, lead_ids: Iterable[int]) -> list[Lead]:
    ids = list(dict.fromkeys(lead_ids))
    leads: list[Lead] = []
    for start in range(0, len(ids), 500):  # stay under every driver's parameter limit
        leads += session.scalars(select(Lead).where(Lead.id.in_(ids[start:start + 500]))
                                 .order_by(Lead.id))
    return leads


def _name(person: Lead | Contact) -> str:
    return f"{person.first_name} {person.last_name}".strip() or "This person"
