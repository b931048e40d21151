"""Email templates: the list, the editor's load and save, copies, archiving, preview and
test sends.

A template's words live in versions. Editing a template no message has used yet changes
its latest version in place; once a queued or sent message, a mass email that left draft
or a campaign that left draft uses it, a save adds a new version and the old one stays
exactly as those messages were written with it. Reading is in template_queries, the
variables for a person in template_variables; both are re-exported here.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db.models import (
    AgencySettings,
    DripCampaign,
    DripStep,
    OutboxMessage,
    Staff,
    Template,
    TemplateVersion,
)
from orchid_desktop.db.models.base import utcnow
from orchid_desktop.domain.contact_points import InvalidEmail, normalize_email
from orchid_desktop.domain.templating import (
    MissingValue,
    RenderedEmail,
    RenderError,
    check_template,
    render,
    variables_used,
    with_footer,
)
from orchid_desktop.domain.vocab import CampaignStatus, EmailKind, OutboxOrigin
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit
from .template_queries import (
    TemplateDetail,
    TemplateDraft,
    TemplateSummary,
    VersionInfo,
    latest_version,
    list_templates,
    load_template,
    template_in_use,
    template_row,
    template_versions,
)
from .template_variables import PersonRef, person_variables, person_variables_bulk

__all__ = [
    "PersonRef", "SavedTemplate", "TemplateDetail", "TemplateDraft", "TemplateSummary",
    "VersionInfo", "archive_template", "duplicate_template", "latest_version",
    "list_templates", "load_template", "person_variables", "person_variables_bulk",
    "preview", "queue_test_email", "restore_template", "save_template", "template_in_use",
    "template_versions",
]

NAME_LIMIT, SUBJECT_LIMIT = 200, 500
TEST_PREFIX, TEST_CATEGORY = "[Test] ", "test-send"
# campaigns whose steps still send (or will): their templates cannot be archived
# what a preview's unsubscribe link points at: the real one is SendGrid's, per recipient
PREVIEW_UNSUBSCRIBE_LINK = "https://example.invalid/unsubscribe-preview"
LIVE_CAMPAIGNS = (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)


@dataclass(frozen=True)
class SavedTemplate:
    template_id: int
    version_id: int
    version_number: int
    created_new_version: bool


# -- saving -------------------------------------------------------------------------

def _clean(draft: TemplateDraft) -> TemplateDraft:
    try:
        kind = EmailKind(draft.kind)
    except ValueError:
        raise ValidationError(["Choose whether this is marketing or service email."]) from None
    return TemplateDraft(" ".join((draft.name or "").split()), kind,
                         (draft.subject or "").strip(), (draft.html_body or "").strip(),
                         (draft.text_body or "").strip() or None)


def _name_taken(session: Session, name: str, template_id: int | None) -> str | None:
    for id_, other, archived_at in session.execute(
            select(Template.id, Template.name, Template.archived_at)):
        if id_ != template_id and other.casefold() == name.casefold():
            return f"Another template is already called \"{other}\"" \
                + (" (archived)" if archived_at else "") + ": choose a different name."
    return None


def _problems(session: Session, template_id: int | None, draft: TemplateDraft) -> list[str]:
    problems: list[str] = []
    if not draft.name:
        problems.append("Give the template a name.")
    elif len(draft.name) > NAME_LIMIT:
        problems.append(f"The name is too long: at most {NAME_LIMIT} characters.")
    elif taken := _name_taken(session, draft.name, template_id):
        problems.append(taken)
    if len(draft.subject) > SUBJECT_LIMIT:
        problems.append(f"The subject is too long: at most {SUBJECT_LIMIT} characters.")
    return problems + check_template(draft.subject, draft.html_body, draft.text_body)


@contextmanager
def _saving(name: str):
    """The database's refusals in plain words: someone saved first, or took the name."""
    try:
        yield
    except StaleDataError:
        raise ConflictError(_changed_elsewhere(name)) from None
    except IntegrityError as exc:
        if "name" in str(exc.orig).lower() and "version" not in str(exc.orig).lower():
            taken = (f"Another template is already called \"{name}\" (saved on another "
                     "workstation just now): choose a different name.")
            raise ValidationError([taken]) from None
        raise ConflictError(_changed_elsewhere(name)) from None


def _changed_elsewhere(name: str) -> str:
    return (f"The template \"{name}\" was changed on another workstation since you opened "
            "it. Reload it to see their changes, then make yours again.")


def _create(session: Session, draft: TemplateDraft, *, staff_id: int | None,
            sequence: str = "", reason: str | None = None) -> SavedTemplate:
    template = Template(name=draft.name, kind=draft.kind, sequence=sequence)
    version = TemplateVersion(
        version_number=1, subject=draft.subject, html_body=draft.html_body,
        text_body=draft.text_body, created_by_id=staff_id,
        variables=sorted(variables_used(draft.subject, draft.html_body, draft.text_body)))
    with _saving(draft.name):
        session.add(template)
        session.flush()
        version.template_id = template.id
        session.add(version)
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="template", entity_id=template.id,
                 action="created", changes={"name": [None, draft.name]}, reason=reason)
    return SavedTemplate(template.id, version.id, 1, True)


def save_template(session: Session, template_id: int | None, draft: TemplateDraft, *,
                  expected_version: int | None, staff_id: int | None) -> SavedTemplate:
    """Check and save; ``expected_version`` is the template's ``version`` when the editor
    opened it (a later save elsewhere is a ConflictError). Raises ValidationError with
    every problem."""
    draft = _clean(draft)
    if problems := _problems(session, template_id, draft):
        raise ValidationError(problems)
    if template_id is None:
        return _create(session, draft, staff_id=staff_id)
    template = template_row(session, template_id, lock=True)
    if expected_version is not None and template.version != expected_version:
        raise ConflictError(_changed_elsewhere(template.name))
    latest = latest_version(session, template.id)
    old = {"name": template.name, "kind": template.kind.value, "subject": latest.subject,
           "html_body": latest.html_body, "text_body": latest.text_body or None}
    new = {"name": draft.name, "kind": draft.kind.value, "subject": draft.subject,
           "html_body": draft.html_body, "text_body": draft.text_body}
    changes: dict[str, list[object]] = {k: [old[k], new[k]] for k in old if old[k] != new[k]}
    if not changes:
        return SavedTemplate(template.id, latest.id, latest.version_number, False)
    content = {k: new[k] for k in ("subject", "html_body", "text_body")}
    used = sorted(variables_used(draft.subject, draft.html_body, draft.text_body))
    created = bool(changes.keys() & content.keys()) and template_in_use(session, template.id)
    if created:
        changes["version_number"] = [latest.version_number, latest.version_number + 1]
        latest = TemplateVersion(template_id=template.id,
                                 version_number=latest.version_number + 1, variables=used,
                                 created_by_id=staff_id, **content)
        session.add(latest)
    elif changes.keys() & content.keys():
        for key, value in content.items():
            setattr(latest, key, value)
        latest.variables = used
    template.name, template.kind = draft.name, draft.kind
    template.updated_at = utcnow()  # bumps the template's version whatever changed
    with _saving(draft.name):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="template", entity_id=template.id,
                 action="edited", changes=changes,
                 reason="saved as a new version: messages already written keep the earlier "
                        "one" if created else None)
    return SavedTemplate(template.id, latest.id, latest.version_number, created)


def duplicate_template(session: Session, template_id: int, *, staff_id: int | None) -> int:
    """A copy ("Copy of …") of the template's latest words; returns the copy's id."""
    source = template_row(session, template_id)
    latest = latest_version(session, source.id)
    name = base = f"Copy of {source.name}"[:NAME_LIMIT]
    number = 1
    while _name_taken(session, name, None):
        number += 1
        suffix = f" ({number})"
        name = base[:NAME_LIMIT - len(suffix)] + suffix
    draft = TemplateDraft(name, source.kind, latest.subject, latest.html_body, latest.text_body)
    return _create(session, draft, staff_id=staff_id, sequence=source.sequence,
                   reason=f"copy of \"{source.name}\" (version {latest.version_number})"
                   ).template_id


def archive_template(session: Session, template_id: int, *, staff_id: int | None) -> None:
    """Hide the template from the lists; refused while a campaign that can still send
    (draft, active, paused) has a step using it."""
    template = template_row(session, template_id, lock=True)
    if template.archived_at is not None:
        return
    campaigns = list(session.scalars(
        select(DripCampaign.name).join(DripStep, DripStep.campaign_id == DripCampaign.id)
        .where(DripStep.template_id == template.id, DripCampaign.status.in_(LIVE_CAMPAIGNS))
        .distinct().order_by(DripCampaign.name)))
    if campaigns:
        quoted = [f"\"{c}\"" for c in campaigns]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        raise UserError(f"The template \"{template.name}\" cannot be archived: the "
                        f"campaign{'s' if len(quoted) > 1 else ''} {listed} still "
                        f"use{'' if len(quoted) > 1 else 's'} it. Choose another template "
                        "for those steps first.")
    _set_archived(session, template, True, staff_id)


def restore_template(session: Session, template_id: int, *, staff_id: int | None) -> None:
    template = template_row(session, template_id, lock=True)
    if template.archived_at is not None:
        _set_archived(session, template, False, staff_id)


def _set_archived(session: Session, template: Template, archived: bool,
                  staff_id: int | None) -> None:
    template.archived_at = utcnow() if archived else None
    with _saving(template.name):
        session.flush()
    audit.record(session, staff_id=staff_id, entity_type="template", entity_id=template.id,
                 action="archived" if archived else "restored")


# -- preview and test sends ---------------------------------------------------------

def _as_draft(session: Session, draft_or_template_id: TemplateDraft | int) -> TemplateDraft:
    if isinstance(draft_or_template_id, TemplateDraft):
        return _clean(draft_or_template_id)
    template = template_row(session, draft_or_template_id)
    latest = latest_version(session, template.id)
    return TemplateDraft(template.name, template.kind, latest.subject, latest.html_body,
                         latest.text_body)


def _render_for(draft: TemplateDraft, ref: PersonRef,
                variables: dict[str, str]) -> RenderedEmail:
    if problems := check_template(draft.subject, draft.html_body, draft.text_body):
        raise ValidationError(problems)
    try:
        return render(draft.subject, draft.html_body, draft.text_body, variables)
    except MissingValue as exc:
        who = f"{variables['first_name']} {variables['last_name']}".strip() \
            or f"This {ref.kind}"
        owner = "The agency settings have" if exc.name.startswith("agency_") \
            or exc.name == "application_link" else f"{who} has"
        raise UserError(f"{owner} no {exc.name.replace('_', ' ')} and the template has no "
                        f"default for {{{{ {exc.name} }}}}. Fill it in, or give the template "
                        f"a default, like {{{{ {exc.name} | default(\"…\") }}}}.") from None
    except RenderError as exc:
        raise UserError(str(exc)) from None


def preview(session: Session, draft_or_template_id: TemplateDraft | int, ref: PersonRef, *,
            staff_id: int | None) -> RenderedEmail:
    """The email as this person would get it (a template id: its latest version)."""
    draft = _as_draft(session, draft_or_template_id)
    rendered = _render_for(draft, ref, person_variables(session, ref, staff_id=staff_id))
    agency = session.get(AgencySettings, 1)
    return with_footer(rendered, marketing=draft.kind == EmailKind.MARKETING,
                       postal_address=agency.postal_address if agency else "",
                       unsubscribe_link=PREVIEW_UNSUBSCRIBE_LINK)


def queue_test_email(session: Session, draft: TemplateDraft | int, ref: PersonRef, *,
                     to_email: str, staff_id: int | None) -> int:
    """Queue the email, written for ``ref``, to ``to_email`` only, with "[Test] " before
    its subject; returns the outbox id. A service email, so marketing rules never hold it
    back; it names no person and no template version, so it never counts as a use."""
    try:
        normalized = normalize_email(to_email or "")
    except InvalidEmail as exc:
        raise ValidationError([str(exc)]) from None
    draft = _as_draft(session, draft)
    variables = person_variables(session, ref, staff_id=staff_id)
    rendered = _render_for(draft, ref, variables)
    staff = session.get(Staff, staff_id) if staff_id is not None else None
    if staff is not None and not staff.email:
        staff.email = to_email.strip()
        audit.record(session, staff_id=staff_id, entity_type="staff", entity_id=staff.id,
                     action="edited", changes={"email": [None, staff.email]},
                     reason="remembered from a test email")
    message = OutboxMessage(
        origin=OutboxOrigin.SINGLE, kind=EmailKind.SERVICE, to_email=to_email.strip(),
        to_email_normalized=normalized, to_name=staff.display_name if staff else None,
        render_variables=variables, subject=(TEST_PREFIX + rendered.subject)[:SUBJECT_LIMIT],
        html_body=rendered.html, text_body=rendered.text, category=TEST_CATEGORY,
        due_at=utcnow())
    session.add(message)
    session.flush()
    audit.record(session, staff_id=staff_id, entity_type="outbox_message",
                 entity_id=message.id, action="test_email_queued",
                 reason=f"test of \"{draft.name or 'an unsaved template'}\" written for "
                        f"{ref.kind} #{ref.id}, to {to_email.strip()}")
    return message.id
