"""Email templates: checking and rendering (domain), the plain-text part, and the template
services — versions, conflicts, names, archiving, preview, test sends, and the variables
for one person or many (on SQLite, and saving with versions on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orchid_desktop.db.models import (
    AgencySettings,
    AuditEntry,
    Contact,
    DripCampaign,
    DripStep,
    MassEmail,
    OutboxMessage,
    Staff,
    Template,
    TemplateVersion,
)
from orchid_desktop.domain.html_text import html_to_text
from orchid_desktop.domain.templating import (
    DECLARED_VARIABLES,
    SENSITIVE_VARIABLES,
    UNSUBSCRIBE_LINK_TAG,
    VARIABLE_HELP,
    MissingValue,
    RenderError,
    check_template,
    render,
)
from orchid_desktop.domain.vocab import (
    CampaignStatus,
    CampaignTarget,
    EmailKind,
    MassEmailStatus,
    OutboxOrigin,
    OutboxStatus,
    StepKind,
)
from orchid_desktop.errors import ConflictError, UserError, ValidationError
from orchid_desktop.services import templates
from orchid_desktop.services.first_run import library_entries
from orchid_desktop.services.templates import PersonRef, TemplateDraft
from tests.people_helpers import add_contact, add_lead

BODY = "<p>Hi {{ first_name | default(\"there\") }},</p>\n<p>Welcome.</p>"


def draft(name="Welcome", subject="Hello from {{ agency_name }}", html=BODY, text=None,
          kind=EmailKind.MARKETING) -> TemplateDraft:
    return TemplateDraft(name, kind, subject, html, text)


def set_agency(context, name="Bloom & Co", address="1 Main St, Springfield",
               link="https://example.org/apply?a=1&b=2"):
    with context.sessions.begin() as session:
        agency = session.get(AgencySettings, 1)
        agency.name, agency.postal_address, agency.application_link = name, address, link


def save(context, template_id=None, d=None, expected=None):
    with context.sessions.begin() as session:
        return templates.save_template(session, template_id, d or draft(),
                                       expected_version=expected, staff_id=context.staff_id)


def detail(context, template_id):
    with context.sessions() as session:
        return templates.load_template(session, template_id)


def library_id(context, slug):
    with context.sessions() as session:
        return session.scalar(select(Template.id).where(Template.slug == slug))


def add_outbox_use(context, version_id):
    with context.sessions.begin() as session:
        session.add(OutboxMessage(origin=OutboxOrigin.SINGLE, kind=EmailKind.SERVICE,
                                  to_email="a@example.com", to_email_normalized="a@example.com",
                                  template_version_id=version_id))


def add_campaign(context, template_id, status, name="Donor welcome"):
    with context.sessions.begin() as session:
        campaign = DripCampaign(name=name, target=CampaignTarget.EGG_DONOR, status=status)
        session.add(campaign)
        session.flush()
        session.add(DripStep(campaign_id=campaign.id, position=1, kind=StepKind.EMAIL,
                             template_id=template_id))


# -- checking -----------------------------------------------------------------------

def test_a_good_template_has_no_problems():
    assert check_template("Hi {{ first_name }}", BODY) == []
    assert check_template("Hi", "{{ first_name.title() }} {{ coordinator_name | upper }}",
                          "Hi {{ first_name | default('there') }}") == []
    assert check_template("Hi", "{% if first_name %}Hi {{ first_name }}{% endif %}") == []


def test_an_unknown_variable_is_named_with_a_suggestion():
    problems = check_template("Hi", "<p>Hi {{ frist_name }} and {{ zebra }}</p>")
    assert "{{ frist_name }} is not a variable templates can use: did you mean " \
           "{{ first_name }}?" in problems
    zebra = next(p for p in problems if "zebra" in p)
    assert "did you mean" not in zebra and "first_name" in zebra  # lists what exists


def test_a_health_variable_is_refused_as_health_data():
    assert check_template("Hi", "<p>{{ weight_kg }}</p>") == [
        "{{ weight_kg }} is health data and never goes into an email."]
    assert any("medications" in p and "health data" in p
               for p in check_template("{{ medications }}", "x"))
    assert {"weight_kg", "date_of_birth", "bmi", "age", "ssn", "medications"} \
        <= SENSITIVE_VARIABLES
    assert not SENSITIVE_VARIABLES & DECLARED_VARIABLES


def test_a_syntax_error_names_the_part_and_line_in_plain_words():
    problems = check_template("Hi", "<p>a</p>\n<p>b</p>\n<p>Hi {{ first_name }</p>")
    assert len(problems) == 1
    assert problems[0].startswith("Body, line 3: ")
    assert "jinja" not in problems[0].lower() and "token" not in problems[0].lower()
    assert check_template("Hi {{ first_name", BODY) == [
        "Subject: a {{ is never closed with }}."]
    assert check_template("Hi", BODY, "Hello\n{% if first_name %}x") == [
        "Plain text, line 2: {% if %} is never closed: add {% endif %}."]


def test_unknown_filters_and_tests_are_named():
    problems = check_template("Hi", "{{ first_name | shout }} {% if 3 is odder %}{% endif %}")
    assert "\"| shout\" is not a filter templates know. Did you mean \"| sort\"?" in problems
    assert any("\"is odder\"" in p for p in problems)


def test_an_empty_subject_and_body_are_problems():
    assert check_template("  ", "") == ["The subject is empty.", "The email body is empty."]


def test_the_sandbox_keeps_templates_out_of_the_program():
    for html in ("{{ first_name.__class__.__mro__ }}", "{{ first_name['__class__'] }}",
                 "{{ first_name | attr('__class__') }}"):
        problems = check_template("Hi", html)
        assert len(problems) == 1 and "reaches into the program" in problems[0], html
        with pytest.raises(RenderError, match="reaches into the program"):
            render("Hi", html, None, {"first_name": "Ana"})


def test_every_declared_variable_has_a_help_line():
    assert set(VARIABLE_HELP) == DECLARED_VARIABLES
    assert all(line and "\n" not in line for line in VARIABLE_HELP.values())


# -- rendering ----------------------------------------------------------------------

def test_html_is_escaped_but_the_subject_and_text_are_plain():
    values = {"first_name": "<script>Ana", "agency_name": "Bloom & Co"}
    email = render("{{ first_name }} at {{ agency_name }}", "<p>Hi {{ first_name }}</p>",
                   "Hi {{ first_name }} from {{ agency_name }}", values)
    assert email.html == "<p>Hi &lt;script&gt;Ana</p>"
    assert email.subject == "<script>Ana at Bloom & Co"
    assert email.text == "Hi <script>Ana from Bloom & Co"
    derived = render("x", "<p>Hi {{ first_name }} &amp; {{ agency_name }}</p>", None, values)
    assert derived.text == "Hi <script>Ana & Bloom & Co"


def test_an_empty_first_name_takes_the_default_and_a_missing_one_without_says_so():
    for empty in ("", "  ", None):
        email = render("Hi {{ first_name | default('there') }}", BODY, None,
                       {"first_name": empty})
        assert email.subject == "Hi there" and "Hi there," in email.html
    with pytest.raises(MissingValue) as missing:
        render("Hi {{ first_name }}", "<p>x</p>", None, {"first_name": ""})
    assert missing.value.name == "first_name" and isinstance(missing.value, ValueError)
    with pytest.raises(MissingValue):
        render("Hi", "<p>{{ first_name | upper }}</p>", None, {})


def test_the_subject_is_one_line_and_the_unsubscribe_tag_survives_escaping():
    email = render("Hello\n  {{ first_name }}\r\n!", "<a href=\"{{ unsubscribe_link }}\">Stop"
                   "</a>", None, {"first_name": "Ana", "unsubscribe_link": UNSUBSCRIBE_LINK_TAG})
    assert email.subject == "Hello Ana !"
    assert f"href=\"{UNSUBSCRIBE_LINK_TAG}\"" in email.html
    assert email.text == f"Stop ({UNSUBSCRIBE_LINK_TAG})"


def test_html_to_text_on_a_library_template():
    entry = next(e for e in library_entries() if e["slug"] == "donor-welcome-01")
    email = render(entry["subject"], entry["html"], None, {
        "first_name": "Ana", "agency_name": "Bloom & Co",
        "application_link": "https://example.org/apply?a=1&b=2"})
    text = email.text
    assert text.startswith("Hi Ana,\n\nThank you for getting in touch with Bloom & Co")
    assert "\n- You complete your application. It asks" in text
    assert "next step.\n- We talk it through." in text  # items on consecutive lines
    assert "Start or continue your application (https://example.org/apply?a=1&b=2)" in text
    assert "<" not in text and "&amp;" not in text and "  " not in text and "\n\n\n" not in text
    assert text.endswith("Warmly,\n\nour team at Bloom & Co")


def test_html_to_text_details():
    html = ("<h1>News</h1><p>Mail <a href='mailto:a@b.org'>a@b.org</a> or see "
            "<a href='https://x.org'>https://x.org</a>.<br>Line&nbsp;two<br><br>Three</p>"
            "<ol><li>One</li><li>Two</li></ol><style>p {color: red}</style>"
            "<script>alert(1)</script><p>End &lt;3</p>")
    assert html_to_text(html) == ("News\n\nMail a@b.org or see https://x.org.\nLine two\n\n"
                                  "Three\n\n1. One\n2. Two\n\nEnd <3")
    assert html_to_text("") == ""


# -- the library --------------------------------------------------------------------

@pytest.mark.parametrize("first_name", ["Maya", ""])
def test_every_library_template_renders_for_a_person(first_name):
    values = {"first_name": first_name, "last_name": "Lopez", "email": "m@example.com",
              "agency_name": "Bloom Agency", "agency_postal_address": "1 Main St",
              "coordinator_name": "", "application_link": "https://example.org/apply",
              "unsubscribe_link": UNSUBSCRIBE_LINK_TAG}
    for entry in library_entries():
        assert check_template(entry["subject"], entry["html"]) == [], entry["slug"]
        email = render(entry["subject"], entry["html"], None, values)
        assert email.subject and "\n" not in email.subject and "&amp;" not in email.subject
        assert (first_name or "there") in email.text, entry["slug"]
        assert "{{" not in email.html and "<" not in email.text


# -- saving and versions ------------------------------------------------------------

def test_a_new_template_is_version_one_and_audited(context):
    saved = save(context, d=draft(html=BODY + "<p>{{ coordinator_name }}</p>"))
    assert (saved.version_number, saved.created_new_version) == (1, True)
    with context.sessions() as session:
        version = session.get(TemplateVersion, saved.version_id)
        assert version.variables == ["agency_name", "coordinator_name", "first_name"]
        assert session.scalar(select(AuditEntry.action).where(
            AuditEntry.entity_type == "template", AuditEntry.entity_id == saved.template_id)) \
            == "created"
    summary = next(s for s in list_all(context) if s.id == saved.template_id)
    assert (summary.version_number, summary.in_use, summary.archived) == (1, False, False)


def list_all(context, **kwargs):
    with context.sessions() as session:
        return templates.list_templates(session, **kwargs)


def test_an_unused_template_is_edited_in_place_and_a_used_one_gets_a_new_version(context):
    first = save(context)
    opened = detail(context, first.template_id)
    edited = save(context, first.template_id, draft(subject="Hi from {{ agency_name }}"),
                  expected=opened.version)
    assert (edited.version_id, edited.version_number, edited.created_new_version) == \
        (first.version_id, 1, False)
    add_outbox_use(context, edited.version_id)
    assert detail(context, first.template_id).in_use
    opened = detail(context, first.template_id)
    again = save(context, first.template_id, draft(subject="Hey {{ first_name }}"),
                 expected=opened.version)
    assert (again.version_number, again.created_new_version) == (2, True)
    assert again.version_id != first.version_id
    with context.sessions() as session:
        old = session.get(TemplateVersion, first.version_id)
        assert (old.subject, old.variables) == ("Hi from {{ agency_name }}",
                                                ["agency_name", "first_name"])
        assert session.get(TemplateVersion, again.version_id).subject == "Hey {{ first_name }}"
        assert templates.latest_version(session, first.template_id).id == again.version_id
    loaded = detail(context, first.template_id)
    assert loaded.draft.subject == "Hey {{ first_name }}" and loaded.version_number == 2
    assert [v.number for v in loaded.versions] == [2, 1]
    assert loaded.versions[0].created_by  # the staff member's name


def test_only_a_name_change_keeps_the_version_and_nothing_changed_writes_nothing(context):
    first = save(context)
    add_outbox_use(context, first.version_id)
    renamed = save(context, first.template_id, draft(name="Welcome again"))
    assert (renamed.version_id, renamed.created_new_version) == (first.version_id, False)
    before = detail(context, first.template_id).version
    same = save(context, first.template_id, draft(name="Welcome again"), expected=before)
    assert same.version_id == first.version_id
    assert detail(context, first.template_id).version == before


def test_a_campaign_or_mass_email_out_of_draft_makes_a_template_in_use(context):
    first = save(context)
    add_campaign(context, first.template_id, CampaignStatus.DRAFT)
    assert not detail(context, first.template_id).in_use
    with context.sessions.begin() as session:
        session.scalars(select(DripCampaign)).one().status = CampaignStatus.ACTIVE
    assert detail(context, first.template_id).in_use
    other = save(context, d=draft(name="Newsletter draft"))
    with context.sessions.begin() as session:
        session.add(MassEmail(name="June", template_version_id=other.version_id))
    assert not detail(context, other.template_id).in_use
    with context.sessions.begin() as session:
        session.scalars(select(MassEmail)).one().status = MassEmailStatus.SCHEDULED
    assert detail(context, other.template_id).in_use
    assert {s.id for s in list_all(context) if s.in_use} >= {first.template_id,
                                                             other.template_id}


def test_a_save_from_a_stale_copy_is_a_conflict(context):
    first = save(context)
    opened = detail(context, first.template_id).version
    save(context, first.template_id, draft(subject="Theirs"), expected=opened)
    with pytest.raises(ConflictError, match="changed on another workstation"):
        save(context, first.template_id, draft(subject="Mine"), expected=opened)
    assert detail(context, first.template_id).draft.subject == "Theirs"


def test_names_are_required_and_unique_whatever_their_case(context):
    save(context)
    with pytest.raises(ValidationError) as error:
        save(context, d=draft(name="  wELCOME ", subject="", html="{{ weight_kg }}"))
    assert error.value.problems[0] == \
        "Another template is already called \"Welcome\": choose a different name."
    assert "The subject is empty." in error.value.problems
    assert "{{ weight_kg }} is health data and never goes into an email." in \
        error.value.problems
    with pytest.raises(ValidationError, match="Give the template a name"):
        save(context, d=draft(name="   "))


def test_a_copy_gets_a_free_name_and_the_latest_words(context):
    first = save(context)
    with context.sessions.begin() as session:
        copy_id = templates.duplicate_template(session, first.template_id,
                                               staff_id=context.staff_id)
        second_id = templates.duplicate_template(session, first.template_id,
                                                 staff_id=context.staff_id)
    copy, second = detail(context, copy_id), detail(context, second_id)
    assert (copy.draft.name, second.draft.name) == ("Copy of Welcome", "Copy of Welcome (2)")
    assert copy.draft.html_body == BODY and copy.version_number == 1 and not copy.in_use


def test_archiving_is_refused_while_a_live_campaign_uses_the_template(context):
    first = save(context)
    add_campaign(context, first.template_id, CampaignStatus.PAUSED, name="Carrier welcome")
    add_campaign(context, first.template_id, CampaignStatus.COMPLETED, name="Old drip")
    with pytest.raises(UserError, match="\"Carrier welcome\" still uses it"), \
            context.sessions.begin() as session:
        templates.archive_template(session, first.template_id, staff_id=context.staff_id)
    with context.sessions.begin() as session:
        for campaign in session.scalars(select(DripCampaign)):
            campaign.status = CampaignStatus.ARCHIVED
    with context.sessions.begin() as session:
        templates.archive_template(session, first.template_id, staff_id=context.staff_id)
    assert first.template_id not in {s.id for s in list_all(context)}
    assert next(s for s in list_all(context, include_archived=True)
                if s.id == first.template_id).archived
    with context.sessions.begin() as session:
        templates.restore_template(session, first.template_id, staff_id=context.staff_id)
    assert first.template_id in {s.id for s in list_all(context)}


def test_the_list_is_ordered_by_sequence_then_name_and_filters_by_kind(context):
    every = list_all(context)
    assert [(s.sequence, s.name.lower()) for s in every] == \
        sorted((s.sequence, s.name.lower()) for s in every)
    service = list_all(context, kind=EmailKind.SERVICE)
    assert {s.slug for s in service} == {"kind-rejection-notice", "information-request"}


# -- preview, test sends and variables ----------------------------------------------

def test_preview_renders_for_the_person_and_explains_a_missing_value(context):
    set_agency(context)
    contact_id = add_contact(context, "<b>Ana</b>", "Silva", "ana@example.com")
    ref = PersonRef("contact", contact_id)
    with context.sessions() as session:
        email = templates.preview(session, draft(subject="Hi {{ first_name }} & welcome"),
                                  ref, staff_id=context.staff_id)
        assert email.subject == "Hi <b>Ana</b> & welcome"
        assert "&lt;b&gt;Ana&lt;/b&gt;" in email.html
        library = templates.preview(session, library_id(context, "donor-welcome-01"), ref,
                                    staff_id=context.staff_id)
        assert "Bloom &amp; Co" in library.html and library.subject.startswith(
            "Welcome to Bloom & Co")
    lead_id = add_lead(context, "", "Okafor", "o@example.com")
    with pytest.raises(UserError) as missing, context.sessions() as session:
        templates.preview(session, draft(html="<p>Hi {{ first_name }}</p>"),
                          PersonRef("lead", lead_id), staff_id=context.staff_id)
    assert str(missing.value).startswith(
        "Okafor has no first name and the template has no default for {{ first_name }}.")
    with pytest.raises(ValidationError), context.sessions() as session:
        templates.preview(session, draft(html="{{ frist_name }}"), ref, staff_id=None)


def test_a_test_email_is_a_queued_service_row_with_the_rendered_words(context):
    set_agency(context)
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    with pytest.raises(ValidationError, match="not a valid email"), \
            context.sessions.begin() as session:
        templates.queue_test_email(session, draft(), PersonRef("contact", contact_id),
                                   to_email="nobody", staff_id=context.staff_id)
    with context.sessions.begin() as session:
        session.get(Staff, context.staff_id).email = None
    with context.sessions.begin() as session:
        outbox_id = templates.queue_test_email(
            session, draft(subject="Hello {{ first_name }} & {{ agency_name }}"),
            PersonRef("contact", contact_id), to_email=" Me@Example.org ",
            staff_id=context.staff_id)
    with context.sessions() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert (row.origin, row.kind, row.status, row.category) == (
            OutboxOrigin.SINGLE, EmailKind.SERVICE, OutboxStatus.QUEUED, "test-send")
        assert (row.to_email, row.to_email_normalized) == ("Me@Example.org", "me@example.org")
        assert row.subject == "[Test] Hello Ana & Bloom & Co"
        assert "Hi Ana," in row.html_body and row.text_body.startswith("Hi Ana,")
        assert row.render_variables["first_name"] == "Ana"
        assert row.template_version_id is None and row.contact_id is None
        assert row.due_at is not None
        assert session.get(Staff, context.staff_id).email == "Me@Example.org"
    with context.sessions.begin() as session:  # a staff address already kept stays
        templates.queue_test_email(session, draft(), PersonRef("contact", contact_id),
                                   to_email="other@example.org", staff_id=context.staff_id)
    with context.sessions() as session:
        assert session.get(Staff, context.staff_id).email == "Me@Example.org"


def test_person_variables_for_leads_and_contacts_and_in_bulk(context):
    set_agency(context)
    lead_id = add_lead(context, "Lea", "Ng", "lea@example.com")
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    other_id = add_contact(context, "Bo", "Kim", "bo@example.com")
    with context.sessions.begin() as session:
        coordinator = Staff(login="jo", display_name="Jo Coordinator")
        session.add(coordinator)
        session.flush()
        session.get(Contact, other_id).assigned_to_id = coordinator.id
        me = session.get(Staff, context.staff_id).display_name
    refs = [PersonRef("lead", lead_id), PersonRef("contact", contact_id),
            PersonRef("contact", other_id)]
    with context.sessions() as session:
        one = {r: templates.person_variables(session, r, staff_id=context.staff_id)
               for r in refs}
        bulk = templates.person_variables_bulk(session, [*refs, PersonRef("lead", 999999)],
                                               staff_id=context.staff_id)
        with pytest.raises(UserError, match="no longer exists"):
            templates.person_variables(session, PersonRef("lead", 999999), staff_id=None)
    assert bulk == one
    assert set(one[refs[0]]) == DECLARED_VARIABLES
    assert one[refs[0]] == {
        "first_name": "Lea", "last_name": "Ng", "email": "lea@example.com",
        "agency_name": "Bloom & Co", "agency_postal_address": "1 Main St, Springfield",
        "application_link": "https://example.org/apply?a=1&b=2", "coordinator_name": me,
        "unsubscribe_link": UNSUBSCRIBE_LINK_TAG}
    assert one[refs[1]]["coordinator_name"] == me
    assert one[refs[2]]["coordinator_name"] == "Jo Coordinator"


# -- PostgreSQL ---------------------------------------------------------------------

@pytest.mark.postgres
def test_saving_with_versions_on_postgresql(pg_context):
    first = save(pg_context)
    opened = detail(pg_context, first.template_id)
    edited = save(pg_context, first.template_id, draft(subject="In place"),
                  expected=opened.version)
    assert edited.version_id == first.version_id
    add_outbox_use(pg_context, first.version_id)
    opened = detail(pg_context, first.template_id)
    again = save(pg_context, first.template_id, draft(subject="Second"),
                 expected=opened.version)
    assert (again.version_number, again.created_new_version) == (2, True)
    with pytest.raises(ConflictError):
        save(pg_context, first.template_id, draft(subject="Stale"), expected=opened.version)
    with pytest.raises(ValidationError, match="already called"):
        save(pg_context, d=draft(name="WELCOME"))
    loaded = detail(pg_context, first.template_id)
    assert loaded.draft.subject == "Second" and [v.number for v in loaded.versions] == [2, 1]
    with pg_context.sessions() as session:
        assert session.get(TemplateVersion, first.version_id).subject == "In place"


def test_the_preview_shows_the_footer_the_law_asks_for(context):
    from dataclasses import replace

    from orchid_desktop.services import agency
    from orchid_desktop.services.templates import PersonRef, preview

    from .people_helpers import add_contact

    form = agency.load_agency(context.sessions)
    agency.save_agency(context.sessions, replace(
        form, name="Orchid", postal_address="1 Main St\nOakland, CA 94612",
        application_link="https://apply.example"), context.staff_id)
    person = PersonRef("contact", add_contact(context, "Ana", "Silva", email="a@x.com"))
    with context.sessions() as session:
        newsletter = session.scalar(select(Template.id).where(Template.slug == "newsletter"))
        notice = session.scalar(select(Template.id).where(
            Template.slug == "kind-rejection-notice"))
        marketing = preview(session, newsletter, person, staff_id=context.staff_id)
        service = preview(session, notice, person, staff_id=context.staff_id)
    assert "Unsubscribe</a>" in marketing.html
    assert "1 Main St · Oakland, CA 94612" in marketing.html
    assert "Unsubscribe" in marketing.text and "Oakland" in marketing.text
    assert "Unsubscribe" not in service.html and "Oakland" in service.html
