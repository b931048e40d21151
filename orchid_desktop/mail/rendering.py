"""From an outbox row to the words that are sent: rendering, the legal footer, and the
one shared rendering that lets a newsletter to 20,000 people travel as a few requests.

Most recruitment email differs between its recipients only by a name or an address. For
those, ``render_shared`` renders the template once with *tokens* in place of the
per-recipient values (``^{first_name}`` in the plain parts, ``^{first_name:html}`` in the
HTML part, where the value has to arrive HTML-escaped), and ``substitutions_for`` gives
each person's values for those tokens, which SendGrid puts back in
(``personalizations[].substitutions``). Whether that reproduces a person's email exactly
is never assumed: the payload builder compares it with the email rendered for that person
alone and sends it separately when they differ (see ``payloads``).

The same shared rendering saves deriving each person's plain text from their HTML (the
bulk of the work for 100,000 emails): ``text_from_shared`` puts their values into the
text derived once from the shared HTML, where that provably gives the very text
``html_to_text`` would derive from their own HTML, and says None otherwise.

Why ``^`` starts every token: a character that neither names nor HTML/CSS use, so that
"every ``^`` of the shared rendering starts a token, and no value contains a ``^``" can
be checked, and under that condition every way of replacing tokens (one pass, or one key
after another in any order) gives the same text: a value can never complete a token.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol

from markupsafe import escape

from orchid_desktop.domain.html_text import _TextMaker, html_to_text
from orchid_desktop.domain.templating import (
    RenderedEmail,
    RenderError,
    render,
    variables_used,
    with_footer,
)
from orchid_desktop.domain.vocab import EmailKind

# The values that differ from one recipient to the next; every other variable (agency
# name, postal address, application link, unsubscribe placeholder) is the same for all
# recipients of one template and goes into the render key instead.
PER_RECIPIENT_VARIABLES = ("first_name", "last_name", "email", "coordinator_name")
TOKEN_START = "^"
# A token inside a %…% run could, once filled in, complete a tag SendGrid itself replaces
# (<%asm_group_unsubscribe_raw_url%>, the subscription-tracking tag); such a template is
# sent person by person.
TOKEN_IN_PERCENT_RUN = re.compile(r"%[^%\s]*\^\{[^%\s]*%")
# A value whose text ``text_from_shared`` may put in place of a token: words of characters
# that HTML escaping leaves as they are and that the HTML parser reads as plain data (no
# "<", ">", "&", quotes), with no "^" (a token start) or "%", "=", "`", one space between
# words (so collapsing whitespace treats value and token alike).
PLAIN_VALUE = re.compile(r"[^\s<>&\"'^%=`]+(?: [^\s<>&\"'^%=`]+)*")
# Tokens whose neighbours could read a value differently from the token: one after an
# "&" not yet ended by a space or ";" could become part of a character reference ("&no"
# followed by "tice" reads "¬ice"), one after a "<" not yet closed by ">" part of a tag
# ("<" followed by "Ann>").
_TOKEN_AFTER_AMPERSAND = re.compile(r"&[^\t\n\f <;&]*\^\{")
_TOKEN_AFTER_OPEN_ANGLE = re.compile(r"<[^>]*\^\{")


class TemplateSource(Protocol):
    """A template version (or anything shaped like one): Jinja sources to render."""

    subject: str
    html_body: str
    text_body: str | None


@dataclass(frozen=True)
class FixedContent:
    """Content that is already final (a test email, rendered when it was queued): used as
    it is and never rendered again, so a person's name that happens to contain ``{{``
    stays text."""

    subject: str
    html: str
    text: str | None = None


@dataclass(frozen=True)
class SharedBody:
    """One rendering of a template for everyone with the same render key, with tokens
    where the per-recipient values go. ``names`` are the variables that have tokens."""

    html: str
    text: str
    names: tuple[str, ...]
    # The template's own HTML (no footer) with plain tokens, and the text derived from it,
    # when putting plain values in place of the tokens there is exact (``text_from_shared``)
    body_html: str | None = field(default=None, compare=False, repr=False)
    body_text: str | None = field(default=None, compare=False, repr=False)

    def tokens(self) -> tuple[str, ...]:
        return tuple(t for name in self.names for t in (plain_token(name), html_token(name)))


def plain_token(name: str) -> str:
    return f"{TOKEN_START}{{{name}}}"


def html_token(name: str) -> str:
    return f"{TOKEN_START}{{{name}:html}}"


def source_of(message, version: TemplateSource | None = None) -> TemplateSource | FixedContent:
    """What an outbox row is rendered from: its template version when it has one, else
    its own (already final) subject and bodies."""
    if getattr(message, "template_version_id", None) is not None:
        if version is None:
            raise ValueError(f"Outbox message {message.id} is written from a template "
                             "version: pass that version.")
        return version
    return _own_content(message)


def _own_content(message) -> FixedContent:
    """An outbox row's own subject and bodies; an error for a row written from a template
    version, whose content is that version's (``source_of``)."""
    if getattr(message, "template_version_id", None) is not None:
        raise ValueError(f"Outbox message {message.id} is written from a template "
                         "version: pass that version.")
    return FixedContent(message.subject or "", message.html_body or "", message.text_body)


def _content(source: TemplateSource | FixedContent) -> TemplateSource | FixedContent:
    """``source`` as what it is: ``FixedContent`` for content that is already final (an
    outbox row given itself stands for its own content), else the template to render."""
    if isinstance(source, FixedContent):
        return source
    if hasattr(source, "render_variables") and hasattr(source, "template_version_id"):
        return _own_content(source)  # an outbox row: its own content, or an error
    return source


def render_message(source: TemplateSource | FixedContent, variables: Mapping[str, object], *,
                   kind: EmailKind | str, postal_address: str,
                   shared: SharedBody | None = None) -> RenderedEmail:
    """The email exactly as one person gets it, footer included: the postal address on
    every email, and on marketing email the unsubscribe link (as the placeholder
    ``%unsubscribe_link%``, which the transport turns into SendGrid's own link).

    Given the shared body of this person's render key, a text derived from the HTML is
    taken from it where that is provably the same text (``text_from_shared``); the
    subject and the HTML are always rendered for this person.

    Raises ``RenderError`` (from the template rules) when the template cannot be filled
    in for this person."""
    source = _content(source)
    if isinstance(source, FixedContent):
        html = source.html or ""
        text = source.text if source.text and source.text.strip() else html_to_text(html)
        rendered = RenderedEmail(" ".join(source.subject.split()), html, text)
    elif shared is not None and shared.body_text is not None \
            and not (source.text_body or "").strip():
        rendered = render(source.subject, source.html_body, source.text_body, variables,
                          derive_text=False)
        shared_text = text_from_shared(shared, variables, rendered.html)
        rendered = replace(rendered, text=shared_text if shared_text is not None
                           else html_to_text(rendered.html))
    else:
        rendered = render(source.subject, source.html_body, source.text_body, variables)
    return with_footer(rendered, marketing=EmailKind(kind) is EmailKind.MARKETING,
                       postal_address=postal_address or "")


@lru_cache(maxsize=256)
def _used(subject: str, html: str, text: str | None) -> frozenset[str]:
    return frozenset(variables_used(subject, html, text))


def _present(value: object) -> bool:
    """The template rules' notion of a value: None and blank text count as missing."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _per_recipient_present(source: TemplateSource,
                           variables: Mapping[str, object]) -> tuple[str, ...]:
    used = _used(source.subject or "", source.html_body or "", source.text_body)
    return tuple(n for n in PER_RECIPIENT_VARIABLES
                 if n in used and _present(variables.get(n)))


def render_key(source: TemplateSource | FixedContent, variables: Mapping[str, object], *,
               kind: EmailKind | str, postal_address: str) -> Hashable | None:
    """Messages with equal keys render from one shared body (``render_shared``); None
    for content that is not a template. The key holds the template's sources, the kind,
    the postal address, the value of every other variable the template uses, and which
    per-recipient values are present (a missing one may select a ``default``)."""
    source = _content(source)
    if isinstance(source, FixedContent):
        return None
    subject, html, text = source.subject or "", source.html_body or "", source.text_body
    used = _used(subject, html, text)
    shared = tuple((name, _key_value(variables.get(name)))
                   for name in sorted(used) if name not in PER_RECIPIENT_VARIABLES)
    return (subject, html, text, str(EmailKind(kind)), postal_address or "", shared,
            _per_recipient_present(source, variables))


def _key_value(value: object) -> object:
    if not _present(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) else repr(value)


def render_shared(source: TemplateSource | FixedContent, variables: Mapping[str, object], *,
                  kind: EmailKind | str, postal_address: str) -> SharedBody | None:
    """The body every message with this render key shares, tokens in place of the
    per-recipient values; None when there is no such body (content that is not a
    template, a template that does not render, or one whose shared rendering could be
    misread, e.g. a ``^`` of its own or a value run through a filter)."""
    source = _content(source)
    if isinstance(source, FixedContent):
        return None
    names = _per_recipient_present(source, variables)
    if not names:
        return None
    values = {**variables, **{name: plain_token(name) for name in names}}
    try:
        body = render(source.subject, source.html_body, source.text_body, values)
    except RenderError:
        return None
    rendered = with_footer(body, marketing=EmailKind(kind) is EmailKind.MARKETING,
                           postal_address=postal_address or "")  # as render_message
    html, text = rendered.html, rendered.text
    for part in (html, text):
        rest = part
        for name in names:
            rest = rest.replace(plain_token(name), "")
        if TOKEN_START in rest or TOKEN_IN_PERCENT_RUN.search(part):
            return None
    for name in names:
        html = html.replace(plain_token(name), html_token(name))
    body_text = None if (source.text_body or "").strip() else \
        _derivable_text(body.html, names)
    return SharedBody(html, text, names,
                      body.html if body_text is not None else None, body_text)


class _TokenPlaces(_TextMaker):
    """``html_to_text``'s own parser, noting where the tokens of ``html`` are read: each
    must be in text outside links (a link's label is compared with its URL) and outside
    what is skipped, and read as it is written (no character reference of the template
    turned into a token)."""

    def __init__(self, html: str, tokens: Sequence[str]):
        super().__init__()
        self._html, self._tokens = html, tuple(tokens)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self._inside_tag = 0  # the text an <img>'s alt or a link's URL gives
        self.placed = 0  # tokens in text where a value can take their place
        self.unsafe = False  # a token (or what reads as one) anywhere else

    def handle_starttag(self, tag, attrs):
        self._inside_tag += 1
        try:
            super().handle_starttag(tag, attrs)
        finally:
            self._inside_tag -= 1

    def handle_endtag(self, tag):
        self._inside_tag += 1
        try:
            super().handle_endtag(tag)
        finally:
            self._inside_tag -= 1

    def handle_data(self, data: str) -> None:
        read = sum(data.count(t) for t in self._tokens)
        if self._inside_tag:
            self.unsafe = self.unsafe or read > 0
        else:
            # the text as written: from where the parser stands to the next "<" (a run of
            # text ends there unless it starts with a "<" that opens nothing)
            line, column = self.getpos()
            start = self._line_starts[line - 1] + column
            end = self._html.find("<", start + 1)
            written = self._html[start:end if end >= 0 else len(self._html)]
            count = sum(written.count(t) for t in self._tokens)
            if count or read:
                if written.startswith("<") or count != read or self.skipping or self.links:
                    self.unsafe = True
                else:
                    self.placed += count
        super().handle_data(data)


def _derivable_text(html: str, names: tuple[str, ...]) -> str | None:
    """The text derived from ``html`` (a template's HTML rendered with plain tokens) when
    putting plain values (``PLAIN_VALUE``) in place of its tokens, there and in the HTML
    alike, provably keeps the two in step: ``html_to_text`` of the HTML with the values
    is that text with the values. None when that cannot be shown.

    Why it holds: every token is in text between tags, outside links and skipped
    elements, not after an unfinished "&…" or "<…"; a plain value, like a token, holds no
    "<" or "&" and escapes to itself, so the parser sees the same tags and the same runs
    of text, each with the value where the token was; whitespace collapsing treats a
    token and a value (single spaces, none at either end) alike; and every "^" of the
    derived text starts a token, so substituting cannot make one."""
    tokens = [plain_token(name) for name in names]
    total = sum(html.count(t) for t in tokens)
    if _TOKEN_AFTER_AMPERSAND.search(html) or _TOKEN_AFTER_OPEN_ANGLE.search(html):
        return None
    places = _TokenPlaces(html, tokens)
    places.feed(html)
    places.close()
    if places.unsafe or places.placed != total:
        return None
    text = html_to_text(html)
    if sum(text.count(t) for t in tokens) != total or text.count(TOKEN_START) != total:
        return None
    return text


def text_from_shared(shared: SharedBody | None, variables: Mapping[str, object],
                     html: str) -> str | None:
    """The text ``html_to_text(html)`` gives, without parsing ``html`` (one person's HTML
    as the template renders it, before the footer): the shared body's derived text with
    this person's values in place of its tokens. None unless that is provably the same
    text: the shared body allows it, every value is plain (``PLAIN_VALUE``), and ``html``
    is exactly the shared HTML with those values in place of its tokens (so however the
    template uses a value, what is parsed is what ``_derivable_text`` examined)."""
    if shared is None or shared.body_html is None or shared.body_text is None:
        return None
    own, text = shared.body_html, shared.body_text
    for name in shared.names:
        value = variables.get(name)
        if not _present(value):
            return None
        value = str(value)
        if not PLAIN_VALUE.fullmatch(value):
            return None
        token = plain_token(name)
        own, text = own.replace(token, value), text.replace(token, value)
    return text if own == html else None


def substitutions_for(variables: Mapping[str, object], names: tuple[str, ...]) \
        -> dict[str, str]:
    """One person's values for the tokens of a shared body: as text for the plain
    parts, HTML-escaped (as the template's autoescaping does) for the HTML part."""
    result: dict[str, str] = {}
    for name in names:
        value = variables.get(name)
        if _present(value):
            result[plain_token(name)] = str(value)
            result[html_token(name)] = str(escape(value))
    return result


class SharedBodies:
    """``render_shared`` once per render key: 20,000 recipients of one newsletter cost
    one extra rendering, not 20,000."""

    def __init__(self) -> None:
        self._bodies: dict[Hashable, SharedBody | None] = {}

    def get(self, source: TemplateSource | FixedContent, variables: Mapping[str, object], *,
            kind: EmailKind | str, postal_address: str) -> SharedBody | None:
        key = render_key(source, variables, kind=kind, postal_address=postal_address)
        if key is None:
            return None
        if key not in self._bodies:
            self._bodies[key] = render_shared(source, variables, kind=kind,
                                              postal_address=postal_address)
        return self._bodies[key]
