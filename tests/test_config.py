import json

import keyring
import pytest
from keyring.backends import fail

from orchid_desktop.config.paths import AppPaths
from orchid_desktop.config.secrets import (
    SENDGRID_API_KEY,
    KeyringUnavailable,
    SecretStore,
)
from orchid_desktop.config.settings import SETTINGS, SettingsError, SettingsStore


def test_every_setting_is_declared_once_with_a_description():
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    for setting in SETTINGS:
        assert isinstance(setting.default, setting.type)
        assert len(setting.description) > 20


def test_settings_round_trip_through_the_file(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    assert store.get("database.mode") == "local"
    store.set("database.mode", "shared")
    store.set("sending.request_timeout_seconds", 5)  # an int is accepted for a float
    store.save()
    again = SettingsStore(tmp_path / "settings.json")
    assert again.get("database.mode") == "shared"
    assert again.get("sending.request_timeout_seconds") == 5.0


def test_unknown_or_mistyped_settings_are_refused(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    with pytest.raises(SettingsError, match="no setting"):
        store.set("no.such.thing", 1)
    with pytest.raises(SettingsError, match="must be bool"):
        store.set("ui.close_to_tray", "yes")


def test_a_damaged_settings_file_is_kept_aside_and_defaults_apply(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    store = SettingsStore(path)
    assert store.get("database.mode") == "local"
    assert (tmp_path / "settings.damaged.json").read_text() == "{not json"


def test_a_wrongly_typed_value_in_the_file_falls_back_to_the_default(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"ui.last_tab": "two", "database.mode": "shared"}))
    store = SettingsStore(path)
    assert store.get("ui.last_tab") == 0
    assert store.get("database.mode") == "shared"


def test_orchid_home_puts_every_folder_under_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHID_HOME", str(tmp_path))
    paths = AppPaths.default()
    paths.ensure()
    assert paths.database_file.parent == tmp_path / "data"
    assert paths.settings_file.parent == tmp_path / "config"
    assert paths.outbox_dir.is_dir() and paths.backups_dir.is_dir()


def test_secrets_live_in_the_keyring(memory_keyring):
    store = SecretStore()
    store.set(SENDGRID_API_KEY, "SG.secret")
    assert store.get(SENDGRID_API_KEY) == "SG.secret"
    assert memory_keyring.secrets == {("orchid-desktop", SENDGRID_API_KEY): "SG.secret"}
    store.delete(SENDGRID_API_KEY)
    assert store.get(SENDGRID_API_KEY) is None


def test_the_environment_key_wins_for_a_worker(monkeypatch):
    store = SecretStore()
    store.set(SENDGRID_API_KEY, "SG.from-keyring")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-env")
    assert store.sendgrid_api_key() == "SG.from-env"


def test_without_a_keyring_the_app_says_so_and_stores_nothing():
    keyring.set_keyring(fail.Keyring())
    store = SecretStore()
    assert not store.available
    assert "no password keyring" in store.unavailable_reason()
    assert store.get(SENDGRID_API_KEY) is None
    with pytest.raises(KeyringUnavailable, match="local mode"):
        store.set(SENDGRID_API_KEY, "SG.x")
