"""Composition root: settings → database → services, in order, nothing at import time.

The command line and the window both start here; each gets an ``AppContext`` and closes
it when done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.config.paths import AppPaths
from orchid_desktop.config.secrets import SecretStore
from orchid_desktop.config.settings import SettingsStore
from orchid_desktop.db import migrate
from orchid_desktop.db.engine import (
    DatabaseTarget,
    check_connection,
    create_app_engine,
    resolve_target,
    session_factory,
)
from orchid_desktop.errors import UserError
from orchid_desktop.services.backup import RestoreResult, apply_pending_restore
from orchid_desktop.services.first_run import ensure_first_run
from orchid_desktop.services.staff import ensure_staff, os_login

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    paths: AppPaths
    settings: SettingsStore
    secrets: SecretStore
    target: DatabaseTarget
    engine: Engine
    sessions: sessionmaker[Session]
    staff_id: int
    first_run_created: list[str] = field(default_factory=list)
    restored: RestoreResult | None = None  # a restore asked for in the window, done at start

    def close(self) -> None:
        self.engine.dispose()


def open_database(database_url: str | None, paths: AppPaths | None = None,
                  settings: SettingsStore | None = None, secrets: SecretStore | None = None,
                  ) -> tuple[DatabaseTarget, Engine]:
    """Resolve and connect to the database, without touching its schema."""
    paths = paths or AppPaths.default()
    settings = settings or SettingsStore(paths.settings_file)
    target = resolve_target(database_url, settings, paths)
    engine = create_app_engine(target, secrets or SecretStore())
    try:
        check_connection(engine)
    except Exception:
        engine.dispose()
        raise
    return target, engine


def open_context(database_url: str | None = None) -> AppContext:
    paths = AppPaths.default()
    paths.ensure()
    restored = apply_pending_restore(paths)  # before anything opens the database
    settings = SettingsStore(paths.settings_file)
    secrets = SecretStore()
    target, engine = open_database(database_url, paths, settings, secrets)
    try:
        prepare_schema(engine, target)
        sessions = session_factory(engine)
        staff_id = ensure_staff(sessions, os_login())
        created = ensure_first_run(sessions, staff_id)
    except Exception:
        engine.dispose()
        raise
    log.info("opened %s", target.describe())
    return AppContext(paths, settings, secrets, target, engine, sessions, staff_id, created,
                      restored)


def prepare_schema(engine: Engine, target: DatabaseTarget) -> None:
    """The local database is upgraded at start. A shared one is upgraded only on purpose
    (``db upgrade``), because other workstations may still run the older version."""
    if target.is_sqlite:
        migrate.upgrade(engine)
        return
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current == head:
        return
    known = {rev.revision for rev in ScriptDirectory.from_config(
        migrate.alembic_config()).walk_revisions()}
    url = target.url.render_as_string(hide_password=True)
    if current is not None and current not in known:
        raise UserError(f"The shared database was upgraded by a newer Orchid Desktop "
                        f"(schema {current}); install the newer version on this workstation.")
    state = "has no Orchid Desktop schema yet" if current is None else \
        f"is at schema {current}, this version needs {head}"
    raise UserError(f"The shared database {state}. Upgrade it once, from one workstation: "
                    f"orchid-desktop --database {url} db upgrade")
