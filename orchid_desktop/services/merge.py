"""Joining two records of the same person into one contact.

The surviving contact keeps its own values and takes the other's where its own are empty;
notes, logged emails, documents, tags and the leads it came from move over; the merged
contact is kept (``merged_into_id``) so history and links from elsewhere still resolve,
and both histories show the merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    ContactDocument,
    ContactEmail,
    ContactNote,
    Enrolment,
    Lead,
    OutboxMessage,
    PersonTag,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.db.results import rowcount
from orchid_desktop.domain.person_fields import MERGED_COLUMNS
from orchid_desktop.domain.vocab import EmailKind, EnrolmentStatus, OutboxStatus
from orchid_desktop.errors import UserError

from . import audit, screening
from .contacts import _as_text, _get
from .drip_exit import stop_enrolments
from .people import no_silent_overwrite

# Filled in from the merged contact when the surviving one has nothing there (the
# catalogue's merged fields, domain/person_fields.py).
FILLABLE = MERGED_COLUMNS


@dataclass(frozen=True)
class MergeResult:
    kept_id: int
    merged_id: int
    filled: tuple[str, ...]  # the fields taken from the merged contact
    moved: dict[str, int]


def merge_contacts(session: Session, keep_id: int, merge_id: int, *,
                   staff_id: int | None) -> MergeResult:
    if keep_id == merge_id:
        raise UserError("Choose two different contacts to merge.")
    keep, gone = _get(session, keep_id), _get(session, merge_id)
    if keep.archived_at is not None or gone.archived_at is not None:
        raise UserError("Archived contacts cannot be merged; unarchive them first.")
    if keep.applicant_type != gone.applicant_type:
        raise UserError("These contacts applied as different types (egg donor / gestational "
                        "carrier); change one of them first if they are the same person.")
    # The merged record leaves the active set first, so its email can move to the kept
    # one without tripping the one-active-contact-per-address index.
    gone.merged_into_id = keep.id
    with no_silent_overwrite("One of these contacts"):
        session.flush()
    filled: dict[str, list] = {}
    for key in FILLABLE:
        if _as_text(getattr(keep, key)) == "" and _as_text(getattr(gone, key)) != "":
            setattr(keep, key, getattr(gone, key))
            filled[key] = [None, _as_text(getattr(gone, key))]
    profile = dict(keep.profile or {})
    for key, value in (gone.profile or {}).items():
        if profile.get(key) in (None, "", {}):
            profile[key] = value
            filled[key] = [None, value if isinstance(value, str | int | float) else "…"]
    keep.profile = profile
    moved = {}
    for label, model in (("notes", ContactNote), ("emails", ContactEmail),
                         ("documents", ContactDocument), ("leads", Lead)):
        result = session.execute(update(model).where(model.contact_id == gone.id)
                                 .values(contact_id=keep.id).execution_options(
                                     synchronize_session=False))
        moved[label] = rowcount(result)
    kept_tags = set(session.scalars(select(PersonTag.tag_id).where(
        PersonTag.contact_id == keep.id)))
    for tag in session.scalars(select(PersonTag).where(PersonTag.contact_id == gone.id)):
        if tag.tag_id in kept_tags:
            session.delete(tag)
        else:
            tag.contact_id = keep.id
    with no_silent_overwrite("One of these contacts"):
        session.flush()
    _stop_merged_mail(session, gone.id)
    moved_text = ", ".join(f"{n} {label}" for label, n in moved.items() if n) or "nothing"
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=keep.id,
                 action="merged", changes=filled,
                 reason=f"contact #{gone.id} merged into this one (moved {moved_text})")
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=gone.id,
                 action="merged_into", changes={"merged_into_id": [None, keep.id]})
    if filled:  # the kept record gained answers the rules read
        screening.screen_contact(session, keep.id)
    return MergeResult(keep.id, gone.id, tuple(filled), moved)


MERGED = "merged into another contact"


def _stop_merged_mail(session: Session, contact_id: int) -> None:
    """The merged record may get no more marketing mail (marketing_rules): its drips stop
    and its queued marketing messages are cancelled now, not at its next due step, so
    the person does not get the same step at two addresses. Its leads have moved to the
    kept contact and keep theirs."""
    stop_enrolments(session, session.scalars(select(Enrolment.id).where(
        Enrolment.contact_id == contact_id, Enrolment.status == EnrolmentStatus.ACTIVE)).all(),
        MERGED)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED,
               OutboxMessage.kind == EmailKind.MARKETING, OutboxMessage.contact_id == contact_id)
        .values(status=OutboxStatus.CANCELLED, status_reason=MERGED, finished_at=utcnow())
        .execution_options(synchronize_session=False))
