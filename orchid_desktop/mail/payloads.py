"""SendGrid v3 ``mail/send`` request bodies, built from messages already rendered.

Plain dicts, exactly the JSON the API takes (``../shared/reference`` has its schema).
The rules, and why:

- Recipients who get the same email share one request, at most 1,000 personalizations
  each (the API's limit), and an address appears at most once per request (the API
  refuses a repeat): a second message to the same address goes into another request.
- Messages of one template whose emails differ only by per-recipient values share one
  body with tokens and carry their values as ``substitutions`` (see ``rendering``), but
  only after checking, message by message, that SendGrid's substitution gives back
  exactly the email rendered for that person alone. Any message that fails the check
  is grouped with the messages whose email is identical to its own.
- ``custom_args`` carry opaque ids only (SendGrid stores them and cannot redact them);
  ``categories`` the message's category, an opaque id such as ``drip-12``.
- Marketing email: an ASM group when the agency has one (its unsubscribe link replaces
  the ``%unsubscribe_link%`` placeholder), else SendGrid's subscription tracking (which
  replaces the placeholder itself); ``List-Unsubscribe`` headers. Service email carries
  no unsubscribe machinery, and subscription tracking is switched off for it so that an
  account-wide setting cannot add an unsubscribe link to a rejection notice.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchid_desktop.domain.templating import UNSUBSCRIBE_LINK_TAG
from orchid_desktop.domain.vocab import EmailKind

from .rendering import (
    TOKEN_IN_PERCENT_RUN,
    TOKEN_START,
    FixedContent,
    SharedBodies,
    SharedBody,
    TemplateSource,
    render_message,
    substitutions_for,
)

MAX_PERSONALIZATIONS = 1000
# The API's limits that the schema does not carry (README of the reference schema).
SUBSTITUTIONS_MAX_BYTES = 10_000
CUSTOM_ARGS_MAX_BYTES = 10_000
REQUEST_MAX_BYTES = 20_000_000  # the API takes 30 MB; leave room for JSON overhead
SUBJECT_MAX_CHARS = 998  # one header line (RFC 5322)
CATEGORY_MAX_CHARS = 255

ASM_UNSUBSCRIBE_URL_TAG = "<%asm_group_unsubscribe_raw_url%>"
# With subscription tracking, SendGrid puts its unsubscribe URL wherever this tag stands.
SUBSCRIPTION_TRACKING_TAG = UNSUBSCRIBE_LINK_TAG
ONE_CLICK = "List-Unsubscribe=One-Click"
# Headers the API will not let a request set (its documentation), compared lower-case.
FORBIDDEN_HEADERS = frozenset({
    "x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
    "content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc",
})
_OPAQUE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_CATEGORY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII without ":" or space
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidMessage(ValueError):
    """A message that cannot be sent as it is; the text says why, in plain words."""


@dataclass(frozen=True)
class Sender:
    from_email: str
    from_name: str = ""
    reply_to: str | None = None

    def __post_init__(self) -> None:
        if "@" not in self.from_email or _CONTROL.search(self.from_email) \
                or self.from_email != self.from_email.strip():
            raise InvalidMessage(f"The sender address {self.from_email!r} is not usable.")
        if self.reply_to is not None and ("@" not in self.reply_to
                                          or _CONTROL.search(self.reply_to)):
            raise InvalidMessage(f"The reply-to address {self.reply_to!r} is not usable.")
        object.__setattr__(self, "from_name", _one_line(self.from_name))

    @classmethod
    def of(cls, identity) -> Sender:
        """From a ``SenderIdentity`` row (or anything with its three fields)."""
        return cls(identity.from_email.strip(), identity.from_name or "",
                   (identity.reply_to or "").strip() or None)

    @property
    def unsubscribe_mailbox(self) -> str:
        """Where an emailed unsubscribe request goes: the reply-to, else the sender."""
        return self.reply_to or self.from_email


@dataclass(frozen=True)
class PreparedMessage:
    """One outbox row, rendered and ready for a transport.

    ``subject``/``html``/``text`` are the email exactly as this person gets it (footer
    included, ``%unsubscribe_link%`` still a placeholder). ``shared`` and
    ``substitutions``, when given, are the same email as a shared body plus this
    person's values; they are only ever used after being checked against the former.
    Construction refuses what no transport could send (``InvalidMessage``)."""

    outbox_id: int
    to_email: str
    to_name: str | None
    subject: str
    html: str
    text: str
    category: str | None
    kind: EmailKind
    custom_ids: Mapping[str, str] = field(default_factory=dict)
    shared: SharedBody | None = None
    substitutions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.outbox_id, int) or self.outbox_id <= 0:
            raise InvalidMessage(f"{self.outbox_id!r} is not an outbox id.")
        to_email = (self.to_email or "").strip()
        if "@" not in to_email or re.search(r"[\s,;<>\"]", to_email) \
                or _CONTROL.search(to_email):
            raise InvalidMessage(f"{self.to_email!r} is not an email address that can be "
                                 "sent to.")
        subject = _one_line(self.subject)
        if not subject:
            raise InvalidMessage("The email has no subject.")
        if len(subject) > SUBJECT_MAX_CHARS:
            raise InvalidMessage(f"The subject is {len(subject)} characters long; at most "
                                 f"{SUBJECT_MAX_CHARS} fit in an email.")
        if not (self.html or "").strip() and not (self.text or "").strip():
            raise InvalidMessage("The email has no content.")
        category = self.category or None
        if category is not None and (len(category) > CATEGORY_MAX_CHARS
                                     or not _CATEGORY.fullmatch(category)):
            raise InvalidMessage(f"The category {category!r} must be a short id of plain "
                                 f"letters, digits and punctuation (at most "
                                 f"{CATEGORY_MAX_CHARS}).")
        ids = {}
        for key, value in dict(self.custom_ids).items():
            value = str(value) if isinstance(value, int) and not isinstance(value, bool) \
                else value
            if key == "outbox_id" or not isinstance(key, str) or not isinstance(value, str) \
                    or not _OPAQUE_ID.fullmatch(key) or not _OPAQUE_ID.fullmatch(value):
                raise InvalidMessage(f"custom id {key!r}: only opaque ids (letters, digits, "
                                     "'_.:-', at most 64) may travel with an email.")
            ids[key] = value
        set_ = object.__setattr__
        set_(self, "to_email", to_email)
        set_(self, "to_name", _recipient_name(self.to_name))
        set_(self, "subject", subject)
        set_(self, "html", self.html or "")
        set_(self, "text", self.text or "")
        set_(self, "category", category)
        set_(self, "kind", EmailKind(self.kind))
        set_(self, "custom_ids", ids)
        set_(self, "substitutions", dict(self.substitutions or {}))


@dataclass(frozen=True)
class MailRequest:
    """One POST to ``/v3/mail/send``: its body, and the outbox ids it carries in the
    order of its personalizations."""

    body: dict[str, Any]
    outbox_ids: tuple[int, ...]
    substituted: bool = False  # personal values travel as substitutions


def _one_line(value: str | None) -> str:
    """One line of header text: no line breaks (no header injection), no invisible
    control characters (a messy import's), single spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def _recipient_name(name: str | None) -> str | None:
    """SendGrid misreads a recipient name with a comma or a semicolon as a list of
    addresses (a documented limitation), so those become spaces."""
    cleaned = _one_line(re.sub(r"[,;]", " ", name or ""))
    return cleaned or None


def prepare_message(outbox_id: int, source: TemplateSource | FixedContent,
                    variables: Mapping[str, object], *, kind: EmailKind | str,
                    postal_address: str, to_email: str, to_name: str | None,
                    category: str | None, custom_ids: Mapping[str, str] | None = None,
                    shared_bodies: SharedBodies | None = None) -> PreparedMessage:
    """Render one message (``rendering.render_message``) and, given a ``SharedBodies``
    cache, attach its shared body and substitutions. Raises ``RenderError`` or
    ``InvalidMessage``: the caller fails that one message with the reason.

    The subject and HTML are rendered for this person alone; a text derived from the
    HTML comes from the shared body where that is provably the text their own HTML gives
    (``rendering.text_from_shared``), which spares parsing 20,000 copies of one HTML."""
    shared = shared_bodies.get(source, variables, kind=kind, postal_address=postal_address) \
        if shared_bodies is not None else None
    email = render_message(source, variables, kind=kind, postal_address=postal_address,
                           shared=shared)
    return PreparedMessage(
        outbox_id, to_email, to_name, email.subject, email.html, email.text, category,
        EmailKind(kind), custom_ids or {}, shared,
        substitutions_for(variables, shared.names) if shared else {})


# -- the unsubscribe machinery --------------------------------------------------------

def unsubscribe_link(kind: EmailKind, asm_group_id: int | None) -> str | None:
    """What stands for the unsubscribe URL in the content SendGrid receives: the ASM
    group's raw URL tag, or (subscription tracking) the placeholder itself, which is the
    request's substitution tag. None for service email, which has no such link."""
    if kind is not EmailKind.MARKETING:
        return None
    return ASM_UNSUBSCRIBE_URL_TAG if asm_group_id is not None else SUBSCRIPTION_TRACKING_TAG


def for_sendgrid(content: str, kind: EmailKind, asm_group_id: int | None) -> str:
    link = unsubscribe_link(kind, asm_group_id)
    return content.replace(UNSUBSCRIBE_LINK_TAG, link) if link else content


def unsubscribe_headers(kind: EmailKind, sender: Sender, asm_group_id: int | None) \
        -> dict[str, str]:
    """The one-click unsubscribe headers (RFC 2369 / RFC 8058, Gmail and Yahoo's bulk
    rules): the ASM group's unsubscribe URL when there is one, and a mailto to the
    reply-to (else the sender). ``List-Unsubscribe-Post`` only accompanies an HTTPS
    URL; with a mailto alone it would promise a one-click that does not exist."""
    if kind is not EmailKind.MARKETING:
        return {}
    links = []
    if asm_group_id is not None:
        links.append(f"<{ASM_UNSUBSCRIBE_URL_TAG}>")
    links.append(f"<mailto:{sender.unsubscribe_mailbox}?subject=unsubscribe>")
    headers = {"List-Unsubscribe": ", ".join(links)}
    if asm_group_id is not None:
        headers["List-Unsubscribe-Post"] = ONE_CLICK
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in FORBIDDEN_HEADERS \
                or _CONTROL.search(value):
            raise AssertionError(f"header {name!r} may not be sent")
    return headers


def _settings(kind: EmailKind, sender: Sender, asm_group_id: int | None,
              category: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"from": {"email": sender.from_email}}
    if sender.from_name:
        body["from"]["name"] = sender.from_name
    if sender.reply_to:
        body["reply_to"] = {"email": sender.reply_to}
    if category:
        body["categories"] = [category]
    if kind is EmailKind.MARKETING:
        if asm_group_id is not None:
            body["asm"] = {"group_id": int(asm_group_id)}
        else:
            body["tracking_settings"] = {"subscription_tracking": {
                "enable": True, "substitution_tag": SUBSCRIPTION_TRACKING_TAG}}
        body["headers"] = unsubscribe_headers(kind, sender, asm_group_id)
    else:
        body["tracking_settings"] = {"subscription_tracking": {"enable": False}}
    return body


def _content(text: str, html: str) -> list[dict[str, str]]:
    # the API wants text/plain before text/html
    parts = [("text/plain", text), ("text/html", html)]
    return [{"type": kind, "value": value} for kind, value in parts if value.strip()]


# -- substitutions: used only where provably exact -------------------------------------

def apply_substitutions(content: str, substitutions: Mapping[str, str]) -> str:
    """What SendGrid does with a personalization's substitutions: every occurrence of
    each key replaced by its value. (Where ``build_requests`` uses substitutions, the
    order of the keys and one pass or several make no difference.)"""
    for key, value in substitutions.items():
        content = content.replace(key, value)
    return content


class _SharedForms:
    """Each shared body once per request kind: its content as SendGrid receives it and
    the tokens it contains, or None where it must not be used."""

    def __init__(self, asm_group_id: int | None):
        self._asm = asm_group_id
        self._forms: dict[tuple[int, EmailKind], tuple[str, str, frozenset[str]] | None] = {}

    def get(self, shared: SharedBody, kind: EmailKind):
        key = (id(shared), kind)
        if key not in self._forms:
            html = for_sendgrid(shared.html, kind, self._asm)
            text = for_sendgrid(shared.text, kind, self._asm)
            rest_html, rest_text = html, text
            tokens = frozenset(t for t in shared.tokens() if t in html or t in text)
            for token in tokens:
                rest_html = rest_html.replace(token, "")
                rest_text = rest_text.replace(token, "")
            usable = tokens and TOKEN_START not in rest_html + rest_text \
                and not TOKEN_IN_PERCENT_RUN.search(html + "\n" + text)
            # (keyed by id: the messages keep their shared bodies alive meanwhile)
            self._forms[key] = (html, text, tokens) if usable else None
        return self._forms[key]


def _substitutable(message: PreparedMessage, forms: _SharedForms, asm_group_id: int | None):
    """The shared form and this person's substitutions when SendGrid, filling them in,
    would produce exactly this person's email; else None."""
    if message.shared is None or TOKEN_START in message.subject:
        return None
    form = forms.get(message.shared, message.kind)
    if form is None:
        return None
    html, text, tokens = form
    subs = {k: v for k, v in message.substitutions.items() if k in tokens}
    if set(subs) != tokens:
        return None
    # a value with "^" could complete a token, one with "%" one of SendGrid's own tags
    if any(TOKEN_START in v or "%" in v for v in subs.values()):
        return None
    if sum(len(k.encode()) + len(v.encode()) for k, v in subs.items()) \
            > SUBSTITUTIONS_MAX_BYTES:
        return None
    # The HTML is always this person's own rendering. A text that ``text_from_shared``
    # made from the same shared body agrees with the shared text by construction (the
    # footer aside); that it is the text their own HTML gives is what text_from_shared
    # proves (it checks that HTML, and tests/test_text_by_substitution.py compares the
    # two), so the comparison below re-checks the footer and every other kind of text.
    own_html = for_sendgrid(message.html, message.kind, asm_group_id)
    own_text = for_sendgrid(message.text, message.kind, asm_group_id)
    if apply_substitutions(html, subs) != own_html \
            or apply_substitutions(text, subs) != own_text:
        return None
    return form, subs


# -- building -------------------------------------------------------------------------

@dataclass
class _Group:
    kind: EmailKind
    category: str | None
    shared: tuple[str, str] | None  # (html, text) of a substitution group
    members: list[tuple[PreparedMessage, dict[str, str]]] = field(default_factory=list)


def build_requests(messages: Sequence[PreparedMessage], *, sender: Sender,
                   asm_group_id: int | None,
                   max_personalizations: int = MAX_PERSONALIZATIONS) -> list[MailRequest]:
    """The requests that send ``messages``, each message in exactly one of them.

    Groups: messages that share a verified shared body (substitutions), else messages
    with an identical email; always split by kind and category, which are request-wide.
    Within a group, the fewest requests of at most ``max_personalizations`` in which no
    address repeats (compared without case). Requests come in the order of each group's
    first message; personalizations in the order of the messages."""
    if not 1 <= max_personalizations <= MAX_PERSONALIZATIONS:
        raise ValueError(f"max_personalizations must be 1–{MAX_PERSONALIZATIONS}")
    settings_cache: dict[tuple[EmailKind, str | None], dict[str, Any]] = {}
    # SendGrid substitutes in the reply-to and in headers too: a sender whose details
    # contain a token start gets no substitutions at all
    sender_clean = TOKEN_START not in json.dumps(_settings(
        EmailKind.MARKETING, sender, asm_group_id, None), ensure_ascii=False)
    forms = _SharedForms(asm_group_id)
    groups: dict[tuple[object, ...], _Group] = {}
    for message in messages:
        key: tuple[object, ...]
        found = _substitutable(message, forms, asm_group_id) if sender_clean else None
        if found is not None:
            (html, text, _tokens), subs = found
            key = ("shared", message.kind, message.category, id(message.shared))
            shared = (html, text)
        else:
            subs, shared = {}, None
            key = ("own", message.kind, message.category, message.subject,
                   message.html, message.text)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(message.kind, message.category, shared)
        group.members.append((message, subs))
    requests: list[MailRequest] = []
    for group in groups.values():
        settings_key = (group.kind, group.category)
        if settings_key not in settings_cache:
            settings_cache[settings_key] = _settings(group.kind, sender, asm_group_id,
                                                     group.category)
        requests += _group_requests(group, settings_cache[settings_key], asm_group_id,
                                    max_personalizations)
    return requests


def _personalization(message: PreparedMessage, subs: dict[str, str], with_subject: bool) \
        -> dict[str, Any]:
    to: dict[str, str] = {"email": message.to_email}
    if message.to_name:
        to["name"] = message.to_name
    item: dict[str, Any] = {"to": [to]}
    if with_subject:
        item["subject"] = message.subject
    if subs:
        item["substitutions"] = subs
    args = {"outbox_id": str(message.outbox_id), **message.custom_ids}
    if len(json.dumps(args).encode()) > CUSTOM_ARGS_MAX_BYTES:
        raise InvalidMessage("custom ids too large")
    item["custom_args"] = args
    return item


def _group_requests(group: _Group, settings: dict[str, Any], asm_group_id: int | None,
                    max_personalizations: int) -> list[MailRequest]:
    first = group.members[0][0]
    if group.shared is not None:
        html, text = group.shared
        common: dict[str, Any] = {}
    else:
        html = for_sendgrid(first.html, first.kind, asm_group_id)
        text = for_sendgrid(first.text, first.kind, asm_group_id)
        common = {"subject": first.subject}
    base = {**settings, **common, "content": _content(text, html)}
    items = [(m, _personalization(m, subs, group.shared is not None))
             for m, subs in group.members]
    # stay well under the API's size limit: fewer personalizations when they are large
    base_bytes = len(json.dumps(base).encode())
    largest = max(len(json.dumps(p).encode()) + 2 for _m, p in items)
    per_request = max(1, min(max_personalizations,
                             (REQUEST_MAX_BYTES - base_bytes) // largest))
    chunks = _chunks([m.to_email.lower() for m, _p in items], per_request)
    # each body its own dicts (strings are shared): a caller may change one safely
    return [MailRequest({"personalizations": [items[i][1] for i in chunk],
                         **copy.deepcopy(base)},
                        tuple(items[i][0].outbox_id for i in chunk),
                        substituted=group.shared is not None)
            for chunk in chunks]


def _chunks(addresses: Sequence[str], size: int) -> list[list[int]]:
    """Indexes into ``addresses``, split into the fewest chunks of at most ``size`` in
    which no address repeats: max(⌈n / size⌉, the most messages to one address).

    Without repeats, consecutive runs. With repeats, each address's messages are laid
    side by side and dealt round-robin into the k chunks, so no two of them (at most k)
    meet in one chunk and no chunk gets more than ⌈n / k⌉ ≤ size; each chunk keeps the
    messages' original order."""
    n = len(addresses)
    by_address: dict[str, list[int]] = {}
    for index, address in enumerate(addresses):
        by_address.setdefault(address, []).append(index)
    if len(by_address) == n:
        return [list(range(start, min(start + size, n))) for start in range(0, n, size)]
    count = max(-(-n // size), max(len(v) for v in by_address.values()))
    chunks: list[list[int]] = [[] for _ in range(count)]
    position = 0
    for indexes in by_address.values():
        for index in indexes:
            chunks[position % count].append(index)
            position += 1
    return [sorted(chunk) for chunk in chunks]
