"""Reading one imported cell as what it means: an applicant type, a source or another
choice, a state, a number with a decimal comma, a full name in two parts.

Exports spell these many ways ("Surrogate", "GC", "Egg Donation"; "fb", "ig",
"Instagram Lead Ad"; "California"); each reader takes any of them and says plainly when
it cannot.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .import_columns import fold_header
from .person_fields import BY_KEY as PERSON_FIELDS
from .person_fields import PersonField
from .us_states import US_STATES
from .vocab import ApplicantType, LeadSource


def parse_choice(text: str, field: PersonField) -> Any:
    """The value (a member of the field's StrEnum) a cell of a choice field names, by its
    value, its label or one of the spellings the catalogue gives; None when it names
    none."""
    return _named(text, field.vocabulary, field.spellings, inside=field.spelled_inside)


def parse_applicant_type(text: str) -> ApplicantType | None:
    """The applicant type a cell names ("Surrogate", "GC", "Egg Donation"), or None."""
    return parse_choice(text, PERSON_FIELDS["applicant_type"])


def parse_source(text: str) -> LeadSource | None:
    """The source a cell names ("fb", "Instagram Lead Ad", "A friend"), or None."""
    return parse_choice(text, PERSON_FIELDS["source"])


def _named(text: str, members, words_for, *, inside: int):
    """A member named by its value or label, else by one of its words: the whole cell,
    or (for words of at least ``inside`` letters) a part of it."""
    folded = fold_header(text)
    if not folded:
        return None
    for member in members:
        if folded in (fold_header(member.value), fold_header(member.label)):
            return member
    for member, words in words_for:
        if folded in words or any(len(w) >= inside and w in folded for w in words):
            return member
    return None


_STATE_BY_NAME = {fold_header(name): code for code, name in US_STATES.items()}


def parse_state(text: str) -> str | None:
    """A US state's postal code from its code or its name ("ca", "California")."""
    stripped = text.strip()
    if stripped.upper() in US_STATES:
        return stripped.upper()
    return _STATE_BY_NAME.get(fold_header(stripped))


_NUMBER = re.compile(r"^[+-]?(\d{1,3}([.,\s']\d{3})+|\d+)([.,]\d+)?$")


def parse_decimal(text: str) -> Decimal | None:
    """A number as people type it: "165", "165.5", "165,5", "1,234.5", "1.234,5".

    The last separator followed by other than three digits, or any lone comma or dot
    after a group of digits, is the decimal mark; the others group thousands.
    """
    stripped = text.strip()
    if not _NUMBER.match(stripped):
        return None
    marks = list(re.finditer(r"[.,]", stripped))
    digits = stripped
    if marks:
        last = marks[-1]
        decimal_mark = last.group()
        after = stripped[last.end():]
        kinds = {m.group() for m in marks}
        if len(kinds) == 1 and len(marks) > 1:
            decimal_mark = ""  # "1,234,567": grouping only
        elif len(kinds) == 1 and len(after) == 3 and decimal_mark == ",":
            decimal_mark = ""  # "1,234": a thousands comma, as US exports write it
        integral, fraction = ((stripped[:last.start()], after) if decimal_mark
                              else (stripped, ""))
        integral = re.sub(r"[.,\s']", "", integral)
        digits = f"{integral}.{fraction}" if fraction else integral
    try:
        return Decimal(re.sub(r"[\s']", "", digits))
    except InvalidOperation:
        return None


def split_full_name(text: str) -> tuple[str, str]:
    """"Jane Doe" → ("Jane", "Doe"); "Doe, Jane" → ("Jane", "Doe"); "Mary Ann O'Neil" →
    ("Mary Ann", "O'Neil") is not guessable, so the first word is the first name and the
    rest the last name. Spaces inside each part are kept as written."""
    stripped = text.strip()
    if "," in stripped:
        last, _, first = stripped.partition(",")
        return first.strip(), last.strip()
    first, _, last = stripped.partition(" ")
    return first, last.strip()
