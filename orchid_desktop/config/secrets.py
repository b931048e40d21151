"""Secrets — the SendGrid API key and the shared database's password — kept only in the
operating system's keyring: never in the settings file, the database or a log."""

from __future__ import annotations

import logging
import os

import keyring
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE = "orchid-desktop"
SENDGRID_API_KEY = "sendgrid-api-key"


def database_password_name(username: str, host: str, port: int | None, database: str) -> str:
    """One keyring entry per shared database account."""
    return f"database-password:{username}@{host}:{port or 5432}/{database}"


class KeyringUnavailable(RuntimeError):
    """The OS offers no keyring here; the app runs in local mode and says so."""


class SecretStore:
    def __init__(self, service: str = SERVICE):
        self.service = service

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why secrets cannot be stored here, in words for the user, or None."""
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return ("This computer has no password keyring that Orchid Desktop can use, so "
                    "the SendGrid key and database password cannot be saved. The app runs "
                    "in local mode; install a keyring (e.g. GNOME Keyring or KWallet) to send.")
        return None

    @property
    def available(self) -> bool:
        return self.unavailable_reason() is None

    def get(self, name: str) -> str | None:
        if not self.available:
            return None
        try:
            return keyring.get_password(self.service, name)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring could not be read (%s)", type(exc).__name__)
            return None

    def set(self, name: str, secret: str) -> None:
        reason = self.unavailable_reason()
        if reason:
            raise KeyringUnavailable(reason)
        try:
            keyring.set_password(self.service, name, secret)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"The keyring refused to store the secret: {exc}") from exc

    def delete(self, name: str) -> None:
        if not self.available:
            return
        try:
            keyring.delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            pass

    def sendgrid_api_key(self) -> str | None:
        """The environment wins (a worker on a server, CI); then the keyring."""
        return os.environ.get("SENDGRID_API_KEY") or self.get(SENDGRID_API_KEY)
