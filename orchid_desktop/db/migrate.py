"""Build and upgrade the schema with Alembic: a fresh database is made by running the
migrations (never ``create_all``), so every database has been through the same steps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("orchid_desktop.db") / "migrations")
    )
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # a broken installation: the migrations folder is empty
        raise RuntimeError("no database migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to the newest revision (or ``revision``); returns (before, after)."""
    before = current_revision(engine)
    _run(engine, lambda config: command.upgrade(config, revision))
    after = current_revision(engine)
    if after is None:
        raise RuntimeError("the database has no revision after upgrading")
    if before != after:
        log.info("database upgraded from %s to %s", before or "empty", after)
    return before, after


def downgrade(engine: Engine, revision: str) -> None:
    """Step back to ``revision`` (for a developer or a test; the app never downgrades)."""
    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection in one transaction.

    On SQLite, foreign keys are switched off around it, as SQLite's ALTER TABLE
    documentation prescribes: batch mode rebuilds a table by dropping and re-creating it,
    and with foreign keys on, dropping a parent table (contacts) cascades away every
    child row (its notes, emails, tags). Before the commit, ``foreign_key_check`` must
    find nothing, or the whole migration rolls back.
    """
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # the pragma is a no-op inside a transaction: set it on the driver's connection
        # (in autocommit, since SQLAlchemy issues BEGIN itself) before any begins
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"the migration left {len(broken)} rows pointing at rows that no "
                            f"longer exist (first: {tuple(broken[0])}); nothing was changed")
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
