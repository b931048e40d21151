"""What a screener decides about a contact: approve, reject, defer, flag, ask for more
information, and convert an approved applicant into a client with a case.

Each decision checks the contact is still where the screener saw it (another workstation
may have decided first), writes the contact's history with who and why, and — for a
rejection or an information request — can queue a kind service email from the template
library for the sending engine. No reason, medical or otherwise, ever goes into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    Case,
    Client,
    Contact,
    OutboxMessage,
    Staff,
    Template,
    TemplateVersion,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.templating import variables_used
from orchid_desktop.domain.vocab import (
    ApplicantType,
    EmailKind,
    OutboxOrigin,
    PipelineStage,
    ScreeningOutcome,
)
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit
from .contacts import change_stage
from .drip_exit import leave_drips
from .people import no_silent_overwrite
from .screening_queue import SCREENING_STAGES
from .template_variables import PersonRef, person_variables

REJECTION_NOTICE = "kind-rejection-notice"
INFORMATION_REQUEST = "information-request"

# Reasons a screener rejects for, besides the code of a rule that disqualified.
REJECTION_REASONS = (
    ("MEDICAL_HISTORY", "Medical history (after review)"),
    ("RECORDS_OR_CHECKS", "Records or background check"),
    ("NOT_RESPONSIVE", "Did not respond"),
    ("NOT_A_FIT", "Not a fit for our programme"),
    ("APPLICANT_WITHDREW", "Applicant withdrew"),
    ("OTHER", "Other (say why)"),
)
CASE_PREFIX = {ApplicantType.EGG_DONOR: "ED", ApplicantType.GESTATIONAL_CARRIER: "GC",
               ApplicantType.OTHER: "CL"}


@dataclass(frozen=True)
class Seen:
    """What the screener was looking at: a decision on anything newer is refused."""
    version: int
    screened_at: datetime | None


def _contact(session: Session, contact_id: int, seen: Seen | None = None) -> Contact:
    # locked (PostgreSQL): two workstations deciding at once take turns, and the second
    # sees the first's decision
    contact = session.get(Contact, contact_id, with_for_update=True, populate_existing=True)
    if contact is None or contact.merged_into_id is not None:
        raise UserError("That contact no longer exists (merged or removed).")
    if contact.archived_at is not None:
        raise UserError("That contact is archived; unarchive it first.")
    if seen is not None and (contact.version, contact.screened_at) != (seen.version,
                                                                       seen.screened_at):
        raise ConflictError(f"{_name(contact)} was changed or screened again on another "
                            "workstation since you opened them. Look at the new evaluation, "
                            "then decide.")
    return contact


def _name(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name}".strip() or f"Contact #{contact.id}"


def awaiting_decision(contact: Contact, today: date) -> bool:
    return contact.stage in SCREENING_STAGES or (
        contact.stage is PipelineStage.DEFERRED and contact.deferred_until is not None
        and contact.deferred_until <= today)


def _require_awaiting(contact: Contact, today: date, doing: str) -> None:
    if not awaiting_decision(contact, today):
        raise UserError(f"{_name(contact)} is no longer waiting for a screening decision "
                        f"(now {contact.stage.label}), so they cannot be {doing}. "
                        "Someone may have decided on another workstation: refresh the queue.")


NEEDS_A_REASON_TO_APPROVE = {
    ScreeningOutcome.DQ: "The rules disqualified this person: say why you approve them "
                         "anyway.",
    ScreeningOutcome.DEFER: "The rules say this person is not eligible yet: say why you "
                            "approve them now.",
    ScreeningOutcome.NEEDS_DATA: "The rules still miss answers: say how you checked them.",
}


def approve(session: Session, contact_id: int, *, staff_id: int | None, note: str = "",
            today: date | None = None, seen: Seen | None = None) -> Contact:
    """Screening passed: the contact moves to Approved, ready to convert. Approving over
    the rules (a DQ, a deferral, missing answers) needs a reason in the history."""
    contact = _contact(session, contact_id, seen)
    _require_awaiting(contact, today or date.today(), "approved")
    if contact.screening_outcome in NEEDS_A_REASON_TO_APPROVE and not note.strip():
        raise ValidationError([NEEDS_A_REASON_TO_APPROVE[contact.screening_outcome]])
    return change_stage(session, contact.id, PipelineStage.APPROVED, staff_id=staff_id,
                        reason=note, action="approved")


def reject(session: Session, contact_id: int, *, staff_id: int | None, reason_code: str,
           note: str = "", send_notice: bool = False, today: date | None = None,
           seen: Seen | None = None) -> int | None:
    """Disqualify with a reason code; the person leaves every drip at once. With
    ``send_notice`` the kind rejection notice is queued; returns its outbox id."""
    contact = _contact(session, contact_id, seen)
    _require_awaiting(contact, today or date.today(), "rejected")
    reason_code = (reason_code or "").strip().upper()
    if not reason_code:
        raise ValidationError(["Choose the reason for rejecting."])
    if reason_code == "OTHER" and not note.strip():
        raise ValidationError(["Say why in the note when the reason is Other."])
    notice = _queue_service_email(session, contact, REJECTION_NOTICE, staff_id) \
        if send_notice else None
    change_stage(session, contact.id, PipelineStage.DISQUALIFIED, staff_id=staff_id,
                 reason=note + (" (rejection notice queued)" if notice else ""),
                 reason_code=reason_code, action="rejected")
    return notice


def defer(session: Session, contact_id: int, until: date, *, staff_id: int | None,
          note: str = "", today: date | None = None, seen: Seen | None = None) -> Contact:
    """Not now: the contact leaves the queue and comes back by itself on ``until``."""
    today = today or date.today()
    contact = _contact(session, contact_id, seen)
    _require_awaiting(contact, today, "deferred")
    if until <= today:
        raise ValidationError(["Choose a date after today to look at this person again."])
    return change_stage(session, contact.id, PipelineStage.DEFERRED, staff_id=staff_id,
                        reason=note, deferred_until=until, action="deferred")


def set_flag(session: Session, contact_id: int, flagged: bool, *, staff_id: int | None,
             note: str = "") -> Contact:
    """A screener's own flag, for a person who needs a closer look whatever the rules say."""
    contact = _contact(session, contact_id)
    if flagged and contact.flagged_at is not None:
        raise ConflictError(f"{_name(contact)} was flagged on another workstation meanwhile "
                            f"(\"{contact.flag_note}\"). Add your point as a note instead.")
    if not flagged and contact.flagged_at is None:
        return contact
    if flagged and not note.strip():
        raise ValidationError(["Say what needs a closer look."])
    before = contact.flag_note
    contact.flagged_at = utcnow() if flagged else None
    contact.flag_note = note.strip() if flagged else None
    with no_silent_overwrite("This contact"):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action="flagged" if flagged else "unflagged",
                 changes={"flag_note": [before, contact.flag_note]},
                 reason=note.strip() or None)
    return contact


def request_information(session: Session, contact_id: int, *, staff_id: int | None,
                        what: str, send_email: bool = False) -> int | None:
    """Record what is still needed (for the history, never the email) and optionally queue
    the "a few more details" email. The answers arrive as an edit, which re-screens."""
    contact = _contact(session, contact_id)
    if not what.strip():
        raise ValidationError(["Say what information is needed."])
    message = _queue_service_email(session, contact, INFORMATION_REQUEST, staff_id) \
        if send_email else None
    contact.info_requested_at = utcnow()
    with no_silent_overwrite("This contact"):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action="information_requested",
                 reason=what.strip() + (" (email queued)" if message else ""))
    return message


def _queue_service_email(session: Session, contact: Contact, slug: str,
                         staff_id: int | None) -> int:
    if not contact.email_normalized:
        raise UserError(f"{_name(contact)} has no email address, so no email can be sent. "
                        "Untick the email, or add an address first.")
    version = session.scalars(
        select(TemplateVersion).join(Template, Template.id == TemplateVersion.template_id)
        .where(Template.slug == slug).order_by(TemplateVersion.version_number.desc())
        .limit(1)).first()
    if version is None:
        raise UserError("The email template for this is missing from the template library.")
    # only what the template uses: a service email carries no unsubscribe link, and the
    # row keeps no more of the person than its words need
    used = set(version.variables) or variables_used(version.subject, version.html_body,
                                                    version.text_body)
    variables = person_variables(session, PersonRef("contact", contact.id), staff_id=staff_id)
    message = OutboxMessage(
        origin=OutboxOrigin.SINGLE, kind=EmailKind.SERVICE, contact_id=contact.id,
        to_email=contact.email, to_email_normalized=contact.email_normalized,
        to_name=_name(contact), template_version_id=version.id, category=slug,
        render_variables={k: v for k, v in variables.items() if k in used})
    session.add(message)
    session.flush()
    return message.id


@dataclass(frozen=True)
class Conversion:
    client_id: int
    case_id: int
    case_number: str


def convert_to_client(session: Session, contact_id: int, *, staff_id: int | None,
                      coordinator_id: int | None, start_date: date,
                      seen: Seen | None = None) -> Conversion:
    """The accepted applicant becomes a client with an open case. The contact stays as
    history, linked from the client; a contact is converted at most once."""
    contact = _contact(session, contact_id, seen)
    existing = session.scalar(select(Client).where(Client.contact_id == contact.id))
    if existing is not None:
        number = session.scalar(select(Case.case_number).where(Case.client_id == existing.id))
        raise UserError(f"{_name(contact)} is already a client"
                        + (f" (case {number})." if number else "."))
    if contact.stage is not PipelineStage.APPROVED:
        raise UserError(f"Approve {_name(contact)} before converting them to a client "
                        f"(they are at {contact.stage.label}).")
    if coordinator_id is not None and session.get(Staff, coordinator_id) is None:
        raise UserError("That coordinator is not on the staff list.")
    client = Client(contact_id=contact.id, created_by_id=staff_id)
    session.add(client)
    session.flush()
    case = _open_case(session, client, contact.applicant_type, coordinator_id, start_date)
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact.id,
                 action="converted_to_client",
                 changes={"client_id": [None, client.id], "case_number": [None, case.case_number]},
                 reason=f"case {case.case_number} opened, starting {start_date.isoformat()}")
    audit.record(session, staff_id=staff_id, entity_type="case", entity_id=case.id,
                 action="opened", changes={"coordinator_id": [None, coordinator_id],
                                           "start_date": [None, start_date.isoformat()]})
    leave_drips(session, contact.id, "converted to client")
    return Conversion(client.id, case.id, case.case_number)


def _open_case(session: Session, client: Client, applicant_type: ApplicantType,
               coordinator_id: int | None, start_date: date) -> Case:
    """Case numbers read "ED-2026-0007": type, year, then the next number of that year.
    Two workstations may pick the same number at once; the unique index refuses the
    second, which takes the next one."""
    prefix = f"{CASE_PREFIX[applicant_type]}-{start_date.year}-"
    for _ in range(5):
        numbers = session.scalars(select(Case.case_number)
                                  .where(Case.case_number.like(f"{prefix}%")))
        highest = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()),
                      default=0)
        case = Case(case_number=f"{prefix}{highest + 1:04d}", client_id=client.id,
                    coordinator_id=coordinator_id, start_date=start_date)
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            return case
        except IntegrityError:
            continue
    raise UserError("Could not give the case a number (many at once?): try again.")


def staff_choices(session: Session) -> list[tuple[int, str]]:
    return [(s.id, s.display_name) for s in session.scalars(
        select(Staff).where(Staff.is_active).order_by(Staff.display_name))]


def client_case(session: Session, contact_id: int) -> tuple[Client, Case] | None:
    row = session.execute(select(Client, Case).join(Case, Case.client_id == Client.id)
                          .where(Client.contact_id == contact_id)).first()
    return (row[0], row[1]) if row else None
