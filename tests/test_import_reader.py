"""Opening import files: encodings, delimiters, header rows below title blocks, workbooks,
row numbers as the spreadsheet shows them, text kept byte for byte, and refusals."""

from __future__ import annotations

import codecs
import zipfile
from datetime import date, datetime, time

import openpyxl
import pandas as pd
import pytest

from orchid_desktop.errors import UserError
from orchid_desktop.services.import_reader import TableSource, UnreadableFile, open_table
from tests import import_corpus as corpus


def all_rows(source: TableSource, size: int = 50_000) -> dict[int, list[str]]:
    """Every data row by spreadsheet row number, checking the shape of each chunk."""
    rows = {}
    for chunk in source.chunks(size):
        assert list(chunk.columns) == list(range(len(source.headers)))
        assert all(type(number) is int for number in chunk.index.tolist())
        for number, values in zip(chunk.index.tolist(), chunk.values.tolist(), strict=False):
            assert all(type(value) is str for value in values), values
            rows[number] = values
    return rows


def refusal(path) -> str:
    with pytest.raises(UnreadableFile) as caught:
        open_table(path)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    return message


# --- exports as their programs write them -------------------------------------------

def test_facebook_lead_export_is_utf16_and_tab_separated(tmp_path):
    source = open_table(corpus.facebook_lead_export(tmp_path))
    assert (source.kind, source.encoding, source.delimiter, source.sheet) == (
        "csv", "utf-16", "\t", None)
    assert source.header_row == 1
    assert source.headers == corpus.FACEBOOK_HEADERS
    assert source.estimated_rows == len(corpus.PEOPLE)
    rows = all_rows(source)
    assert list(rows) == list(range(2, 2 + len(corpus.PEOPLE)))
    name, phone = source.headers.index("full_name"), source.headers.index("phone_number")
    assert [row[name] for row in rows.values()] == [f"{p[0]} {p[1]}" for p in corpus.PEOPLE]
    assert rows[2][phone] == "p:+14155550123"
    assert rows[5][phone] == ""
    assert rows[3][source.headers.index("are_you_between_21_and_34?")] == "yes, I am"


def test_google_forms_csv_drops_the_bom_and_keeps_names_byte_for_byte(tmp_path):
    source = open_table(corpus.google_forms_csv(tmp_path))
    assert (source.encoding, source.delimiter) == ("utf-8-sig", ",")
    assert source.headers == corpus.GOOGLE_FORMS_HEADERS  # no "\ufeffTimestamp"
    rows = list(all_rows(source).values())
    for row, (first, last, _email, phone) in zip(rows, corpus.PEOPLE, strict=True):
        assert row[2:5] == [first, last, phone]
        assert row[2].encode() == first.encode()  # the decomposed "Zoë" stays decomposed
    assert rows[4][2] == "Zoe\u0308" != "Zoë"


def test_hubspot_multi_line_cell_is_one_row(tmp_path):
    source = open_table(corpus.hubspot_csv(tmp_path))
    assert (source.encoding, source.delimiter, source.headers) == (
        "utf-8", ",", corpus.HUBSPOT_HEADERS)
    rows = all_rows(source)
    # Rows are numbered as Excel shows them: the note's line break does not add a row.
    assert list(rows) == [2, 3, 4, 5, 6, 7]
    assert rows[3][-1] == 'Called twice,\nsaid "call after 5"'
    assert rows[4][1:3] == ["美咲", "佐藤"]


def test_mailchimp_keeps_zip_codes_and_quoted_cells(tmp_path):
    source = open_table(corpus.mailchimp_csv(tmp_path))
    assert source.headers == corpus.MAILCHIMP_HEADERS
    row = all_rows(source)[2]
    assert row[3] == "12 Beacon St  Boston MA 02134 US"
    assert row[-1] == '"Egg donor","Boston"'
    assert row[4] == "+14155550123"


def test_semicolon_cp1252_with_decimal_commas(tmp_path):
    source = open_table(corpus.semicolon_european_csv(tmp_path))
    assert (source.encoding, source.delimiter) == ("cp1252", ";")
    assert source.headers == corpus.EUROPEAN_HEADERS
    assert list(all_rows(source).values()) == corpus.EUROPEAN_ROWS


def test_pipe_delimited_txt(tmp_path):
    source = open_table(corpus.pipe_delimited_txt(tmp_path))
    assert (source.delimiter, source.headers) == ("|", ["Name", "Email", "Phone", "ZIP"])
    assert {row[3] for row in all_rows(source).values()} == {"02134"}


def test_tab_separated_tsv_without_bom(tmp_path):
    path = tmp_path / "leads.tsv"
    path.write_text("Name\tEmail\nAnn, Jr.\tann@example.com\n", encoding="utf-8")
    source = open_table(path)
    assert (source.encoding, source.delimiter) == ("utf-8", "\t")
    assert all_rows(source) == {2: ["Ann, Jr.", "ann@example.com"]}


# --- title blocks and header rows --------------------------------------------------

def test_csv_with_title_block(tmp_path):
    source = open_table(corpus.clinic_csv_with_title(tmp_path))
    assert source.header_row == 3
    assert source.headers == corpus.CLINIC_HEADERS
    assert source.estimated_rows == 3
    assert all_rows(source) == corpus.CLINIC_EXPECTED


def test_xlsx_with_title_block_reads_cells_as_shown(tmp_path):
    source = open_table(corpus.clinic_xlsx_with_title(tmp_path))
    assert (source.kind, source.encoding, source.delimiter, source.sheet) == (
        "excel", None, None, "Referrals")
    assert source.header_row == 3
    assert source.headers == corpus.CLINIC_HEADERS
    assert source.estimated_rows == 3  # the blank and whitespace-only rows are not counted
    assert all_rows(source) == corpus.CLINIC_EXPECTED


def test_ods_with_title_block(tmp_path):
    source = open_table(corpus.clinic_ods_with_title(tmp_path))
    assert (source.kind, source.header_row, source.headers) == (
        "excel", 3, corpus.CLINIC_HEADERS)
    rows = all_rows(source)
    assert list(rows) == [4, 6]
    assert rows[4][:6] == ["Zoë", "Müller", "zoe.muller@example.com", "4155550123", "02134",
                           "1999-04-17"]
    assert rows[6][3] == "+34 612 555 012" and rows[6][8] == "0.1"


def test_title_and_prepared_by_lines_are_passed_over_when_the_sniffer_gives_up(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Referrals\nPrepared by:;Dr. Rivera\n\nName;Email;Phone;State\n"
                    "Ann;ann@example.com;02134;MA\n", encoding="utf-8")
    source = open_table(path)
    assert (source.delimiter, source.header_row) == (";", 4)
    assert all_rows(source) == {5: ["Ann", "ann@example.com", "02134", "MA"]}


def test_header_with_blank_and_repeated_names(tmp_path):
    source = open_table(corpus.messy_csv(tmp_path))
    assert source.headers == corpus.MESSY_HEADERS


def test_trailing_blank_header_cells_name_no_column(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(" Name , Email ,,\nAnn,ann@example.com,,\n", encoding="utf-8")
    assert open_table(path).headers == ["Name", "Email"]


def test_one_column_list(tmp_path):
    path = tmp_path / "emails.txt"
    path.write_text("Email\nann@example.com\nbea@example.com\n", encoding="utf-8")
    source = open_table(path)
    assert (source.header_row, source.headers) == (1, ["Email"])
    assert all_rows(source) == {2: ["ann@example.com"], 3: ["bea@example.com"]}


# --- row numbers and text preservation ---------------------------------------------

def test_rows_keep_spreadsheet_numbers_and_text(tmp_path):
    source = open_table(corpus.messy_csv(tmp_path))
    rows = all_rows(source)
    assert list(rows) == [2, 3, 5, 8, 9, 10, 11]  # 4, 6, 7 are blank or whitespace only
    assert source.estimated_rows == 7
    assert rows[2] == rows[5]  # duplicates are the caller's to find
    assert rows[3] == ['=HYPERLINK("http://x")', "-", "@handle", "+1 415 555 0100", "", "",
                       "=1+1"]
    assert rows[8][2:4] == ["not-an-email", "call me"]
    assert rows[9] == ["Short", "Row", "", "", "", "", ""]
    assert rows[10] == ["Long", "Row", "long@example.com", "p:+14155550000", "", "", "notes"]
    assert rows[11][:4] == ["  Padded  ", " Name ", "padded@example.com ", " 02134"]


def test_chunks_split_a_file_and_keep_numbering(tmp_path):
    source = open_table(corpus.many_rows_csv(tmp_path, 2_500))
    chunks = list(source.chunks(size=1_000))
    assert [len(chunk) for chunk in chunks] == [999, 1_000, 501]  # the header is in the first
    numbers = [n for chunk in chunks for n in chunk.index.tolist()]
    assert numbers == list(range(2, 2_502))
    assert chunks[-1].loc[2_501, 2] == "lead2499@example.com"
    assert chunks[-1].loc[2_501, 4] == "02499"


def test_chunk_boundaries_do_not_change_rows(tmp_path):
    for path in (corpus.messy_csv(tmp_path), corpus.clinic_xlsx_with_title(tmp_path)):
        source = open_table(path)
        assert all_rows(source, size=2) == all_rows(source)


def test_preview(tmp_path):
    source = open_table(corpus.messy_csv(tmp_path))
    assert source.preview(2) == [all_rows(source)[2], all_rows(source)[3]]
    assert len(source.preview()) == 7
    workbook = open_table(corpus.clinic_xlsx_with_title(tmp_path))
    assert workbook.preview(1) == [corpus.CLINIC_EXPECTED[4]]


def test_a_large_file_is_estimated_from_its_line_breaks(tmp_path):
    source = open_table(corpus.many_rows_csv(tmp_path, 20_000))  # past the sampled block
    assert source.estimated_rows == 20_000
    assert sum(len(chunk) for chunk in source.chunks(7_000)) == 20_000


# --- encodings ----------------------------------------------------------------------

def test_utf16_big_endian(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + "Name\tEmail\nZoë 🌸\tz@example.com\n"
                     .encode("utf-16-be"))
    source = open_table(path)
    assert (source.encoding, source.delimiter) == ("utf-16", "\t")
    assert all_rows(source) == {2: ["Zoë 🌸", "z@example.com"]}


def test_the_whole_file_decides_between_utf8_and_cp1252(tmp_path):
    filler = "".join(f"Ann{n},ann{n}@example.com\n" for n in range(60_000))  # > 1 MB
    text = "Name,Email\n" + filler + "Renée,renee@example.com\n"
    cp1252, utf8 = tmp_path / "late.csv", tmp_path / "late-utf8.csv"
    cp1252.write_bytes(text.encode("cp1252"))
    utf8.write_bytes(text.encode())
    for path, encoding in ((cp1252, "cp1252"), (utf8, "utf-8")):
        source = open_table(path)
        assert source.encoding == encoding
        assert all_rows(source)[60_002] == ["Renée", "renee@example.com"]


def test_latin1_when_cp1252_cannot_decode(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(b"Name,Email\nA\x81na,ana@example.com\n")  # 0x81 is unused in cp1252
    source = open_table(path)
    assert source.encoding == "latin-1"
    assert all_rows(source) == {2: ["A\x81na", "ana@example.com"]}


def test_content_decides_over_the_extension(tmp_path):
    workbook = tmp_path / "leads.csv"
    corpus.clinic_xlsx_with_title(tmp_path).rename(workbook)
    assert open_table(workbook).kind == "excel"
    tab_separated = tmp_path / "export.xls"
    tab_separated.write_text("Name\tEmail\nAnn\tann@example.com\n", encoding="utf-8")
    assert (open_table(tab_separated).kind, open_table(tab_separated).delimiter) == (
        "csv", "\t")


# --- workbook cells -----------------------------------------------------------------

def test_workbook_cells_become_the_text_excel_shows(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Phone", "Float", "Third", "Big", "Born", "Seen", "At", "Opted in", "No"])
    sheet.append([4155550123, 0.1, 1 / 3, 1e16, date(2001, 2, 3),
                  datetime(2026, 3, 1, 9, 5, 7), time(9, 5), True, False])
    path = tmp_path / "types.xlsx"
    workbook.save(path)
    assert open_table(path).preview() == [[
        "4155550123", "0.1", "0.3333333333333333", "10000000000000000", "2001-02-03",
        "2026-03-01 09:05:07", "09:05:00", "TRUE", "FALSE"]]


def test_workbook_through_pandas_writer(tmp_path):
    path = tmp_path / "plain.xlsx"
    pd.DataFrame({"Email": ["a@example.com"], "Phone": [4155550123.0]}).to_excel(
        path, index=False)
    assert open_table(path).preview() == [["a@example.com", "4155550123"]]


# --- refusals -----------------------------------------------------------------------

def test_refusals_name_the_file_and_say_why(tmp_path):
    assert issubclass(UnreadableFile, UserError)
    assert refusal(tmp_path / "gone.csv") == (
        "gone.csv could not be read: the file does not exist"
        " (it may have been moved or renamed).")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    assert refusal(tmp_path / "notes.docx") == (
        "notes.docx could not be read: only .csv, .tsv, .txt, .xlsx, .xlsm, .xlsb, .xls"
        " and .ods files can be imported.")


@pytest.mark.parametrize("content", [b"", b"\n\n   \r\n", b",,,\n,,\n \t ,\n"])
def test_empty_files_are_refused(tmp_path, content):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    assert refusal(path) == "leads.csv is empty."


def test_empty_workbook_is_refused(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    assert refusal(path) == ('empty.xlsx is empty: its first sheet, "Sheet", has nothing'
                             " in it (only the first sheet is imported).")


@pytest.mark.parametrize("content", ["Name,Email\n", "Name,Email\n\n,\n  ,\n",
                                     "Title\n\nName,Email,Phone"])
def test_header_only_csv_is_refused(tmp_path, content):
    path = tmp_path / "leads.csv"
    path.write_text(content, encoding="utf-8")
    assert refusal(path) == "leads.csv has a header row but no rows to import."


def test_header_only_workbook_is_refused(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Email"])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    assert refusal(path) == "leads.xlsx has a header row but no rows to import."


def test_binary_and_damaged_files_are_refused(tmp_path):
    image = tmp_path / "photo.csv"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    assert refusal(image) == ("photo.csv could not be read: it is not a text file or"
                              " spreadsheet (it may be damaged or another kind of file).")
    truncated = tmp_path / "clinic.xlsx"
    truncated.write_bytes(corpus.clinic_xlsx_with_title(tmp_path).read_bytes()[:2_000])
    assert refusal(truncated) == ("clinic.xlsx could not be read: it is not a spreadsheet"
                                  " (it may be damaged or another kind of file).")
    not_a_workbook = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "archive.xlsx could not be read: it is not a spreadsheet" in refusal(not_a_workbook)


def test_password_protected_workbook_is_refused(tmp_path):
    path = tmp_path / "secret.xlsx"  # Excel wraps an encrypted .xlsx in an OLE container
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4_000))
    assert refusal(path) == ("secret.xlsx could not be read: it is password-protected;"
                             " remove the password in Excel, save it and import it again.")


def test_web_page_saved_as_xls_is_refused(tmp_path):
    path = tmp_path / "report.xls"
    path.write_text("<html><body><table><tr><td>Email</td></tr></table></body></html>")
    assert refusal(path) == ("report.xls could not be read: it is a web page or XML file;"
                             " open it in Excel and save it as .xlsx or .csv.")


def test_damaged_utf8_with_bom_is_refused(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"Name,Email\nR\xe9n\xe9e,r@example.com\n")
    assert refusal(path) == ("leads.csv could not be read: it is marked as Unicode text but"
                             " part of it is not (the file may be damaged).")


def test_unclosed_quote_is_refused_with_its_row(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text('Name,Email\nAnn,ann@example.com\n"Bea,bea@example.com\nCy,c@x.com\n')
    assert refusal(path) == ("leads.csv could not be read: a quotation mark opened on row 3"
                             " is never closed.")
