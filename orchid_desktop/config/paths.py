"""Where the app keeps its files on this workstation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "orchid-desktop"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        """The user's platform folders; ``ORCHID_HOME`` puts everything under one folder
        instead (a portable install, and the tests)."""
        home = os.environ.get("ORCHID_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(data_dir=root / "data", config_dir=root / "config")
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        )

    @property
    def database_file(self) -> Path:
        return self.data_dir / "orchid.db"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def outbox_dir(self) -> Path:
        """Local mode writes each message here as an .eml file."""
        return self.data_dir / "outbox"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "orchid-desktop.log"

    def ensure(self) -> None:
        for folder in (self.data_dir, self.config_dir, self.outbox_dir, self.backups_dir,
                       self.documents_dir, self.log_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
