"""A local stand-in for SendGrid's API, driven by the real ``sendgrid`` client.

It validates every mail/send body against the project's JSON schema of that body,
``sendgrid_mail_send.schema.json`` beside this file (and the limits the schema cannot
express), records what it accepted, and injects faults on request: a status code (429,
5xx, 401…) with headers, or a stall longer than the client's timeout.

A schema that cannot be loaded fails the construction of the fake, not a request. A bug
in the fake's own handlers is answered with a 500 naming it (not a dropped connection,
which a client would take for a network fault) and recorded in ``handler_errors``;
leaving the ``with`` block then raises, so a test cannot pass over it.
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The request body of POST /v3/mail/send (draft 2020-12); its $comment says where it comes
# from and where it is stricter than the published spec
SCHEMA_PATH = Path(__file__).with_name("sendgrid_mail_send.schema.json")


def load_validator(path: Path | None = None):
    """A format-checking validator for the schema at ``path`` (default ``SCHEMA_PATH``),
    or a RuntimeError naming the file when it is missing, unreadable or not a schema."""
    import jsonschema

    path = path or SCHEMA_PATH
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as exc:
        raise RuntimeError(f"fake SendGrid cannot validate: {path} is not a readable "
                           f"JSON schema ({type(exc).__name__}: {exc})") from exc
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0
    # POST only: take the email first (recorded in ``accepted``), then stall and answer —
    # "SendGrid has it but the answer was lost"
    accept_first: bool = False


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # several workers' requests arrive at once
    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client: expected
            super().handle_error(request, client_address)


class FakeSendGrid:
    def __init__(self, valid_keys: set[str] | None = None,
                 scopes: tuple[str, ...] = ("mail.send", "suppression.read")):
        self.valid_keys = valid_keys if valid_keys is not None else {"SG.test-key"}
        self.scopes = scopes
        self.accepted: list[dict] = []
        self.rejected: list[tuple[dict, list[str]]] = []
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        # read side (GET): suppression lists by kind ("bounces", "blocks", "spam_reports",
        # "invalid_emails", "unsubscribes": dicts with email/created…; "group_unsubscribes":
        # dicts with email/group_id/group_name/created_at), and category stats as
        # {category: {"YYYY-MM-DD": {metric: count}}} (a category absent here is unknown)
        self.suppressions: dict[str, list[dict]] = {}
        self.stats: dict[str, dict[str, dict[str, int]]] = {}
        # built here, not in the first request's thread: a missing schema fails the test
        # at its start instead of dropping that request's connection
        self._validator = load_validator()
        self._lock = threading.Lock()
        # unexpected exceptions in the handlers (method, path, traceback): each was answered
        # with a 500, and __exit__ raises when there are any
        self.handler_errors: list[tuple[str, str, str]] = []
        # POST side: a pause before each mail/send is handled (a slow server, so a
        # killed client leaves requests in flight), addresses refused with SendGrid's
        # 400 reason, the message id answered for each accepted body, and counters
        self.delay_seconds = 0.0
        self.refuse: dict[str, str] = {}
        self.message_ids: list[str] = []
        self.posts_started = 0
        self.in_flight = 0
        self.max_in_flight = 0  # the most mail/send requests handled at one time
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeSendGrid:
        self._thread.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            errors = list(self.handler_errors)
        if errors and exc_type is None:  # the block's own exception says more; keep it
            raise AssertionError(
                f"{len(errors)} unexpected error(s) in the fake SendGrid's handlers:\n"
                + "\n".join(f"{method} {path}\n{trace}" for method, path, trace in errors))

    def validation_errors(self, body: object) -> list[str]:
        """What SendGrid would refuse in a mail/send body: the schema's errors, then the
        limits a JSON schema cannot express."""
        schema_errors = list(self._validator.iter_errors(body))
        errors = [e.message for e in schema_errors]
        if not isinstance(body, dict):
            return errors
        personalizations = body.get("personalizations")
        if not isinstance(personalizations, list):  # missing or mistyped: the schema said so
            return errors
        # The schema has minItems/maxItems too: say it once (these words when it did not)
        said = {e.validator for e in schema_errors if list(e.path) == ["personalizations"]}
        if not personalizations and "minItems" not in said:
            errors.append("personalizations must not be empty")
        if len(personalizations) > 1000 and "maxItems" not in said:
            errors.append("at most 1000 personalizations")
        # only well-formed recipients (the schema reports the others)
        addresses = [to["email"].lower() for p in personalizations if isinstance(p, dict)
                     for kind in ("to", "cc", "bcc") if isinstance(p.get(kind), list)
                     for to in p[kind]
                     if isinstance(to, dict) and isinstance(to.get("email"), str)]
        if len(addresses) > 1000:
            errors.append("at most 1000 recipients (to, cc and bcc) per request")
        if len(addresses) != len(set(addresses)):
            errors.append("each address may appear once per request")
        return errors

    def recipients(self) -> list[str]:
        """Every accepted "to" address, once per time it was accepted."""
        with self._lock:
            bodies = list(self.accepted)
        return [to["email"] for body in bodies for p in body["personalizations"]
                for to in p["to"]]

    def message_id_of(self) -> dict[str, str]:
        """Accepted address → the X-Message-Id answered for its request."""
        with self._lock:
            pairs = list(zip(self.accepted, self.message_ids, strict=False))
        return {to["email"]: mid for body, mid in pairs
                for p in body["personalizations"] for to in p["to"]}

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until no mail/send is being handled (a killed client's request finishes here)."""
        import time

        end = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < end:
            time.sleep(0.02)
        if self.in_flight:
            raise TimeoutError(f"{self.in_flight} requests still in the fake server")

    def answer_get(self, path: str) -> tuple[int, object]:
        """What SendGrid would answer a GET: suppression lists (limit/offset/start_time,
        newest first) and category stats (at most 10 categories, per day)."""
        from datetime import date, timedelta
        from urllib.parse import parse_qs, urlsplit

        url = urlsplit(path)
        route, query = url.path.rstrip("/"), parse_qs(url.query)

        def number(name: str, default: int) -> int:
            return int(query.get(name, [default])[0])

        if route == "/v3/scopes":
            return 200, {"scopes": list(self.scopes)}
        kind = route.removeprefix("/v3/suppression/")
        if kind in ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes"):
            since, until = number("start_time", 0), number("end_time", 2**62)
            rows = [r for r in self.suppressions.get(kind, [])
                    if since <= int(r.get("created", 0)) <= until]
            rows.sort(key=lambda r: -int(r.get("created", 0)))
            offset, limit = number("offset", 0), number("limit", 500)
            if not 1 <= limit <= 500:
                return 400, {"errors": [{"message": "limit must be between 1 and 500"}]}
            return 200, rows[offset:offset + limit]
        groups = self.suppressions.get("group_unsubscribes", [])
        if route == "/v3/asm/suppressions":
            return 200, groups
        if route.startswith("/v3/asm/groups/") and route.endswith("/suppressions"):
            group = int(route.split("/")[4])
            return 200, [r["email"] for r in groups if int(r.get("group_id", 0)) == group]
        if route == "/v3/categories/stats":
            categories = query.get("categories", [])
            if "start_date" not in query or not categories:
                return 400, {"errors": [{"message": "start_date and categories are required"}]}
            if len(categories) > 10:
                return 400, {"errors": [{"message": "at most 10 categories per request"}]}
            if any(c not in self.stats for c in categories):
                return 404, {"errors": [{"field": None, "message": "category does not exist"}]}
            day = date.fromisoformat(query["start_date"][0])
            end = date.fromisoformat(query.get("end_date", [date.today().isoformat()])[0])
            days = []
            while day <= end:
                days.append({"date": day.isoformat(), "stats": [
                    {"type": "category", "name": c,
                     "metrics": self.stats[c].get(day.isoformat(), {})} for c in categories]})
                day += timedelta(days=1)
            return 200, days
        return 404, {"errors": [{"message": "not found"}]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            replied = False  # per request: whether a status line has been sent

            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status: int, body: dict | None = None,
                       headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode() if body is not None else b""
                self.replied = True
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

            def _guarded(self, method: str, handle) -> None:
                """Run ``handle``; a bug in it becomes a 500 that says what happened, and
                an entry in ``handler_errors``, instead of a closed connection."""
                self.replied = False
                try:
                    handle()
                except ConnectionError:  # the client went away (killed): not a bug here
                    raise
                except Exception as exc:
                    with fake._lock:
                        fake.handler_errors.append(
                            (method, self.path, traceback.format_exc()))
                    if not self.replied:  # a half-sent answer cannot be replaced
                        self._reply(500, {"errors": [{
                            "message": f"fake SendGrid handler error: "
                                       f"{type(exc).__name__}: {exc}"}]})

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                self._guarded("GET", self._get)

            def _get(self) -> None:
                if self._fault() or not self._authorised():
                    return
                self._reply(*fake.answer_get(self.path))

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.posts_started += 1
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._guarded("POST", lambda: self._post(raw))
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _post(self, raw: bytes) -> None:
                if fake.delay_seconds:
                    threading.Event().wait(fake.delay_seconds)
                with fake._lock:
                    after = fake.faults.pop(0) if fake.faults and fake.faults[0].accept_first \
                        else None
                if (after is None and self._fault()) or not self._authorised():
                    return
                if self.path.rstrip("/") != "/v3/mail/send":
                    self._reply(404, {"errors": [{"message": "not found"}]})
                    return
                body = json.loads(raw or b"{}")
                errors = fake.validation_errors(body)
                refused = [] if errors else [
                    (n, to["email"]) for n, p in enumerate(body["personalizations"])
                    for to in p["to"] if to["email"] in fake.refuse]
                if errors or refused:
                    fake.rejected.append((body, errors + [fake.refuse[e] for _, e in refused]))
                    self._reply(400, {"errors": [{"message": m} for m in errors] + [
                        {"message": fake.refuse[e], "field": f"personalizations.{n}.to"}
                        for n, e in refused]})
                    return
                message_id = uuid.uuid4().hex[:22]
                with fake._lock:
                    fake.accepted.append(body)
                    fake.message_ids.append(message_id)
                if after is not None:
                    threading.Event().wait(after.stall_seconds)
                self._reply(after.status if after else 202, None, {"X-Message-Id": message_id})

        return Handler
