"""The command line: one clear line and a non-zero status for a user's mistake."""

import subprocess
import sys

import pytest

from orchid_desktop import __version__
from orchid_desktop.cli import main


def test_version_works_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "orchid_desktop", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"orchid-desktop {__version__}"


def test_db_upgrade_then_current_on_the_local_database(capsys):
    assert main(["db", "upgrade"]) == 0
    assert "upgraded from empty to" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--database", "mysql://u@h/x", "db", "upgrade"], "is not supported"),
    (["db", "upgrade", "--database", "postgresql+psycopg://u@127.0.0.1:1/x"],
     "Cannot connect to the database"),
])
def test_a_user_mistake_is_one_line_without_traceback(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_demo_command_loads_data_then_refuses_twice(capsys):
    assert main(["demo"]) == 0
    assert "Loaded 300 demo leads and 120 demo contacts" in capsys.readouterr().out
    assert main(["demo"]) == 2
    assert "already loaded" in capsys.readouterr().err


@pytest.mark.postgres
def test_db_upgrade_builds_the_schema_on_postgresql(pg_url, capsys):
    assert main(["--database", pg_url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "Shared database" in out and "upgraded from empty" in out


@pytest.mark.postgres
def test_the_window_refuses_a_shared_database_that_was_not_upgraded(pg_url):
    from orchid_desktop.app import open_context
    from orchid_desktop.errors import UserError

    with pytest.raises(UserError, match="db upgrade"):
        open_context(pg_url)


@pytest.mark.postgres
def test_smoke_test_on_an_upgraded_shared_database(pg_url, tmp_path):
    import os

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    upgrade = subprocess.run([sys.executable, "-m", "orchid_desktop", "--database", pg_url,
                              "db", "upgrade"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    smoke = subprocess.run([sys.executable, "-m", "orchid_desktop", "--database", pg_url,
                            "--smoke-test"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert smoke.returncode == 0, smoke.stderr


def test_smoke_test_creates_the_local_database(tmp_path):
    import os

    env = dict(os.environ, ORCHID_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    smoke = subprocess.run([sys.executable, "-m", "orchid_desktop", "--smoke-test"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert smoke.returncode == 0, smoke.stderr
    assert (tmp_path / "home" / "data" / "orchid.db").exists()


def test_screen_runs_the_rules_on_everyone_or_the_given_ids(capsys):
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["screen"]) == 0
    everyone = capsys.readouterr().out
    assert everyone.startswith("Screened ") and "of" in everyone and "passed" in everyone
    assert main(["screen", "1"]) == 0
    assert capsys.readouterr().out.startswith("Screened 1 of 1 contacts")
