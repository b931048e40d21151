"""Exporting leads and contacts: exact cells in CSV and XLSX, formula escaping, the list's
filter, a failed export leaving nothing behind, and the command line."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from orchid_desktop.cli import main
from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.domain.spreadsheet_safety import escape_cell
from orchid_desktop.domain.vocab import (
    ApplicantType,
    ContactMethod,
    LeadSource,
    LeadStatus,
    PipelineStage,
)
from orchid_desktop.errors import UserError
from orchid_desktop.services import export
from orchid_desktop.services.export import export_people
from orchid_desktop.services.people_query import CONTACTS, LEADS, PeopleFilter

LEAD_HEADERS = ["ID", "First name", "Last name", "Email", "Phone", "Applicant type", "Source",
                "Status", "State", "Received", "Preferred contact method", "Ignore reason",
                "Archived"]
CONTACT_HEADERS = ["ID", "First name", "Last name", "Email", "Phone", "Applicant type",
                   "Source", "Stage", "State", "Preferred contact method", "Date of birth",
                   "City", "Postal code", "Added", "Stage changed"]


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 5, day, hour, 30, tzinfo=UTC)


def _local(moment: datetime) -> str:
    return moment.astimezone().isoformat(timespec="seconds")


def _lead(first: str, last: str, email: str | None, phone: str | None, **fields) -> Lead:
    defaults = {"applicant_type": ApplicantType.EGG_DONOR, "source": LeadSource.WEBSITE}
    return Lead(first_name=first, last_name=last, email=email,
                email_normalized=email.lower() if email else None, phone_e164=phone,
                **{**defaults, **fields})


def _add(context, *people) -> list[int]:
    with context.sessions.begin() as session:
        session.add_all(people)
        session.flush()
        return [p.id for p in people]


@pytest.fixture
def leads(context) -> list[int]:
    """Newest first: Zoë, the formula-looking one, the tab one; and one archived."""
    return _add(
        context,
        _lead("Zoë", "Núñez-Åberg", "Zoe@Example.com", "+14155550123",
              source=LeadSource.FACEBOOK_INSTAGRAM, state="CA", received_at=_at(3)),
        _lead('=HYPERLINK("x")', "+1234", "formula@example.com", None,
              applicant_type=ApplicantType.GESTATIONAL_CARRIER, source=LeadSource.OTHER_AGENCY,
              status=LeadStatus.IGNORED, ignore_reason="-5", received_at=_at(2)),
        _lead("@SUM(A1)", "\tTab", None, "+442071838750", applicant_type=ApplicantType.OTHER,
              status=LeadStatus.IN_REVIEW, state="NY", received_at=_at(1)),
        _lead("Old", "Archived", "old@example.com", None, received_at=_at(1, 8),
              archived_at=_at(4)),
    )


def _expected_leads(ids: list[int]) -> list[list[str]]:
    zoe, formula, tab, _archived = ids
    return [
        LEAD_HEADERS,
        [str(zoe), "Zoë", "Núñez-Åberg", "Zoe@Example.com", "'+14155550123", "Egg donor",
         "Facebook / Instagram", "New", "CA", _local(_at(3)), "", "", ""],
        [str(formula), "'=HYPERLINK(\"x\")", "'+1234", "formula@example.com", "",
         "Gestational carrier", "Another agency", "Ignored", "", _local(_at(2)), "", "'-5",
         ""],
        [str(tab), "'@SUM(A1)", "'\tTab", "", "'+442071838750", "Other", "Website",
         "In review", "NY", _local(_at(1)), "", "", ""],
    ]


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def _as_in_xlsx(value):
    """An XLSX keeps the text itself, marked quote-prefixed, not a visible apostrophe."""
    if isinstance(value, str) and value.startswith("'") and \
            value[1:].startswith(("=", "+", "-", "@", "\t", "\r", "\n")):
        return value[1:]
    return value


def _read_xlsx(path: Path) -> list[list]:
    sheet = openpyxl.load_workbook(path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("value, escaped", [
    ("=1+1", "'=1+1"), ("+14155550123", "'+14155550123"), ("-5", "'-5"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tTab", "'\tTab"), ("\rx", "'\rx"), ("\nx", "'\nx"),
    ("Zoë", "Zoë"), ("a=b", "a=b"), ("", ""), ("'quoted", "'quoted"),
])
def test_escape_cell(value, escaped):
    assert escape_cell(value) == escaped


@pytest.fixture
def out(tmp_path) -> Path:
    """A folder for the exports alone (ORCHID_HOME is in tmp_path too)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_csv_export_of_leads_is_exact_escaped_and_newest_first(context, leads, out):
    path = out / "leads.csv"
    assert export_people(context.sessions, LEADS, PeopleFilter(), path) == 3
    assert path.read_bytes().startswith(b"\xef\xbb\xbfID,First name,")
    assert _read_csv(path) == _expected_leads(leads)
    assert [p.name for p in out.iterdir()] == ["leads.csv"]  # no temporary file left


def test_xlsx_export_of_leads_is_exact_and_never_a_formula(context, leads, tmp_path):
    path = tmp_path / "leads.xlsx"
    assert export_people(context.sessions, LEADS, PeopleFilter(), path) == 3
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Leads"
    assert all(cell.font.b for cell in sheet[1])
    expected = [[int(v) if i == 0 and r else (_as_in_xlsx(v) or None)
                 for i, v in enumerate(row)] for r, row in enumerate(_expected_leads(leads))]
    assert _read_xlsx(path) == expected
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "n"
        assert all(cell.data_type == "s" for cell in row[1:] if cell.value is not None)
        for cell in row[1:]:
            runnable = isinstance(cell.value, str) and cell.value.startswith(
                ("=", "+", "-", "@", "\t"))
            assert cell.quotePrefix == runnable  # kept as text, even when edited
    assert sheet["B3"].value == "=HYPERLINK(\"x\")" and sheet["B3"].data_type == "s"


def test_export_follows_the_filter_and_the_sort(context, leads, tmp_path):
    zoe, formula, tab, archived = leads
    path = tmp_path / "some.csv"

    assert export_people(context.sessions, LEADS, PeopleFilter(search="nunez"), path) == 1
    assert [row[0] for row in _read_csv(path)[1:]] == [str(zoe)]

    statuses = PeopleFilter(statuses=("ignored", "in_review"))
    assert export_people(context.sessions, LEADS, statuses, path) == 2
    assert [row[0] for row in _read_csv(path)[1:]] == [str(formula), str(tab)]

    # oldest first when asked (the date column is the default sort)
    assert export_people(context.sessions, LEADS, statuses, path, descending=False) == 2
    assert [row[0] for row in _read_csv(path)[1:]] == [str(tab), str(formula)]

    types = PeopleFilter(applicant_types=("gestational_carrier", "other"))
    assert export_people(context.sessions, LEADS, types, path) == 2
    assert [row[0] for row in _read_csv(path)[1:]] == [str(formula), str(tab)]

    assert export_people(context.sessions, LEADS, PeopleFilter(archived=True), path) == 1
    assert _read_csv(path)[1] == [str(archived), "Old", "Archived", "old@example.com", "",
                                  "Egg donor", "Website", "New", "", _local(_at(1, 8)), "",
                                  "", _local(_at(4))]

    assert export_people(context.sessions, LEADS, PeopleFilter(search="nobody"), path) == 0
    assert _read_csv(path) == [LEAD_HEADERS]


def test_contacts_export_has_the_contact_columns(context, tmp_path):
    [contact_id] = _add(context, Contact(
        first_name="Amélie", last_name="-Dash", email="amelie@example.com",
        email_normalized="amelie@example.com", phone_e164="+13125550199",
        applicant_type=ApplicantType.GESTATIONAL_CARRIER, source=LeadSource.REFERRAL,
        stage=PipelineStage.INTAKE, state="IL", date_of_birth=date(1994, 2, 28),
        city="Springfield", postal_code="62704", created_at=_at(5), stage_changed_at=_at(6),
        preferred_contact_method=ContactMethod.TEXT))
    for name in ("contacts.csv", "contacts.xlsx"):
        path = tmp_path / name
        assert export_people(context.sessions, CONTACTS, PeopleFilter(), path) == 1
        row = [str(contact_id), "Amélie", "'-Dash", "amelie@example.com", "'+13125550199",
               "Gestational carrier", "Referral", "Intake / review", "IL", "Text message",
               "1994-02-28",
               "Springfield",
               "62704", _local(_at(5)), _local(_at(6))]
        if name.endswith(".csv"):
            assert _read_csv(path) == [CONTACT_HEADERS, row]
        else:
            assert _read_xlsx(path) == [CONTACT_HEADERS,
                                        [contact_id, *map(_as_in_xlsx, row[1:])]]


def test_rows_stream_in_chunks_with_progress(context, monkeypatch, tmp_path):
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    _add(context, *(_lead(f"P{i}", "Chunk", f"p{i}@example.com", None, received_at=_at(i + 1))
                    for i in range(5)))
    seen: list[int] = []
    path = tmp_path / "chunks.xlsx"
    written = export_people(context.sessions, LEADS, PeopleFilter(), path, progress=seen.append)
    assert written == 5
    assert seen == [2, 4, 5]
    assert [row[1] for row in _read_xlsx(path)[1:]] == ["P4", "P3", "P2", "P1", "P0"]


def test_a_failed_export_leaves_the_old_file_and_no_part_file(context, leads, out):
    path = out / "leads.csv"
    path.write_text("the previous export")

    def fail(done: int) -> None:
        raise RuntimeError("disk pulled out")

    with pytest.raises(RuntimeError):
        export_people(context.sessions, LEADS, PeopleFilter(), path, progress=fail)
    assert path.read_text() == "the previous export"
    assert [p.name for p in out.iterdir()] == ["leads.csv"]


def test_unsupported_file_or_missing_folder_is_a_plain_error(context, out):
    with pytest.raises(UserError, match=r"\.csv .*\.xlsx"):
        export_people(context.sessions, LEADS, PeopleFilter(), out / "leads.ods")
    with pytest.raises(UserError, match="does not exist"):
        export_people(context.sessions, LEADS, PeopleFilter(), out / "no" / "leads.csv")
    assert list(out.iterdir()) == []


def test_command_line_exports_with_a_filter(context, leads, tmp_path, capsys):
    path = tmp_path / "ignored.csv"
    assert main(["export", "leads", str(path), "--status", "ignored",
                 "--type", "gestational_carrier"]) == 0
    assert capsys.readouterr().out == f"Exported 1 leads to {path}\n"
    assert _read_csv(path) == [_expected_leads(leads)[0], _expected_leads(leads)[2]]

    path = tmp_path / "found.xlsx"
    assert main(["export", "leads", str(path), "--search", "zoe"]) == 0
    assert capsys.readouterr().out == f"Exported 1 leads to {path}\n"
    assert _read_xlsx(path)[1][1:3] == ["Zoë", "Núñez-Åberg"]

    path = tmp_path / "archived.csv"
    assert main(["export", "leads", str(path), "--archived"]) == 0
    assert [row[0] for row in _read_csv(path)[1:]] == [str(leads[3])]


@pytest.mark.parametrize("argv, message", [
    (["export", "leads", "x.csv", "--status", "intake"], "Unknown status intake for leads"),
    (["export", "contacts", "x.csv", "--status", "new"], "Unknown stage new for contacts"),
    (["export", "leads", "leads.txt"], "ending in .csv"),
])
def test_command_line_mistakes_are_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.postgres
def test_filtered_csv_export_from_postgresql(pg_url, tmp_path, capsys):
    from orchid_desktop.app import open_context

    assert main(["--database", pg_url, "db", "upgrade"]) == 0
    context = open_context(pg_url)
    try:
        ids = _add(context,
                   _lead("Zoë", "Núñez", "zoe@example.com", "+14155550123",
                         received_at=_at(3)),
                   _lead("Zoé", "=Other", "zoe2@example.com", None, received_at=_at(2),
                         status=LeadStatus.IN_REVIEW),
                   _lead("Ann", "Smith", "ann@example.com", None, received_at=_at(1)))
        path = tmp_path / "pg.csv"
        assert export_people(context.sessions, LEADS, PeopleFilter(search="zoe"), path) == 2
        rows = _read_csv(path)
        assert [row[:5] for row in rows[1:]] == [
            [str(ids[0]), "Zoë", "Núñez", "zoe@example.com", "'+14155550123"],
            [str(ids[1]), "Zoé", "'=Other", "zoe2@example.com", ""],
        ]
        assert rows[2][9] == _local(_at(2))
    finally:
        context.close()
    path = tmp_path / "pg-cli.csv"
    assert main(["--database", pg_url, "export", "leads", str(path), "--search", "zoe",
                 "--status", "in_review"]) == 0
    assert capsys.readouterr().out.endswith(f"Exported 1 leads to {path}\n")
    assert [row[:3] for row in _read_csv(path)[1:]] == [[str(ids[1]), "Zoé", "'=Other"]]
