"""The small look-ups the UI reads through services instead of querying the database
itself (the import-linter contract keeps db, mail and sqlalchemy out of orchid_desktop.ui)."""

from __future__ import annotations

from sqlalchemy import update

from orchid_desktop.db.models import Contact, Staff, Tag
from orchid_desktop.mail.sendgrid_check import KeyCheck
from orchid_desktop.services import (
    contact_lookup,
    screening_queue,
    segments,
    senders,
    sendgrid_sync,
    staff,
    template_variables,
)
from orchid_desktop.services.people import set_archived
from orchid_desktop.services.template_variables import PersonRef

from .people_helpers import add_contact, add_lead


def test_email_addresses_are_each_once_in_id_order_without_the_empty(context):
    ana = add_contact(context, "Ana", "A", email="ana@example.com")
    phone_only = add_contact(context, "Bea", "B", phone="415 555 0101")
    cy = add_contact(context, "Cy", "C", email="cy@example.com")
    with context.sessions() as session:
        assert contact_lookup.email_addresses(session, [cy, phone_only, ana, 999_999]) == [
            "ana@example.com", "cy@example.com"]
        assert contact_lookup.email_addresses(session, []) == []
        assert contact_lookup.email_addresses(session, [phone_only]) == []


def test_tag_names_are_alphabetical(context):
    with context.sessions() as session:
        assert segments.tag_names(session) == []
    with context.sessions.begin() as session:
        session.add_all([Tag(name="Spring event"), Tag(name="Referral")])
    with context.sessions() as session:
        assert segments.tag_names(session) == ["Referral", "Spring event"]


def test_anyone_to_screen_counts_only_active_contacts_of_a_screened_type(context):
    with context.sessions() as session:
        assert not screening_queue.anyone_to_screen(session)
    add_contact(context, "Oli", "Other", email="oli@example.com", applicant_type="other")
    with context.sessions() as session:
        assert not screening_queue.anyone_to_screen(session)
    donor = add_contact(context, "Ana", "Donor", email="ana@example.com")
    with context.sessions() as session:
        assert screening_queue.anyone_to_screen(session)
    with context.sessions.begin() as session:
        set_archived(session, Contact, [donor], True, staff_id=None)
    with context.sessions() as session:
        assert not screening_queue.anyone_to_screen(session)


def test_staff_name_and_email(context):
    with context.sessions.begin() as session:
        jo = Staff(login="jo", display_name="Jo Coordinator", email="jo@agency.example")
        session.add(jo)
        session.flush()
        jo_id = jo.id
    with context.sessions() as session:
        assert staff.display_name(session, jo_id) == "Jo Coordinator"
        assert staff.email_address(session, jo_id) == "jo@agency.example"
        assert staff.email_address(session, context.staff_id) == ""  # none recorded
        for nobody in (None, 999_999):
            assert staff.display_name(session, nobody) is None
            assert staff.email_address(session, nobody) == ""


def test_recent_people_are_the_newest_with_an_address_contacts_first(context):
    older = add_contact(context, "Ana", "Old", email="ana@example.com")
    newer = add_contact(context, "Bea", "New", email="bea@example.com")
    add_contact(context, "Phone", "Only", phone="415 555 0101")
    archived = add_contact(context, "Cy", "Gone", email="cy@example.com")
    merged = add_contact(context, "Di", "Merged", email="di@example.com")
    lead = add_lead(context, "Lee", "Lead", email="lee@example.com")
    with context.sessions.begin() as session:
        set_archived(session, Contact, [archived], True, staff_id=None)
        session.execute(update(Contact).where(Contact.id == merged)
                        .values(merged_into_id=older))
    with context.sessions() as session:
        people = template_variables.recent_people(session, limit=40)
        assert [(p.ref, p.name, p.email) for p in people] == [
            (PersonRef("contact", newer), "Bea New", "bea@example.com"),
            (PersonRef("contact", older), "Ana Old", "ana@example.com"),
            (PersonRef("lead", lead), "Lee Lead", "lee@example.com")]
        assert [p.ref for p in template_variables.recent_people(session, limit=1)] == [
            PersonRef("contact", newer), PersonRef("lead", lead)]


class FakeApi:
    """Answers both syncs with nothing new."""

    def __init__(self, key: str):
        self.key = key
        self.asked: list[str] = []

    def suppression_pages(self, kind, *, start_time=None, offset=0, group_id=None):
        self.asked.append(kind)
        return iter(())

    def category_stats(self, categories, start, end):
        return []


def test_sync_now_runs_both_syncs_through_one_client(context):
    made: list[FakeApi] = []

    def factory(key: str) -> FakeApi:
        made.append(FakeApi(key))
        return made[-1]

    summary = sendgrid_sync.sync_now(context.sessions, "SG.key", api_factory=factory)
    assert [api.key for api in made] == ["SG.key"]
    assert made[0].asked  # the suppression lists were read through it
    assert summary.startswith("Nothing was sent through SendGrid in the last days")
    with context.sessions() as session:
        assert all(sendgrid_sync.last_synced(session))


def test_check_api_key_answers_in_a_sentence_without_asking_for_an_empty_key():
    assert senders.check_api_key("  ") == KeyCheck(False, "Enter a SendGrid API key first.")
