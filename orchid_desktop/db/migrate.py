"""Build and upgrade the schema with Alembic: a fresh database is made by running the
migrations (never ``create_all``), so every database has been through the same steps."""

from __future__ import annotations

import logging
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


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    after = current_revision(engine)
    if after is None:
        raise RuntimeError("the database has no revision after upgrading")
    if before != after:
        log.info("database upgraded from %s to %s", before or "empty", after)
    return before, after


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
