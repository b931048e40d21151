"""Which database the app uses, and the engine and sessions for it.

Local (the default): a SQLite file in the user data folder, WAL, foreign keys on.
Shared: PostgreSQL from ``--database``, ``ORCHID_DATABASE_URL`` or the settings, with the
password from the keyring rather than from any file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.config.paths import AppPaths
from orchid_desktop.config.secrets import SecretStore, database_password_name
from orchid_desktop.config.settings import SettingsStore
from orchid_desktop.errors import DatabaseUnavailable, NetworkShareRefused, UserError

from .network_share import network_share_reason

log = logging.getLogger(__name__)

SUPPORTED_DRIVERS = ("sqlite", "postgresql+psycopg")


@dataclass(frozen=True)
class DatabaseTarget:
    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_shared(self) -> bool:
        return not self.is_sqlite

    @property
    def sqlite_file(self) -> Path:
        """The file a SQLite target names; a URL without one (``sqlite://``, an in-memory
        database that would vanish on exit) is refused."""
        if not self.url.database:
            raise UserError(f"'{self.url}' names no database file; use sqlite:///PATH")
        return Path(self.url.database)

    def describe(self) -> str:
        """For the status bar and logs: never shows a password."""
        if self.is_sqlite:
            return f"Local database {self.url.database}"
        return f"Shared database {self.url.render_as_string(hide_password=True)}"


def resolve_target(cli_url: str | None, settings: SettingsStore, paths: AppPaths) -> DatabaseTarget:
    """``--database`` beats ``ORCHID_DATABASE_URL`` beats the settings file; with none of
    them, the local SQLite file."""
    raw = cli_url or os.environ.get("ORCHID_DATABASE_URL")
    if not raw and settings.get("database.mode") == "shared":
        raw = settings.get("database.shared_url")
        if not raw:
            raise UserError("The settings choose a shared database but give no URL; "
                            "set one in Settings → Database or run with --database URL.")
    if not raw:
        return DatabaseTarget(make_url(f"sqlite:///{paths.database_file}"))
    return DatabaseTarget(parse_database_url(raw))


def parse_database_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise UserError(f"'{raw}' is not a database URL; expected e.g. "
                        "postgresql+psycopg://user@host:5432/orchid") from None
    if url.drivername == "postgresql" or url.drivername == "postgres":
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in SUPPORTED_DRIVERS:
        raise UserError(f"database '{url.drivername}' is not supported: use a "
                        "postgresql+psycopg:// URL for a shared database, or sqlite:///PATH")
    if url.drivername == "sqlite" and not url.database:
        raise UserError("a sqlite URL needs a file path, e.g. sqlite:///C:/orchid/orchid.db")
    return url


def with_keyring_password(url: URL, secrets: SecretStore) -> URL:
    if url.get_backend_name() != "postgresql" or url.password or not url.username:
        return url
    password = secrets.get(
        database_password_name(url.username, url.host or "localhost", url.port, url.database or "")
    )
    return url.set(password=password) if password else url


def create_app_engine(target: DatabaseTarget, secrets: SecretStore | None = None) -> Engine:
    if target.is_sqlite:
        return _sqlite_engine(target.sqlite_file)
    url = with_keyring_password(target.url, secrets or SecretStore())
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a workstation wakes from sleep with dead connections
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 10, "application_name": "orchid-desktop",
                      # short OLTP statements whose cost estimates run high (correlated
                      # subqueries, LIMIT over a filter): JIT compiling cost 0.35 s of a
                      # 0.55 s claim and 0.3 s of a settle UPDATE (bench/sending.py)
                      "options": "-c jit=off"},
    )
    return engine


def _sqlite_engine(path: Path) -> Engine:
    reason = network_share_reason(path.parent if not path.exists() else path)
    if reason:
        raise NetworkShareRefused(
            f"Refusing to open the database file {path}: {reason}. SQLite cannot be shared "
            "safely over a network (its WAL mode needs shared memory that network file "
            "systems lack, so data would be corrupted). To share data between workstations, "
            "use a PostgreSQL server: Settings → Database → Shared."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, issue BEGIN (so BEGIN IMMEDIATE can be used).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a readable reason when the database cannot be used."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(f"Cannot connect to the database: {detail}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
