"""What leads and contacts share: the identity form staff type into, its validation, and
finding the same person twice (by normalised email or by phone)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.contact_points import (
    InvalidEmail,
    InvalidPhone,
    normalize_email,
    normalize_phone,
)
from orchid_desktop.domain.us_states import US_STATES
from orchid_desktop.domain.vocab import ApplicantType, LeadSource
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit


@dataclass
class PersonForm:
    """Identity fields as typed (strings), before validation."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    applicant_type: str = ApplicantType.EGG_DONOR.value
    source: str = LeadSource.PHONE.value
    state: str = ""


@dataclass(frozen=True)
class CleanPerson:
    first_name: str
    last_name: str
    email: str | None
    email_normalized: str | None
    phone_e164: str | None
    applicant_type: ApplicantType
    source: LeadSource
    state: str | None

    def apply_to(self, person: Lead | Contact) -> dict[str, list]:
        """Copy onto a lead or contact; returns what changed as {field: [old, new]}."""
        changes = {}
        for key in ("first_name", "last_name", "email", "email_normalized", "phone_e164",
                    "applicant_type", "source", "state"):
            old, new = getattr(person, key), getattr(self, key)
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
                setattr(person, key, new)
        return changes


def _plain(value):
    return value.value if hasattr(value, "value") else value


def clean_person(form: PersonForm, region: str) -> CleanPerson:
    """Validate every field and report every problem at once (ValidationError)."""
    problems: list[str] = []
    email = form.email.strip() or None
    email_normalized = None
    if email:
        try:
            email_normalized = normalize_email(email)
        except InvalidEmail as exc:
            problems.append(str(exc))
    phone = None
    if form.phone.strip():
        try:
            phone = normalize_phone(form.phone, region)
        except InvalidPhone as exc:
            problems.append(str(exc))
    if not email and not form.phone.strip():
        problems.append("Give at least an email address or a phone number.")
    state = form.state.strip().upper() or None
    if state and state not in US_STATES:
        problems.append(f"'{form.state.strip()}' is not a US state code (e.g. CA, TX).")
    try:
        applicant_type = ApplicantType(form.applicant_type)
        source = LeadSource(form.source)
    except ValueError as exc:
        problems.append(str(exc))
    if not (form.first_name.strip() or form.last_name.strip()):
        problems.append("Give a first or last name.")
    if problems:
        raise ValidationError(problems)
    return CleanPerson(form.first_name.strip(), form.last_name.strip(), email,
                       email_normalized, phone, applicant_type, source, state)


@dataclass(frozen=True)
class DuplicateMatch:
    kind: str  # "lead" or "contact"
    id: int
    name: str
    email: str | None
    phone_e164: str | None
    matched_on: str  # "email" or "phone"
    status: str  # the lead's status or the contact's stage

    def describe(self) -> str:
        return (f"{self.kind.capitalize()} {self.name or '(no name)'} has the same "
                f"{'email address' if self.matched_on == 'email' else 'phone number'}")


class DuplicateFound(UserError):
    """The person already exists; the UI offers to open or merge."""

    def __init__(self, matches: list[DuplicateMatch]):
        super().__init__("; ".join(m.describe() for m in matches) + ".")
        self.matches = matches


def find_duplicates(session: Session, email_normalized: str | None, phone_e164: str | None,
                    *, leads: bool = True, contacts: bool = True,
                    exclude: tuple[str, int] | None = None) -> list[DuplicateMatch]:
    """Active people with the same normalised email or phone (indexed look-ups)."""
    if not email_normalized and not phone_e164:
        return []
    found: list[DuplicateMatch] = []
    for kind, model, status, wanted in (("contact", Contact, Contact.stage, contacts),
                                        ("lead", Lead, Lead.status, leads)):
        if not wanted:
            continue
        same = []
        if email_normalized:
            same.append(model.email_normalized == email_normalized)
        if phone_e164:
            same.append(model.phone_e164 == phone_e164)
        query = select(model.id, model.first_name, model.last_name, model.email,
                       model.email_normalized, model.phone_e164, status).where(
            or_(*same), model.archived_at.is_(None))
        if model is Contact:
            query = query.where(Contact.merged_into_id.is_(None))
        if exclude and exclude[0] == kind:
            query = query.where(model.id != exclude[1])
        for row in session.execute(query.order_by(model.id).limit(20)):
            on = "email" if email_normalized and row.email_normalized == email_normalized \
                else "phone"
            found.append(DuplicateMatch(kind, row.id, f"{row.first_name} {row.last_name}".strip(),
                                        row.email, row.phone_e164, on, _plain(row[6])))
    return found


@contextmanager
def no_silent_overwrite(what: str):
    """Turn the database's refusals into plain errors: the ORM's version check (someone
    saved first) and a unique index (someone else holds that email now)."""
    try:
        yield
    except StaleDataError:
        raise ConflictError(f"{what} was changed on another workstation while you were "
                            "editing. Reload to see the changes, then edit again.") from None
    except IntegrityError as exc:
        if "email" not in str(exc.orig).lower():
            raise
        raise UserError(f"{what} could not be saved: another active contact has this email "
                        "address now (perhaps added on another workstation). Open that "
                        "contact, or merge the two.") from None


def set_archived(session: Session, model: type[Lead | Contact], ids, archived: bool, *,
                 staff_id: int | None) -> list[int]:
    """Archive (hide from the lists, keep everything) or bring back; returns the ids that
    changed, which the opposite call takes to undo."""
    ids = list(dict.fromkeys(ids))
    changed: list[int] = []
    now = utcnow()
    entity = "lead" if model is Lead else "contact"
    for start in range(0, len(ids), 500):  # under every driver's parameter limit
        for person in session.scalars(select(model).where(model.id.in_(ids[start:start + 500]))
                                      .order_by(model.id)):
            if (person.archived_at is None) != archived:
                continue
            if model is Contact and not archived and person.email_normalized:
                # one active contact per address: bringing this one back must not clash
                taken = find_duplicates(session, person.email_normalized, None, leads=False)
                if taken:
                    raise UserError(
                        f"{person.first_name} {person.last_name} cannot be brought back: "
                        f"{taken[0].name or 'another contact'} (#{taken[0].id}) has the same "
                        "email address now. Merge the two instead.")
            person.archived_at = now if archived else None
            audit.record(session, staff_id=staff_id, entity_type=entity, entity_id=person.id,
                         action="archived" if archived else "unarchived")
            changed.append(person.id)
    with no_silent_overwrite("One of these records"):
        session.flush()
    return changed


def phone_region(session: Session) -> str:
    """The agency's region for numbers typed without a country code."""
    from orchid_desktop.db.models import AgencySettings

    agency = session.get(AgencySettings, 1)
    return agency.default_phone_region if agency else "US"
