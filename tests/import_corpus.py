"""Realistic import files, written on demand into a test's folder.

Each builder writes one file the way the program that produces it does (encoding, byte
order mark, delimiter, quoting, line endings, title blocks) and returns its path. The
people in them carry accents, apostrophes, CJK, emoji and a decomposed "Zoë", so a test
can check that names come back byte for byte; the module-level lists say what each file
holds, so tests compare against them rather than against copies.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd

# first, last, email, phone
PEOPLE = [
    ("Zoë", "Müller", "zoe.muller@example.com", "+14155550123"),
    ("Siobhán", "O'Brien", "siobhan.obrien@example.ie", "+353 86 555 0199"),
    ("美咲", "佐藤", "misaki.sato@example.jp", "+81 90-5555-0123"),
    ("Amélie 🌸", "Nguyễn", "amelie.nguyen@example.com", "(415) 555-0177"),
    ("Zoe\u0308", "D'Angelo-Smith", "zoe.nfd@example.com", "4155550100"),  # NFD "Zoë"
    ("José", "García López", "jose.garcia@example.es", "+34 612 555 012"),
]

FACEBOOK_HEADERS = ["id", "created_time", "ad_id", "ad_name", "adset_name", "form_id",
                    "form_name", "is_organic", "platform", "full_name", "email",
                    "phone_number", "state_of_residence", "are_you_between_21_and_34?"]
GOOGLE_FORMS_HEADERS = ["Timestamp", "Email Address", "First Name", "Last Name",
                        "Phone Number", "State of residence"]
HUBSPOT_HEADERS = ["Record ID", "First Name", "Last Name", "Email", "Phone Number",
                   "Mobile Phone Number", "Create Date", "Lifecycle Stage", "Notes"]
MAILCHIMP_HEADERS = ["Email Address", "First Name", "Last Name", "Address", "Phone Number",
                     "MEMBER_RATING", "OPTIN_TIME", "LEID", "TAGS"]
EUROPEAN_HEADERS = ["Vorname", "Nachname", "E-Mail", "Telefon", "Geburtsdatum", "Größe",
                    "Gewicht", "Notiz"]
EUROPEAN_ROWS = [
    ["Jürgen", "Müller", "juergen.mueller@example.de", "+49 30 1234567", "14.02.1998",
     "1,68", "58,5", "Zahlt 50 €"],
    ["Zoë", "Françoise", "zoe.f@example.fr", "0049 170 5555555", "01.12.2001", "1,72",
     "61,0", "„Rückruf“ bitte"],
    ["Ævar", "Øster", "aevar@example.dk", "+45 20 55 55 55", "30.06.1995", "1,80", "70,2",
     ""],
]
CLINIC_TITLE = "Clinic referral list — March 2026"
CLINIC_HEADERS = ["Patient first name", "Patient last name", "Email", "Phone", "ZIP",
                  "Date of birth", "Referred on", "Consented", "BMI", "Notes"]
# What each clinic data row reads back as, and its spreadsheet row (title, blank, header).
CLINIC_EXPECTED = {
    4: ["Zoë", "Müller", "zoe.muller@example.com", "4155550123", "02134", "1999-04-17",
        "2026-03-02 14:30:00", "TRUE", "22.5", '=HYPERLINK("https://example.com")'],
    5: ["Siobhán", "O'Brien", "siobhan.obrien@example.ie", "3538655501", "02139",
        "2001-11-03", "2026-03-03", "FALSE", "21", "@siobhan"],
    # row 6 is blank
    7: ["美咲 🌸", "佐藤", "misaki.sato@example.jp", "+1 415 555 0100", "", "", "", "", "", "-"],
}
MESSY_HEADERS = ["First Name", "Last Name", "Email", "Phone", "Column 5", "Email (2)",
                 "Notes"]


def facebook_lead_export(folder: Path) -> Path:
    """A lead-ad form download: UTF-16 LE with a BOM, tab-separated, nothing quoted,
    prefixed ids ("l:", "ag:", "f:") and phones ("p:+1…")."""
    lines = ["\t".join(FACEBOOK_HEADERS)]
    for index, (first, last, email, phone) in enumerate(PEOPLE):
        digits = "".join(c for c in phone if c.isdigit())
        lines.append("\t".join([
            f"l:{1200000000000000 + index}", f"2026-03-0{index + 1}T10:15:32-08:00",
            "ag:120200000000000001", "Egg donors — spring", "US 21-34",
            "f:987654321", "Donor pre-screen", "false", "ig" if index % 2 else "fb",
            f"{first} {last}", email, f"p:+{digits}" if index != 3 else "",
            "California", "yes, I am" if index % 3 else "yes"]))
    path = folder / "facebook_leads.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + ("\n".join(lines) + "\n").encode("utf-16-le"))
    return path


def google_forms_csv(folder: Path) -> Path:
    """A Google Forms response sheet downloaded as CSV: UTF-8 with a BOM, all quoted."""
    rows = [GOOGLE_FORMS_HEADERS] + [
        [f"3/{i + 1}/2026 9:0{i}:15", email, first, last, phone, "Massachusetts"]
        for i, (first, last, email, phone) in enumerate(PEOPLE)]
    path = folder / "Donor interest form (Responses) - Form Responses 1.csv"
    path.write_bytes(codecs.BOM_UTF8 + _csv_text(rows, quoting=csv.QUOTE_ALL).encode())
    return path


def hubspot_csv(folder: Path) -> Path:
    """A HubSpot contacts export: UTF-8, comma, quoted where needed, CRLF, and a note that
    spans lines (one spreadsheet row, several lines of the file)."""
    rows = [HUBSPOT_HEADERS]
    for i, (first, last, email, phone) in enumerate(PEOPLE):
        note = 'Called twice,\nsaid "call after 5"' if i == 1 else ""
        rows.append([str(51000 + i), first, last, email, phone, "",
                     f"2026-02-{10 + i} 08:00", "lead", note])
    path = folder / "hubspot-crm-exports-all-contacts-2026-03-05.csv"
    path.write_bytes(_csv_text(rows).encode())
    return path


def mailchimp_csv(folder: Path) -> Path:
    """A Mailchimp audience export: UTF-8 without BOM, LF, a quoted address with a
    ZIP code that must keep its leading zero, and quoted tags."""
    rows = [MAILCHIMP_HEADERS] + [
        [email, first, last, "12 Beacon St  Boston MA 02134 US", phone, "2",
         "2026-01-05 16:20:11", str(300000 + i), '"Egg donor","Boston"']
        for i, (first, last, email, phone) in enumerate(PEOPLE)]
    path = folder / "subscribed_members_export_1a2b3c.csv"
    path.write_bytes(_csv_text(rows, lineterminator="\n").encode())
    return path


def semicolon_european_csv(folder: Path) -> Path:
    """What German Excel saves as "CSV": cp1252, semicolons, decimal commas, CRLF."""
    text = "\r\n".join(";".join(row) for row in [EUROPEAN_HEADERS, *EUROPEAN_ROWS]) + "\r\n"
    path = folder / "Spenderinnen.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def clinic_csv_with_title(folder: Path) -> Path:
    """A clinic sheet saved as CSV by Excel: the title and the blank line under it are
    padded with commas to the width of the table; phones as text."""
    width = len(CLINIC_HEADERS)
    rows = [[CLINIC_TITLE] + [""] * (width - 1), [""] * width, CLINIC_HEADERS,
            CLINIC_EXPECTED[4], CLINIC_EXPECTED[5], [""] * width, CLINIC_EXPECTED[7]]
    path = folder / "clinic referrals.csv"
    path.write_bytes(_csv_text(rows).encode())
    return path


def clinic_xlsx_with_title(folder: Path) -> Path:
    """A hand-kept workbook: a title row, a blank row, the header; phones stored as
    numbers, a ZIP stored as text, real dates and times, a boolean, formula-like text,
    a blank row between the data and a whitespace-only row at the end."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Referrals"
    sheet["A1"] = CLINIC_TITLE
    sheet.append([])
    sheet.append(CLINIC_HEADERS)
    sheet.append(["Zoë", "Müller", "zoe.muller@example.com", 4155550123, "02134",
                  date(1999, 4, 17), datetime(2026, 3, 2, 14, 30), True, 22.5, None])
    notes = sheet["J4"]  # text that looks like a formula, as a CRM export leaves it
    notes.value, notes.data_type = '=HYPERLINK("https://example.com")', "s"
    sheet.append(["Siobhán", "O'Brien", "siobhan.obrien@example.ie", 3538655501.0, "02139",
                  date(2001, 11, 3), datetime(2026, 3, 3), False, 21.0, "@siobhan"])
    sheet.append([])
    sheet.append(["美咲 🌸", "佐藤", "misaki.sato@example.jp", "+1 415 555 0100", None,
                  None, None, None, None, "-"])
    sheet.append(["  ", None, " "])
    path = folder / "Clinic referrals.xlsx"
    workbook.save(path)
    return path


def clinic_ods_with_title(folder: Path) -> Path:
    """The clinic list as LibreOffice saves it (needs odfpy, pandas' ODS writer)."""
    width = len(CLINIC_HEADERS)
    rows = [[CLINIC_TITLE] + [None] * (width - 1), [None] * width, CLINIC_HEADERS,
            ["Zoë", "Müller", "zoe.muller@example.com", 4155550123, "02134",
             date(1999, 4, 17), None, True, 22.5, "@zoe"],
            [None] * width,
            ["José", "García López", "jose.garcia@example.es", "+34 612 555 012", None,
             None, None, None, 0.1, None]]
    path = folder / "clinic referrals.ods"
    pd.DataFrame(rows).to_excel(path, engine="odf", header=False, index=False)
    return path


def messy_csv(folder: Path) -> Path:
    """A hand-kept list: a blank and a repeated header, formula-like cells, blank and
    whitespace-only rows, a duplicate row, rows without a usable email or phone, short
    and long rows, padded values, and no newline at the end."""
    lines = [
        "First Name,Last Name,Email,Phone,,Email,Notes",  # 1
        "Zoë,O'Brien,zoe@example.com,+14155550000,x,zoe2@example.com,",  # 2
        '"=HYPERLINK(""http://x"")",-,@handle,+1 415 555 0100,,,=1+1',  # 3
        "",  # 4
        "Zoë,O'Brien,zoe@example.com,+14155550000,x,zoe2@example.com,",  # 5
        ",,,,,,",  # 6
        "   ,  ,\t,,,,",  # 7
        "No,Contact,not-an-email,call me,,,",  # 8
        "Short,Row",  # 9
        "Long,Row,long@example.com,p:+14155550000,,,notes,extra,cells",  # 10
        "  Padded  , Name ,padded@example.com , 02134,,,",  # 11
    ]
    path = folder / "my list.csv"
    path.write_bytes("\n".join(lines).encode())
    return path


def pipe_delimited_txt(folder: Path) -> Path:
    """A legacy system's export: a .txt with "|" between cells."""
    rows = ["Name|Email|Phone|ZIP"] + [f"{first} {last}|{email}|{phone}|02134"
                                       for first, last, email, phone in PEOPLE]
    path = folder / "export.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def many_rows_csv(folder: Path, rows: int, name: str = "many.csv") -> Path:
    """``rows`` leads of eight columns, row n's email "lead{n}@example.com"; for chunking
    and timing."""
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("First Name,Last Name,Email,Phone,ZIP,State,Source,Received\n")
        for start in range(0, rows, 10_000):
            file.write("".join(
                f"Zoë{n},O'Brien,lead{n}@example.com,+1415{n % 10_000_000:07d},"
                f"0{n % 10_000:04d},MA,Facebook,2026-03-01 10:{n % 60:02d}:00\n"
                for n in range(start, min(start + 10_000, rows))))
    return path


def _csv_text(rows: list[list[str]], **options) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, **options).writerows(rows)
    return buffer.getvalue()
