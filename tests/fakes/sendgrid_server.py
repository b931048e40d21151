"""A local stand-in for SendGrid's API, driven by the real ``sendgrid`` client.

It validates every mail/send body against the reference JSON schema in
``../shared/reference`` (and the limits the schema cannot express), records what it
accepted, and injects faults on request: a status code (429, 5xx, 401…) with headers,
or a stall longer than the client's timeout.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "reference" / \
    "sendgrid-mail-send.schema.json"


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0


class FakeSendGrid:
    def __init__(self, valid_keys: set[str] | None = None,
                 scopes: tuple[str, ...] = ("mail.send", "suppression.read")):
        self.valid_keys = valid_keys if valid_keys is not None else {"SG.test-key"}
        self.scopes = scopes
        self.accepted: list[dict] = []
        self.rejected: list[tuple[dict, list[str]]] = []
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self._validator = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeSendGrid:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def validation_errors(self, body: dict) -> list[str]:
        if self._validator is None:
            import jsonschema

            schema = json.loads(SCHEMA_PATH.read_text())
            self._validator = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = [e.message for e in self._validator.iter_errors(body)]
        personalizations = body.get("personalizations") or []
        if not personalizations:
            errors.append("personalizations must not be empty")
        if len(personalizations) > 1000:
            errors.append("at most 1000 personalizations")
        addresses = [to["email"].lower() for p in personalizations
                     for kind in ("to", "cc", "bcc") for to in p.get(kind, [])]
        if len(addresses) != len(set(addresses)):
            errors.append("each address may appear once per request")
        return errors

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status: int, body: dict | None = None,
                       headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorised(self) -> bool:
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if key in fake.valid_keys:
                    return True
                self._reply(401, {"errors": [{"message": "The provided authorization grant "
                                              "is invalid, expired, or revoked"}]})
                return False

            def _fault(self) -> bool:
                with fake._lock:
                    fault = fake.faults.pop(0) if fake.faults else None
                if fault is None:
                    return False
                if fault.stall_seconds:
                    threading.Event().wait(fault.stall_seconds)
                self._reply(fault.status, {"errors": [{"message": "injected fault"}]},
                            fault.headers)
                return True

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                if self._fault() or not self._authorised():
                    return
                if self.path.rstrip("/") == "/v3/scopes":
                    self._reply(200, {"scopes": list(fake.scopes)})
                else:
                    self._reply(404, {"errors": [{"message": "not found"}]})

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if self._fault() or not self._authorised():
                    return
                if self.path.rstrip("/") != "/v3/mail/send":
                    self._reply(404, {"errors": [{"message": "not found"}]})
                    return
                body = json.loads(raw or b"{}")
                errors = fake.validation_errors(body)
                if errors:
                    fake.rejected.append((body, errors))
                    self._reply(400, {"errors": [{"message": m} for m in errors]})
                    return
                fake.accepted.append(body)
                self._reply(202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})

        return Handler
