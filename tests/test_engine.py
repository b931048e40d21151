from pathlib import Path

import pytest
from sqlalchemy import text

from orchid_desktop.config.paths import AppPaths
from orchid_desktop.config.secrets import SecretStore, database_password_name
from orchid_desktop.config.settings import SettingsStore
from orchid_desktop.db import engine as engine_module
from orchid_desktop.db.engine import (
    DatabaseTarget,
    create_app_engine,
    parse_database_url,
    resolve_target,
    with_keyring_password,
)
from orchid_desktop.db.network_share import (
    mount_type_of,
    parse_bsd_mount_output,
    parse_proc_mounts,
)
from orchid_desktop.errors import NetworkShareRefused, UserError

PROC_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/office nfs4 rw 0 0
//nas/share /mnt/nas\\040drive cifs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


def test_the_longest_mount_point_decides_the_file_system():
    table = parse_proc_mounts(PROC_MOUNTS)
    assert mount_type_of(Path("/mnt/office/orchid"), table) == "nfs4"
    assert mount_type_of(Path("/mnt/nas drive/x"), table) == "cifs"
    assert mount_type_of(Path("/home/me"), table) == "ext4"
    assert mount_type_of(Path("/mnt/officeparty"), table) == "ext4"


def test_macos_mount_output_is_understood():
    table = parse_bsd_mount_output(
        "/dev/disk3s1s1 on / (apfs, sealed, local)\n"
        "//me@nas/share on /Volumes/share (smbfs, nodev, nosuid, mounted by me)\n")
    assert ("/Volumes/share", "smbfs") in table


def test_a_database_file_on_a_network_share_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "network_share_reason",
                        lambda path: f"{path} is on a network file system (cifs)")
    target = DatabaseTarget(parse_database_url(f"sqlite:///{tmp_path}/orchid.db"))
    with pytest.raises(NetworkShareRefused) as refused:
        create_app_engine(target)
    message = str(refused.value)
    assert "network file system (cifs)" in message and "PostgreSQL" in message
    assert not (tmp_path / "orchid.db").exists()


def test_local_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    engine = create_app_engine(DatabaseTarget(parse_database_url(f"sqlite:///{tmp_path}/a.db")))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_the_database_is_chosen_flag_then_environment_then_settings(tmp_path, monkeypatch):
    paths = AppPaths(tmp_path / "data", tmp_path / "config")
    settings = SettingsStore(paths.settings_file)
    assert resolve_target(None, settings, paths).url.database == str(paths.database_file)
    settings.set("database.mode", "shared")
    settings.set("database.shared_url", "postgresql+psycopg://orchid@settings/db")
    assert resolve_target(None, settings, paths).url.host == "settings"
    monkeypatch.setenv("ORCHID_DATABASE_URL", "postgresql://orchid@environment/db")
    target = resolve_target(None, settings, paths)
    assert target.url.host == "environment"
    assert target.url.drivername == "postgresql+psycopg"
    assert resolve_target("postgresql+psycopg://u@flag/db", settings, paths).url.host == "flag"


@pytest.mark.parametrize("url, message", [
    ("mysql://u@h/db", "not supported"),
    ("not a url", "not a database URL"),
    ("sqlite://", "needs a file path"),
])
def test_bad_database_urls_get_a_plain_explanation(url, message):
    with pytest.raises(UserError, match=message):
        parse_database_url(url)


def test_the_shared_password_comes_from_the_keyring():
    secrets = SecretStore()
    secrets.set(database_password_name("orchid", "db", 5432, "agency"), "s3cret")
    url = with_keyring_password(parse_database_url("postgresql+psycopg://orchid@db/agency"),
                                secrets)
    assert url.password == "s3cret"
    target = DatabaseTarget(url)
    assert "s3cret" not in target.describe()
