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

Why ``^`` starts every token: a character that neither names nor HTML/CSS use, so that
"every ``^`` of the shared rendering starts a token, and no value contains a ``^``" can
be checked, and under that condition every way of replacing tokens (one pass, or one key
after another in any order) gives the same text: a value can never complete a token.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from markupsafe import escape

from orchid_desktop.domain.html_text import html_to_text
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
    return FixedContent(message.subject or "", message.html_body or "", message.text_body)


def _fixed(source) -> FixedContent | None:
    if isinstance(source, FixedContent):
        return source
    if hasattr(source, "render_variables") and hasattr(source, "template_version_id"):
        return source_of(source)  # an outbox row: its own content, or an error
    return None


def render_message(source: TemplateSource | FixedContent, variables: Mapping[str, object], *,
                   kind: EmailKind | str, postal_address: str) -> RenderedEmail:
    """The email exactly as one person gets it, footer included: the postal address on
    every email, and on marketing email the unsubscribe link (as the placeholder
    ``%unsubscribe_link%``, which the transport turns into SendGrid's own link).

    Raises ``RenderError`` (from the template rules) when the template cannot be filled
    in for this person."""
    fixed = _fixed(source)
    if fixed is not None:
        html = fixed.html or ""
        text = fixed.text if (fixed.text or "").strip() else html_to_text(html)
        rendered = RenderedEmail(" ".join(fixed.subject.split()), html, text)
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
    if _fixed(source) is not None:
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
    if _fixed(source) is not None:
        return None
    names = _per_recipient_present(source, variables)
    if not names:
        return None
    values = {**variables, **{name: plain_token(name) for name in names}}
    try:
        rendered = render_message(source, values, kind=kind, postal_address=postal_address)
    except RenderError:
        return None
    html, text = rendered.html, rendered.text
    for part in (html, text):
        rest = part
        for name in names:
            rest = rest.replace(plain_token(name), "")
        if TOKEN_START in rest or TOKEN_IN_PERCENT_RUN.search(part):
            return None
    for name in names:
        html = html.replace(plain_token(name), html_token(name))
    return SharedBody(html, text, names)


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
