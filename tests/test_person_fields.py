"""The person-field catalogue (domain/person_fields.py): what used to be listed by hand in
each module is what the catalogue derives; every field goes through everything its flags
promise (import, merge, promotion, export, the form); and the field added through it —
the preferred contact method — round-trips through all of them and migration 0007."""

from __future__ import annotations

import csv
import importlib.util
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Enum, String, create_engine, inspect, select
from sqlalchemy.exc import IntegrityError

from orchid_desktop.db import migrate
from orchid_desktop.db.engine import (
    DatabaseTarget,
    create_app_engine,
    parse_database_url,
)
from orchid_desktop.db.models import AuditEntry, Contact, Lead
from orchid_desktop.domain import application_fields, import_columns, person_fields
from orchid_desktop.domain.import_columns import auto_mapping, fields_for
from orchid_desktop.domain.person_fields import (
    BOTH,
    CONTACTS,
    FIELDS,
    FORM_FIELDS,
    LEADS,
    Kind,
)
from orchid_desktop.domain.vocab import (
    ContactMethod,
    DuplicatePolicy,
    ImportTarget,
    LeadSource,
    PipelineStage,
)
from orchid_desktop.errors import ValidationError
from orchid_desktop.services import (
    contacts,
    export,
    import_history,
    import_matching,
    import_rows,
    import_writer,
    leads,
    merge,
)
from orchid_desktop.services.import_reader import open_table
from orchid_desktop.services.importing import ImportOptions, run_import, suggest_mapping
from orchid_desktop.services.people import CleanPerson, PersonForm, clean_person
from orchid_desktop.services.people_query import CONTACTS as CONTACT_LIST
from orchid_desktop.services.people_query import LEADS as LEAD_LIST
from orchid_desktop.services.people_query import PeopleFilter
from tests.people_helpers import add_contact, add_lead, person

METHOD = "preferred_contact_method"
MIGRATIONS = Path(migrate.__file__).parent / "migrations" / "versions"


# -- what used to be written by hand in each module ---------------------------------------
# The lists as they were before the catalogue, each with the new field where it belongs:
# the catalogue derives exactly these, so nothing was lost and nothing can be forgotten.
def test_import_targets_are_the_old_ones_plus_the_new_field():
    assert [(f.key, f.label, f.targets) for f in import_columns.FIELDS] == [
        ("full_name", "Full name (split into first and last)", BOTH),
        ("first_name", "First name", BOTH), ("last_name", "Last name", BOTH),
        ("email", "Email", BOTH), ("phone", "Phone", BOTH),
        ("applicant_type", "Applicant type", BOTH), ("source", "Source", BOTH),
        ("state", "State", BOTH), ("received_at", "Received (date and time)", BOTH),
        (METHOD, "Preferred contact method", BOTH),
        ("date_of_birth", "Date of birth", {CONTACTS}), ("address_line1", "Address", {CONTACTS}),
        ("city", "City", {CONTACTS}),
        # the application form's label: the import said "ZIP / postal code"
        ("postal_code", "ZIP code", {CONTACTS}),
        ("height_cm", "Height (cm)", {CONTACTS}), ("weight_kg", "Weight (kg)", {CONTACTS}),
    ]


def test_every_header_synonym_names_its_own_field():
    for field in import_columns.FIELDS:
        target = next(iter(field.targets))
        for synonym in (field.key, *field.synonyms):
            assert auto_mapping([synonym], target) == {0: field.key}, synonym


def test_row_checks_matching_and_writing_use_the_old_lists_plus_the_new_field():
    assert import_rows.MAX_LENGTHS == {"first_name": 100, "last_name": 100,
                                       "address_line1": 200, "city": 100, "postal_code": 20}
    assert import_rows.TEXT_FIELDS == ("address_line1", "city", "postal_code")
    assert import_rows.NUMBER_FIELDS == ("height_cm", "weight_kg")
    assert set(import_rows.CHOICE_PARSERS) == {"applicant_type", "source", METHOD}
    shared = ("first_name", "last_name", "email", "email_normalized", "phone_e164",
              "applicant_type", "source", "state", METHOD)
    contact_only = ("date_of_birth", "address_line1", "city", "postal_code", "height_cm",
                    "weight_kg")
    assert shared == import_matching.SHARED_FIELDS
    assert contact_only == import_matching.CONTACT_FIELDS
    assert set(import_writer.WRITTEN[LEADS]) == {*shared, "received_at"}
    assert set(import_writer.WRITTEN[CONTACTS]) == {*shared, *contact_only}


def test_merge_promotion_form_and_export_use_the_old_lists_plus_the_new_field():
    assert set(merge.FILLABLE) == {
        "first_name", "last_name", "email", "email_normalized", "phone_e164", "state", METHOD,
        "date_of_birth", "height_cm", "weight_kg", "address_line1", "address_line2", "city",
        "postal_code", "referrer", "email_consent_at", "sms_consent_at"}
    assert person_fields.SHARED_COLUMNS == (
        "first_name", "last_name", "email", "email_normalized", "phone_e164", "applicant_type",
        "source", "state", METHOD)
    form = ("first_name", "last_name", "email", "phone", "applicant_type", "source", "state",
            METHOD)
    assert tuple(f.key for f in FORM_FIELDS) == form
    assert tuple(PersonForm().as_dict()) == form
    clean = clean_person(PersonForm(first_name="Ana", email="ana@example.com"), "US")
    assert tuple(clean.as_dict()) == person_fields.SHARED_COLUMNS
    with pytest.raises(TypeError):  # by keyword only: a new field cannot shift the others
        PersonForm("Ana", "Silva")
    with pytest.raises(TypeError):
        CleanPerson(first_name="Ana")  # every column, always
    assert [c.header for c in export.EXPORT_COLUMNS["leads"]] == [
        "ID", "First name", "Last name", "Email", "Phone", "Applicant type", "Source", "Status",
        "State", "Received", "Preferred contact method", "Ignore reason", "Archived"]
    assert [c.header for c in export.EXPORT_COLUMNS["contacts"]] == [
        "ID", "First name", "Last name", "Email", "Phone", "Applicant type", "Source", "Stage",
        "State", "Preferred contact method", "Date of birth", "City", "Postal code", "Added",
        "Stage changed"]


def test_the_identity_fields_of_the_contact_window_are_the_forms(qtbot):
    from orchid_desktop.ui.contact_dialog import IDENTITY_FIELDS

    assert tuple(f.key for f in FORM_FIELDS) == IDENTITY_FIELDS


def test_the_lists_show_the_fields_marked_listed():
    # The lists are laid out by hand (each sort order has its own index, made by a
    # migration), so a field marked listed must be given its column there, and back.
    for kind, record in ((LEAD_LIST, LEADS), (CONTACT_LIST, CONTACTS)):
        shown = {c.key for c in kind.columns}
        if "name" in shown:
            shown |= {"first_name", "last_name"}
        persons = {k for k in shown if k in person_fields.BY_KEY}
        assert persons == {f.key for f in FIELDS if record in f.listed}, kind.name


def test_the_models_have_each_field_as_the_catalogue_describes_it():
    for field in FIELDS:
        for record in field.records:
            table = (Lead if record is LEADS else Contact).__table__
            for name in field.columns:
                column = table.c[name]
                if field.kind is Kind.CHOICE:
                    assert isinstance(column.type, Enum), name
                    assert column.type.enum_class is field.vocabulary, name
                    assert column.nullable == (not field.required), name
                elif field.max_length:
                    assert isinstance(column.type, String), name
                    assert column.type.length == field.max_length, name
                if field.kind is Kind.NAME:
                    assert not column.nullable, name


def test_the_catalogue_has_every_person_column_and_every_application_column():
    # every column of the shared mixin, and every application field kept in a column, is
    # a catalogue field (so imports, merge and export know of it)
    shared = set(Lead.__table__.c.keys()) & set(Contact.__table__.c.keys())
    bookkeeping = {"id", "version", "created_at", "updated_at", "search_text", "archived_at",
                   "import_batch_id", "created_by_id"}
    assert shared - bookkeeping == set(person_fields.SHARED_COLUMNS)
    columns = {f.key for f in application_fields.FIELDS if f.column}
    assert columns <= set(person_fields.BY_COLUMN)
    for key in columns:
        assert person_fields.BY_KEY[key].label == application_fields.BY_KEY[key].label
    # only the email and the phone are kept under other names than their key, and only
    # they say who is the same person (by their normalised columns: people.find_duplicates
    # and import_matching)
    assert {f.key for f in FIELDS if f.columns != (f.key,)} == {"email", "phone"}
    assert {f.key for f in FIELDS if f.matched} == {"email", "phone"}


# -- every field does what its flags say ------------------------------------------------
def _sample(field, *, suffix: str = ""):
    """A stored value of the field's kind (the last value of a choice)."""
    return {
        Kind.NAME: f"Zoë{suffix}", Kind.TEXT: f"Somewhere {suffix}",
        Kind.EMAIL: f"zoe{suffix}@example.com", Kind.PHONE: "+15125550142",
        Kind.STATE: "TX", Kind.NUMBER: Decimal("170.5"), Kind.DATE: date(1995, 4, 3),
        Kind.INSTANT: datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    }.get(field.kind) or list(field.vocabulary)[-1]


def _stored(field, suffix: str = "") -> dict:
    value = _sample(field, suffix=suffix)
    return dict.fromkeys(field.columns, value)


def _everything(record, suffix: str = "") -> dict:
    return {column: value for field in person_fields.stored_on(record)
            for column, value in _stored(field, suffix).items()}


def test_merge_fills_every_merged_field(context):
    with context.sessions.begin() as session:
        full = Contact(**_everything(CONTACTS, "2"), stage=PipelineStage.INTAKE)
        by_phone = Contact(first_name="", phone_e164="+15125550199",
                           applicant_type=full.applicant_type, source=LeadSource.WEBSITE)
        by_email = Contact(first_name="", email="only@example.com",
                           email_normalized="only@example.com",
                           applicant_type=full.applicant_type, source=LeadSource.WEBSITE)
        session.add_all([full, by_phone])
        session.flush()
        merge.merge_contacts(session, by_phone.id, full.id, staff_id=None)
        # the same again, for the phone the first kept contact had of its own
        second = Contact(**_everything(CONTACTS, "3"), stage=PipelineStage.INTAKE)
        session.add_all([second, by_email])
        session.flush()
        merge.merge_contacts(session, by_email.id, second.id, staff_id=None)
        session.flush()
        session.expire_all()
        for column in merge.FILLABLE:
            wanted = _everything(CONTACTS, "2")[column]
            if column == "phone_e164":
                assert session.get(Contact, by_email.id).phone_e164 == wanted
            else:
                assert getattr(session.get(Contact, by_phone.id), column) == wanted, column


def test_promotion_copies_every_field_both_records_have(context):
    with context.sessions.begin() as session:
        lead = Lead(**_everything(LEADS))
        session.add(lead)
        session.flush()
        contact_id = leads.promote(session, lead.id, staff_id=None).contact_id
    with context.sessions() as session:
        contact = session.get(Contact, contact_id)
        for column in person_fields.SHARED_COLUMNS:
            assert getattr(contact, column) == getattr(lead, column), column


def test_export_has_every_exported_field_with_its_value(context, tmp_path):
    with context.sessions.begin() as session:
        session.add_all([Lead(**_everything(LEADS)),
                         Contact(**_everything(CONTACTS), stage=PipelineStage.INTAKE)])
    for kind, record in ((LEAD_LIST, LEADS), (CONTACT_LIST, CONTACTS)):
        path = tmp_path / f"{kind.name}.csv"
        export.export_people(context.sessions, kind, PeopleFilter(), path)
        with open(path, encoding="utf-8-sig", newline="") as file:
            headers, row = list(csv.reader(file))
        cells = dict(zip(headers, row, strict=True))
        for field in person_fields.exported_from(record):
            assert cells[field.column_header], field.key
        assert cells["Preferred contact method"] == "WhatsApp"


def test_an_import_reads_every_imported_field(context, tmp_path):
    texts = {Kind.NAME: "Zoë", Kind.EMAIL: "zoe@example.com", Kind.PHONE: "(512) 555-0142",
             Kind.STATE: "Texas", Kind.TEXT: "Elm Street 1", Kind.NUMBER: "170,5",
             Kind.DATE: "1995-04-03", Kind.INSTANT: "2026-01-02T03:04:00+00:00"}
    for record in ImportTarget:
        fields = person_fields.imported_into(record)
        path = tmp_path / f"{record.value}.csv"
        with open(path, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow([f.synonyms[0] for f in fields])
            writer.writerow([texts.get(f.kind) or list(f.vocabulary)[-1].label for f in fields])
        report = _import(context, path, target=record)
        assert (report.created, report.notes, report.errors) == (1, [], [])
        model = Lead if record is LEADS else Contact
        with context.sessions() as session:
            stored = session.scalars(select(model).order_by(model.id.desc())).first()
            for field in fields:
                for column in field.columns:
                    assert getattr(stored, column) not in (None, ""), column


def test_the_form_has_an_editor_for_every_form_field_and_round_trips_them(qtbot):
    from orchid_desktop.ui.person_form import PersonFields

    fields = PersonFields()
    qtbot.addWidget(fields)
    layout = fields.layout()
    typed = {}
    for field in FORM_FIELDS:
        editor = fields.editors[field.key]
        assert layout.labelForField(editor).text() == field.label
        if field.kind is Kind.CHOICE:
            values = [editor.itemData(i) for i in range(editor.count())]
            assert values == ([] if field.required else [""]) + [v.value for v in
                                                                 field.vocabulary]
        typed[field.key] = {Kind.NAME: "Zoë", Kind.EMAIL: "zoe@example.com",
                            Kind.PHONE: "(512) 555-0142", Kind.STATE: "TX"}.get(
            field.kind) or list(field.vocabulary)[-1].value
    fields.set_form(PersonForm(**typed))
    assert fields.form() == PersonForm(**typed)


# -- the preferred contact method, everywhere -------------------------------------------
def test_leads_and_contacts_keep_a_preferred_contact_method(context):
    lead_id = add_lead(context, email="ana@example.com", preferred_contact_method="whatsapp")
    contact_id = add_contact(context, email="bea@example.com")
    with context.sessions.begin() as session:
        changes = leads.update_lead(session, lead_id, 1, person(
            email="ana@example.com", preferred_contact_method="text"), staff_id=None)
        detail = contacts.contact_detail(session, contact_id)
        assert detail.form.preferred_contact_method == ""
        contacts.save_contact(session, contact_id, detail.version, person(
            email="bea@example.com", preferred_contact_method="email"), detail.profile,
            staff_id=None)
    assert changes == {METHOD: ["whatsapp", "text"]}
    with context.sessions() as session:
        assert leads.lead_detail(session, lead_id).form.preferred_contact_method == "text"
        assert contacts.contact_detail(session, contact_id).form.preferred_contact_method \
            == "email"
        assert session.get(Contact, contact_id).preferred_contact_method is ContactMethod.EMAIL
        edited = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "contact", AuditEntry.action == "edited")).one()
        assert edited.changes == {METHOD: [None, "email"]}
    with pytest.raises(ValidationError) as caught:
        person(email="c@example.com", preferred_contact_method="pigeon")
    assert caught.value.problems == ["'pigeon' is not a valid ContactMethod"]


def _import(context, path, **options):
    source = open_table(path)
    opts = ImportOptions(source_label="test", **options)
    with context.sessions() as session:
        mapping = suggest_mapping(session, source.headers, opts.target).mapping
    return run_import(context.sessions, source, mapping, opts, staff_id=context.staff_id)


@pytest.mark.parametrize("header", ["Contact preference", "Preferred contact method",
                                    "Best way to reach you", "Best way to reach"])
def test_the_import_recognises_the_column(header):
    assert auto_mapping(["Email", header], ImportTarget.LEADS) == {0: "email", 1: METHOD}
    assert auto_mapping(["Email", header], ImportTarget.CONTACTS)[1] == METHOD
    assert METHOD in {f.key for f in fields_for(ImportTarget.LEADS)}


@pytest.mark.parametrize("target", list(ImportTarget))
def test_an_import_reads_messy_contact_preferences_and_notes_a_bad_one(context, tmp_path,
                                                                      target):
    cells = {"E-mail": "email", "Text message": "text", "SMS": "text", " whatsapp ": "whatsapp",
             "WhatsApp": "whatsapp", "Phone call": "phone", "Call": "phone", "": None,
             "carrier pigeon": None}
    path = tmp_path / "prefs.csv"
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Name", "Email", "Contact preference"])
        for n, cell in enumerate(cells):
            writer.writerow([f"Person {n}", f"p{n}@example.com", cell])
    report = _import(context, path, target=target)
    assert (report.created, report.rejected) == (len(cells), 0)
    assert [(p.row, p.reason) for p in report.notes] == [
        (10, "'carrier pigeon' is not a known preferred contact method; it was left out.")]
    model = Lead if target is LEADS else Contact
    with context.sessions() as session:
        stored = session.scalars(select(model.preferred_contact_method).order_by(model.id))
        assert [None if v is None else v.value for v in stored] == list(cells.values())


def test_an_import_fills_in_a_missing_preference(context, tmp_path):
    lead_id = add_lead(context, email="ana@example.com")
    path = tmp_path / "again.csv"
    path.write_text("Email,Best way to reach\nana@example.com,Text\n", encoding="utf-8")
    report = _import(context, path, on_duplicate=DuplicatePolicy.FILL)
    assert (report.created, report.updated) == (0, 1)
    with context.sessions() as session:
        assert session.get(Lead, lead_id).preferred_contact_method is ContactMethod.TEXT
    undone = import_history.undo_batch(context.sessions, report.batch_id, staff_id=None)
    assert undone.restored == 1
    with context.sessions() as session:
        assert session.get(Lead, lead_id).preferred_contact_method is None


def test_export_merge_and_promotion_carry_the_preference(context, tmp_path):
    lead_id = add_lead(context, email="ana@example.com", preferred_contact_method="whatsapp")
    with context.sessions.begin() as session:
        contact_id = leads.promote(session, lead_id, staff_id=None).contact_id
        assert session.get(Contact, contact_id).preferred_contact_method \
            is ContactMethod.WHATSAPP
    path = tmp_path / "contacts.csv"
    export.export_people(context.sessions, CONTACT_LIST, PeopleFilter(), path)
    with open(path, encoding="utf-8-sig", newline="") as file:
        headers, row = list(csv.reader(file))
    assert dict(zip(headers, row, strict=True))["Preferred contact method"] == "WhatsApp"

    keep = add_contact(context, email="keep@example.com")
    gone = add_contact(context, email="gone@example.com", preferred_contact_method="phone")
    with context.sessions.begin() as session:
        result = merge.merge_contacts(session, keep, gone, staff_id=None)
    assert METHOD in result.filled
    with context.sessions() as session:
        assert session.get(Contact, keep).preferred_contact_method is ContactMethod.PHONE


def test_the_lead_and_contact_windows_offer_and_save_the_preference(qtbot, context):
    from orchid_desktop.ui.contact_dialog import ContactDialog
    from orchid_desktop.ui.lead_dialog import LeadDialog

    dialog = LeadDialog(context)
    qtbot.addWidget(dialog)
    combo = dialog.fields.preferred_contact_method
    assert dialog.fields.layout().labelForField(combo).text() == "Preferred contact method"
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "—", "Email", "Phone call", "Text message", "WhatsApp"]
    assert combo.currentData() == ""  # unknown until someone says
    dialog.fields.first_name.setText("Luz")
    dialog.fields.email.setText("luz@example.com")
    combo.setCurrentIndex(combo.findData("whatsapp"))
    dialog.save()
    assert dialog.saved_id is not None
    with context.sessions() as session:
        assert session.get(Lead, dialog.saved_id).preferred_contact_method \
            is ContactMethod.WHATSAPP

    contact_id = add_contact(context, email="bea@example.com", preferred_contact_method="text")
    window = ContactDialog(context, contact_id)
    qtbot.addWidget(window)
    combo = window.person.preferred_contact_method
    assert combo.currentData() == "text" and window.edits() == {}
    combo.setCurrentIndex(combo.findData("email"))
    assert window.edits() == {METHOD: "email"}
    assert window.save()
    with context.sessions() as session:
        assert session.get(Contact, contact_id).preferred_contact_method is ContactMethod.EMAIL


# -- migration 0007 ----------------------------------------------------------------------
def _migrate(engine, step, revision: str) -> None:
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


CONTACT_COLUMNS = ("first_name, last_name, email, email_normalized, applicant_type, source, "
                   "stage, stage_changed_at, country, profile, search_text, version, "
                   "created_at, updated_at, preferred_contact_method")


LEAD_COLUMNS = ("first_name, last_name, email_normalized, applicant_type, source, status, "
                "received_at, raw_form_data, search_text, version, created_at, updated_at, "
                "preferred_contact_method")


def _migration_round_trip(engine) -> None:
    _migrate(engine, command.upgrade, "0006")
    sqlite = engine.dialect.name == "sqlite"
    schema = ("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'contacts' "
              "AND type <> 'table' ORDER BY name")
    with engine.begin() as connection:
        before = connection.exec_driver_sql(schema).all() if sqlite else None
        for n, stored in enumerate((" SMS ", "Email", "pigeon", "", None)):
            connection.exec_driver_sql(
                f"INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES ('P', '{n}', "
                f"'p{n}@example.com', 'p{n}@example.com', 'egg_donor', 'phone', 'pre_screen', "
                "CURRENT_TIMESTAMP, 'US', '{\"education\": \"bachelor\"}', '', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, %s)"
                % ("NULL" if stored is None else f"'{stored}'"))
    _migrate(engine, command.upgrade, "0007")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT {METHOD}, profile FROM contacts ORDER BY id").all()
        if sqlite:  # no table was rebuilt: indexes and search triggers are as they were
            assert connection.exec_driver_sql(schema).all() == before
    profiles = [p if isinstance(p, dict) else json.loads(p) for _, p in rows]
    assert [m for m, _ in rows] == ["text", "email", None, None, None]
    assert profiles[2] == {"education": "bachelor",
                           "preferred_contact_method_unrecognised": "pigeon"}
    assert all(p == {"education": "bachelor"} for i, p in enumerate(profiles) if i != 2)
    for table in ("leads", "contacts"):
        columns = {c["name"]: c for c in inspect(engine).get_columns(table)}
        assert columns[METHOD]["type"].length == 16 and columns[METHOD]["nullable"]
    for method, refused in (("whatsapp", False), ("sms", True)):  # the CHECK on leads
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    f"INSERT INTO leads ({LEAD_COLUMNS}) VALUES ('L', '{method}', "
                    f"'{method}@example.com', 'egg_donor', 'phone', 'new', CURRENT_TIMESTAMP, "
                    f"'{{}}', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{method}')")
        except IntegrityError:
            assert refused
        else:
            assert not refused
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE contacts SET {METHOD} = 'sms'")
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE contacts SET {METHOD} = 'whatsapp' "
                                   "WHERE last_name = '3'")

    _migrate(engine, command.downgrade, "0006")
    assert METHOD not in {c["name"] for c in inspect(engine).get_columns("leads")}
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT {METHOD}, profile FROM contacts ORDER BY id").all()
        if sqlite:
            assert connection.exec_driver_sql(schema).all() == before
    assert [m for m, _ in rows] == ["sms", "email", "pigeon", "whatsapp", None]
    assert all((p if isinstance(p, dict) else json.loads(p)) == {"education": "bachelor"}
               for _, p in rows)
    with engine.begin() as connection:  # free text again
        connection.exec_driver_sql(f"UPDATE contacts SET {METHOD} = 'carrier pigeon'")
    _migrate(engine, command.upgrade, "head")
    assert migrate.is_up_to_date(engine)


def test_migration_0007_up_and_down_on_sqlite(tmp_path):
    engine = create_app_engine(DatabaseTarget(parse_database_url(
        f"sqlite:///{tmp_path}/m.db")))
    _migration_round_trip(engine)
    engine.dispose()


@pytest.mark.postgres
def test_migration_0007_up_and_down_on_postgresql(pg_url):
    engine = create_engine(pg_url)
    _migration_round_trip(engine)
    engine.dispose()


def test_migration_0007_is_self_contained_and_names_todays_values():
    path = MIGRATIONS / "0007_preferred_contact_method.py"
    code = path.read_text(encoding="utf-8").split('"""', 2)[2]  # after the docstring
    assert "orchid_desktop" not in code
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(m.value for m in ContactMethod) == module.METHODS
    assert max(len(m.value) for m in ContactMethod) + 8 == module.LENGTH  # as enum_column
    assert set(module.SPELLINGS.values()) <= set(module.METHODS)
