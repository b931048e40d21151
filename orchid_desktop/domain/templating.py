"""Template variables: the declared set, and which ones a template uses.

Rendering goes through Jinja2's sandbox with HTML autoescaping, so a template (written
by staff) can neither reach Python internals nor inject markup through a person's data.
"""

from __future__ import annotations

from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

# The variables a template may use. Health data is deliberately absent: it never goes
# into an email (DOMAIN.md, "Rules that recruitment email must follow").
DECLARED_VARIABLES = frozenset({
    "first_name", "last_name", "email", "agency_name", "agency_postal_address",
    "coordinator_name", "application_link", "unsubscribe_link",
})


def make_environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, keep_trailing_newline=True)


def variables_used(*sources: str) -> set[str]:
    """Every top-level variable the given template sources refer to."""
    env = make_environment()
    used: set[str] = set()
    for source in sources:
        used |= meta.find_undeclared_variables(env.parse(source))
    return used
