"""Imports at the edges, each once a bug: values the database cannot hold, undo after
undo, undo that would leave someone unreachable, clocks going back, odd files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from orchid_desktop.db.models import AgencySettings, Contact, ImportBatch, Lead
from orchid_desktop.domain.vocab import DuplicatePolicy, ImportTarget
from orchid_desktop.services import import_history
from orchid_desktop.services.import_reader import open_table
from orchid_desktop.services.importing import ImportOptions, run_import, suggest_mapping

CONTACTS = ImportTarget.CONTACTS


def imported(context, tmp_path, name, body, *, dry_run=False, **options):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    source = open_table(path)
    opts = ImportOptions(**options)
    with context.sessions() as session:
        mapping = suggest_mapping(session, source.headers, opts.target).mapping
    return run_import(context.sessions, source, mapping, opts, staff_id=None, dry_run=dry_run)


def search_index_intact(context) -> None:
    with context.sessions() as session:
        if session.bind.dialect.name == "sqlite":
            for table in ("fts_leads", "fts_contacts"):
                session.execute(text(f"INSERT INTO {table}({table}) VALUES('integrity-check')"))
            triggers = session.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
            assert len(triggers) == 6


@pytest.mark.parametrize("database", ["context", "pg_context"])
def test_impossible_numbers_and_nul_bytes_are_left_out_on_both_databases(
        request, tmp_path, database):
    context = request.getfixturevalue(database)
    report = imported(context, tmp_path, "c.csv",
                      "Email,First Name,Weight\na@example.com,A,65000\nb@example.com,B,60\n",
                      target=CONTACTS)
    assert (report.created, report.rejected) == (2, 0)
    assert report.notes[0].reason == "65000 is not a possible weight (kg); it was left out."
    # a NUL past the part of the file the reader looks at (PostgreSQL cannot store one)
    filler = "".join(f"p{i}@example.com,P{i},{'n' * 100}\n" for i in range(1000))
    report = imported(context, tmp_path, "n.csv", "Email,First Name,Notes\n" + filler +
                      "z@example.com,Z\x00z,bad\x00note\n")
    assert (report.created, report.rejected) == (1001, 0)
    with context.sessions() as session:
        assert session.scalar(select(Lead.first_name).where(
            Lead.email_normalized == "z@example.com")) == "Zz"


def test_undo_after_undo_removes_what_the_first_import_created(context, tmp_path):
    first = imported(context, tmp_path, "a.csv",
                     "Email,Phone,First Name\na@example.com,,Ann\n,415-555-0101,Bo\n")
    second = imported(context, tmp_path, "b.csv",
                      "Email,Phone,First Name\na@example.com,415-555-0109,Annie\n"
                      ",415-555-0101,Bob\n", on_duplicate=DuplicatePolicy.OVERWRITE)
    assert second.updated == 2
    assert import_history.undo_batch(context.sessions, second.batch_id,
                                     staff_id=None).restored == 2
    with context.sessions() as session:
        assert [p.first_name for p in session.scalars(select(Lead).order_by(Lead.id))] == [
            "Ann", "Bo"]
    undone = import_history.undo_batch(context.sessions, first.batch_id, staff_id=None)
    assert (undone.removed, undone.kept) == (2, 0)
    search_index_intact(context)


def test_undo_restores_numbers_and_never_leaves_someone_unreachable(context, tmp_path):
    imported(context, tmp_path, "c1.csv", "Email,First Name\na@example.com,A\n", target=CONTACTS)
    report = imported(context, tmp_path, "c2.csv",
                      "Email,Phone,Height,Weight,City\na@example.com,415-555-0150,165,60,Paris\n",
                      target=CONTACTS, on_duplicate=DuplicatePolicy.FILL)
    with context.sessions.begin() as session:  # staff then remove the wrong email
        contact = session.scalar(select(Contact))
        contact.email = contact.email_normalized = None
    undone = import_history.undo_batch(context.sessions, report.batch_id, staff_id=None)
    assert (undone.restored, undone.kept_fields) == (1, 1)  # the phone stays: their only way
    with context.sessions() as session:
        contact = session.scalar(select(Contact))
        assert (contact.height_cm, contact.weight_kg, contact.city) == (None, None, None)
        assert contact.phone_e164 == "+14155550150"


def test_a_time_in_the_repeated_autumn_hour_is_kept(context, tmp_path):
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).time_zone = "America/New_York"
    report = imported(context, tmp_path, "d.csv",
                      "Email,Created\na@example.com,11/01/2026 01:30\n")
    assert report.notes == []
    with context.sessions() as session:
        assert session.scalar(select(Lead.received_at)) == datetime(
            2026, 11, 1, 5, 30, tzinfo=UTC)


def test_a_short_file_with_one_long_row_keeps_its_header(context, tmp_path):
    report = imported(context, tmp_path, "wide.csv",
                      "Email,First Name\na@example.com,A,extra,more\nb@example.com,B\n")
    assert report.created == 2


def test_a_huge_cell_is_read(context, tmp_path):
    report = imported(context, tmp_path, "big.csv",
                      "Email,Name,Notes\na@example.com,A," + "x" * 140_000 + "\n")
    assert report.created == 1
    with context.sessions() as session:
        assert len(session.scalar(select(Lead.raw_form_data))["Notes"]) == 140_000


def test_a_failure_midway_writes_nothing_and_keeps_the_search_trigger(
        context, tmp_path, monkeypatch):
    from orchid_desktop.services import import_matching, import_writer, importing

    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    monkeypatch.setattr(import_writer, "LARGE_IMPORT_ROWS", 1)  # indexes dropped, then back
    with context.sessions() as session:
        indexes = session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'"
                                       " ORDER BY name")).all()
    original = import_matching.ChunkMatcher.take
    calls = []

    def failing_take(self, clean):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return original(self, clean)

    monkeypatch.setattr(import_matching.ChunkMatcher, "take", failing_take)
    with pytest.raises(RuntimeError):
        imported(context, tmp_path, "c.csv", "Email,First Name\n" + "".join(
            f"p{i}@example.com,P{i}\n" for i in range(7)))
    with context.sessions() as session:
        assert session.scalar(select(func.count(Lead.id))) == 0
        assert session.scalar(select(func.count(ImportBatch.id))) == 0
        assert session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'"
                                    " ORDER BY name")).all() == indexes
    search_index_intact(context)


def test_a_large_import_rebuilds_the_list_indexes_exactly(context, tmp_path, monkeypatch):
    from orchid_desktop.services import import_writer, importing

    monkeypatch.setattr(import_writer, "LARGE_IMPORT_ROWS", 1)
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    with context.sessions() as session:
        before = session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")).all()
    report = imported(context, tmp_path, "c.csv", "Email,First Name\n" + "".join(
        f"p{i}@example.com,P{i}\n" for i in range(7)))
    assert report.created == 7
    with context.sessions() as session:
        after = session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")).all()
        session.execute(text("PRAGMA integrity_check"))
    assert after == before
    search_index_intact(context)
