"""Making leads and contacts in tests through the same services staff use."""

from __future__ import annotations

from orchid_desktop.services import contacts, leads
from orchid_desktop.services.people import PersonForm, clean_person


def person(first="Ana", last="Silva", email="", phone="", applicant_type="egg_donor",
           source="website", state="CA", **more):
    return clean_person(PersonForm(first_name=first, last_name=last, email=email, phone=phone,
                                   applicant_type=applicant_type, source=source, state=state,
                                   **more), "US")


def add_lead(context, *args, allow_duplicate=False, raw=None, **kwargs) -> int:
    with context.sessions.begin() as session:
        return leads.create_lead(session, person(*args, **kwargs), staff_id=context.staff_id,
                                 allow_duplicate=allow_duplicate, raw_form_data=raw).id


def add_contact(context, *args, **kwargs) -> int:
    with context.sessions.begin() as session:
        return contacts.create_contact(session, person(*args, **kwargs),
                                       staff_id=context.staff_id).id
