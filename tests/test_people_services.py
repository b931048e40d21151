"""Leads and contacts through the service layer: validation, duplicates, promotion,
ignore/archive, the contact profile and history, documents, merge, lists and search."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, timedelta

import pytest

from orchid_desktop.db.models import AuditEntry, Contact, Lead
from orchid_desktop.domain.application_fields import age_on, bmi
from orchid_desktop.domain.search_terms import fold, phone_words, search_text
from orchid_desktop.domain.vocab import EmailDirection, LeadStatus, PipelineStage
from orchid_desktop.errors import ConflictError, UserError, ValidationError
from orchid_desktop.services import contacts, documents, leads, merge, saved_views
from orchid_desktop.services.listing import contact_listing, lead_listing
from orchid_desktop.services.people import (
    DuplicateFound,
    PersonForm,
    clean_person,
    set_archived,
)
from orchid_desktop.services.people_query import LEADS, PeopleFilter
from tests.people_helpers import add_contact, add_lead, person


# -- domain ------------------------------------------------------------------------------
def test_words_are_folded_without_accents_and_phones_by_suffix():
    assert fold("José  O'Brien-Müller") == ["jose", "o", "brien", "muller"]
    assert phone_words("+14155550123") == ["14155550123", "4155550123", "5550123", "0123"]
    assert search_text("Zoë", "Lee", "Zoe.Lee@Example.com", None) == "zoe lee example com"


def test_age_counts_the_birthday_itself_and_bmi_is_computed():
    born = date(2004, 5, 17)
    assert age_on(born, date(2025, 5, 16)) == 20
    assert age_on(born, date(2025, 5, 17)) == 21
    assert age_on(date(2004, 2, 29), date(2025, 2, 28)) == 20
    assert age_on(date(2004, 2, 29), date(2025, 3, 1)) == 21
    assert age_on(None, date.today()) is None
    assert bmi(165, 60) == 22.0
    assert bmi(None, 60) is None


# -- validation --------------------------------------------------------------------------
def test_a_lead_needs_a_valid_email_or_phone_and_every_problem_is_listed():
    with pytest.raises(ValidationError) as caught:
        clean_person(PersonForm(first_name="", last_name="", email="", phone="",
                                applicant_type="egg_donor", source="phone", state=""), "US")
    assert caught.value.problems == ["Give at least an email address or a phone number.",
                                     "Give a first or last name."]
    with pytest.raises(ValidationError) as caught:
        clean_person(PersonForm(first_name="Ana", email="ana@", phone="12",
                                applicant_type="egg_donor", source="phone", state="ZZ"), "US")
    assert len(caught.value.problems) == 3
    assert "'ana@' is not a valid email address" in caught.value.problems[0]
    assert "'12' is not a valid phone number" in caught.value.problems[1]
    assert "'ZZ' is not a US state code" in caught.value.problems[2]


def test_phone_is_normalised_with_the_agency_region_and_email_lower_cased():
    clean = clean_person(PersonForm(first_name="Ana", last_name="Silva",
                                    email="  Ana.Silva@Example.COM ", phone="(415) 555-0123",
                                    applicant_type="egg_donor", source="phone", state="ca"),
                         "US")
    assert clean.phone_e164 == "+14155550123"
    assert clean.email_normalized == "ana.silva@example.com"
    assert clean.state == "CA"
    uk = clean_person(PersonForm(first_name="Ana", phone="020 7946 0958"), "GB")
    assert uk.phone_e164 == "+442079460958"


# -- leads -------------------------------------------------------------------------------
def test_a_second_lead_with_the_same_email_or_phone_is_a_duplicate(context):
    first = add_lead(context, email="ana@example.com", phone="4155550123")
    with pytest.raises(DuplicateFound) as caught:
        add_lead(context, first="Someone", email=" ANA@example.com ")
    assert [(m.kind, m.id, m.matched_on) for m in caught.value.matches] == \
        [("lead", first, "email")]
    with pytest.raises(DuplicateFound) as caught:
        add_lead(context, first="Other", email="other@example.com", phone="+1 415 555 0123")
    assert caught.value.matches[0].matched_on == "phone"
    # the same name is not a duplicate
    add_lead(context, email="another.ana@example.com")
    # the user may add a repeat inquiry anyway
    add_lead(context, email="ana@example.com", allow_duplicate=True)
    with context.sessions() as session:
        assert session.query(Lead).count() == 3


def test_editing_a_lead_that_changed_elsewhere_is_a_conflict(context):
    lead_id = add_lead(context, email="ana@example.com")
    with context.sessions.begin() as session:
        leads.update_lead(session, lead_id, 1, person(first="Anna", email="ana@example.com"),
                          staff_id=context.staff_id)
    with context.sessions.begin() as session, pytest.raises(ConflictError):
        leads.update_lead(session, lead_id, 1, person(first="Ann", email="ana@example.com"),
                          staff_id=context.staff_id)
    with context.sessions() as session:
        detail = leads.lead_detail(session, lead_id)
    assert detail.form.first_name == "Anna" and detail.version == 2


def test_promoting_a_lead_creates_the_contact_and_writes_history(context):
    lead_id = add_lead(context, email="ana@example.com", phone="4155550123",
                       raw={"How did you hear": "Instagram"})
    with context.sessions.begin() as session:
        result = leads.promote(session, lead_id, staff_id=context.staff_id)
    with context.sessions() as session:
        lead = session.get(Lead, lead_id)
        contact = session.get(Contact, result.contact_id)
        assert lead.status == LeadStatus.PROMOTED and lead.contact_id == contact.id
        assert (contact.first_name, contact.email, contact.phone_e164, contact.state) == \
            ("Ana", "ana@example.com", "+14155550123", "CA")
        assert contact.stage == PipelineStage.PRE_SCREEN
        assert contact.profile["lead_form"] == {"How did you hear": "Instagram"}
        timeline = [item.text for item in contacts.history(session, contact.id)]
    assert any(f"Lead #{lead_id} promoted" in text for text in timeline)
    assert any("created" in text for text in timeline)
    with context.sessions.begin() as session, pytest.raises(UserError, match="already a contact"):
        leads.promote(session, lead_id, staff_id=context.staff_id)


def test_promoting_someone_already_a_contact_offers_to_add_the_lead_to_them(context):
    contact_id = add_contact(context, email="ana@example.com")
    lead_id = add_lead(context, email="Ana@Example.com", allow_duplicate=True)
    with context.sessions.begin() as session, pytest.raises(DuplicateFound) as caught:
        leads.promote(session, lead_id, staff_id=context.staff_id)
    assert caught.value.matches[0].id == contact_id
    with context.sessions.begin() as session:
        result = leads.promote(session, lead_id, staff_id=context.staff_id,
                               link_to_contact=contact_id)
    assert result.linked_to_existing and result.contact_id == contact_id
    with context.sessions() as session:
        assert session.query(Contact).count() == 1


def test_ignore_needs_a_reason_and_undo_puts_back_exactly_what_it_replaced(context):
    ids = [add_lead(context, email=f"p{i}@example.com") for i in range(4)]
    with context.sessions.begin() as session, pytest.raises(UserError, match="Say why"):
        leads.ignore(session, ids, "  ", staff_id=context.staff_id)
    with context.sessions.begin() as session:
        leads.mark_in_review(session, [ids[1]], staff_id=context.staff_id)
        leads.ignore(session, [ids[2]], "Spam", staff_id=context.staff_id)
    with context.sessions.begin() as session:
        previous = leads.ignore(session, ids, "Not qualified", staff_id=context.staff_id)
    # the one already ignored was left alone, and is not part of the undo
    assert previous == {ids[0]: ("new", None), ids[1]: ("in_review", None),
                        ids[3]: ("new", None)}
    with context.sessions() as session:
        lead = session.get(Lead, ids[0])
        assert (lead.status, lead.ignore_reason) == (LeadStatus.IGNORED, "Not qualified")
        assert session.get(Lead, ids[2]).ignore_reason == "Spam"
    with context.sessions.begin() as session:
        assert leads.undo_status(session, previous, staff_id=context.staff_id) == 3
    with context.sessions() as session:
        statuses = [(session.get(Lead, i).status, session.get(Lead, i).ignore_reason)
                    for i in ids]
    assert statuses == [(LeadStatus.NEW, None), (LeadStatus.IN_REVIEW, None),
                        (LeadStatus.IGNORED, "Spam"), (LeadStatus.NEW, None)]
    with context.sessions.begin() as session:
        assert leads.restore(session, ids, staff_id=context.staff_id) == {ids[2]: ("ignored",
                                                                                  "Spam")}


def test_a_contact_cannot_be_brought_back_onto_an_email_now_taken(context):
    first = add_contact(context, "Ana", "Silva", "ana@example.com")
    with context.sessions.begin() as session:
        set_archived(session, Contact, [first], True, staff_id=context.staff_id)
    add_contact(context, "Ana", "Other", "ana@example.com")
    with context.sessions.begin() as session, pytest.raises(UserError, match="Merge the two"):
        set_archived(session, Contact, [first], False, staff_id=context.staff_id)


def test_archived_leads_leave_the_list_and_come_back(context):
    ids = [add_lead(context, email=f"p{i}@example.com") for i in range(3)]
    listing = lead_listing(context.sessions)
    with context.sessions.begin() as session:
        done = set_archived(session, Lead, ids[:2], True, staff_id=context.staff_id)
    assert done == ids[:2]
    assert listing.count() == 1
    assert listing.count(PeopleFilter(archived=True)) == 2
    with context.sessions.begin() as session:
        set_archived(session, Lead, done, False, staff_id=context.staff_id)
    assert listing.count() == 3


# -- lists and search --------------------------------------------------------------------
@pytest.fixture
def crowd(context):
    people = [("José", "Müller", "jose@example.com", "4155550123", "egg_donor", "website"),
              ("Jessica", "Smith", "jess@example.org", "2125550188", "gestational_carrier",
               "referral"),
              ("Jessie", "Smithers", "", "5125550100", "egg_donor", "facebook_instagram"),
              ("Mary", "O'Brien", "mary@example.net", "", "other", "phone"),
              ("Ada", "Lovelace", "", "+44 20 7946 0958", "other", "referral")]
    for first, last, email, phone, kind, source in people:
        add_lead(context, first, last, email, phone, kind, source)
    return lead_listing(context.sessions)


@pytest.mark.parametrize("typed, expected", [
    ("jose", {"José Müller"}), ("MULLER", {"José Müller"}), ("müll", {"José Müller"}),
    ("jess", {"Jessica Smith", "Jessie Smithers"}), ("jess smithe", {"Jessie Smithers"}),
    ("(415) 555-0123", {"José Müller"}), ("+1 212 555 0188", {"Jessica Smith"}),
    ("5550100", {"Jessie Smithers"}), ("o'brien", {"Mary O'Brien"}),
    ("020 7946 0958", {"Ada Lovelace"}), ("+44 20 7946 0958", {"Ada Lovelace"}),
    ("0958", {"Ada Lovelace"}),
    ("example org", {"Jessica Smith"}), ('"NEAR AND', set()), ("zz", set()),
])
def test_search_finds_names_emails_and_phones_typed_any_way(crowd, typed, expected):
    found = crowd.page(0, 50, 0, False, PeopleFilter(search=typed))
    assert {row[1] for row in found} == expected
    assert crowd.count(PeopleFilter(search=typed)) == len(expected)


def test_filters_combine_and_pages_read_from_the_end_match_the_start(crowd, context):
    assert crowd.count(PeopleFilter(applicant_types=("egg_donor",))) == 2
    assert crowd.count(PeopleFilter(applicant_types=("egg_donor",), sources=("website",))) == 1
    assert crowd.count(PeopleFilter(statuses=("new",))) == 5
    today = date.today()
    assert crowd.count(PeopleFilter(date_from=today, date_to=today)) == 5
    assert crowd.count(PeopleFilter(date_to=today - timedelta(days=1))) == 0
    for sort in range(len(LEADS.columns)):
        forward = crowd.page(0, 5, sort, False)
        # the last two rows, read as "a page past the middle", come back the same
        assert crowd.page(3, 2, sort, False, total=5) == forward[3:]
    names = [row[1] for row in crowd.page(0, 5, 0, False)]
    assert names == ["Ada Lovelace", "José Müller", "Mary O'Brien", "Jessica Smith",
                     "Jessie Smithers"]


def test_saved_filters_round_trip(context):
    people = PeopleFilter(search="jess", applicant_types=("egg_donor",),
                          date_from=date(2026, 1, 1), statuses=("new", "in_review"))
    with context.sessions.begin() as session:
        saved_views.save_filter(session, LEADS.saved_view_kind, "New donors", people,
                                staff_id=context.staff_id)
        with pytest.raises(ValidationError):
            saved_views.save_filter(session, LEADS.saved_view_kind, "Everything",
                                    PeopleFilter(), staff_id=context.staff_id)
    with context.sessions() as session:
        assert saved_views.list_filters(session, LEADS.saved_view_kind) == \
            [("New donors", people)]


# -- contacts ----------------------------------------------------------------------------
def test_a_contact_email_already_used_by_another_contact_is_refused(context):
    add_contact(context, email="ana@example.com")
    with pytest.raises(DuplicateFound):
        add_contact(context, first="Other", email="ANA@example.com")


def test_saving_the_profile_types_values_and_records_old_and_new(context):
    contact_id = add_contact(context, email="ana@example.com")
    with context.sessions() as session:
        detail = contacts.contact_detail(session, contact_id)
    profile = dict(detail.profile, date_of_birth="2000-03-04", height_cm="165",
                   weight_kg="60,5", nicotine="no", contraception="pill", city="Austin")
    with context.sessions.begin() as session:
        changes = contacts.save_contact(session, contact_id, detail.version,
                                        person(email="ana@example.com", state="TX"), profile,
                                        staff_id=context.staff_id)
    assert changes["state"] == ["CA", "TX"]
    assert changes["weight_kg"] == [None, "60.5"]
    with context.sessions() as session:
        contact = session.get(Contact, contact_id)
        assert contact.date_of_birth == date(2000, 3, 4)
        assert contact.profile["nicotine"] == "no"
        again = contacts.contact_detail(session, contact_id)
        history = contacts.history(session, contact_id)
    assert again.bmi() == 22.2
    assert again.age(date(2026, 3, 4)) == 26
    assert "Weight (kg): — → 60.5" in history[0].text
    with context.sessions.begin() as session, pytest.raises(ValidationError) as caught:
        contacts.save_contact(session, contact_id, again.version, person(email="ana@example.com"),
                              dict(again.profile, date_of_birth="4 March", height_cm="tall"),
                              staff_id=context.staff_id)
    assert len(caught.value.problems) == 2


def test_stage_changes_need_a_reason_or_date_where_it_matters(context):
    contact_id = add_contact(context, email="ana@example.com")
    with context.sessions.begin() as session:
        with pytest.raises(ValidationError, match="date"):
            contacts.change_stage(session, contact_id, PipelineStage.DEFERRED,
                                  staff_id=context.staff_id)
        with pytest.raises(ValidationError, match="why"):
            contacts.change_stage(session, contact_id, PipelineStage.DISQUALIFIED,
                                  staff_id=context.staff_id)
        contacts.change_stage(session, contact_id, PipelineStage.DEFERRED,
                              staff_id=context.staff_id, reason="breastfeeding",
                              deferred_until=date(2027, 2, 1))
    with context.sessions() as session:
        history = contacts.history(session, contact_id)
    assert "Stage: Pre-screen → Deferred; Deferred until: — → 2027-02-01" in history[0].text
    assert history[0].body == "breastfeeding"


def test_notes_and_logged_emails_keep_author_and_time(context):
    contact_id = add_contact(context, email="ana@example.com")
    from datetime import datetime
    with context.sessions.begin() as session:
        contacts.add_note(session, contact_id, "Prefers texts.", staff_id=context.staff_id)
        contacts.log_email(session, contact_id, direction=EmailDirection.INBOUND,
                           subject="Question", body="Can I travel?",
                           occurred_at=datetime(2026, 11, 1, 15, tzinfo=UTC),
                           staff_id=context.staff_id)
        with pytest.raises(ValidationError):
            contacts.add_note(session, contact_id, "   ", staff_id=context.staff_id)
    with context.sessions() as session:
        (note,) = contacts.notes(session, contact_id)
        (email,) = contacts.emails(session, contact_id)
    assert note.text == "Prefers texts." and note.who != "—"
    assert email.text == "Received: Question" and email.body == "Can I travel?"


def test_documents_are_kept_by_hash_and_survive_edits_and_removal(context, tmp_path):
    contact_id = add_contact(context, email="ana@example.com")
    scan = tmp_path / "id scan.pdf"
    scan.write_bytes(b"%PDF-1.4 pretend scan")
    with context.sessions.begin() as session:
        document = documents.attach(session, contact_id, scan, staff_id=context.staff_id)
        document_id = document.id
    scan.unlink()  # the original may go; the database keeps the bytes
    with context.sessions() as session:
        (row,) = documents.documents(session, contact_id)
        copy = documents.export_copy(session, document_id, tmp_path / "opened")
    assert row.file_name == "id scan.pdf" and row.media_type == "application/pdf"
    assert copy.read_bytes() == b"%PDF-1.4 pretend scan"
    assert row.sha256 == hashlib.sha256(b"%PDF-1.4 pretend scan").hexdigest()
    with context.sessions.begin() as session:
        documents.remove(session, document_id, staff_id=context.staff_id)
    with context.sessions() as session:
        assert documents.documents(session, contact_id) == []
        assert "document removed" in contacts.history(session, contact_id)[0].text
    with context.sessions.begin() as session:
        documents.restore(session, document_id, staff_id=context.staff_id)
    with context.sessions() as session:
        assert len(documents.documents(session, contact_id)) == 1


def test_merge_keeps_everything_and_records_it(context, tmp_path):
    keep = add_contact(context, "Ana", "Silva", email="ana@example.com")
    gone = add_contact(context, "Ana", "Silva", email="", phone="4155550123")
    lead_id = add_lead(context, email="ana.s@example.com")
    with context.sessions.begin() as session:
        leads.promote(session, lead_id, staff_id=context.staff_id, link_to_contact=gone)
        contacts.add_note(session, gone, "Called from her work phone.", staff_id=context.staff_id)
        scan = tmp_path / "photo.jpg"
        scan.write_bytes(b"jpeg")
        documents.attach(session, gone, scan, staff_id=context.staff_id)
    with context.sessions.begin() as session:
        result = merge.merge_contacts(session, keep, gone, staff_id=context.staff_id)
    assert "phone_e164" in result.filled
    assert result.moved == {"notes": 1, "emails": 0, "documents": 1, "leads": 1}
    with context.sessions() as session:
        kept = session.get(Contact, keep)
        assert kept.phone_e164 == "+14155550123" and kept.email == "ana@example.com"
        assert session.get(Contact, gone).merged_into_id == keep
        assert [n.text for n in contacts.notes(session, keep)] == ["Called from her work phone."]
        assert len(documents.documents(session, keep)) == 1
        history = [item.text for item in contacts.history(session, keep)]
        actions = {e.action for e in session.query(AuditEntry).filter_by(entity_id=gone,
                                                                          entity_type="contact")}
    assert any("merged" in text for text in history)
    assert "merged_into" in actions
    assert contact_listing(context.sessions).count() == 1
    with context.sessions.begin() as session, pytest.raises(UserError):
        merge.merge_contacts(session, keep, keep, staff_id=context.staff_id)


# -- PostgreSQL: the shared database ---------------------------------------------------------
@pytest.mark.postgres
def test_two_workstations_editing_one_contact_on_postgresql(pg_context):
    context = pg_context
    contact_id = add_contact(context, email="ana@example.com")
    with context.sessions() as session:
        opened_here = contacts.contact_detail(session, contact_id)
        opened_there = contacts.contact_detail(session, contact_id)
    with context.sessions.begin() as session:  # the other workstation saves first
        contacts.save_contact(session, contact_id, opened_there.version,
                              person(first="Anna", email="ana@example.com"),
                              dict(opened_there.profile, city="Denver"), staff_id=context.staff_id)
    with context.sessions.begin() as session, pytest.raises(ConflictError) as caught:
        contacts.save_contact(session, contact_id, opened_here.version,
                              person(first="Ana Maria", email="ana@example.com"),
                              opened_here.profile, staff_id=context.staff_id)
    assert "changed on another workstation" in str(caught.value)
    with context.sessions() as session:
        now = contacts.contact_detail(session, contact_id)
    assert (now.form.first_name, now.profile["city"]) == ("Anna", "Denver")


@pytest.mark.postgres
def test_a_concurrent_save_between_read_and_write_is_caught_on_postgresql(pg_context):
    """The version check in the UPDATE itself: both sessions read version 1, one commits,
    the other's flush finds no row at version 1."""
    context = pg_context
    contact_id = add_contact(context, email="ana@example.com")
    first, second = context.sessions(), context.sessions()
    try:
        a, b = first.get(Contact, contact_id), second.get(Contact, contact_id)
        a.city = "Denver"
        first.commit()
        b.city = "Austin"
        with pytest.raises(ConflictError), contacts.no_silent_overwrite("This contact"):
            second.flush()
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_search_and_filters_on_postgresql(pg_context):
    context = pg_context
    add_lead(context, "José", "Müller", "jose@example.com", "4155550123")
    add_lead(context, "Jessica", "Smith", "jess@example.org", "2125550188",
             "gestational_carrier")
    listing = lead_listing(context.sessions)
    assert [r[1] for r in listing.page(0, 10, 0, False, PeopleFilter(search="müll"))] == \
        ["José Müller"]
    assert listing.count(PeopleFilter(search="(415) 555-0123")) == 1
    assert listing.count(PeopleFilter(search="jess smi",
                                      applicant_types=("gestational_carrier",))) == 1
    assert listing.count(PeopleFilter(search="zz")) == 0


def test_merge_history_reads_as_old_and_new_and_archived_contacts_are_refused(context):
    keep = add_contact(context, "Ana", "Silva", email="ana@example.com")
    gone = add_contact(context, "Ana", "Silva", email="", phone="4155550123")
    with context.sessions.begin() as session:
        merge.merge_contacts(session, keep, gone, staff_id=context.staff_id)
    with context.sessions() as session:
        texts = [(item.text, item.body) for item in contacts.history(session, keep)]
    assert any("Phone: — → +14155550123" in text and "moved" in body
               for text, body in texts)
    third = add_contact(context, "Ana", "Other", email="other@example.com")
    fourth = add_contact(context, "Ana", "Fourth", email="fourth@example.com")
    with context.sessions.begin() as session:
        set_archived(session, Contact, [third], True, staff_id=context.staff_id)
    with context.sessions.begin() as session, pytest.raises(UserError, match="unarchive"):
        merge.merge_contacts(session, fourth, third, staff_id=context.staff_id)


def test_a_new_contact_matching_a_lead_is_reported(context):
    add_lead(context, "Ana", "Silva", email="ana@example.com")
    with pytest.raises(DuplicateFound) as caught:
        add_contact(context, "Ana", "Silva", email="ana@example.com")
    assert caught.value.matches[0].kind == "lead"
