"""Test configuration: Qt offscreen, an in-memory keyring, every test in its own
ORCHID_HOME, and PostgreSQL tests that skip (saying why) where no server answers —
except under CI, where a missing server is a failure."""

from __future__ import annotations

import os
import uuid

# Before any Qt import: with no display Qt would abort.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import keyring
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.fakes.memory_keyring import MemoryKeyring

PG_URL = os.environ.get("ORCHID_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENV_TO_CLEAR = ("ORCHID_DATABASE_URL", "SENDGRID_API_KEY", "ORCHID_SENDGRID_HOST")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Each test gets its own app folders and keyring; nothing leaks between tests."""
    monkeypatch.setenv("ORCHID_HOME", str(tmp_path / "orchid-home"))
    for name in ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    memory = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)
    # the command line points logging at this test's captured stderr, which closes now
    import logging

    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)
        handler.close()


@pytest.fixture
def memory_keyring(isolated_environment) -> MemoryKeyring:
    return isolated_environment


@pytest.fixture
def context():
    from orchid_desktop.app import open_context

    ctx = open_context()
    yield ctx
    ctx.close()


_pg_problem: str | None = None
_pg_checked = False


def _postgres_problem() -> str | None:
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any failure means: no usable server
            _pg_problem = f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
    return _pg_problem


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    problem = _postgres_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (CI must run the PostgreSQL tests)")
        pytest.skip(problem)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"orchid_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_context(pg_url):
    """The app opened on a fresh, upgraded PostgreSQL database (a shared database)."""
    from orchid_desktop.app import open_context
    from orchid_desktop.db import migrate

    engine = create_engine(pg_url)
    migrate.upgrade(engine)
    engine.dispose()
    ctx = open_context(pg_url)
    yield ctx
    ctx.close()


@pytest.fixture
def window(qtbot, context, monkeypatch):
    """The main window on the test's database, shown; closing it quits without asking."""
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import MainWindow

    make_qapplication()
    win = MainWindow(context, tray_available=False)
    # pytest-qt closes the window at teardown: answer the "quit?" question there
    monkeypatch.setattr(win, "confirm_quit_without_tray", lambda: True)
    qtbot.addWidget(win)
    win.show()
    return win
