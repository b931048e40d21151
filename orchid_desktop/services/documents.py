"""Documents attached to a contact (ID scans, medical records, photos).

The bytes go into the database once per SHA-256 (``document_contents``), so every
workstation of a shared database opens the same file and nothing is lost when the contact
is edited or merged. Removing a document hides it from the contact; the bytes stay.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchid_desktop.db.models import ContactDocument, DocumentContent, Staff
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.errors import UserError

from . import audit
from .contacts import _get as get_contact
from .contacts import merged_ids

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # large scans fit; a video does not belong here


@dataclass(frozen=True)
class DocumentRow:
    id: int
    file_name: str
    size_bytes: int
    media_type: str
    uploaded_at: datetime
    uploaded_by: str
    sha256: str


def attach(session: Session, contact_id: int, path: Path, *,
           staff_id: int | None) -> ContactDocument:
    get_contact(session, contact_id)
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise UserError(f"{path.name} is {size / 1e6:.0f} MB; documents can be at most "
                            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB.")
        content = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Could not read {path.name}: {exc.strerror or exc}.") from None
    sha = hashlib.sha256(content).hexdigest()
    if session.get(DocumentContent, sha) is None:
        session.add(DocumentContent(sha256=sha, size_bytes=len(content), content=content))
    document = ContactDocument(
        contact_id=contact_id, file_name=path.name, sha256=sha, size_bytes=len(content),
        media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        uploaded_by_id=staff_id)
    session.add(document)
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="contact", entity_id=contact_id,
                 action="document_attached", changes={"document": path.name,
                                                      "sha256": sha[:12]})
    return document


def documents(session: Session, contact_id: int) -> list[DocumentRow]:
    # keyed by int | None: a document with no uploader reads as "—"
    names: dict[int | None, str] = dict(
        session.execute(select(Staff.id, Staff.display_name)).all())
    rows = session.scalars(select(ContactDocument).where(
        ContactDocument.contact_id.in_(merged_ids(session, contact_id)),
        ContactDocument.removed_at.is_(None)).order_by(ContactDocument.created_at.desc(),
                                                       ContactDocument.id.desc()))
    return [DocumentRow(d.id, d.file_name, d.size_bytes, d.media_type, d.created_at,
                        names.get(d.uploaded_by_id, "—"), d.sha256) for d in rows]


def remove(session: Session, document_id: int, *, staff_id: int | None) -> None:
    document = session.get(ContactDocument, document_id)
    if document is None or document.removed_at is not None:
        return
    document.removed_at = utcnow()
    audit.record(session, staff_id=staff_id, entity_type="contact",
                 entity_id=document.contact_id, action="document_removed",
                 changes={"document": document.file_name})
    session.flush()


def restore(session: Session, document_id: int, *, staff_id: int | None) -> None:
    """Undo a removal."""
    document = session.get(ContactDocument, document_id)
    if document is None or document.removed_at is None:
        return
    document.removed_at = None
    audit.record(session, staff_id=staff_id, entity_type="contact",
                 entity_id=document.contact_id, action="document_restored",
                 changes={"document": document.file_name})
    session.flush()


def export_copy(session: Session, document_id: int, folder: Path) -> Path:
    """Write the document into ``folder`` (a per-hash subfolder, so two files of the same
    name never collide) and return its path, for the desktop to open. The copy's hash is
    checked: a damaged copy is never shown as the document."""
    document = session.get(ContactDocument, document_id)
    if document is None:
        raise UserError("That document no longer exists.")
    stored = session.get(DocumentContent, document.sha256)
    if stored is None or hashlib.sha256(stored.content).hexdigest() != document.sha256:
        raise UserError(f"The stored copy of {document.file_name} is missing or damaged.")
    target_dir = folder / document.sha256[:16]
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / Path(document.file_name).name
    if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != document.sha256:
        target.write_bytes(stored.content)
    return target
