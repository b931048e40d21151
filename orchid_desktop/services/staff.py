"""Who is using the app: the operating-system account, recorded once as a staff row."""

from __future__ import annotations

import getpass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import Staff


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def ensure_staff(sessions: sessionmaker[Session], login: str) -> int:
    """The staff id for ``login``, creating the row on a first visit."""
    with sessions() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.login == login))
        if staff_id is not None:
            return staff_id
        staff = Staff(login=login, display_name=login.replace(".", " ").title())
        session.add(staff)
        try:
            session.commit()
        except IntegrityError:  # another workstation created it at the same moment
            session.rollback()
            existing = session.scalar(select(Staff.id).where(Staff.login == login))
            if existing is None:  # not that race: some other constraint refused the row
                raise
            return existing
        return staff.id


def display_name(session: Session, staff_id: int | None) -> str | None:
    """How the staff member is shown ("Dana Lee"), or None when there is no such row."""
    if staff_id is None:
        return None
    staff = session.get(Staff, staff_id)
    return staff.display_name if staff else None


def email_address(session: Session, staff_id: int | None) -> str:
    """The staff member's own email address, or "" when none is recorded."""
    staff = session.get(Staff, staff_id) if staff_id is not None else None
    return (staff.email or "") if staff else ""
