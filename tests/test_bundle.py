"""Build the PyInstaller bundle with build.spec and start it (``pytest -m bundle``).

Slow: the build takes about two minutes on a 2-core machine. The bundle is built once for
this module, into a temporary folder, and each test starts it with its own ORCHID_HOME.
Self-contained: needs nothing from conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bundle

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "build.spec"
APP_NAME = "orchid-desktop"
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 120


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled executable, built from build.spec into a temporary folder."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"PyInstaller is not importable ({exc}); pip install -e '.[test]' "
                    "installs it")
    root = tmp_path_factory.mktemp("pyinstaller")
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
        "--distpath", str(root / "dist"), "--workpath", str(root / "build"), str(SPEC),
    ]
    try:
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        output = exc.stderr or b""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        pytest.fail(f"PyInstaller took longer than {BUILD_TIMEOUT_S} s:\n{_tail(output)}")
    assert result.returncode == 0, (
        f"PyInstaller failed with status {result.returncode}:\n{_tail(result.stderr)}")
    executable = root / "dist" / APP_NAME / (APP_NAME + (".exe" if os.name == "nt" else ""))
    assert executable.is_file(), f"no executable at {executable}:\n{_tail(result.stderr)}"
    return executable


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """ORCHID_HOME for the bundled app: all its data and settings go under here."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def _run(executable: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Start the bundle offscreen, with its own ORCHID_HOME and the local database, from
    a folder outside the checkout (so nothing can come from the sources)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"ORCHID_DATABASE_URL", "PYTHONPATH", "PYTHONHOME", "SENDGRID_API_KEY"}}
    env.update(QT_QPA_PLATFORM="offscreen", ORCHID_HOME=str(home))
    return subprocess.run([str(executable), *args], cwd=home, env=env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S)


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return (f"status {result.returncode}\nstdout:\n{_tail(result.stdout)}\n"
            f"stderr:\n{_tail(result.stderr)}")


def test_bundle_smoke_test_creates_the_local_database(bundle: Path, home: Path) -> None:
    result = _run(bundle, home, "--smoke-test")
    assert result.returncode == 0, _report(result)
    assert (home / "data" / "orchid.db").is_file(), _report(result)
    assert "Traceback" not in result.stderr, _report(result)

    current = _run(bundle, home, "db", "current")
    assert current.returncode == 0, _report(current)
    assert "(up to date)" in current.stdout, _report(current)


def test_bundle_db_commands_run_the_shipped_migrations(bundle: Path, home: Path) -> None:
    before = _run(bundle, home, "db", "current")
    assert before.returncode == 0, _report(before)
    # a fresh data folder: says where the database will be, and creates nothing
    assert before.stdout.startswith("No database yet at "), _report(before)
    assert not list(home.rglob("orchid.db")), _report(before)

    upgrade = _run(bundle, home, "db", "upgrade")
    assert upgrade.returncode == 0, _report(upgrade)
    assert "upgraded from empty to" in upgrade.stdout, _report(upgrade)

    after = _run(bundle, home, "db", "current")
    assert after.returncode == 0, _report(after)
    assert "(up to date)" in after.stdout, _report(after)


def test_bundle_reports_its_version(bundle: Path, home: Path) -> None:
    result = _run(bundle, home, "--version")
    assert result.returncode == 0, _report(result)
    assert "orchid-desktop" in result.stdout + result.stderr, _report(result)


def test_bundle_ships_resources_and_migrations_as_files(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    package = (internal if internal.is_dir() else bundle.parent) / "orchid_desktop"
    for relative in ("resources/style.qss", "resources/icons/orchid-256.png",
                     "resources/icons/orchid.svg", "resources/templates/library.toml",
                     "db/migrations/env.py", "db/migrations/script.py.mako"):
        assert (package / relative).is_file(), f"{relative} is missing from the bundle"
    shipped = sorted(p.name for p in (package / "db" / "migrations" / "versions").glob("*.py"))
    source = sorted(p.name for p in
                    (REPO / "orchid_desktop" / "db" / "migrations" / "versions").glob("*.py"))
    assert shipped == source
