"""The audit log: every change staff (or the app on their behalf) make, with who and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orchid_desktop.db.models import AuditEntry


def record(
    session: Session,
    *,
    staff_id: int | None,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    is_system: bool = False,
) -> AuditEntry:
    entry = AuditEntry(
        staff_id=staff_id, entity_type=entity_type, entity_id=entity_id, action=action,
        changes=changes or {}, reason=reason, is_system=is_system,
    )
    session.add(entry)
    return entry
