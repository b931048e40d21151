"""Workstation settings, each declared once with its type, default and description.

What the whole agency shares (its name, address, sending window, sender identities)
lives in the database instead; secrets live only in the OS keyring (see secrets.py).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("database.mode", str, "local",
            "'local' for the SQLite file on this workstation, 'shared' for PostgreSQL."),
    Setting("database.shared_url", str, "",
            "The shared PostgreSQL URL without its password, e.g. "
            "postgresql+psycopg://orchid@dbserver:5432/orchid. The password is in the keyring."),
    Setting("sending.local_mode", bool, False,
            "Write emails as .eml files to the local outbox instead of sending them, even "
            "when a SendGrid key is set."),
    Setting("sending.request_timeout_seconds", float, 20.0,
            "How long one SendGrid request may take before it counts as timed out."),
    Setting("ui.close_to_tray", bool, True,
            "Closing the window keeps the app (and sending) running in the system tray."),
    Setting("ui.tray_hint_shown", bool, False,
            "Whether the 'still running in the tray' notice has been shown once."),
    Setting("ui.last_tab", int, 0, "The tab the window opens on."),
)

_BY_KEY = {s.key: s for s in SETTINGS}


class SettingsError(ValueError):
    pass


class SettingsStore:
    """The settings file: JSON in the user config folder, written atomically."""

    def __init__(self, path: Path):
        self.path = path
        self._values: dict[str, Any] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            # A damaged file must not stop the app; keep it aside so nothing is lost.
            aside = self.path.with_suffix(".damaged.json")
            log.warning("settings file %s unreadable (%s); moved to %s", self.path, exc, aside)
            self.path.replace(aside)
            return
        for key, value in raw.items():
            setting = _BY_KEY.get(key)
            if setting is None:
                log.info("ignoring unknown setting %r", key)
                continue
            try:
                self._values[key] = _coerce(setting, value)
            except SettingsError as exc:
                log.warning("%s; using the default", exc)

    def get(self, key: str) -> Any:
        setting = _declared(key)
        return self._values.get(key, setting.default)

    def set(self, key: str, value: Any) -> None:
        self._values[key] = _coerce(_declared(key), value)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._values, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def _declared(key: str) -> Setting:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise SettingsError(f"no setting is called {key!r}") from None


def _coerce(setting: Setting, value: Any) -> Any:
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, setting.type) or (setting.type is int and isinstance(value, bool)):
        raise SettingsError(
            f"setting {setting.key!r} must be {setting.type.__name__}, not {value!r}"
        )
    return value
