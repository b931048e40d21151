"""A contact as staff see and edit it: identity, the application profile, the pipeline
stage, notes and logged emails, and the history of every change.

Saves carry the version that was read; a save that finds a newer version raises
ConflictError with what the other workstation changed, so the UI can offer to reload or
review instead of overwriting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    AuditEntry,
    Contact,
    ContactEmail,
    ContactNote,
    Lead,
    Staff,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.application_fields import BY_KEY, age_on, bmi, fields_for
from orchid_desktop.domain.vocab import ApplicantType, EmailDirection, PipelineStage
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit, screening
from .drip_exit import leave_drips
from .enrolment import apply_enrol_rules
from .people import (
    CleanPerson,
    DuplicateFound,
    PersonForm,
    find_duplicates,
    no_silent_overwrite,
    person_form,
)


@dataclass
class ContactDetail:
    id: int
    version: int
    form: PersonForm
    stage: PipelineStage
    stage_changed_at: datetime
    deferred_until: date | None
    # every application field as text, keyed as in domain.application_fields
    profile: dict[str, str]
    created_at: datetime

    @property
    def applicant_type(self) -> ApplicantType:
        return ApplicantType(self.form.applicant_type)

    def age(self, today: date) -> int | None:
        return profile_age(self.profile, today)

    def bmi(self) -> float | None:
        return profile_bmi(self.profile)


def profile_age(profile: dict[str, str], today: date) -> int | None:
    """Age from a profile as typed (text), as the form shows it and the service stores."""
    return age_on(parse_date(profile.get("date_of_birth", "")), today)


def profile_bmi(profile: dict[str, str]) -> float | None:
    return bmi(parse_number(profile.get("height_cm", "")),
               parse_number(profile.get("weight_kg", "")))


def _get(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise UserError("That contact no longer exists.")
    if contact.merged_into_id is not None:
        raise UserError(f"This contact was merged into contact #{contact.merged_into_id}.")
    return contact


def contact_detail(session: Session, contact_id: int) -> ContactDetail:
    c = _get(session, contact_id)
    form = person_form(c)
    profile = {key: _as_text(getattr(c, key) if spec.column else (c.profile or {}).get(key))
               for key, spec in BY_KEY.items()}
    return ContactDetail(c.id, c.version, form, c.stage, c.stage_changed_at, c.deferred_until,
                         profile, c.created_at)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # yes/no answers stored by an import as true/false
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def parse_number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", ".")) if text and text.strip() else None
    except InvalidOperation:
        return None


def clean_profile(profile: dict[str, str], applicant_type: ApplicantType,
                  stored: dict[str, str] | None = None) -> dict[str, Any]:
    """Typed values for the fields that apply; every problem reported at once. A value
    outside a field's choices that is already ``stored`` (an import, an older list) may
    stay as it is."""
    stored = stored or {}
    problems, values = [], {}
    for spec in fields_for(applicant_type):
        text = (profile.get(spec.key) or "").strip()
        value: Any = text or None
        if text and spec.kind == "date":
            value = parse_date(text)
            if value is None:
                problems.append(f"{spec.label}: '{text}' is not a date (YYYY-MM-DD).")
            elif value > date.today():
                problems.append(f"{spec.label} is in the future.")
        elif text and spec.kind in ("number", "integer"):
            value = parse_number(text)
            if value is None or value < 0 or (spec.kind == "integer" and value != int(value)):
                problems.append(f"{spec.label}: '{text}' is not a "
                                f"{'whole ' if spec.kind == 'integer' else ''}number.")
            elif spec.kind == "integer":
                value = int(value)
        elif text and spec.choices and text not in {k for k, _ in spec.choices} \
                and text != (stored.get(spec.key) or "").strip():
            problems.append(f"{spec.label}: '{text}' is not one of the choices.")
        values[spec.key] = value
    if problems:
        raise ValidationError(problems)
    return values


def save_contact(session: Session, contact_id: int, expected_version: int,
                 person: CleanPerson, profile: dict[str, str], *,
                 staff_id: int | None) -> dict[str, list]:
    """Save identity and profile together; returns the changes written to history."""
    contact = _get(session, contact_id)
    if contact.version != expected_version:
        raise ConflictError(_conflict_message(session, contact, expected_version))
    if person.email_normalized != contact.email_normalized or \
            person.phone_e164 != contact.phone_e164:
        matches = find_duplicates(session, person.email_normalized
                                  if person.email_normalized != contact.email_normalized else None,
                                  person.phone_e164 if person.phone_e164 != contact.phone_e164
                                  else None, leads=False, exclude=("contact", contact.id))
        if matches:
            raise DuplicateFound(matches)
    values = clean_profile(profile, person.applicant_type,
                           contact_detail(session, contact_id).profile)
    changes = person.apply_to(contact)
    stored = dict(contact.profile or {})
    for key, value in values.items():
        spec = BY_KEY[key]
        old = getattr(contact, key) if spec.column else stored.get(key)
        new = value if spec.column else _json_value(value)
        if _as_text(old) != _as_text(new):
            changes[key] = [_as_text(old) or None, _as_text(new) or None]
            if spec.column:
                setattr(contact, key, new)
            elif new is None:
                stored.pop(key, None)
            else:
                stored[key] = new
    contact.profile = stored
    if changes:
        with no_silent_overwrite("This contact"):
            session.flush()
        audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                     action="edited", changes=changes)
        screening.screen_contact(session, contact.id)  # the rules read what was edited
    return changes


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _conflict_message(session: Session, contact: Contact, expected_version: int) -> str:
    latest = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "contact",
                                 AuditEntry.entity_id == contact.id)
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    who = ""
    if latest is not None:
        staff = session.get(Staff, latest.staff_id) if latest.staff_id else None
        fields = ", ".join(k.replace("_", " ") for k in (latest.changes or {})) or latest.action
        who = (f" ({staff.display_name if staff else 'someone'} changed {fields} at "
               f"{latest.occurred_at.astimezone():%H:%M})")
    return (f"This contact was changed on another workstation since you opened it{who}. "
            "Reload to see their changes; yours are kept in the form to review.")


def change_stage(session: Session, contact_id: int, stage: PipelineStage, *,
                 staff_id: int | None, reason: str | None = None,
                 deferred_until: date | None = None, reason_code: str | None = None,
                 action: str = "stage_changed") -> Contact:
    """Move a contact along the pipeline or to a side state, audited as ``action`` (a
    screening decision names itself: "approved", "rejected", "deferred"). Leaving for
    Disqualified or Withdrawn takes the person out of every drip at once."""
    stage = PipelineStage(stage)
    contact = _get(session, contact_id)
    reason = (reason or "").strip() or None
    if stage == PipelineStage.DEFERRED and deferred_until is None:
        raise ValidationError(["A deferral needs the date to look at this person again."])
    if stage == PipelineStage.DISQUALIFIED and not (reason or reason_code):
        raise ValidationError(["Say why this person is disqualified."])
    deferred_until = deferred_until if stage == PipelineStage.DEFERRED else None
    if stage == contact.stage and deferred_until == contact.deferred_until:
        return contact
    changes: dict[str, Any] = {}
    if stage != contact.stage:
        changes["stage"] = [contact.stage.value, stage.value]
    if deferred_until != contact.deferred_until:
        changes["deferred_until"] = [_json_value(contact.deferred_until),
                                     _json_value(deferred_until)]
    code = (reason_code or "STAFF_DECISION") if stage == PipelineStage.DISQUALIFIED else None
    if code != contact.dq_reason_code:
        changes["dq_reason_code"] = [contact.dq_reason_code, code]
    if stage != contact.stage:
        contact.stage = stage
        contact.stage_changed_at = utcnow()
    contact.deferred_until = deferred_until
    contact.dq_reason_code = code
    with no_silent_overwrite("This contact"):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action=action, changes=changes, reason=reason)
    if stage in ENDS_RECRUITMENT_MAIL:
        # the code only: the screener's note may be medical, and these reasons are
        # stored beside mail records
        leave_drips(session, contact.id, f"{stage.label.lower()}" + (f": {code}" if code else ""))
    return contact


ENDS_RECRUITMENT_MAIL = (PipelineStage.DISQUALIFIED, PipelineStage.WITHDRAWN)


def add_note(session: Session, contact_id: int, body: str, *, staff_id: int | None) -> ContactNote:
    if not body.strip():
        raise ValidationError(["A note needs some text."])
    _get(session, contact_id)
    note = ContactNote(contact_id=contact_id, body=body.strip(), author_id=staff_id)
    session.add(note)
    session.flush()
    return note


def log_email(session: Session, contact_id: int, *, direction: EmailDirection, subject: str,
              body: str, occurred_at: datetime, staff_id: int | None) -> ContactEmail:
    if not subject.strip() and not body.strip():
        raise ValidationError(["A logged email needs a subject or some text."])
    _get(session, contact_id)
    email = ContactEmail(contact_id=contact_id, direction=direction, subject=subject.strip(),
                         body=body, occurred_at=occurred_at, logged_by_id=staff_id)
    session.add(email)
    session.flush()
    return email


@dataclass(frozen=True)
class Inquiry:
    lead_id: int
    received_at: datetime
    source: str
    form: dict[str, Any]


def inquiries(session: Session, contact_id: int) -> list[Inquiry]:
    """The leads this person came from (repeat inquiries included), with their forms."""
    rows = session.scalars(select(Lead).where(Lead.contact_id.in_(
        merged_ids(session, contact_id))).order_by(Lead.received_at.desc()))
    return [Inquiry(lead.id, lead.received_at, lead.source.label, dict(lead.raw_form_data or {}))
            for lead in rows]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    who: str
    text: str
    body: str = ""


def _staff_names(session: Session) -> dict[int | None, str]:
    # keyed by id; looked up with a row's nullable staff column, whose None finds nothing
    return dict(session.execute(select(Staff.id, Staff.display_name)).all())


def merged_ids(session: Session, contact_id: int) -> list[int]:
    """The contact and every contact merged into it (directly or through another)."""
    ids, frontier = [contact_id], [contact_id]
    while frontier:
        frontier = list(session.scalars(select(Contact.id).where(
            Contact.merged_into_id.in_(frontier))))
        ids += frontier
    return ids


def notes(session: Session, contact_id: int) -> list[TimelineItem]:
    names = _staff_names(session)
    rows = session.scalars(select(ContactNote).where(
        ContactNote.contact_id.in_(merged_ids(session, contact_id)))
        .order_by(ContactNote.created_at.desc(), ContactNote.id.desc()))
    return [TimelineItem(n.created_at, names.get(n.author_id, "—"), n.body) for n in rows]


def emails(session: Session, contact_id: int) -> list[TimelineItem]:
    names = _staff_names(session)
    rows = session.scalars(select(ContactEmail).where(
        ContactEmail.contact_id.in_(merged_ids(session, contact_id)))
        .order_by(ContactEmail.occurred_at.desc(), ContactEmail.id.desc()))
    return [TimelineItem(e.occurred_at, names.get(e.logged_by_id, "—"),
                         f"{'Received' if e.direction == EmailDirection.INBOUND else 'Sent'}: "
                         f"{e.subject}", e.body) for e in rows]


def history(session: Session, contact_id: int) -> list[TimelineItem]:
    """Every change to this contact, to contacts merged into it, and to the leads it came
    from: who, when, old → new, why."""
    ids = merged_ids(session, contact_id)
    lead_ids = list(session.scalars(select(Lead.id).where(Lead.contact_id.in_(ids))))
    names = _staff_names(session)
    rows = session.scalars(select(AuditEntry).where(or_(
        (AuditEntry.entity_type == "contact") & AuditEntry.entity_id.in_(ids),
        (AuditEntry.entity_type == "lead") & AuditEntry.entity_id.in_(lead_ids or [-1]),
    )).order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()))
    items = []
    created_logged = False
    for entry in rows:
        who = "Orchid (automatic)" if entry.is_system else names.get(entry.staff_id, "—")
        items.append(TimelineItem(entry.occurred_at, who, describe_entry(entry),
                                  entry.reason or ""))
        created_logged |= entry.entity_type == "contact" and entry.entity_id == contact_id \
            and entry.action == "created"
    contact = session.get(Contact, contact_id)
    if not created_logged and contact is not None:  # imported in bulk: the batch was audited
        how = f"by import batch #{contact.import_batch_id}" if contact.import_batch_id else ""
        items.append(TimelineItem(contact.created_at, names.get(contact.created_by_id, "—"),
                                  f"Contact #{contact_id} created {how}".strip()))
    return items


CHANGE_LABELS = {"phone_e164": "Phone", "applicant_type": "Applying as",
                 "contact_id": "Contact", "lead_id": "Lead"}


def describe_entry(entry: AuditEntry) -> str:
    subject = f"{entry.entity_type.capitalize()} #{entry.entity_id}"
    action = entry.action.replace("_", " ")
    parts = []
    for key, value in (entry.changes or {}).items():
        if key == "email_normalized":  # the email's own line says it
            continue
        label = BY_KEY[key].label if key in BY_KEY else \
            CHANGE_LABELS.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, list) and len(value) == 2:
            old, new = ("—" if v in (None, "") else
                        PipelineStage(v).label if key == "stage" else
                        str(v).replace("_", " ") if key == "status" else v
                        for v in value)
            parts.append(f"{label}: {old} → {new}")
        else:
            parts.append(f"{label}: {value}")
    return f"{subject} {action}" + (f" — {'; '.join(parts)}" if parts else "")


def create_contact(session: Session, person: CleanPerson, *, staff_id: int | None,
                   allow_duplicate: bool = False) -> Contact:
    """A contact entered directly (a referral on the phone). Someone already a contact
    with the same email can never be added twice (merge instead); a matching lead or a
    shared phone can be, when the user says so (the lead may be promoted instead)."""
    matches = find_duplicates(session, person.email_normalized, person.phone_e164)
    same_email = [m for m in matches if m.matched_on == "email" and m.kind == "contact"]
    if same_email or (matches and not allow_duplicate):
        raise DuplicateFound(same_email or matches)
    contact = Contact(stage=PipelineStage.PRE_SCREEN, created_by_id=staff_id, profile={})
    person.apply_to(contact)
    session.add(contact)
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action="created", changes={"stage": [None, PipelineStage.PRE_SCREEN.value]})
    screening.screen_contact(session, contact.id)
    apply_enrol_rules(session, "contact_created", [contact.id], staff_id=staff_id)
    return contact
