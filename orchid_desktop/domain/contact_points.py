"""Email and phone normalisation, with the well-kept libraries rather than regexes.

No DNS look-ups: an office workstation must not stall on each address, and
deliverability is SendGrid's to judge (bounces come back as suppressions).
"""

from __future__ import annotations

import email_validator


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """The address as it will be matched: validated, trimmed, lower-cased."""
    try:
        result = email_validator.validate_email(raw.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidEmail(f"'{raw.strip()}' is not a valid email address: {exc}") from None
    return result.normalized.lower()
