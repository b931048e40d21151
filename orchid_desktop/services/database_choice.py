"""Choosing the database in Settings: check a shared PostgreSQL URL, test it, and keep
the choice — the URL in the settings file, its password only in the keyring."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL

from orchid_desktop.config.secrets import SecretStore, database_password_name
from orchid_desktop.config.settings import SettingsStore
from orchid_desktop.db import migrate
from orchid_desktop.db.engine import (
    DatabaseTarget,
    check_connection,
    create_app_engine,
    parse_database_url,
)
from orchid_desktop.errors import UserError


def shared_url(url_text: str) -> URL:
    url = parse_database_url(url_text.strip())
    if url.get_backend_name() != "postgresql":
        raise UserError("A shared database must be PostgreSQL (postgresql+psycopg://…).")
    if not url.username or not url.database:
        raise UserError("The shared database URL needs a user and a database name, e.g. "
                        "postgresql+psycopg://orchid@dbserver:5432/orchid.")
    return url


def check_shared_database(url_text: str, password: str | None) -> str:
    """Connect and say, in one sentence, what was found; raises UserError otherwise."""
    url = shared_url(url_text)
    if password:
        url = url.set(password=password)
    engine = create_app_engine(DatabaseTarget(url))
    try:
        check_connection(engine)
        with engine.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar()
        current, head = migrate.current_revision(engine), migrate.head_revision()
    finally:
        engine.dispose()
    if current == head:
        schema = "the Orchid Desktop schema is up to date"
    elif current is None:
        schema = "it has no Orchid Desktop schema yet (run 'orchid-desktop db upgrade' once)"
    else:
        schema = f"its schema {current} needs upgrading to {head}"
    return f"Connected to PostgreSQL {server}; {schema}."


def choose_local(settings: SettingsStore) -> None:
    settings.set("database.mode", "local")


def choose_shared(settings: SettingsStore, secrets: SecretStore, url: URL,
                  password: str | None) -> None:
    """Keep the shared database choice. A password typed (or left in the URL) goes to
    the keyring; the settings file gets the URL without it."""
    password = password or url.password
    if password:
        # the name the connection looks the password up by (db.engine.with_keyring_password)
        secrets.set(database_password_name(url.username or "", url.host or "localhost",
                                           url.port, url.database or ""), str(password))
    settings.set("database.shared_url",
                 url.set(password=None).render_as_string(hide_password=False))
    settings.set("database.mode", "shared")
