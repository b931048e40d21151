"""'Test key': ask SendGrid which permissions a key has, without sending anything."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import sendgrid
from python_http_client import exceptions as http_errors

DEFAULT_HOST = "https://api.sendgrid.com"
CHECK_TIMEOUT_SECONDS = 15


def api_host() -> str:
    """``ORCHID_SENDGRID_HOST`` points the app at another server (tests, benchmarks)."""
    return os.environ.get("ORCHID_SENDGRID_HOST", DEFAULT_HOST)


def client(api_key: str, timeout: float) -> sendgrid.SendGridAPIClient:
    # The client waits forever unless told otherwise.
    sg = sendgrid.SendGridAPIClient(api_key=api_key, host=api_host())
    sg.client.timeout = timeout
    return sg


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    message: str


def check_api_key(api_key: str, timeout: float = CHECK_TIMEOUT_SECONDS) -> KeyCheck:
    if not api_key.strip():
        return KeyCheck(False, "Enter a SendGrid API key first.")
    try:
        response = client(api_key.strip(), timeout).client.scopes.get()
    except (http_errors.UnauthorizedError, http_errors.ForbiddenError):
        return KeyCheck(False, "SendGrid refused this key: check that it was copied whole "
                               "and has not been deleted.")
    except http_errors.HTTPError as exc:
        return KeyCheck(False, f"SendGrid answered with an error ({exc.status_code}); "
                               "try again in a minute.")
    except (OSError, TimeoutError) as exc:
        return KeyCheck(False, f"Could not reach SendGrid ({exc.__class__.__name__}): check "
                               "the internet connection.")
    scopes = set(json.loads(response.body or b"{}").get("scopes", []))
    if "mail.send" not in scopes:
        return KeyCheck(False, "The key works but may not send mail: give it the "
                               "'Mail Send' permission in SendGrid.")
    return KeyCheck(True, "The key works and may send mail.")
