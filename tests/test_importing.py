"""Importing spreadsheets through the service: exact counts, names byte-for-byte, the
duplicate choices, one transaction (dry run, cancel), undo, remembered mappings, and the
same on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import (
    AgencySettings,
    Contact,
    ImportBatch,
    ImportBatchChange,
    Lead,
)
from orchid_desktop.domain.vocab import (
    ApplicantType,
    DuplicatePolicy,
    ImportTarget,
    LeadSource,
    ScreeningOutcome,
)
from orchid_desktop.errors import UserError
from orchid_desktop.services import import_history, importing
from orchid_desktop.services.import_reader import open_table
from orchid_desktop.services.importing import ImportOptions, run_import, suggest_mapping
from orchid_desktop.services.listing import lead_listing
from orchid_desktop.services.people_query import PeopleFilter

HEADER = "Timestamp,Email Address,First Name,Last Name,Phone Number,State of residence,Notes\n"
ROWS = [
    "3/5/2026 10:22:33,jessica.smith@example.com,Jessica,Smith,(415) 555-0101,California,hi\n",
    "3/5/2026 11:00:00,ZOE.Muller@Example.org,Zoë,Müller,,NY,\n",
    "3/6/2026 09:15:00,,Siobhán,O'Brien,+1 212 555 0102,TX,call evenings\n",
    "3/6/2026 09:20:00,,,,,,no way to reach\n",  # rejected: no email or phone
    "3/6/2026 09:30:00,not-an-email,=HYPERLINK(\"x\"),@handle,415-555-0103,CA,\n",
    "3/7/2026 08:00:00,jessica.smith@example.com,Jess,Smith,,CA,again\n",  # dup of row 2
    "\n",  # blank: ignored
    "3/7/2026 08:05:00,amara@example.net,Amara,Okafor,p:+14155550104,ZZ,\n",
]


def write_csv(folder: Path, rows=ROWS, name="google-form.csv", header=HEADER) -> Path:
    path = folder / name
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def do_import(context, path, *, dry_run=False, **options):
    source = open_table(path)
    options.setdefault("source_label", "Google form")
    opts = ImportOptions(**options)
    with context.sessions() as session:
        mapping = suggest_mapping(session, source.headers, opts.target).mapping
    return run_import(context.sessions, source, mapping, opts, staff_id=context.staff_id,
                      dry_run=dry_run)


def leads(context) -> list[Lead]:
    with context.sessions() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id)))


def test_a_google_form_export_imports_with_exact_counts_and_names(context, tmp_path):
    report = do_import(context, write_csv(tmp_path))
    assert (report.created, report.updated, report.skipped, report.rejected) == (5, 0, 1, 1)
    assert report.duplicates == 1
    assert [(e.row, e.reason) for e in report.errors] == [(5, "No email address or phone number.")]
    stored = leads(context)
    assert [(p.first_name, p.last_name) for p in stored] == [
        ("Jessica", "Smith"), ("Zoë", "Müller"), ("Siobhán", "O'Brien"),
        ('=HYPERLINK("x")', "@handle"), ("Amara", "Okafor")]
    jessica, zoe, _siobhan, formula, amara = stored
    assert jessica.phone_e164 == "+14155550101" and jessica.state == "CA"
    assert zoe.email == "ZOE.Muller@Example.org"
    assert zoe.email_normalized == "zoe.muller@example.org"
    assert formula.email is None and formula.phone_e164 == "+14155550103"
    assert amara.phone_e164 == "+14155550104" and amara.state is None
    # unmapped columns kept as the form arrived; Google Forms' time is the agency's local
    assert jessica.raw_form_data["Notes"] == "hi"
    assert jessica.source == LeadSource.IMPORT and jessica.applicant_type == ApplicantType.EGG_DONOR
    with context.sessions() as session:
        zone = session.get(AgencySettings, 1).time_zone
    from zoneinfo import ZoneInfo
    assert jessica.received_at == datetime(2026, 3, 5, 10, 22, 33, tzinfo=ZoneInfo(zone))
    notes = {(n.row, n.reason) for n in report.notes}
    assert any(row == 6 and "not-an-email" in reason for row, reason in notes)
    assert (9, "'ZZ' is not a US state; it was left out.") in notes
    # one batch, listed in the history with its counts
    with context.sessions() as session:
        batch = session.get(ImportBatch, report.batch_id)
        assert (batch.created_count, batch.skipped_count, batch.rejected_count) == (5, 1, 1)
        assert batch.source_label == "Google form"
    # the imported people are found by the search, as if typed in
    listing = lead_listing(context.sessions)
    assert listing.count(PeopleFilter(search="müller")) == 1
    assert listing.count(PeopleFilter(search="555-0104")) == 1


def test_reimporting_the_same_file_creates_nothing(context, tmp_path):
    path = write_csv(tmp_path)
    do_import(context, path)
    again = do_import(context, path)
    assert (again.created, again.updated, again.skipped, again.rejected) == (0, 0, 6, 1)
    assert len(leads(context)) == 5


def test_dry_run_counts_what_the_import_does_and_writes_nothing(context, tmp_path):
    path = write_csv(tmp_path)
    dry = do_import(context, path, dry_run=True)
    assert leads(context) == []
    with context.sessions() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 0
    real = do_import(context, path)
    assert dry.to_json() | {"batch_id": None, "dry_run": None} == \
        real.to_json() | {"batch_id": None, "dry_run": None}


def test_cancel_writes_nothing(context, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    source = open_table(write_csv(tmp_path))
    calls = []

    def cancel_on_third_check() -> bool:
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(importing.ImportCancelled, match="nothing was written"):
        run_import(context.sessions, source, suggest_mapping_for(context, source), ImportOptions(),
                   staff_id=context.staff_id, should_cancel=cancel_on_third_check)
    assert leads(context) == []
    # the search trigger dropped for the bulk insert is back: a new lead is searchable
    do_import(context, write_csv(tmp_path, ROWS[:1], name="one.csv"))
    assert lead_listing(context.sessions).count(PeopleFilter(search="jessica")) == 1


def suggest_mapping_for(context, source, target=ImportTarget.LEADS):
    with context.sessions() as session:
        return suggest_mapping(session, source.headers, target).mapping


def test_chunks_see_the_rows_of_earlier_chunks(context, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    report = do_import(context, write_csv(tmp_path), on_duplicate=DuplicatePolicy.FILL)
    assert (report.created, report.skipped, report.rejected) == (5, 1, 1)
    jessica = leads(context)[0]
    assert jessica.first_name == "Jessica"  # filled, not overwritten
    assert jessica.raw_form_data["Notes"] == "hi"
    assert jessica.version == 1


def existing_people(context):
    rows = [
        "1/1/2026 09:00:00,jessica.smith@example.com,Jessica,,,,\n",  # no last name yet
        "1/1/2026 09:00:00,other.jessica@example.com,Jessica,Smith,(415) 555-0199,,\n",
        "1/1/2026 09:00:00,family@example.com,Pat,Lee,(415) 555-0104,,\n",  # Amara's phone
    ]
    return do_import(context, write_csv(context.paths.data_dir, rows, name="before.csv"))


@pytest.mark.parametrize("policy, created, updated, skipped", [
    (DuplicatePolicy.SKIP, 4, 0, 2),
    (DuplicatePolicy.FILL, 4, 1, 1),
    (DuplicatePolicy.OVERWRITE, 4, 2, 0),  # the file's second Jessica row overwrites again
    (DuplicatePolicy.CREATE, 6, 0, 0),
])
def test_duplicates_against_the_database(context, tmp_path, policy, created, updated, skipped):
    existing_people(context)
    report = do_import(context, write_csv(tmp_path), on_duplicate=policy)
    assert (report.created, report.updated, report.skipped, report.rejected) == (
        created, updated, skipped, 1)
    with context.sessions() as session:
        first = session.get(Lead, 1)
        # the same name with another email is another person (Jessica Smith #2); a
        # shared phone with another email is another person too (Amara and Pat)
        assert session.scalar(select(func.count()).where(Lead.first_name == "Amara")) == 1
        assert session.get(Lead, 2).version == 1
        if policy is DuplicatePolicy.FILL:
            assert (first.first_name, first.last_name, first.phone_e164) == (
                "Jessica", "Smith", "+14155550101")
            assert first.version == 2
        if policy is DuplicatePolicy.OVERWRITE:
            # the later row of the file wins: "Jess"
            assert (first.first_name, first.last_name) == ("Jess", "Smith")


def test_undo_removes_what_was_created_and_restores_what_was_updated(context, tmp_path):
    existing_people(context)
    report = do_import(context, write_csv(tmp_path), on_duplicate=DuplicatePolicy.OVERWRITE)
    with context.sessions.begin() as session:
        edited = session.scalar(select(Lead).where(Lead.first_name == "Amara"))
        edited.last_name = "Okafor-Mensah"  # edited after the import: kept by undo
    result = import_history.undo_batch(context.sessions, report.batch_id,
                                       staff_id=context.staff_id)
    assert (result.removed, result.restored, result.kept) == (3, 1, 1)
    names = [(p.first_name, p.last_name) for p in leads(context)]
    assert names == [("Jessica", ""), ("Jessica", "Smith"), ("Pat", "Lee"),
                     ("Amara", "Okafor-Mensah")]
    first = leads(context)[0]
    assert first.raw_form_data.get("Notes") is None and first.phone_e164 is None
    assert lead_listing(context.sessions).count(PeopleFilter(search="müller")) == 0
    with pytest.raises(UserError, match="already undone"):
        import_history.undo_batch(context.sessions, report.batch_id, staff_id=None)
    with context.sessions() as session:
        history = import_history.list_batches(session)
        assert [b.undone_at is not None for b in history] == [True, False]
        assert session.scalar(select(func.count(ImportBatchChange.id))) == 1


def test_mapping_is_remembered_for_files_with_the_same_columns(context, tmp_path):
    path = write_csv(tmp_path)
    source = open_table(path)
    mapping = suggest_mapping_for(context, source)
    mapping[6] = "skip"  # Notes not wanted
    run_import(context.sessions, source, mapping, ImportOptions(source_label="Spring fair"),
               staff_id=None)
    with context.sessions() as session:
        again = suggest_mapping(session, source.headers, ImportTarget.LEADS)
    assert again.mapping == mapping and again.remembered_from == "Spring fair"
    assert "Notes" not in leads(context)[0].raw_form_data


def test_contacts_import_screens_and_never_doubles_an_email(context, tmp_path):
    header = "First name,Last name,Email,Mobile,Date of birth,Height,Weight,Type\n"
    rows = ["Ana,Lopez,ana@example.com,4155550111,1999-04-02,\"165,5\",60,Egg donor\n",
            "Ana,Lopez,ANA@example.com,,04/02/1999,,,egg donor\n",
            "Bea,Kim,bea@example.com,,1985-01-01,170,95,Surrogate\n"]
    path = write_csv(tmp_path, rows, name="clinic.csv", header=header)
    report = do_import(context, path, target=ImportTarget.CONTACTS,
                       on_duplicate=DuplicatePolicy.CREATE)
    assert (report.created, report.rejected) == (2, 1)
    assert "never created twice" in report.errors[0].reason
    with context.sessions() as session:
        ana, bea = session.scalars(select(Contact).order_by(Contact.id))
        assert str(ana.height_cm) == "165.5" and ana.date_of_birth.isoformat() == "1999-04-02"
        assert bea.applicant_type == ApplicantType.GESTATIONAL_CARRIER
        assert ana.screening_outcome is not None and bea.screening_outcome is not None
        assert ana.screening_outcome != ScreeningOutcome.DQ
    undone = import_history.undo_batch(context.sessions, report.batch_id, staff_id=None)
    assert undone.removed == 2


def test_a_mapping_without_email_or_phone_is_refused_before_anything(context, tmp_path):
    path = write_csv(tmp_path, ["a,b\n"], header="First,Last\n")
    with pytest.raises(UserError, match="No column is mapped to Email or Phone"):
        do_import(context, path)
    with context.sessions() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 0


def test_rejected_rows_saved_as_csv_with_reasons(context, tmp_path):
    report = do_import(context, write_csv(tmp_path))
    out = tmp_path / "rejected.csv"
    assert importing.save_rejected_rows(report, out) == 1
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "Row,Reason,Timestamp,Email Address,First Name,Last Name,Phone Number," \
                      "State of residence,Notes"
    assert text[1] == "5,No email address or phone number.,3/6/2026 09:20:00,,,,,,no way to reach"


@pytest.mark.postgres
def test_import_reimport_and_undo_on_postgresql(pg_context, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)
    report = do_import(pg_context, write_csv(tmp_path), on_duplicate=DuplicatePolicy.FILL)
    assert (report.created, report.updated, report.skipped, report.rejected) == (5, 0, 1, 1)
    assert [p.first_name for p in leads(pg_context)] == [
        "Jessica", "Zoë", "Siobhán", '=HYPERLINK("x")', "Amara"]
    assert lead_listing(pg_context.sessions).count(PeopleFilter(search="müller")) == 1
    again = do_import(pg_context, write_csv(tmp_path))
    assert (again.created, again.skipped) == (0, 6)
    undone = import_history.undo_batch(pg_context.sessions, report.batch_id, staff_id=None)
    assert undone.removed == 5 and leads(pg_context) == []


def test_received_times_with_offsets_are_kept_exactly(context, tmp_path):
    header = "created_time,email\n"
    rows = ["2026-03-05T10:22:33+0000,a@example.com\n", "2026-03-05T10:22:33-0500,b@example.com\n"]
    do_import(context, write_csv(tmp_path, rows, name="fb.csv", header=header))
    a, b = leads(context)
    assert a.received_at == datetime(2026, 3, 5, 10, 22, 33, tzinfo=UTC)
    assert b.received_at == datetime(2026, 3, 5, 15, 22, 33, tzinfo=UTC)


def test_undoing_the_demo_batch_removes_its_leads_and_untouched_contacts(context):
    from orchid_desktop.services.demo import load_demo_data

    demo = load_demo_data(context.sessions, context.staff_id)
    result = import_history.undo_batch(context.sessions, demo.batch_id, staff_id=None)
    with context.sessions() as session:
        contacts_left = session.scalar(select(func.count(Contact.id)))
        assert session.scalar(select(func.count(Lead.id))) == 0
    # contacts with notes are kept (someone worked on them); the rest are gone
    assert result.removed == demo.leads + demo.contacts - contacts_left
    assert result.kept == contacts_left > 0


def import_text(context, tmp_path, name, body, **options):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return do_import(context, path, **options)


@pytest.mark.parametrize("target", [ImportTarget.LEADS, ImportTarget.CONTACTS])
def test_an_email_filled_in_is_matched_by_later_rows(context, tmp_path, target):
    import_text(context, tmp_path, "k.csv", "Phone,First Name\n415-555-0101,Kim\n",
                target=target)
    body = ("Email,Phone,First Name\nkim@example.com,415-555-0101,Kim\n"
            "kim@example.com,,Kim\n")
    dry = import_text(context, tmp_path, "k2.csv", body, target=target,
                      on_duplicate=DuplicatePolicy.FILL, dry_run=True)
    real = import_text(context, tmp_path, "k2.csv", body, target=target,
                       on_duplicate=DuplicatePolicy.FILL)
    assert (real.created, real.updated, real.skipped) == (0, 1, 1)
    assert dry.to_json() | {"batch_id": None, "dry_run": None} == \
        real.to_json() | {"batch_id": None, "dry_run": None}


@pytest.mark.parametrize("policy", list(DuplicatePolicy))
@pytest.mark.parametrize("target", [ImportTarget.LEADS, ImportTarget.CONTACTS])
def test_dry_run_equals_the_import_across_chunks(context, tmp_path, monkeypatch, policy,
                                                 target):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    import_text(context, tmp_path, "base.csv",
                "Email,Phone,First Name\nold@example.com,,Old\n,415-555-0150,Ph\n",
                target=target)
    body = ("Email,Phone,First Name,City\n"
            "a@example.com,415-555-0101,A,\nold@example.com,415-555-0150,Old2,X\n"
            "a@example.com,,A2,Y\n,415-555-0101,A3,Z\nb@example.com,415-555-0101,B,\n"
            ",415-555-0150,Ph2,Q\nold@example.com,,Old3,W\n"
            "new@example.com,415-555-0160,N,\nnew2@example.com,415-555-0160,N2,\n"
            ",415-555-0160,N3,\n")
    dry = import_text(context, tmp_path, "x.csv", body, target=target, on_duplicate=policy,
                      dry_run=True).to_json()
    real = import_text(context, tmp_path, "x.csv", body, target=target,
                       on_duplicate=policy).to_json()
    assert dry | {"batch_id": None, "dry_run": None} == real | {"batch_id": None,
                                                               "dry_run": None}
