"""What a new database needs before anyone uses it: the agency row, the default DQ
rules of DOMAIN.md, and the default template library; and, on an existing one, the DQ
rules this version added (services/screening_upgrade.py). Safe to run at every start."""

from __future__ import annotations

import logging
import tomllib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop import assets
from orchid_desktop.db.models import (
    AgencySettings,
    DQRuleSet,
    Template,
    TemplateVersion,
)
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, default_rules
from orchid_desktop.domain.templating import check_template, variables_used
from orchid_desktop.domain.vocab import EmailKind

from . import audit
from .screening_upgrade import add_new_default_rules

log = logging.getLogger(__name__)

FALLBACK_TIME_ZONE = "America/Los_Angeles"


def local_time_zone() -> str:
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
        ZoneInfo(name)
        return name
    except (ImportError, ZoneInfoNotFoundError, ValueError, TypeError):
        return FALLBACK_TIME_ZONE


def ensure_first_run(sessions: sessionmaker[Session], staff_id: int | None) -> list[str]:
    """Create whatever of the first-run data is missing; returns what was created."""
    created: list[str] = []
    with sessions.begin() as session:
        if session.get(AgencySettings, 1) is None:
            session.add(AgencySettings(id=1, time_zone=local_time_zone()))
            created.append("agency settings")
        for applicant_type in SCREENED_TYPES:
            exists = session.scalar(
                select(DQRuleSet.id).where(DQRuleSet.applicant_type == applicant_type).limit(1)
            )
            if exists is None:
                session.add(DQRuleSet(
                    applicant_type=applicant_type, version_number=1, is_current=True,
                    rules=default_rules(applicant_type), created_by_id=staff_id,
                    change_note="Agency defaults from DOMAIN.md",
                ))
                created.append(f"default DQ rules for {applicant_type.label.lower()}s")
        added = _add_missing_library_templates(session, staff_id)
        if added:
            created.append(f"{added} library templates")
    created += add_new_default_rules(sessions)
    if created:  # one line for the log file, not one per item
        log.info("first run: created %s", ", ".join(created))
    return created


def library_entries() -> list[dict]:
    return tomllib.loads(assets.read_text("templates", "library.toml"))["template"]


def _add_missing_library_templates(session: Session, staff_id: int | None) -> int:
    present = set(session.scalars(select(Template.slug).where(Template.slug.is_not(None))))
    added = 0
    for entry in library_entries():
        if entry["slug"] in present:
            continue
        problems = check_template(entry["subject"], entry["html"])
        if problems:  # a broken library is a bug in this release, not the user's problem
            raise ValueError(f"library template {entry['slug']}: {' '.join(problems)}")
        used = variables_used(entry["subject"], entry["html"])
        template = Template(
            name=entry["name"], slug=entry["slug"], kind=EmailKind(entry["kind"]),
            sequence=entry.get("sequence", ""),
        )
        session.add(template)
        session.flush()
        session.add(TemplateVersion(
            template_id=template.id, version_number=1, subject=entry["subject"].strip(),
            html_body=entry["html"].strip(), variables=sorted(used), created_by_id=staff_id,
        ))
        audit.record(session, staff_id=staff_id, entity_type="template",
                     entity_id=template.id, action="created",
                     reason="default template library", is_system=True)
        added += 1
    return added
