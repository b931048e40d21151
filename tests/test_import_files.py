"""The corpus of real-looking exports imported end to end: the mapping guessed from the
headers, exact counts, and every name back byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from orchid_desktop.cli import main
from orchid_desktop.db.models import Contact, ImportBatch, Lead
from orchid_desktop.domain.import_values import split_full_name
from orchid_desktop.domain.vocab import ImportTarget, LeadSource
from orchid_desktop.services.import_reader import open_table
from orchid_desktop.services.importing import ImportOptions, run_import, suggest_mapping
from tests import import_corpus as corpus


def imported(context, path, target=ImportTarget.LEADS):
    source = open_table(path)
    with context.sessions() as session:
        mapping = suggest_mapping(session, source.headers, target).mapping
    report = run_import(context.sessions, source, mapping, ImportOptions(target=target),
                        staff_id=context.staff_id)
    model = Lead if target is ImportTarget.LEADS else Contact
    with context.sessions() as session:
        people = list(session.scalars(select(model).order_by(model.id)))
    return report, people


def names(people):
    return [(p.first_name, p.last_name) for p in people]


def test_facebook_lead_ads_download(context, tmp_path):
    report, people = imported(context, corpus.facebook_lead_export(tmp_path))
    assert (report.created, report.rejected) == (6, 0)
    assert names(people) == [split_full_name(f"{first} {last}")
                             for first, last, _, _ in corpus.PEOPLE]
    assert {p.source for p in people} == {LeadSource.FACEBOOK_INSTAGRAM}
    assert {p.state for p in people} == {"CA"}
    assert people[0].received_at == datetime(2026, 3, 1, 18, 15, 32, tzinfo=UTC)
    assert people[0].phone_e164 == "+14155550123" and people[3].phone_e164 is None
    assert people[0].raw_form_data["ad_name"] == "Egg donors — spring"


@pytest.mark.parametrize("build", [corpus.google_forms_csv, corpus.hubspot_csv,
                                   corpus.mailchimp_csv])
def test_crm_and_form_exports_keep_names_byte_for_byte(context, tmp_path, build):
    report, people = imported(context, build(tmp_path))
    assert (report.created, report.updated, report.skipped, report.rejected) == (6, 0, 0, 0)
    assert names(people) == [(first, last) for first, last, _, _ in corpus.PEOPLE]
    assert [p.email for p in people] == [e for _, _, e, _ in corpus.PEOPLE]


def test_hubspot_note_spanning_lines_is_kept_whole(context, tmp_path):
    _, people = imported(context, corpus.hubspot_csv(tmp_path))
    assert people[1].raw_form_data["Notes"] == 'Called twice,\nsaid "call after 5"'


def test_european_excel_csv_as_contacts(context, tmp_path):
    report, people = imported(context, corpus.semicolon_european_csv(tmp_path),
                              ImportTarget.CONTACTS)
    assert (report.created, report.rejected) == (3, 0)
    assert names(people) == [(row[0], row[1]) for row in corpus.EUROPEAN_ROWS]
    jurgen = people[0]
    assert jurgen.date_of_birth.isoformat() == "1998-02-14"
    assert (jurgen.height_cm, jurgen.weight_kg) == (Decimal("168.0"), Decimal("58.5"))
    assert jurgen.phone_e164 == "+49301234567"
    assert jurgen.profile["imported_columns"]["Notiz"] == "Zahlt 50 €"


def test_clinic_workbook_with_a_title_block(context, tmp_path):
    report, people = imported(context, corpus.clinic_xlsx_with_title(tmp_path),
                              ImportTarget.CONTACTS)
    assert (report.created, report.rejected) == (3, 0)
    assert names(people) == [(row[0], row[1]) for row in corpus.CLINIC_EXPECTED.values()]
    zoe = people[0]
    assert zoe.postal_code == "02134" and zoe.phone_e164 == "+14155550123"
    assert zoe.profile["imported_columns"]["Notes"] == '=HYPERLINK("https://example.com")'


def test_ods_and_pipe_delimited_files(context, tmp_path):
    report, people = imported(context, corpus.clinic_ods_with_title(tmp_path))
    assert (report.created, report.rejected) == (2, 0)
    assert names(people) == [("Zoë", "Müller"), ("José", "García López")]
    # the same Zoë and José again (same emails): skipped, the other four created
    report, people = imported(context, corpus.pipe_delimited_txt(tmp_path))
    assert (report.created, report.skipped) == (4, 2)
    assert names(people)[2:] == [split_full_name(f"{first} {last}")
                                 for first, last, _, _ in corpus.PEOPLE[1:5]]


def test_messy_hand_kept_list(context, tmp_path):
    report, people = imported(context, corpus.messy_csv(tmp_path))
    # rows 2, 3, 10, 11 new; 5 repeats 2; 8 has neither a usable email nor a phone,
    # 9 has nothing to reach; blank rows 4, 6, 7 are not rows at all
    assert (report.created, report.skipped, report.rejected) == (4, 1, 2)
    assert [e.row for e in report.errors] == [8, 9]
    assert "'not-an-email' is not a valid email address" in report.errors[0].reason
    assert names(people) == [("Zoë", "O'Brien"), ('=HYPERLINK("http://x")', "-"),
                             ("Long", "Row"), ("Padded", "Name")]
    formula = people[1]
    assert formula.email is None and formula.phone_e164 == "+14155550100"
    assert formula.raw_form_data["Notes"] == "=1+1"
    assert people[0].raw_form_data["Email (2)"] == "zoe2@example.com"


def test_many_rows_in_several_chunks_then_reimported(context, tmp_path, monkeypatch):
    from orchid_desktop.services import importing

    monkeypatch.setattr(importing, "CHUNK_ROWS", 1_000)
    path = corpus.many_rows_csv(tmp_path, 3_500)
    report, people = imported(context, path)
    assert report.created == 3_500 and len(people) == 3_500
    assert people[-1].email == "lead3499@example.com" and people[-1].first_name == "Zoë3499"
    again, _ = imported(context, path)
    assert (again.created, again.skipped) == (0, 3_500)


# -- the command line -------------------------------------------------------------------
def test_cli_import_prints_json_and_reimport_creates_nothing(tmp_path, capsys):
    path = corpus.messy_csv(tmp_path)
    assert main(["import", str(path), "--json", "--source", "Spring fair"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert {k: first[k] for k in ("created", "updated", "skipped", "rejected")} == {
        "created": 4, "updated": 0, "skipped": 1, "rejected": 2}
    assert first["errors"][1] == {"row": 9, "reason": "No email address or phone number."}
    assert main(["import", str(path), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["skipped"], again["rejected"]) == (0, 5, 2)


def test_cli_dry_run_and_plain_summary(tmp_path, capsys, context):
    path = corpus.google_forms_csv(tmp_path)
    assert main(["import", str(path), "--dry-run", "--on-duplicate", "fill"]) == 0
    out = capsys.readouterr().out
    assert "would create 6" in out
    with context.sessions() as session:
        assert session.scalar(select(Lead.id)) is None
        assert session.scalar(select(ImportBatch.id)) is None


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"First Name,Email\n", "has a header row but no rows to import"),
    (b"First,Last\nJane,Doe\n", "No column is mapped to Email or Phone"),
    (bytes(range(256)) * 4, "could not be read"),
])
def test_cli_refuses_unusable_files_in_one_line_and_writes_nothing(
        tmp_path, capsys, content, message):
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)
    assert all("import" not in line.lower() for line in err[:-1])  # nothing else said
    assert main(["db", "current"]) == 0  # the database has no import batch
    from orchid_desktop.app import open_context

    context = open_context()
    with context.sessions() as session:
        assert session.scalar(select(ImportBatch.id)) is None
    context.close()


def test_cli_refuses_a_missing_file(tmp_path, capsys):
    assert main(["import", str(tmp_path / "nope.xlsx")]) == 2
    assert "nope.xlsx" in capsys.readouterr().err
