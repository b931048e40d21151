"""Email and phone normalisation, with the well-kept libraries rather than regexes.

No DNS look-ups: an office workstation must not stall on each address, and
deliverability is SendGrid's to judge (bounces come back as suppressions).
"""

from __future__ import annotations

import email_validator
import phonenumbers


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """The address as it will be matched: validated, trimmed, lower-cased."""
    try:
        result = email_validator.validate_email(raw.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidEmail(f"'{raw.strip()}' is not a valid email address: {exc}") from None
    return result.normalized.lower()


def display_phone(e164: str, home_region: str = "US") -> str:
    """A stored E.164 number as staff read it: national format at home, international
    otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == home_region
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if home
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class InvalidPhone(ValueError):
    pass


# Lead-ad exports write phones as "p:+14155550123"; some forms add "tel:".
_PHONE_PREFIXES = ("p:", "tel:")


def normalize_phone(raw: str, default_region: str = "US") -> str:
    """The number in E.164 (``+14155550123``), read in the agency's region when it has
    no country code. Raises InvalidPhone with a plain reason."""
    text = raw.strip()
    for prefix in _PHONE_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix):].strip()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"'{raw.strip()}' is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"'{raw.strip()}' is not a valid phone number for "
                           f"{phonenumbers.region_code_for_number(number) or default_region}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
