"""A fresh database is built only by the migrations, and they agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from orchid_desktop.db import migrate
from orchid_desktop.db.engine import (
    DatabaseTarget,
    create_app_engine,
    parse_database_url,
)
from orchid_desktop.db.models import Base
from orchid_desktop.db.search_index import include_object


def _upgrade_and_compare(engine):
    assert migrate.current_revision(engine) is None
    before, after = migrate.upgrade(engine)
    assert (before, after) == (None, migrate.head_revision())
    assert migrate.is_up_to_date(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": include_object}), Base.metadata)
    assert differences == []
    # running it again is a no-op
    assert migrate.upgrade(engine) == (after, after)


def test_sqlite_upgrades_from_empty_and_matches_the_models(tmp_path):
    engine = create_app_engine(DatabaseTarget(parse_database_url(f"sqlite:///{tmp_path}/m.db")))
    _upgrade_and_compare(engine)
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_upgrades_from_empty_and_matches_the_models(pg_url):
    engine = create_engine(pg_url)
    _upgrade_and_compare(engine)
    engine.dispose()


def test_a_table_rebuilt_by_a_sqlite_migration_keeps_its_child_rows(context):
    """0003's downgrade rebuilds `contacts` in batch mode (drop and re-create). With
    foreign keys on, dropping the parent cascaded away every note of every contact;
    migrations now run with them off and a foreign_key_check before the commit."""
    from sqlalchemy import func, select, text

    from orchid_desktop.db.models import ContactNote
    from orchid_desktop.services import contacts
    from tests.people_helpers import add_contact

    contact_id = add_contact(context, email="ana@example.com")
    with context.sessions.begin() as session:
        contacts.add_note(session, contact_id, "Called, will send her records",
                          staff_id=context.staff_id)
    migrate.downgrade(context.engine, "0002")
    with context.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ContactNote)) == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on
    migrate.upgrade(context.engine)
    with context.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM contact_notes")) == 1
