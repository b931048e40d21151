"""The project's own files install everything: every package is listed, and resources/
ends up inside the installed package."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "orchid_desktop").rglob("__init__.py")}
    found.add("orchid_desktop.resources")
    assert found == listed


def test_the_wheel_carries_resources_and_migrations(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("orchid_desktop-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("orchid_desktop/resources/style.qss",
                     "orchid_desktop/resources/icons/orchid-256.png",
                     "orchid_desktop/resources/templates/library.toml",
                     "orchid_desktop/db/migrations/env.py",
                     "orchid_desktop/db/migrations/script.py.mako",
                     "orchid_desktop/db/migrations/versions/0001_initial_schema.py"):
        assert required in names
