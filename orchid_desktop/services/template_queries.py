"""Reading email templates: the list, one template for the editor, its versions, and
whether a message was already written with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from orchid_desktop.db.models import (
    DripCampaign,
    DripStep,
    MassEmail,
    OutboxMessage,
    Staff,
    Template,
    TemplateVersion,
)
from orchid_desktop.domain.vocab import CampaignStatus, EmailKind, MassEmailStatus
from orchid_desktop.errors import UserError


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    kind: EmailKind
    sequence: str
    slug: str | None
    version_number: int
    updated_at: datetime
    in_use: bool
    archived: bool


@dataclass(frozen=True)
class TemplateDraft:
    name: str
    kind: EmailKind
    subject: str
    html_body: str
    text_body: str | None = None  # empty: derived from the HTML when sent


class VersionInfo(NamedTuple):
    number: int
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class TemplateDetail:
    id: int
    draft: TemplateDraft
    version_id: int
    version_number: int
    version: int  # the template row's optimistic lock: pass back as expected_version
    in_use: bool
    versions: list[VersionInfo]  # newest first
    archived: bool = False


# -- reading ------------------------------------------------------------------------

def template_row(session: Session, template_id: int, *, lock: bool = False) -> Template:
    # locked (PostgreSQL) for a change: two workstations saving at once take turns
    template = session.get(Template, template_id, with_for_update=lock or None,
                           populate_existing=lock)
    if template is None:
        raise UserError("That template no longer exists.")
    return template


def latest_version(session: Session, template_id: int) -> TemplateVersion:
    version = session.scalars(
        select(TemplateVersion).where(TemplateVersion.template_id == template_id)
        .order_by(TemplateVersion.version_number.desc()).limit(1)).first()
    if version is None:
        raise UserError("That template no longer exists.")
    return version


def _in_use_queries(template_id=None):
    tv = TemplateVersion
    sent = select(tv.template_id).join(OutboxMessage, OutboxMessage.template_version_id == tv.id)
    mass = select(tv.template_id).join(MassEmail, MassEmail.template_version_id == tv.id) \
        .where(MassEmail.status != MassEmailStatus.DRAFT)
    drip = select(DripStep.template_id.label("template_id")) \
        .join(DripCampaign, DripCampaign.id == DripStep.campaign_id) \
        .where(DripCampaign.status != CampaignStatus.DRAFT, DripStep.template_id.is_not(None))
    if template_id is not None:
        sent, mass = (q.where(tv.template_id == template_id) for q in (sent, mass))
        drip = drip.where(DripStep.template_id == template_id)
    return sent, mass, drip


def template_in_use(session: Session, template_id: int) -> bool:
    """Whether a message was written with one of its versions: an outbox row, a mass
    email that left draft, or a step of a campaign that left draft."""
    return bool(session.scalar(select(or_(*(q.exists() for q in _in_use_queries(template_id))))))


def list_templates(session: Session, *, include_archived: bool = False,
                   kind: EmailKind | None = None) -> list[TemplateSummary]:
    latest = select(TemplateVersion.template_id,
                    func.max(TemplateVersion.version_number).label("number")) \
        .group_by(TemplateVersion.template_id).subquery()
    query = select(Template, latest.c.number).join(latest, latest.c.template_id == Template.id) \
        .order_by(Template.sequence, func.lower(Template.name), Template.id)
    if not include_archived:
        query = query.where(Template.archived_at.is_(None))
    if kind is not None:
        query = query.where(Template.kind == kind)
    in_use = set(session.scalars(union(*_in_use_queries())))  # one pass over each table
    return [TemplateSummary(t.id, t.name, t.kind, t.sequence, t.slug, number, t.updated_at,
                            t.id in in_use, t.archived_at is not None)
            for t, number in session.execute(query)]


def template_versions(session: Session, template_id: int) -> list[VersionInfo]:
    """Every version of a template, newest first, with who saved it."""
    rows = session.execute(
        select(TemplateVersion.version_number, TemplateVersion.created_at, Staff.display_name)
        .outerjoin(Staff, Staff.id == TemplateVersion.created_by_id)
        .where(TemplateVersion.template_id == template_id)
        .order_by(TemplateVersion.version_number.desc()))
    return [VersionInfo(*row) for row in rows]


def load_template(session: Session, template_id: int) -> TemplateDetail:
    template = template_row(session, template_id)
    latest = latest_version(session, template.id)
    draft = TemplateDraft(template.name, template.kind, latest.subject, latest.html_body,
                          latest.text_body)
    return TemplateDetail(template.id, draft, latest.id, latest.version_number,
                          template.version, template_in_use(session, template.id),
                          template_versions(session, template.id),
                          template.archived_at is not None)
