"""What leads and contacts share: the identity form staff type into, its validation, and
finding the same person twice (by normalised email or by phone)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.contact_points import normalize_email, normalize_phone
from orchid_desktop.domain.person_fields import (
    FORM_FIELDS,
    Kind,
    PersonField,
    columns_of,
)
from orchid_desktop.domain.us_states import US_STATES
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit


class _Values:
    """Read-only values by name, one per catalogue form field (domain/person_fields.py):
    built from the catalogue so that a new field needs no edit here, and given by keyword
    so that no new field can shift another's place."""

    __slots__ = ("_values",)
    _names: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - set(self._names)
        missing = set(self._names) - values.keys() - self._defaults.keys()
        if unknown or missing:
            raise TypeError(f"{type(self).__name__}: unknown {sorted(unknown)}, "
                            f"missing {sorted(missing)}")
        object.__setattr__(self, "_values", {name: values.get(name, self._defaults.get(name))
                                             for name in self._names})

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in self._values:
            return self._values[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Values) and type(other) is type(self) \
            and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        given = ", ".join(f"{key}={value!r}" for key, value in self._values.items())
        return f"{type(self).__name__}({given})"

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


class PersonForm(_Values):
    """The identity form as typed, every field a string, before validation:
    ``PersonForm(first_name="Ana", email="ana@example.com")``; a field not given is blank
    (or, for a required choice, its default)."""

    __slots__ = ()
    _names = tuple(f.key for f in FORM_FIELDS)
    _defaults: ClassVar[dict[str, Any]] = {f.key: f.default.value if f.default else ""
                                           for f in FORM_FIELDS}

    def __getattr__(self, name: str) -> str:
        return super().__getattr__(name)


# Stored values, by column: text stripped, the email also normalised, the phone in E.164,
# a choice as its enum (None when empty), a state code upper-cased.
FORM_COLUMNS = columns_of(FORM_FIELDS)


class CleanPerson(_Values):
    """The identity form validated (``clean_person``): every column given."""

    __slots__ = ()
    _names = FORM_COLUMNS

    def apply_to(self, person: Lead | Contact) -> dict[str, list]:
        """Copy onto a lead or contact; returns what changed as {field: [old, new]}."""
        changes = {}
        for key in self._names:
            old, new = getattr(person, key), self._values[key]
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
                setattr(person, key, new)
        return changes


def _plain(value):
    return value.value if hasattr(value, "value") else value


def clean_person(form: PersonForm, region: str) -> CleanPerson:
    """Validate every field and report every problem at once (ValidationError)."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for spec in FORM_FIELDS:
        try:
            values.update(_clean(spec, getattr(form, spec.key).strip(), region))
        except ValueError as exc:
            problems.append(str(exc))
            values.update(dict.fromkeys(spec.columns))
    if not form.email.strip() and not form.phone.strip():
        problems.append("Give at least an email address or a phone number.")
    if not (form.first_name.strip() or form.last_name.strip()):
        problems.append("Give a first or last name.")
    if problems:
        raise ValidationError(problems)
    return CleanPerson(**values)


def _clean(spec: PersonField, text: str, region: str) -> dict[str, Any]:
    """One field's stored value(s) from its text; ValueError says what is wrong."""
    if spec.max_length and spec.kind in (Kind.NAME, Kind.TEXT) and len(text) > spec.max_length:
        raise ValueError(f"{spec.label} is longer than {spec.max_length} characters.")
    if spec.kind is Kind.NAME:
        return {spec.key: text}
    if not text and not spec.required:
        return dict.fromkeys(spec.columns)
    if spec.kind is Kind.EMAIL:
        return {"email": text, "email_normalized": normalize_email(text)}
    if spec.kind is Kind.PHONE:
        return {"phone_e164": normalize_phone(text, region)}
    if spec.kind is Kind.STATE:
        if text.upper() not in US_STATES:
            raise ValueError(f"'{text}' is not a US state code (e.g. CA, TX).")
        return {spec.key: text.upper()}
    if spec.kind is Kind.CHOICE:
        return {spec.key: spec.member(text)}  # ValueError: not one of its values
    return {spec.key: text}


def person_form(person: Lead | Contact) -> PersonForm:
    """A saved lead or contact as the identity form shows it."""
    typed = {}
    for spec in FORM_FIELDS:
        value = getattr(person, spec.columns[0])
        typed[spec.key] = "" if value is None else _plain(value)
    return PersonForm(**typed)


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
        people = cast("list[Lead | Contact]", session.scalars(  # select(model) loses the type
            select(model).where(model.id.in_(ids[start:start + 500])).order_by(model.id)).all())
        for person in people:
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
