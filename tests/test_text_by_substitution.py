"""The plain text of a template without a text part, made by putting each person's values
into the text derived once from the shared body (``rendering.text_from_shared``) instead
of parsing each person's HTML: whenever that shortcut is taken, its text is exactly what
``html_to_text`` derives from the person's own HTML, and otherwise it is not taken.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchid_desktop.domain.html_text import html_to_text
from orchid_desktop.domain.templating import UNSUBSCRIBE_LINK_TAG, RenderError, render
from orchid_desktop.domain.vocab import EmailKind
from orchid_desktop.mail.payloads import InvalidMessage, prepare_message
from orchid_desktop.mail.rendering import (
    PLAIN_VALUE,
    SharedBodies,
    render_message,
    render_shared,
    text_from_shared,
)
from orchid_desktop.services.first_run import library_entries

ADDRESS = "12 Orchard Lane\nSuite 3\nPortland, OR 97201"
AGENCY = {"agency_name": "Orchid & Co", "agency_postal_address": ADDRESS,
          "application_link": "https://orchid-agency.test/apply?src=email&x=1",
          "unsubscribe_link": UNSUBSCRIBE_LINK_TAG}
PER_RECIPIENT = ("first_name", "last_name", "email", "coordinator_name")
LIBRARY = library_entries()

NAMES = ["Ann", "Zoë", "José María", "Łukasz", "Nguyễn Thị Minh", "李小龙", "Mary-Jane",
         "O'Brien", "D'Angelo", "AT&T", "Bo & <Co>", "<b>Ann</b>", "50%", "a^b",
         "^{first_name}", "Ann  Lee", " Ann", "Ann ", "Ann\nLee", "Ann\u00a0Lee", "notice",
         "copy", "-->", "&amp;", "&notin", "x=1", "`x`", '"Z"', "", "  ", None,
         "Jean-Luc; Picard, Jr.", "ann.lee+news@example.com", "[Ann]", "]]", "#94;",
         "W" * 3000, "Wolfeschlegelsteinhausen " * 200 + "Sr"]
# plain values that read differently where a token would not: after "&" ("&notice" reads
# "¬ice"), after "<" (a tag), as a link's label equal to its URL
TRICKY = ["notice", "copy", "amp", "lt", "#94;", "94;", "Ann", "p", "b title=x",
          "https://x.test/", "x.test", "-", "--", "!--", "x;", "]]"]
value = st.one_of(st.sampled_from(NAMES), st.sampled_from(TRICKY), st.text(max_size=30),
                  st.from_regex(PLAIN_VALUE, fullmatch=True).filter(lambda v: len(v) < 60))
people = st.fixed_dictionaries(dict.fromkeys(PER_RECIPIENT, value))


def source_of_entry(entry) -> SimpleNamespace:
    return SimpleNamespace(subject=entry["subject"], html_body=entry["html"].strip(),
                           text_body=None)


def fast_text(source, values, shared) -> str | None:
    """The shortcut's text (footer included) for one person, or None where not taken."""
    own = render(source.subject, source.html_body, source.text_body, {**AGENCY, **values},
                 derive_text=False)
    text = text_from_shared(shared, {**AGENCY, **values}, own.html)
    if text is not None:
        assert text == html_to_text(own.html)
    return text


def check_people(source, kind, everyone) -> int:
    """Each person's email as ``prepare_message`` makes it (shortcut where taken) has the
    HTML and text of the email rendered for them alone, text parsed from their own HTML;
    returns how many took the shortcut."""
    bodies = SharedBodies()
    taken = 0
    for n, values in enumerate(everyone):
        variables = {**AGENCY, **values}
        try:
            alone = render_message(source, variables, kind=kind, postal_address=ADDRESS)
        except RenderError:
            continue
        try:
            message = prepare_message(n + 1, source, variables, kind=kind,
                                      postal_address=ADDRESS, to_email="a@example.com",
                                      to_name=None, category="drip-1", shared_bodies=bodies)
        except InvalidMessage:  # a 3,000-character name in the subject
            assert len(alone.subject) > 998
        else:
            assert (message.html, message.text) == (alone.html, alone.text)
        assert html_to_text(alone.html.split("<hr style=")[0]) in alone.text
        shared = bodies.get(source, variables, kind=kind, postal_address=ADDRESS)
        text = fast_text(source, values, shared) if shared is not None else None
        if text is not None:
            taken += 1
            assert render_message(source, variables, kind=kind, postal_address=ADDRESS,
                                  shared=shared).text == alone.text
    return taken


# -- every library template, any values -------------------------------------------------

@pytest.mark.parametrize("entry", LIBRARY, ids=lambda e: e["slug"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(everyone=st.lists(people, min_size=1, max_size=6))
def test_library_text_by_substitution_is_the_text_of_their_own_html(entry, everyone):
    check_people(source_of_entry(entry), EmailKind(entry["kind"]), everyone)


@pytest.mark.parametrize("entry", LIBRARY, ids=lambda e: e["slug"])
def test_library_templates_take_the_shortcut_for_plain_values(entry):
    everyone = [dict.fromkeys(PER_RECIPIENT, name) for name in
                ("Ann", "Zoë", "José María", "李小龙", "Mary-Jane", "W" * 3000)]
    assert check_people(source_of_entry(entry), EmailKind(entry["kind"]), everyone) \
        == len(everyone)


# -- any template made of awkward pieces, any values ------------------------------------

VALUES = ["{{ first_name }}", "{{ last_name }}", "{{ first_name | default('you') }}",
          "{{ coordinator_name }}", "{{ email }}", "{{ agency_name }}"]
PIECES = ["<p>", "</p>", "<br>", "<li>", "</li>", "<ol>", "</ol>", "<td>", "<tr>",
          '<a href="https://x.test/">', '<a href="mailto:', '">', "</a>", "<a>",
          '<img alt="', '<p title="', '" >', "<title>", "</title>", "<script>",
          "</script>", "<!--", "-->", "<!", "<?", "<", "</", ">", "&", "&amp;", "&no", "&#",
          "&#94;", "&Hat;", "{", "}", "first_name", ";", "&#94;{first_name}",
          "&Hat;{last_name}", '<a href="https://x.test/">{{ first_name }}</a>',
          '<a href="mailto:{{ email }}">{{ email }}</a>', '<img alt="{{ last_name }}">',
          "&{{ first_name }}", "<{{ first_name }}>", "<!-{{ first_name }}", " ", "  ", "\n",
          "\t", "\r", "x",
          "tice", "=", "'", '"', "/", "-", "]]>", "<![CDATA[",
          "{% if first_name == 'Ann' %}<b>Ann!</b>{% endif %}",
          "{% if first_name|length > 3 %}long{% endif %}"]
WELL_FORMED = ["<p>", "</p>", "<br>", " ", "x", "\n", "<li>", "</li>", "<b>", "</b>",
               '<a href="https://x.test/">{{ first_name }}</a>', '<img alt="{{ last_name }}">']
templates = st.lists(st.one_of(st.sampled_from(VALUES), st.sampled_from(WELL_FORMED),
                               st.sampled_from(PIECES)),
                     min_size=1, max_size=14).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=templates, everyone=st.lists(people, min_size=1, max_size=4),
       kind=st.sampled_from([EmailKind.MARKETING, EmailKind.SERVICE]))
def test_any_template_text_by_substitution_is_the_text_of_their_own_html(html, everyone,
                                                                         kind):
    source = SimpleNamespace(subject="Hello {{ first_name | default('you') }}",
                             html_body=html, text_body=None)
    check_people(source, kind, everyone)


# -- when the shortcut is not taken ------------------------------------------------------

def shared_for(html: str, text: str | None = None, values=None):
    source = SimpleNamespace(subject="Hi", html_body=html, text_body=text)
    variables = {**AGENCY, **dict.fromkeys(PER_RECIPIENT, "Ann"), **(values or {})}
    return source, render_shared(source, variables, kind=EmailKind.MARKETING,
                                 postal_address=ADDRESS)


@pytest.mark.parametrize("name", ["O'Brien", "AT&T", "Bo & <Co>", "<b>Ann</b>", "50%",
                                  "a^b", "^{last_name}", "x=1", "`x`", '"Z"', "Ann  Lee",
                                  " Ann", "Ann ", "Ann\nLee", "Ann\tLee", "Ann\u00a0Lee"])
def test_values_with_markup_or_odd_spacing_fall_back(name):
    source, shared = shared_for("<p>Hi {{ first_name }} {{ last_name }}</p>")
    assert shared is not None and shared.body_text == "Hi ^{first_name} ^{last_name}"
    variables = {**AGENCY, "first_name": name, "last_name": "Lee"}
    own = render(source.subject, source.html_body, None, variables, derive_text=False)
    assert text_from_shared(shared, variables, own.html) is None
    # …and the email is still right, its text parsed from the person's own HTML
    email = render_message(source, variables, kind=EmailKind.MARKETING,
                           postal_address=ADDRESS, shared=shared)
    assert email == render_message(source, variables, kind=EmailKind.MARKETING,
                                   postal_address=ADDRESS)
    plain = {**variables, "first_name": "Zoë"}
    own = render(source.subject, source.html_body, None, plain, derive_text=False)
    assert text_from_shared(shared, plain, own.html) == "Hi Zoë Lee"


@pytest.mark.parametrize("html", [
    '<p title="{{ first_name }}">Hi</p>',  # in an attribute
    '<img alt="{{ first_name }}"><p>Hi {{ last_name }}</p>',
    '<a href="https://x.test/">{{ first_name }}</a>',  # a link's label
    '<a href="mailto:{{ email }}">{{ email }}</a>',
    "<p>&no{{ first_name }}</p>",  # "&no" + "tice" would read "¬ice"
    "<p>&#{{ first_name }}</p>",
    "<p><{{ first_name }}></p>",  # "<" + "Ann>" would be a tag
    "<p><!{{ first_name }}</p>",
    "<title>{{ first_name }}</title><p>Hi</p>",  # skipped
    "<!-- {{ first_name }} --><p>Hi</p>",  # a comment
    # a token the template writes as a character reference, and a real one elsewhere
    '<p title="{{ first_name }}">&#94;{first_name}</p>',
])
def test_tokens_where_a_value_could_read_differently_disable_the_shortcut(html):
    _source, shared = shared_for(html)
    assert shared is not None and shared.body_text is None and shared.body_html is None


def test_a_template_with_its_own_text_part_renders_it():
    source, shared = shared_for("<p>Hi {{ first_name }}</p>", "Hello {{ first_name }}!")
    assert shared is not None and shared.body_text is None
    email = render_message(source, {**AGENCY, "first_name": "Bo"}, kind=EmailKind.MARKETING,
                           postal_address=ADDRESS, shared=shared)
    assert email.text.startswith("Hello Bo!\n\n--\n")


def test_a_template_that_tests_a_value_is_checked_person_by_person():
    html = "<p>Hi {{ first_name }}{% if first_name == 'Ann' %}<br>welcome back{% endif %}</p>"
    source, shared = shared_for(html)
    assert shared is not None and shared.body_text == "Hi ^{first_name}"
    for name, expected in (("Ann", None), ("Bo", "Hi Bo")):
        variables = {**AGENCY, "first_name": name}
        own = render(source.subject, html, None, variables, derive_text=False)
        assert text_from_shared(shared, variables, own.html) == expected
        assert render_message(source, variables, kind=EmailKind.MARKETING,
                              postal_address=ADDRESS, shared=shared).text == \
            render_message(source, variables, kind=EmailKind.MARKETING,
                           postal_address=ADDRESS).text
    assert render_message(source, {**AGENCY, "first_name": "Ann"},
                          kind=EmailKind.MARKETING, postal_address=ADDRESS,
                          shared=shared).text.startswith("Hi Ann\nwelcome back")


def test_plain_values_are_what_escaping_and_whitespace_leave_alone():
    from markupsafe import escape

    for name in NAMES:
        if name is not None and PLAIN_VALUE.fullmatch(name):
            assert str(escape(name)) == name and " ".join(name.split()) == name
            assert not set("<>&\"'^%") & set(name)
