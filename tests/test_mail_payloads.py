"""The sending engine's first pieces: rendering with the legal footer, SendGrid request
bodies (checked by the fake SendGrid's schema validation, through the real client), the
substitution shortcut proved equal to rendering person by person, and local .eml files.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orchid_desktop.domain.templating import UNSUBSCRIBE_LINK_TAG, MissingValue
from orchid_desktop.domain.vocab import EmailKind
from orchid_desktop.mail import payloads
from orchid_desktop.mail.local_outbox import existing_eml, slug, write_eml
from orchid_desktop.mail.payloads import (
    InvalidMessage,
    PreparedMessage,
    Sender,
    build_requests,
    prepare_message,
)
from orchid_desktop.mail.rendering import (
    FixedContent,
    SharedBodies,
    render_key,
    render_message,
    render_shared,
    source_of,
)
from orchid_desktop.mail.sendgrid_check import client
from orchid_desktop.services.first_run import library_entries
from tests.fakes.sendgrid_server import FakeSendGrid

MARKETING, SERVICE = EmailKind.MARKETING, EmailKind.SERVICE
ADDRESS = "12 Orchard Lane\nSuite 3\nPortland, OR 97201"
ASM_TAG = "<%asm_group_unsubscribe_raw_url%>"
SENDER = Sender("hello@orchid-agency.test", "Orchid Agency", "team@orchid-agency.test")
AGENCY = {"agency_name": "Orchid & Co", "agency_postal_address": ADDRESS,
          "application_link": "https://orchid-agency.test/apply?src=email&x=1",
          "unsubscribe_link": UNSUBSCRIBE_LINK_TAG}

# A newsletter as agencies write them: CSS with braces and percentages, an Outlook
# conditional comment, names in the subject, the body, an attribute and the text part.
NEWSLETTER = SimpleNamespace(
    id=7,
    subject="{{ first_name | default('Friend') }}, your {{ agency_name }} news",
    html_body="""<style>p { margin: 0 0 12px; } .w { width: 100%; }</style>
<!--[if mso]><table><tr><td><![endif]-->
<p>Hi {{ first_name | default("there") }} {{ last_name | default("") }},</p>
<p title="For {{ first_name | default('you') }}">Thanks for your interest in
{{ agency_name }}.</p>
<p>Write to {{ coordinator_name | default("our team") }} any time, or
<a href="{{ application_link }}">finish your application</a> ({{ email }}).</p>
<p><a href="{{ unsubscribe_link }}">Stop these emails</a></p>
<!--[if mso]></td></tr></table><![endif]-->""",
    text_body=None,
)


def person(i: int, first: str | None = "Ann", last: str | None = "Lee", **extra) -> dict:
    return {**AGENCY, "first_name": first, "last_name": last,
            "email": f"person{i}@example.com", "coordinator_name": "Dana", **extra}


def prepared(people: list[dict], *, source=NEWSLETTER, kind=MARKETING, category="drip-12",
             shared: SharedBodies | None = None, start: int = 1) -> list[PreparedMessage]:
    shared = shared if shared is not None else SharedBodies()
    return [prepare_message(start + n, source, values, kind=kind, postal_address=ADDRESS,
                            to_email=values["email"], to_name=values.get("first_name"),
                            category=category, shared_bodies=shared)
            for n, values in enumerate(people)]


@pytest.fixture
def fake_sendgrid(monkeypatch):
    with FakeSendGrid() as fake:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", fake.host)
        yield fake


def post_all(fake: FakeSendGrid, requests: list[payloads.MailRequest]) -> None:
    """Every body through the real client; the fake validates each against the schema."""
    sg = client("SG.test-key", timeout=20)
    accepted = len(fake.accepted)
    for request in requests:
        response = sg.client.mail.send.post(request_body=request.body)
        assert response.status_code == 202
    assert fake.rejected == []
    assert len(fake.accepted) - accepted == len(requests)


def check_partition(messages, requests) -> None:
    """Every outbox id in exactly one request; an address at most once per request;
    the ids a request carries are those of its personalizations, in order."""
    carried = [i for r in requests for i in r.outbox_ids]
    assert sorted(carried) == sorted(m.outbox_id for m in messages)
    assert len(carried) == len(set(carried))
    for request in requests:
        people = request.body["personalizations"]
        assert 1 <= len(people) <= 1000
        addresses = [to["email"].lower() for p in people for to in p["to"]]
        assert len(addresses) == len(set(addresses))
        assert [int(p["custom_args"]["outbox_id"]) for p in people] == list(request.outbox_ids)


# -- how SendGrid would put each recipient's email together -------------------------------

def sendgrid_emails(requests, order: str = "forward") -> dict[int, tuple[str, str, str]]:
    """Outbox id → (subject, html, text) as SendGrid would send it, applying each
    personalization's substitutions key by key (in the given order) or in one pass."""
    result = {}
    for request in requests:
        body = request.body
        parts = {c["type"]: c["value"] for c in body["content"]}
        for p in body["personalizations"]:
            subs = p.get("substitutions", {})
            subject = p.get("subject", body.get("subject"))
            result[int(p["custom_args"]["outbox_id"])] = (
                subject, apply(parts.get("text/html", ""), subs, order),
                apply(parts.get("text/plain", ""), subs, order))
    return result


def apply(content: str, subs: dict[str, str], order: str) -> str:
    if not subs:
        return content
    if order == "one pass":
        pattern = "|".join(re.escape(k) for k in sorted(subs, key=len, reverse=True))
        return re.sub(pattern, lambda m: subs[m.group()], content)
    keys = list(subs)
    if order == "reverse":
        keys.reverse()
    elif order == "shuffled":
        random.Random(len(content)).shuffle(keys)
    for key in keys:
        content = content.replace(key, subs[key])
    return content


def expected_email(source, values, kind, asm_group_id) -> tuple[str, str, str]:
    """The person's own email, rendered alone, with the unsubscribe placeholder as
    SendGrid must receive it (and the subject on one line of visible characters)."""
    email = render_message(source, values, kind=kind, postal_address=ADDRESS)
    tag = None if kind is SERVICE else (ASM_TAG if asm_group_id else UNSUBSCRIBE_LINK_TAG)
    fix = (lambda s: s.replace(UNSUBSCRIBE_LINK_TAG, tag)) if tag else (lambda s: s)
    subject = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", email.subject).split())
    return subject, fix(email.html), fix(email.text)


def assert_everyone_gets_their_own_email(people, messages, requests, *, source, kind,
                                         asm_group_id) -> None:
    for order in ("forward", "reverse", "shuffled", "one pass"):
        sent = sendgrid_emails(requests, order)
        for values, message in zip(people, messages, strict=True):
            assert sent[message.outbox_id] == expected_email(source, values, kind,
                                                             asm_group_id), order


# -- rendering -----------------------------------------------------------------------

def test_marketing_email_gets_unsubscribe_link_and_postal_address():
    email = render_message(NEWSLETTER, person(1), kind=MARKETING, postal_address=ADDRESS)
    assert email.subject == "Ann, your Orchid & Co news"
    assert "Hi Ann Lee," in email.html and "Orchid &amp; Co" in email.html
    assert email.html.count(UNSUBSCRIBE_LINK_TAG) == 2  # the template's and the footer's
    assert "12 Orchard Lane · Suite 3 · Portland, OR 97201" in email.html
    assert f"Unsubscribe from these emails at any time: {UNSUBSCRIBE_LINK_TAG}" in email.text
    assert "12 Orchard Lane · Suite 3 · Portland, OR 97201" in email.text


def test_service_email_gets_postal_address_only():
    notice = SimpleNamespace(subject="About your application",
                             html_body="<p>Dear {{ first_name }}, thank you.</p>",
                             text_body="Dear {{ first_name }}, thank you.")
    email = render_message(notice, person(1), kind=SERVICE, postal_address=ADDRESS)
    assert UNSUBSCRIBE_LINK_TAG not in email.html + email.text
    assert "Unsubscribe" not in email.html + email.text
    assert email.text.startswith("Dear Ann, thank you.")
    assert "Portland, OR 97201" in email.html and "Portland, OR 97201" in email.text


def test_fixed_content_is_used_as_it_is():
    row = SimpleNamespace(id=5, template_version_id=None, render_variables={},
                          subject="[Test]  Hello {{ x }}", html_body="<p>{{ x }} &amp; y</p>",
                          text_body=None)
    email = render_message(row, {}, kind=SERVICE, postal_address="")
    assert email.subject == "[Test] Hello {{ x }}"
    assert email.html == "<p>{{ x }} &amp; y</p>" and email.text.strip() == "{{ x }} & y"
    assert render_key(row, {}, kind=SERVICE, postal_address="") is None
    assert render_shared(row, {}, kind=SERVICE, postal_address="") is None
    with pytest.raises(ValueError):
        source_of(SimpleNamespace(id=6, template_version_id=3))
    assert source_of(SimpleNamespace(id=6, template_version_id=3), NEWSLETTER) is NEWSLETTER
    assert isinstance(source_of(row), FixedContent)


def test_missing_value_without_default_raises():
    source = SimpleNamespace(subject="Hi", html_body="<p>{{ last_name }}</p>", text_body=None)
    with pytest.raises(MissingValue):
        render_message(source, person(1, last=""), kind=MARKETING, postal_address=ADDRESS)


def test_render_key_separates_what_changes_the_shared_body():
    def key(values, kind=MARKETING, address=ADDRESS):
        return render_key(NEWSLETTER, values, kind=kind, postal_address=address)

    assert key(person(1)) == key(person(2, "Bo", "Chan", coordinator_name="Eve"))
    assert key(person(1)) != key(person(1, last=None))  # a default now applies
    assert key(person(1)) != key(person(1, agency_name="Other agency"))
    assert key(person(1)) != key(person(1), kind=SERVICE)
    assert key(person(1)) != key(person(1), address="elsewhere")
    assert key(person(1)) == key(person(1, unused_variable="anything"))


def test_shared_body_has_tokens_where_the_people_differ():
    body = render_shared(NEWSLETTER, person(1), kind=MARKETING, postal_address=ADDRESS)
    assert body is not None
    assert set(body.names) == {"first_name", "last_name", "email", "coordinator_name"}
    assert "^{first_name:html}" in body.html and "^{first_name}" not in body.html
    assert "^{first_name}" in body.text and "^{first_name:html}" not in body.text
    # a value run through a filter cannot be a token: no shared body for that template
    shouted = SimpleNamespace(subject="Hi", html_body="<p>{{ first_name | upper }}</p>",
                              text_body=None)
    assert render_shared(shouted, person(1), kind=MARKETING, postal_address=ADDRESS) is None


# -- request bodies -------------------------------------------------------------------

def test_2500_messages_make_three_requests_accepted_by_sendgrid(fake_sendgrid):
    people = [person(i, f"Name{i}", "Lee") for i in range(2500)]
    messages = prepared(people)
    requests = build_requests(messages, sender=SENDER, asm_group_id=4242)
    assert [len(r.body["personalizations"]) for r in requests] == [1000, 1000, 500]
    assert all(r.substituted for r in requests)
    check_partition(messages, requests)
    assert_everyone_gets_their_own_email(people[:50] + people[-50:],
                                         messages[:50] + messages[-50:], requests,
                                         source=NEWSLETTER, kind=MARKETING,
                                         asm_group_id=4242)
    post_all(fake_sendgrid, requests)


def test_a_second_message_to_one_address_goes_into_another_request(fake_sendgrid):
    people = [person(i) for i in range(6)]
    people[3]["email"] = people[0]["email"].upper()  # the same address, other case
    people[5]["email"] = people[0]["email"]
    messages = prepared(people)
    requests = build_requests(messages, sender=SENDER, asm_group_id=None)
    assert len(requests) == 3  # the fewest: that address has three messages
    check_partition(messages, requests)
    homes = [n for n, r in enumerate(requests) for i in r.outbox_ids if i in (1, 4, 6)]
    assert sorted(homes) == [0, 1, 2]
    post_all(fake_sendgrid, requests)


def test_max_personalizations_is_respected_and_bounded():
    messages = prepared([person(i) for i in range(25)])
    requests = build_requests(messages, sender=SENDER, asm_group_id=1, max_personalizations=10)
    assert [len(r.outbox_ids) for r in requests] == [10, 10, 5]
    for bad in (0, 1001):
        with pytest.raises(ValueError):
            build_requests(messages, sender=SENDER, asm_group_id=1, max_personalizations=bad)


@settings(max_examples=200, deadline=None)
@given(addresses=st.lists(st.sampled_from("abcdefg"), max_size=60),
       size=st.integers(1, 7))
def test_chunks_are_the_fewest_with_no_repeated_address(addresses, size):
    chunks = payloads._chunks(addresses, size)
    assert sorted(i for c in chunks for i in c) == list(range(len(addresses)))
    for chunk in chunks:
        assert 1 <= len(chunk) <= size and chunk == sorted(chunk)
        assert len({addresses[i] for i in chunk}) == len(chunk)
    most = max((addresses.count(a) for a in set(addresses)), default=0)
    assert len(chunks) == max(math.ceil(len(addresses) / size), most)


def test_messages_that_differ_otherwise_are_grouped_by_identical_email(fake_sendgrid):
    # a filter on a per-recipient value: no shared body, so one request per distinct email
    source = SimpleNamespace(subject="Hello {{ first_name | title }}",
                             html_body="<p>Hi {{ first_name | title }}</p>", text_body=None)
    people = [person(1, "ann"), person(2, "bo"), person(3, "ann"), person(4, "ANN")]
    messages = prepared(people, source=source)
    assert all(m.shared is None for m in messages)
    requests = build_requests(messages, sender=SENDER, asm_group_id=9)
    assert [r.outbox_ids for r in requests] == [(1, 3, 4), (2,)]  # "Ann" ×3, "Bo"
    assert not any(r.substituted for r in requests)
    assert all(r.body["subject"] and "subject" not in r.body["personalizations"][0]
               for r in requests)
    assert_everyone_gets_their_own_email(people, messages, requests, source=source,
                                         kind=MARKETING, asm_group_id=9)
    post_all(fake_sendgrid, requests)


def test_substitutions_are_used_for_ordinary_names_and_only_where_exact(fake_sendgrid):
    names = ["Ann", "Mary-Jane", "Bo & <Co>", 'Zoë "Z" O\'Neil', "-first_name-",
             "^{last_name}", "50%", "Ann", "  ", None, "Jean-Luc; Picard, Jr."]
    people = [person(i, first, "Smith-Jones") for i, first in enumerate(names)]
    messages = prepared(people)
    requests = build_requests(messages, sender=SENDER, asm_group_id=77)
    check_partition(messages, requests)
    assert_everyone_gets_their_own_email(people, messages, requests, source=NEWSLETTER,
                                         kind=MARKETING, asm_group_id=77)
    substituted = {i for r in requests if r.substituted for i in r.outbox_ids}
    # ordinary names, HTML special characters and hyphens all share one body…
    assert {1, 2, 3, 4, 5, 8, 11} <= substituted
    # …a value that could complete a token or a SendGrid tag is sent on its own
    assert {6, 7}.isdisjoint(substituted)
    assert len([r for r in requests if r.substituted and 1 in r.outbox_ids]) == 1
    # names with "," or ";" lose them (SendGrid misreads them as address lists)
    to = {int(p["custom_args"]["outbox_id"]): p["to"][0]
          for r in requests for p in r.body["personalizations"]}
    assert to[11]["name"] == "Jean-Luc Picard Jr."
    assert "name" not in to[9] and "name" not in to[10]
    post_all(fake_sendgrid, requests)


name_text = st.text(alphabet=st.sampled_from(list("abcAZ -'.&<>\"^%{}:;,é中\u00a0"))
                    | st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(name_text | st.none(), name_text | st.none()),
                      min_size=1, max_size=8),
       asm_group_id=st.sampled_from([None, 31]),
       kind=st.sampled_from([MARKETING, SERVICE]))
def test_substituted_emails_equal_emails_rendered_alone(fake_sendgrid, names, asm_group_id,
                                                        kind):
    people = [person(i, first, last) for i, (first, last) in enumerate(names)]
    messages = prepared(people, kind=kind)
    requests = build_requests(messages, sender=SENDER, asm_group_id=asm_group_id)
    check_partition(messages, requests)
    assert_everyone_gets_their_own_email(people, messages, requests, source=NEWSLETTER,
                                         kind=kind, asm_group_id=asm_group_id)
    post_all(fake_sendgrid, requests)


@pytest.mark.parametrize("entry", library_entries(), ids=lambda e: e["slug"])
def test_every_library_template_shares_one_body(entry):
    source = SimpleNamespace(subject=entry["subject"], html_body=entry["html"].strip(),
                             text_body=None)
    kind = EmailKind(entry["kind"])
    people = [person(i, first, "Lee") for i, first in
              enumerate(["Ann", "Mary-Jane", "Bo & <Co>", "O'Hara", "Zoë"])]
    messages = prepared(people, source=source, kind=kind)
    requests = build_requests(messages, sender=SENDER, asm_group_id=5)
    assert len(requests) == 1 and requests[0].substituted
    assert_everyone_gets_their_own_email(people, messages, requests, source=source,
                                         kind=kind, asm_group_id=5)


def test_custom_args_carry_only_opaque_ids(fake_sendgrid):
    people = [person(i, "Ann", "Lee") for i in range(3)]
    shared = SharedBodies()
    messages = [prepare_message(10 + i, NEWSLETTER, values, kind=MARKETING,
                                postal_address=ADDRESS, to_email=values["email"],
                                to_name="Ann Lee", category="mass-email-3",
                                custom_ids={"campaign": "mass-email-3", "step": 2},
                                shared_bodies=shared)
                for i, values in enumerate(people)]
    requests = build_requests(messages, sender=SENDER, asm_group_id=None)
    for request in requests:
        assert "custom_args" not in request.body
        assert request.body["categories"] == ["mass-email-3"]
        for p in request.body["personalizations"]:
            assert p["custom_args"]["outbox_id"].isdigit()
            assert set(p["custom_args"]) == {"outbox_id", "campaign", "step"}
            assert all(re.fullmatch(r"[A-Za-z0-9_.:-]+", v) for v in p["custom_args"].values())
            assert "Ann" not in json.dumps(p["custom_args"])
            assert "@" not in json.dumps(p["custom_args"])
    post_all(fake_sendgrid, requests)
    base = {"outbox_id": 1, "to_email": "a@b.test", "to_name": None, "subject": "Hi",
            "html": "<p>x</p>", "text": "x", "category": "drip-1", "kind": MARKETING}
    for bad in ({"note": "takes metformin"}, {"outbox_id": "2"}, {"name": "Ann Lee"},
                {"x": "a" * 65}, {"bmi": 31.5}):
        with pytest.raises(InvalidMessage):
            PreparedMessage(**base, custom_ids=bad)


def test_marketing_with_asm_group(fake_sendgrid):
    body = build_requests(prepared([person(1)]), sender=SENDER, asm_group_id=4242)[0].body
    assert body["asm"] == {"group_id": 4242}
    assert "subscription_tracking" not in body.get("tracking_settings", {})
    assert body["headers"] == {
        "List-Unsubscribe":
            f"<{ASM_TAG}>, <mailto:team@orchid-agency.test?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    content = json.dumps(body["content"])
    assert UNSUBSCRIBE_LINK_TAG not in content
    assert content.count(json.dumps(ASM_TAG)[1:-1]) == 4  # template and footer, both parts
    assert body["from"] == {"email": "hello@orchid-agency.test", "name": "Orchid Agency"}
    assert body["reply_to"] == {"email": "team@orchid-agency.test"}
    post_all(fake_sendgrid, [payloads.MailRequest(body, (1,))])


def test_marketing_without_asm_group_uses_subscription_tracking(fake_sendgrid):
    sender = Sender("hello@orchid-agency.test", "Orchid, the agency")
    body = build_requests(prepared([person(1)]), sender=sender, asm_group_id=None)[0].body
    assert "asm" not in body and "reply_to" not in body
    assert body["tracking_settings"] == {"subscription_tracking": {
        "enable": True, "substitution_tag": UNSUBSCRIBE_LINK_TAG}}
    assert body["headers"] == {
        "List-Unsubscribe": "<mailto:hello@orchid-agency.test?subject=unsubscribe>"}
    assert all(UNSUBSCRIBE_LINK_TAG in c["value"] for c in body["content"])
    post_all(fake_sendgrid, [payloads.MailRequest(body, (1,))])


def test_service_email_has_no_unsubscribe_machinery(fake_sendgrid):
    notice = SimpleNamespace(subject="About your application, {{ first_name }}",
                             html_body="<p>Dear {{ first_name }}, thank you.</p>",
                             text_body=None)
    messages = prepared([person(1), person(2, "Bo")], source=notice, kind=SERVICE,
                        category="rejection-notice")
    requests = build_requests(messages, sender=SENDER, asm_group_id=4242)
    assert len(requests) == 1
    body = requests[0].body
    assert "asm" not in body and "headers" not in body
    assert body["tracking_settings"] == {"subscription_tracking": {"enable": False}}
    assert "nsubscribe" not in json.dumps(body["content"])
    post_all(fake_sendgrid, requests)


def test_kinds_and_categories_never_share_a_request(fake_sendgrid):
    messages = prepared([person(1), person(2)], category="drip-1") \
        + prepared([person(3)], category="drip-2", start=3) \
        + prepared([person(4)], kind=SERVICE, category="drip-1", start=4)
    requests = build_requests(messages, sender=SENDER, asm_group_id=3)
    assert [r.outbox_ids for r in requests] == [(1, 2), (3,), (4,)]
    assert [r.body["categories"] for r in requests] == [["drip-1"], ["drip-2"], ["drip-1"]]
    post_all(fake_sendgrid, requests)


def test_what_no_transport_can_send_is_refused():
    base = {"outbox_id": 1, "to_email": "a@b.test", "to_name": "A", "subject": "Hi",
            "html": "<p>x</p>", "text": "x", "category": "drip-1", "kind": MARKETING}
    PreparedMessage(**base)
    for change in ({"subject": "  "}, {"subject": "x" * 999}, {"to_email": "nobody"},
                   {"to_email": "a@b.test, c@d.test"}, {"html": "", "text": " "},
                   {"category": "c" * 256}, {"category": "drip\n12"}, {"outbox_id": 0}):
        with pytest.raises(InvalidMessage):
            PreparedMessage(**{**base, **change})
    message = PreparedMessage(**{**base, "subject": "Hi\r\nBcc: x@y.test", "to_name": "A;B"})
    assert message.subject == "Hi Bcc: x@y.test" and message.to_name == "A B"
    with pytest.raises(InvalidMessage):
        Sender("not an address")


def test_oversized_substitutions_fall_back_to_their_own_request(fake_sendgrid):
    people = [person(1, "Ann"), person(2, "Bo", "B" * 6000)]
    messages = prepared(people)
    requests = build_requests(messages, sender=SENDER, asm_group_id=8)
    assert [(r.outbox_ids, r.substituted) for r in requests] == [((1,), True), ((2,), False)]
    assert_everyone_gets_their_own_email(people, messages, requests, source=NEWSLETTER,
                                         kind=MARKETING, asm_group_id=8)
    post_all(fake_sendgrid, requests)


def test_a_sender_with_a_token_start_disables_substitutions(fake_sendgrid):
    sender = Sender("hello@orchid-agency.test", "Orchid ^{first_name}")
    messages = prepared([person(1, "Ann"), person(2, "Bo")])
    requests = build_requests(messages, sender=sender, asm_group_id=8)
    assert not any(r.substituted for r in requests) and len(requests) == 2
    post_all(fake_sendgrid, requests)


# -- local outbox ---------------------------------------------------------------------

def parse(path):
    return BytesParser(policy=policy.default).parse(path.open("rb"))


def test_eml_parses_back_with_both_parts_and_headers(tmp_path):
    [message] = prepared([person(12, "Zoë", "O'Hara")], start=12)
    path = write_eml(tmp_path / "outbox", message, SENDER)
    assert path.name == f"12-{slug(message.subject)}.eml" == "12-zoe-your-orchid-co-news.eml"
    email = parse(path)
    assert email.get_content_type() == "multipart/alternative"
    assert str(email["From"]) == "Orchid Agency <hello@orchid-agency.test>"
    assert email["To"].addresses[0].addr_spec == "person12@example.com"
    assert email["To"].addresses[0].display_name == "Zoë"
    assert email["Subject"] == "Zoë, your Orchid & Co news"
    assert email["Date"].datetime is not None
    assert re.fullmatch(r"<orchid\.12\.[0-9a-f]+@orchid-agency\.test>", email["Message-ID"])
    assert email["Reply-To"] == "team@orchid-agency.test"
    url = "mailto:team@orchid-agency.test?subject=unsubscribe"
    assert email["List-Unsubscribe"] == f"<{url}>"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    # (MIME parts end with a line break)
    assert text.replace("\r\n", "\n").rstrip("\n") == \
        message.text.replace(UNSUBSCRIBE_LINK_TAG, url).rstrip("\n")
    assert html.replace("\r\n", "\n").rstrip("\n") == \
        message.html.replace(UNSUBSCRIBE_LINK_TAG, url)
    assert "Hi Zoë O&#39;Hara," in html
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]


def test_service_eml_has_no_unsubscribe_header(tmp_path):
    notice = SimpleNamespace(subject="About your application", text_body=None,
                             html_body="<p>Dear {{ first_name }}</p>")
    [message] = prepared([person(1)], source=notice, kind=SERVICE)
    email = parse(write_eml(tmp_path, message, Sender("hello@orchid-agency.test")))
    assert email["List-Unsubscribe"] is None and email["Reply-To"] is None
    assert "Portland" in email.get_body(("plain",)).get_content()


def test_eml_is_never_written_twice_for_one_outbox_id(tmp_path):
    [message] = prepared([person(1)])
    first = write_eml(tmp_path, message, SENDER)
    before = first.read_bytes()
    changed = PreparedMessage(1, "other@example.com", None, "A different subject", "<p>x</p>",
                              "x", None, SERVICE)
    assert write_eml(tmp_path, changed, SENDER) == first
    assert first.read_bytes() == before
    assert existing_eml(tmp_path, 1) == first
    # outbox 12 is not outbox 1, whatever the slugs
    twelve = PreparedMessage(12, "x@example.com", None, "2 things", "<p>x</p>", "x", None,
                             SERVICE)
    assert write_eml(tmp_path, twelve, SENDER).name == "12-2-things.eml"
    assert existing_eml(tmp_path, 1) == first
    assert sorted(os.listdir(tmp_path)) == [first.name, "12-2-things.eml"]  # no temp files


def test_eml_written_when_another_process_got_there_first(tmp_path, monkeypatch):
    [message] = prepared([person(1)])
    target = tmp_path / f"1-{slug(message.subject)}.eml"
    from orchid_desktop.mail import local_outbox

    real = local_outbox._move_without_overwrite

    def racing(temp, final):  # the other process finishes between our check and move
        final.write_bytes(b"theirs")
        return real(temp, final)

    monkeypatch.setattr(local_outbox, "_move_without_overwrite", racing)
    assert write_eml(tmp_path, message, SENDER) == target
    assert target.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == [target.name]


@settings(max_examples=40, deadline=None)
@given(name=name_text, subject=name_text.filter(lambda s: s.strip()))
def test_any_name_and_subject_survive_an_eml(tmp_path_factory, name, subject):
    try:
        message = PreparedMessage(3, "x@example.com", name, subject, "<p>x</p>", "x", None,
                                  MARKETING)
    except InvalidMessage:
        assume(False)  # a subject of invisible characters only: refused, as it should be
    email = parse(write_eml(tmp_path_factory.mktemp("eml"), message, SENDER))
    assert email["Subject"] == message.subject
    assert email["To"].addresses[0].display_name == (message.to_name or "")
    assert email["To"].addresses[0].addr_spec == "x@example.com"


def test_slug_is_safe():
    assert slug("Réservez / «vite» — 100% ok?!") == "reservez-vite-100-ok"
    assert slug("中文") == "email"
    assert len(slug("word " * 40)) <= 50
