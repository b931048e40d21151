"""Alembic environment. The app passes its own connection (db/migrate.py); a developer
running ``alembic`` by hand gives ``-x url=…`` or ORCHID_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from orchid_desktop.db.models import Base
from orchid_desktop.db.search_index import include_object

config = context.config
# What autogenerate compares with. The migrations must not lean on it (the models change
# later): Alembic would name a constraint by its naming convention unless the migration
# names it in full with op.f(); tests/test_migrations_frozen.py runs them without it.
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "ORCHID_DATABASE_URL"
    )
    if not url:
        raise SystemExit("give the database with -x url=… or ORCHID_DATABASE_URL")
    engine = create_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
