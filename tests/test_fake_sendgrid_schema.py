"""The fake SendGrid's own schema of a mail/send body (``tests/fakes/
sendgrid_mail_send.schema.json``) and how the fake fails: loudly at construction when the
schema cannot be loaded, and with a 500 plus an error on leaving the ``with`` block when
its own handlers break.

The schema is the project's copy of the reference in ``../shared/reference`` (not part of
a clone); where that folder is present, a cross-check gives both the same bodies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Asm,
    Category,
    ClickTracking,
    CustomArg,
    From,
    GroupId,
    GroupsToDisplay,
    Header,
    Mail,
    MailSettings,
    ReplyTo,
    SandBoxMode,
    SendAt,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from tests.fakes import sendgrid_server
from tests.fakes.sendgrid_server import FakeSendGrid

REFERENCE = (Path(__file__).resolve().parents[2] / "shared" / "reference"
             / "sendgrid-mail-send.schema.json")
KEY = "SG.test-key"


def mail(**changes) -> dict:
    """A minimal valid body, with top-level keys replaced (None removes one)."""
    body = {"from": {"email": "news@orchid.example", "name": "Orchid"},
            "subject": "Hello",
            "content": [{"type": "text/plain", "value": "Hi"}],
            "personalizations": [{"to": [{"email": "ada@example.com"}]}]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def one(**personalization) -> list[dict]:
    return [{"to": [{"email": "ada@example.com"}], **personalization}]


VALID = {
    "minimal": mail(),
    "dynamic template": mail(template_id="d-0123456789abcdef", subject=None, content=None,
                             personalizations=one(dynamic_template_data={
                                 "first_name": "Ada", "items": [{"n": 1}], "vip": True})),
    "categories, custom_args, headers": mail(
        categories=["newsletter", "march"], custom_args={"outbox_id": "7", "kind": "mass"},
        headers={"X-Orchid": "1"}),
    "asm group and send_at": mail(asm={"group_id": 42, "groups_to_display": [42, 43]},
                                  send_at=1893456000),
    "mail and tracking settings": mail(
        mail_settings={"sandbox_mode": {"enable": True},
                       "footer": {"enable": False, "text": "bye"}},
        tracking_settings={"click_tracking": {"enable": False, "enable_text": False},
                           "open_tracking": {"enable": False},
                           "subscription_tracking": {"enable": True,
                                                     "substitution_tag": "[unsub]"}}),
    "per-personalization fields": mail(personalizations=[
        {"to": [{"email": "ada@example.com", "name": "Ada"}],
         "cc": [{"email": "bo@example.com"}], "subject": "For Ada",
         "substitutions": {"-name-": "Ada"}, "custom_args": {"outbox_id": "8"},
         "send_at": 1893456000},
        {"to": [{"email": "cy@example.com"}]}]),
    "reply_to_list, ip pool, batch, attachment": mail(
        reply_to_list=[{"email": "office@orchid.example"}], ip_pool_name="transactional",
        batch_id="YOUR_BATCH_ID",
        attachments=[{"content": "aGk=", "filename": "hi.txt", "type": "text/plain",
                      "disposition": "inline", "content_id": "hi"}]),
}

INVALID = {
    "missing from": mail(**{"from": None}),
    "missing personalizations": mail(personalizations=None),
    "bad from address": mail(**{"from": {"email": "not-an-address"}}),
    "bad to address": mail(personalizations=[{"to": [{"email": "ada.example.com"}]}]),
    "personalizations not a list": mail(personalizations={"to": [{"email": "a@b.co"}]}),
    "personalization without to": mail(personalizations=[{"subject": "Hi"}]),
    "over 1000 personalizations": mail(personalizations=[
        {"to": [{"email": f"p{n}@example.com"}]} for n in range(1001)]),
    "content item without value": mail(content=[{"type": "text/plain"}]),
    "empty content value": mail(content=[{"type": "text/plain", "value": ""}]),
    "asm without group_id": mail(asm={"groups_to_display": [42]}),
    "subject not a string": mail(subject=42),
    "empty subject": mail(subject=""),
    "categories not strings": mail(categories=[1, 2]),
    "eleven categories": mail(categories=[f"c{n}" for n in range(11)]),
    "category over 255 characters": mail(categories=["x" * 256]),
    "custom_args value not a string": mail(custom_args={"outbox_id": 7}),
    "send_at not an integer": mail(send_at="tomorrow"),
    "attachment disposition": mail(attachments=[{"content": "aGk=", "filename": "a.txt",
                                                 "disposition": "sideways"}]),
    "ip pool name too short": mail(ip_pool_name="x"),
}

# Deliberately stricter than the reference, where its README says the live API is:
# refused here, accepted by the reference
TIGHTER = {
    "empty personalizations": mail(personalizations=[]),
    "unknown top-level key": mail(sections={"-greeting-": "Hello"}),
}


def validator(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def verdicts(path: Path, bodies: dict[str, dict]) -> dict[str, bool]:
    check = validator(path)
    return {name: check.is_valid(body) for name, body in bodies.items()}


@pytest.mark.skipif(not REFERENCE.is_file(),
                    reason=f"no reference schema at {REFERENCE} (not part of a clone)")
def test_the_schema_gives_the_reference_schemas_verdicts():
    bodies = {**VALID, **INVALID}
    assert verdicts(sendgrid_server.SCHEMA_PATH, bodies) == verdicts(REFERENCE, bodies)
    assert verdicts(sendgrid_server.SCHEMA_PATH, TIGHTER) == dict.fromkeys(TIGHTER, False)
    assert verdicts(REFERENCE, TIGHTER) == dict.fromkeys(TIGHTER, True)


def test_the_schema_is_draft_2020_12_and_says_where_it_comes_from():
    schema = json.loads(sendgrid_server.SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for words in ("twilio/sendgrid-oai", "dbe0e0d2e67a0c3c55b222d54df2acda2b9027a7", "MIT",
                  "Copyright (c) 2024 Twilio", "custom_args"):
        assert words in schema["$comment"]


def test_the_schema_accepts_the_valid_samples_and_refuses_the_others():
    assert verdicts(sendgrid_server.SCHEMA_PATH, VALID) == dict.fromkeys(VALID, True)
    assert verdicts(sendgrid_server.SCHEMA_PATH, {**INVALID, **TIGHTER}) == dict.fromkeys(
        {**INVALID, **TIGHTER}, False)


def test_the_schema_accepts_what_the_sendgrid_helpers_build():
    message = Mail(from_email=From("news@orchid.example", "Orchid"),
                   to_emails=[To("ada@example.com", "Ada"), To("bo@example.com")],
                   subject="Hello", plain_text_content="Hi", html_content="<p>Hi</p>")
    message.category = [Category("newsletter"), Category("march")]
    message.custom_arg = [CustomArg("outbox_id", "7")]
    message.asm = Asm(GroupId(42), GroupsToDisplay([42, 43]))
    message.header = Header("X-Orchid", "1")
    message.reply_to = ReplyTo("office@orchid.example")
    message.send_at = SendAt(1893456000)
    settings = MailSettings()
    settings.sandbox_mode = SandBoxMode(True)
    message.mail_settings = settings
    tracking = TrackingSettings()
    tracking.click_tracking = ClickTracking(False, False)
    tracking.subscription_tracking = SubscriptionTracking(True)
    message.tracking_settings = tracking
    body = message.get()

    errors = list(validator(sendgrid_server.SCHEMA_PATH).iter_errors(body))
    assert [e.message for e in errors] == []
    assert set(body) >= {"categories", "custom_args", "asm", "mail_settings", "send_at"}


def test_the_fake_says_each_limit_once():
    with FakeSendGrid() as fake:
        assert fake.validation_errors(mail()) == []
        assert len(fake.validation_errors(mail(personalizations=[]))) == 1
        many = [{"to": [{"email": f"p{n}@example.com"}]} for n in range(1001)]
        assert len(fake.validation_errors(mail(personalizations=many))) == 2  # + recipients
        twice = [{"to": [{"email": "ada@example.com"}], "cc": [{"email": "ADA@example.com"}]}]
        assert fake.validation_errors(mail(personalizations=twice)) == [
            "each address may appear once per request"]
        # a body of the wrong shape gets the schema's words, not an exception
        assert fake.validation_errors(mail(personalizations=[{"to": [{}]}, "x"]))
        assert fake.validation_errors([])


@pytest.mark.parametrize("content", [None, "{not json", '{"type": 5}'],
                         ids=["missing", "not JSON", "not a schema"])
def test_a_fake_without_a_usable_schema_fails_at_construction(content, tmp_path,
                                                              monkeypatch):
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    monkeypatch.setattr(sendgrid_server, "SCHEMA_PATH", path)
    with pytest.raises(RuntimeError, match=re.escape(str(path))):
        FakeSendGrid()


def test_a_broken_get_handler_answers_500_and_fails_the_with_block():
    with pytest.raises(AssertionError, match="GET /v3/suppression/bounces") as failed:
        with FakeSendGrid() as fake:
            # a row the fake cannot read ("created" must be a timestamp)
            fake.suppressions["bounces"] = [{"email": "a@example.com",
                                             "created": "yesterday"}]
            client = SendGridAPIClient(api_key=KEY, host=fake.host).client
            with pytest.raises(HTTPError) as answer:
                client.suppression.bounces.get()
            assert answer.value.status_code == 500
            message = json.loads(answer.value.body)["errors"][0]["message"]
            assert "ValueError" in message and "yesterday" in message
            assert len(fake.handler_errors) == 1
    assert "ValueError" in str(failed.value)  # with the traceback


def test_a_broken_post_handler_answers_500_and_fails_the_with_block():
    with pytest.raises(AssertionError, match="POST /v3/mail/send"), FakeSendGrid() as fake:
        fake.delay_seconds = "soon"  # not a number of seconds
        client = SendGridAPIClient(api_key=KEY, host=fake.host).client
        with pytest.raises(HTTPError) as answer:
            client.mail.send.post(request_body=mail())
        assert answer.value.status_code == 500
        assert "TypeError" in json.loads(answer.value.body)["errors"][0]["message"]
        fake.wait_idle()  # the request's count is released after its answer
        assert fake.accepted == []


def test_the_with_blocks_own_exception_is_not_replaced():
    with pytest.raises(LookupError, match="the test's own failure"), FakeSendGrid() as fake:
        fake.suppressions["bounces"] = [{"email": "a@example.com", "created": "x"}]
        with pytest.raises(HTTPError):
            SendGridAPIClient(api_key=KEY, host=fake.host).client.suppression.bounces.get()
        raise LookupError("the test's own failure")
