"""Email templates: the declared variables, checking a template, and rendering it.

Rendering goes through Jinja2's sandbox, so a template (written by staff) can neither
reach Python internals nor, in the HTML part, inject markup through a person's data (HTML
is autoescaped; the subject and the plain text are plain text and are not). Health data
is never a variable (DOMAIN.md, "Rules that recruitment email must follow").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from html import escape

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from .application_fields import FIELDS
from .html_text import html_to_text

# The variables a template may use, with the line the "Insert variable" menu shows.
VARIABLE_HELP: dict[str, str] = {
    "first_name": "The person's first name",
    "last_name": "The person's last name",
    "email": "The person's email address",
    "coordinator_name": "Their coordinator's name (or yours, when they have none)",
    "agency_name": "The agency's name, from Settings",
    "agency_postal_address": "The agency's postal address, from Settings",
    "application_link": "The link to the application form, from Settings",
    "unsubscribe_link": "The unsubscribe link (added to marketing email in any case)",
}
DECLARED_VARIABLES = frozenset(VARIABLE_HELP)

# Never a variable: every health field of the application form, and the obvious health
# and identity words someone might try.
SENSITIVE_VARIABLES = frozenset({f.key for f in FIELDS if f.sensitive} | {
    "date_of_birth", "dob", "birth_date", "birthday", "age", "bmi", "height", "height_cm",
    "weight", "weight_kg", "ssn", "social_security_number", "medical_history", "health",
    "diagnosis", "medication", "blood_type", "hiv_status", "pregnancy", "std", "sti",
    "dq_reason", "dq_reason_code", "screening_outcome", "flag_note", "profile",
})

# The placeholder stored as ``unsubscribe_link``: the sending engine swaps it for
# SendGrid's own unsubscribe URL. No HTML special characters, so escaping leaves it be.
UNSUBSCRIBE_LINK_TAG = "%unsubscribe_link%"

# Words people type for a variable, for the "did you mean" hint.
_ALIASES = {
    "name": "first_name", "firstname": "first_name", "fname": "first_name",
    "given_name": "first_name", "lastname": "last_name", "surname": "last_name",
    "lname": "last_name", "family_name": "last_name", "email_address": "email",
    "agency": "agency_name", "company": "agency_name", "address": "agency_postal_address",
    "postal_address": "agency_postal_address", "coordinator": "coordinator_name",
    "application": "application_link", "application_url": "application_link",
    "apply_link": "application_link", "link": "application_link",
    "unsubscribe": "unsubscribe_link", "unsubscribe_url": "unsubscribe_link",
}
PARTS = ("Subject", "Body", "Plain text")


class RenderError(ValueError):
    """A template that cannot be rendered; the message says why in plain words."""


class MissingValue(RenderError):
    """A variable with no value (missing, empty or None) and no ``default``."""

    def __init__(self, name: str):
        super().__init__(f"There is no value for {{{{ {name} }}}} and the template gives "
                         "no default for it.")
        self.name = name


class UnsafeTemplate(RenderError):
    """What the sandbox refuses: reaching into the program behind the template."""


def _missing_value(name: str, _message: str | None = None) -> MissingValue:
    return MissingValue(name)


class _Missing(StrictUndefined):
    """Strict (printing, comparing or looping over a missing value fails) except that
    ``default(...)`` and ``{% if first_name %}`` still work. Printing a missing variable
    raises MissingValue; what the sandbox refuses raises its SecurityError."""

    __slots__ = ()

    def __init__(self, hint=None, obj=missing, name=None, exc=UndefinedError):
        if exc is UndefinedError and hint is None and obj is missing and name:
            exc = partial(_missing_value, name)
        super().__init__(hint, obj, name, exc)

    # jinja2 types StrictUndefined.__bool__ as its raising helper (``-> Never``); a
    # subclass that answers False instead is what Undefined itself does
    def __bool__(self) -> bool:  # type: ignore[override]
        return False


def make_environment(autoescape: bool = True) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=autoescape, keep_trailing_newline=True)


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=autoescape, keep_trailing_newline=True,
                                undefined=_Missing)


@lru_cache(maxsize=512)
def _compiled(source: str, autoescape: bool):
    return _environment(autoescape).from_string(source)


def variables_used(*sources: str | None) -> set[str]:
    """Every top-level variable the given template sources refer to."""
    env = _environment(True)
    used: set[str] = set()
    for source in sources:
        if source:
            used |= _undeclared(env.parse(source))
    return used


# -- checking -----------------------------------------------------------------------

def check_template(subject: str, html: str, text: str | None = None) -> list[str]:
    """Every problem of a template, in plain words; an empty list when it is fine.
    Never raises."""
    problems: list[str] = []
    if not (subject or "").strip():
        problems.append("The subject is empty.")
    if not (html or "").strip():
        problems.append("The email body is empty.")
    parsed: list[tuple[str, str, nodes.Template]] = []
    for part, source in zip(PARTS, (subject or "", html or "", text or ""), strict=True):
        if not source.strip():
            continue
        try:
            parsed.append((part, source, _environment(True).parse(source)))
        except TemplateSyntaxError as exc:
            where = part if part == "Subject" and "\n" not in source.strip() else \
                f"{part}, line {exc.lineno}"
            problems.append(f"{where}: {_plain_syntax_error(exc.message or str(exc))}")
    for _part, _source, tree in parsed:
        problems += _tree_problems(tree)
    if not problems:
        problems += _trial_render(subject, html, text)
    return list(dict.fromkeys(problems))


def _tree_problems(tree: nodes.Template) -> list[str]:
    env = _environment(True)
    problems: list[str] = []
    for name in sorted(_undeclared(tree) - DECLARED_VARIABLES):
        problems.append(_variable_problem(name))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
            continue  # never: find_all types what it finds as their common base class
        attr = _attribute(node)
        if isinstance(attr, str) and attr.startswith("_"):
            if _reaches_inside(node.node):
                continue  # {{ a.__class__.__mro__ }}: said once, for a.__class__
            problems.append(f"{_shown(node)} reaches into the program behind the template, "
                            "which templates may not do.")
        elif isinstance(attr, str) and attr in SENSITIVE_VARIABLES:
            problems.append(f"{_shown(node)} is health data and never goes into an email.")
        elif isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                and node.node.name in DECLARED_VARIABLES and not hasattr(str, node.attr):
            problems.append(f"{_shown(node)}: {node.node.name} is text, which has nothing "
                            f"called \"{node.attr}\".")
    for node in tree.find_all(nodes.Filter):
        if node.name not in env.filters:
            problems.append(f"\"| {node.name}\" is not a filter templates know. "
                            + _suggest(node.name, env.filters, "| "))
    for node in tree.find_all(nodes.Test):
        if node.name not in env.tests:
            problems.append(f"\"is {node.name}\" is not a test templates know. "
                            + _suggest(node.name, env.tests, "is "))
    for statement in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport,
                                    nodes.Extends)):
        problems.append("A template cannot include or import other templates "
                        f"(line {statement.lineno}).")
    return problems


def _attribute(node: nodes.Node) -> object:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value
    return None


def _reaches_inside(node: nodes.Node) -> bool:
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        attr = _attribute(node)
        if isinstance(attr, str) and attr.startswith("_"):
            return True
        node = node.node
    return False


def _undeclared(tree: nodes.Template) -> set[str]:
    try:
        return meta.find_undeclared_variables(tree)
    except TemplateError:  # an unknown filter or test, reported on its own
        stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"} - stored


def _variable_problem(name: str) -> str:
    if name in SENSITIVE_VARIABLES or name.lower() in SENSITIVE_VARIABLES:
        return f"{{{{ {name} }}}} is health data and never goes into an email."
    guess = _ALIASES.get(name.lower()) or next(iter(difflib.get_close_matches(
        name.lower(), sorted(DECLARED_VARIABLES), n=1, cutoff=0.6)), None)
    if guess:
        return f"{{{{ {name} }}}} is not a variable templates can use: did you mean " \
               f"{{{{ {guess} }}}}?"
    return (f"{{{{ {name} }}}} is not a variable templates can use. The variables are: "
            + ", ".join(sorted(DECLARED_VARIABLES)) + ".")


def _suggest(name: str, known, prefix: str) -> str:
    guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"Did you mean \"{prefix}{guess[0]}\"?" if guess else \
        "Use one like \"| default(\"there\")\", \"| upper\" or \"| title\"."


def _shown(node: nodes.Node) -> str:
    parts: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        parts.append(node.attr if isinstance(node, nodes.Getattr)
                     else f"[{getattr(node.arg, 'value', '…')!r}]")
        node = node.node
    head = node.name if isinstance(node, nodes.Name) else "…"
    return "{{ " + head + "".join(p if p.startswith("[") else "." + p
                                  for p in reversed(parts)) + " }}"


_SYNTAX_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"^unexpected end of template, expected 'end of print statement'",
     "a {{{{ is never closed with }}}}."),
    (r"^Unexpected end of template\..*innermost block that needs to be closed is '(\w+)'",
     "{{% {0} %}} is never closed: add {{% end{0} %}}."),
    (r"^Unexpected end of template", "the template ends before an instruction is finished."),
    (r"^Encountered unknown tag '(\w+)'\..*needs to be closed is '(\w+)'",
     "{{% {0} %}} is in the wrong place: close {{% {1} %}} with {{% end{1} %}} first."),
    (r"^Encountered unknown tag '(\w+)'", "{{% {0} %}} is not something templates can do."),
    (r"^unexpected '\}'",
     "a brace is out of place: write a variable like {{{{ first_name }}}}."),
    (r"^unexpected char '\"'|^unexpected char \"'\"", "a quote is opened but never closed."),
    (r"^unexpected char '(.)'", "the character {0} does not belong there."),
    (r"^Expected an expression, got 'end of print statement'",
     "{{{{ }}}} is empty: put a variable between the braces, like {{{{ first_name }}}}."),
    (r"^expected token 'end of print statement', got '(.*)'",
     "only one variable fits between {{{{ and }}}}, and a name has no spaces."),
    (r"^expected token 'name', got", "a filter name is missing after \"|\"."),
)


def _plain_syntax_error(message: str) -> str:
    flat = " ".join(message.split())
    for pattern, words in _SYNTAX_MESSAGES:
        found = re.search(pattern, flat)
        if found:
            return words.format(*found.groups())
    return f"the template is not written correctly (the template engine says: {flat})"


def _trial_render(subject: str, html: str, text: str | None) -> list[str]:
    """Render once with every variable filled in, to catch what only running shows (an
    attribute a value does not have, what the sandbox refuses)."""
    sample = {name: f"sample {name}" for name in DECLARED_VARIABLES}
    try:
        render(subject, html, text, sample)
    except RenderError as exc:
        return [str(exc)]
    except Exception as exc:
        return [f"The template cannot be filled in: {exc}"]
    return []


# -- rendering ----------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _present(variables: Mapping[str, object]) -> dict[str, object]:
    """Empty strings and None count as missing, so ``default(...)`` applies."""
    return {k: v for k, v in variables.items()
            if v is not None and not (isinstance(v, str) and not v.strip())}


def render(subject: str, html: str, text: str | None,
           variables: Mapping[str, object], *, derive_text: bool = True) -> RenderedEmail:
    """The email for one person. Raises MissingValue for a variable with no value and no
    default, UnsafeTemplate for what the sandbox refuses, and RenderError for any other
    template that cannot be run (``check_template`` says why beforehand).

    A template without a text part of its own gets its text derived from the rendered
    HTML (``html_to_text``); with ``derive_text=False`` that is left to the caller, who
    gets an empty ``text`` (the sending engine derives it more cheaply where it can:
    ``mail.rendering.text_from_shared``)."""
    values = _present(variables)
    try:
        subject_out = _compiled(subject or "", False).render(values)
        html_out = _compiled(html or "", True).render(values)
        if (text or "").strip():
            text_out = _compiled(text, False).render(values)
        else:
            text_out = html_to_text(html_out) if derive_text else ""
    except RenderError:
        raise
    except SecurityError as exc:
        raise UnsafeTemplate("The template reaches into the program behind it, which "
                             "templates may not do.") from exc
    except TemplateSyntaxError as exc:
        raise RenderError(f"Line {exc.lineno}: {_plain_syntax_error(exc.message or '')}") \
            from exc
    except UndefinedError as exc:
        raise RenderError(f"The template cannot be filled in: {exc}") from exc
    return RenderedEmail(" ".join(subject_out.split()), html_out, text_out)


def with_footer(email: RenderedEmail, *, marketing: bool, postal_address: str,
                unsubscribe_link: str = UNSUBSCRIBE_LINK_TAG) -> RenderedEmail:
    """The footer the law asks for, added by the app rather than trusted to each
    template: the agency's postal address on every email, and on marketing email an
    unsubscribe link (CAN-SPAM; the one-click headers are the sending engine's)."""
    address = " · ".join(line.strip() for line in postal_address.splitlines() if line.strip())
    html_lines, text_lines = [], []
    if marketing:
        html_lines.append(f'<a href="{escape(unsubscribe_link)}">Unsubscribe</a> from these '
                          "emails at any time.")
        text_lines.append(f"Unsubscribe from these emails at any time: {unsubscribe_link}")
    if address:
        html_lines.append(escape(address))
        text_lines.append(address)
    if not html_lines:
        return email
    footer = ('<hr style="border:none;border-top:1px solid #ddd;margin-top:24px">'
              '<p style="color:#777;font-size:12px">' + "<br>".join(html_lines) + "</p>")
    return RenderedEmail(email.subject, email.html + footer,
                         email.text.rstrip() + "\n\n--\n" + "\n".join(text_lines) + "\n")


class RenderCheck:
    """Whether one template renders for many people, rendering once per pattern of
    missing values instead of once per person: with the template already checked,
    rendering can fail only on a missing value, so people missing the same values fare
    alike (20,000 renders become a handful)."""

    def __init__(self, subject: str, html: str, text: str | None, used: Iterable[str]):
        self._sources = (subject, html, text)
        self._used = tuple(used)
        self._answers: dict[frozenset[str], str | None] = {}

    def missing(self, values: Mapping[str, object]) -> str | None:
        """The name of the value the template needs and ``values`` lack, or None."""
        pattern = frozenset(name for name in self._used if not values.get(name))
        if pattern not in self._answers:
            try:
                render(*self._sources, values)
                self._answers[pattern] = None
            except MissingValue as exc:
                self._answers[pattern] = exc.name
        return self._answers[pattern]
