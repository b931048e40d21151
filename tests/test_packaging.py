"""The project's own files install everything: every package is listed, and resources/
ends up inside the installed package."""

import subprocess
import sys
import tarfile
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


def test_the_sdist_carries_the_tests_and_what_they_need(tmp_path):
    """An unpacked sdist runs its tests as a clone does: conftest, the fakes and the fake
    SendGrid's own schema are in it. The license is the SPDX string (setuptools stops
    building the deprecated TOML-table form after 2027-02-18)."""
    subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    sdist = next(tmp_path.glob("orchid_desktop-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        pkg_info = next(m for m in archive.getmembers() if m.name.count("/") == 1
                        and m.name.endswith("/PKG-INFO"))
        metadata = archive.extractfile(pkg_info).read().decode()
    for required in ("tests/conftest.py", "tests/fakes/sendgrid_server.py",
                     "tests/fakes/sendgrid_mail_send.schema.json", "MANIFEST.in",
                     "orchid_desktop/cli.py", "resources/style.qss"):
        assert required in names, required
    assert "License-Expression: LicenseRef-Proprietary" in metadata
