"""Where prepared messages go: SendGrid's mail/send (with every answer sorted into what
the engine must do next), or, in local mode, ``.eml`` files in the outbox folder.

The sorting matters most for a broken connection. ``urllib`` raises ``URLError`` when
the connection or the sending of the request failed — SendGrid cannot have taken the
email, so it may be tried again. Anything that breaks after the request went out (a
read timeout, a reset while waiting for the answer) leaves the email *uncertain*:
SendGrid has no idempotency key, so sending it again could send it twice.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from python_http_client import exceptions as http_errors

from .local_outbox import write_eml
from .payloads import PreparedMessage, Sender
from .sendgrid_check import client

log = logging.getLogger(__name__)


class Answer(StrEnum):
    ACCEPTED = "accepted"  # 2xx: SendGrid took every personalization
    REJECTED = "rejected"  # 400 and other 4xx: this request will never be taken
    KEY_REFUSED = "key refused"  # 401/403: nothing will be taken until the key is fixed
    TRY_LATER = "try later"  # 429, 5xx, or the request never reached SendGrid
    UNCERTAIN = "uncertain"  # the request went out; no answer came back


@dataclass(frozen=True)
class PostResult:
    answer: Answer
    reason: str
    status: int | None = None
    message_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class MailTransport(Protocol):
    def post(self, body: dict[str, Any]) -> PostResult: ...


class SendGridTransport:
    """The official client; one per dispatcher, used from several threads (each call
    builds its own request object, so the client holds no per-call state)."""

    def __init__(self, api_key: str, timeout: float):
        self._client = client(api_key, timeout)

    def post(self, body: dict[str, Any]) -> PostResult:
        try:
            response = self._client.client.mail.send.post(request_body=body)
        except http_errors.HTTPError as exc:
            return _from_http_error(exc)
        except urllib.error.URLError as exc:  # connecting or sending failed: not taken
            return PostResult(Answer.TRY_LATER, f"could not reach SendGrid ({_why(exc)})")
        except (OSError, http.client.HTTPException) as exc:  # after the request went out
            return PostResult(Answer.UNCERTAIN, "SendGrid did not answer in time "
                              f"({type(exc).__name__}): the email may have been delivered")
        headers = dict((response.headers or {}).items())
        message_id = _header(headers, "X-Message-Id")
        return PostResult(Answer.ACCEPTED, "accepted", response.status_code, message_id,
                          headers)


def _why(exc: urllib.error.URLError) -> str:
    reason = exc.reason
    return type(reason).__name__ if isinstance(reason, BaseException) else str(reason)


def _header(headers: dict[str, str], name: str) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get(name.lower())


def _from_http_error(exc: http_errors.HTTPError) -> PostResult:
    status = int(getattr(exc, "status_code", 0) or 0)
    headers = dict(getattr(exc, "headers", None) or {})
    said = _error_messages(getattr(exc, "body", b""))
    if status in (401, 403):
        return PostResult(Answer.KEY_REFUSED, f"SendGrid refused the API key ({status}"
                          f"{': ' + said if said else ''})", status, headers=headers)
    if status == 429 or status >= 500:
        return PostResult(Answer.TRY_LATER, f"SendGrid answered {status}"
                          f"{': ' + said if said else ''}", status, headers=headers)
    return PostResult(Answer.REJECTED, f"SendGrid refused the email ({status}): "
                      f"{said or 'no reason given'}", status, headers=headers)


def _error_messages(body: bytes | str | None) -> str:
    """SendGrid's own words: ``{"errors": [{"message": …, "field": …}]}``."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        return ""
    parts = []
    for error in errors[:5]:
        message = str(error.get("message") or "").strip()
        where = str(error.get("field") or "").strip()
        if message:
            parts.append(f"{message} ({where})" if where else message)
    return "; ".join(parts)


class LocalTransport:
    """Local mode: each message becomes an ``.eml`` file; nothing leaves the computer."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def save(self, message: PreparedMessage, sender: Sender) -> Path:
        return write_eml(self.folder, message, sender)
